/**
 * The auto-rollback's periodic reconciler: what alarm events cannot catch. A gate already in ALARM sends no new
 * event, so a weight change that landed after a rollback or a promotion, or a release whose pipeline died while its
 * candidate's gate was already firing, would otherwise stay as they are; and a promoted release's old colour goes to
 * standby on time without a human.
 */
import { AwsClients, createAwsPorts, DynamoReleaseStateStore, ElbTrafficRouter } from '../../aws';
import { OutcomeStatus, ReconcileAction, ReconcileCode, ReleaseEngine, ReleasePorts, screenReconcile, Weights } from '../../release';
import { AUTO_ROLLBACK_OWNER } from '../../contract';
import { DescriptorCache } from './descriptor-cache';
import { onRollbackHooks } from './hooks';
import { createLog, Log, LogLine } from './log';

/** What one reconcile tick needs. */
export interface ReconcileConfig {
  /** The service to reconcile. */
  readonly serviceName: string;
  /** SDK clients. */
  readonly clients: AwsClients;
  /**
   * Name of the release-state table, so that the tick reads the record before anything else.
   *
   * @default - from the descriptor: one more call per tick
   */
  readonly releaseStateTable?: string;
  /**
   * Where the descriptor comes from; keep one across ticks of a warm function.
   *
   * @default - a new cache: the descriptor is loaded on every tick that needs it
   */
  readonly descriptors?: DescriptorCache;
  /**
   * Where log lines go.
   *
   * @default - one JSON line each on stdout
   */
  readonly log?: (line: LogLine) => void;
  /**
   * Id of the invocation, added to every log line.
   *
   * @default - none
   */
  readonly requestId?: string;
}

/** What a tick did. */
export interface ReconcileResult {
  readonly service: string;
  /**
   * The repair the engine made: `restored` (an ended release's weights set again: 100 % on the stable colour of a
   * rolled-back or aborted release, on the promoted colour of a succeeded one), `rolled-back`, `scaled-down`; or `none`.
   */
  readonly action: ReconcileAction;
  /** What the tick found in the release record (and weights). */
  readonly code: ReconcileCode;
  /** What happened, in words: the engine's message when it ran, else why it did not need to. */
  readonly message: string;
  readonly releaseId?: string;
  /** The engine's outcome, when it ran. */
  readonly outcome?: {
    readonly status: OutcomeStatus;
    readonly message: string;
    readonly weights?: Weights;
  };
}

/**
 * One tick: read the release record (1 call) and stop there when it settles the tick (`decideReconcile`, the
 * engine's own rules); for an ended release (rolled back, aborted or promoted) read the weights too (1 more call,
 * with the descriptor kept between ticks); when that names a repair, run the release engine's `reconcile()` as
 * owner `auto-rollback`, which decides again with its own reads and makes it.
 *
 * @throws when a read fails, a repair is not verified, or a rollback or a restore of a promoted release's weights
 * is refused (so that Lambda retries and then dead-letters the tick, and the failure alarm notifies): a refused
 * scale-down is only logged
 */
export async function runReconcile(config: ReconcileConfig): Promise<ReconcileResult> {
  const service = config.serviceName;
  const log = createLog(service, 'reconcile', config.requestId, config.log);
  const descriptors = config.descriptors ?? new DescriptorCache(service);
  try {
    return await tick(config, descriptors, log);
  } catch (e) {
    // The kept descriptor may be what failed (a rule or target group replaced by a deploy): load it on the retry.
    descriptors.forget();
    throw e;
  }
}

async function tick(config: ReconcileConfig, descriptors: DescriptorCache, log: Log): Promise<ReconcileResult> {
  const { serviceName: service, clients } = config;
  const table = config.releaseStateTable ?? (await descriptors.get(clients)).releaseStateTable;
  const release = (await DynamoReleaseStateStore.fromClients(clients, table, service).read())?.state;
  const { decision } = await screenReconcile(release, async () => ElbTrafficRouter.fromClients(await descriptors.get(clients), clients).getWeights(), Date.now);
  log('info', 'decision', decision.message, { action: decision.action, code: decision.code, releaseId: decision.releaseId });
  const found = { service, code: decision.code, releaseId: decision.releaseId };
  if (decision.action === 'none') return { ...found, action: 'none', message: decision.message };

  // The engine decides and repairs, from the descriptor as it is now.
  const descriptor = await descriptors.get(clients, true);
  const hooks = onRollbackHooks(descriptor, clients);
  const ports: ReleasePorts = {
    ...createAwsPorts(descriptor, clients, {
      event: (e) => log('info', 'engine', e.message, { type: e.type, ...(e.weights ? { weights: e.weights } : {}) }),
    }),
    // A rollback of an interrupted release runs them, as the alarm path's does.
    ...(hooks ? { hooks } : {}),
  };
  const outcome = await new ReleaseEngine(ports, { service, owner: AUTO_ROLLBACK_OWNER }).reconcile();
  const fields = { status: outcome.status, action: outcome.action, code: decision.code, releaseId: outcome.releaseId ?? decision.releaseId, weights: outcome.weights };
  const result: ReconcileResult = {
    ...found,
    action: outcome.action,
    message: outcome.message,
    releaseId: outcome.releaseId ?? decision.releaseId,
    outcome: { status: outcome.status, message: outcome.message, weights: outcome.weights },
  };
  // An automatic rollback or restore that did not happen is an error the failure alarm reports (traffic is not where
  // the record says, and a human may be needed); a scale-down refused (the colour takes traffic, or the record moved
  // on) waits for the next tick.
  if (outcome.status === 'failed' || (outcome.status === 'refused' && decision.repair !== 'scale-down')) {
    log('error', 'outcome', outcome.message, fields);
    throw new Error(`Reconcile of ${service} (${decision.code}, release ${result.releaseId}) ended ${outcome.status}: ${outcome.message}`);
  }
  log(outcome.exitCode === 0 ? 'info' : 'error', 'outcome', outcome.message, fields);
  return result;
}
