/**
 * Lambda behind `AutoRollback`: a gate alarm of the service entered ALARM; roll back the release that put traffic
 * on that colour, with the same release engine (and release record) as the `bluegreen` CLI, so a pipeline that died
 * mid-release does not leave a failing colour serving. The reconcile schedule invokes it too (`runReconcile`).
 *
 * Errors are thrown so Lambda retries the event (twice) and then sends it to the dead-letter queue. A retry is
 * safe: the decision is made from what is true when it runs, and the engine's rollback of a rolled-back release
 * only sets the same weights again.
 *
 * After a rollback the engine runs the service's `on-rollback` hooks that the descriptor declares (Lambda functions
 * and webhooks: `lambda:InvokeFunction` on each function); their verdicts are recorded and never change the
 * rollback's outcome.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ReleaseEvent, ReleasePorts, ReleaseState, Weights } from '../../release';
import { AwsClients, createAwsClients } from '../../aws';
import { createAwsPorts } from '../../aws';
import { loadDescriptor } from '../../aws';
import { ReleaseEngine } from '../../release';
import { OutcomeStatus } from '../../release';
import {
  AlarmStateChangeEvent,
  AutoRollbackDecision,
  classifyAlarmEvent,
  ColourWarmth,
  decideAutoRollback,
  GateAlarm,
} from './auto-rollback-decision';
import { AUTO_ROLLBACK_ENV, AUTO_ROLLBACK_OWNER, isReconcileEvent, ReconcileEvent } from '../../contract';
import { DescriptorCache } from './descriptor-cache';
import { onRollbackHooks } from './hooks';
import { createLog, LogLine } from './log';
import { ReconcileResult, runReconcile } from './reconcile';

export type { LogLine } from './log';

/** What one invocation needs. */
export interface AutoRollbackConfig {
  /** The service whose gates the function watches. */
  readonly serviceName: string;
  /** Whether a promoted release is rolled back while its old colour is warm. */
  readonly rollbackAfterPromotion: boolean;
  /** SDK clients. */
  readonly clients: AwsClients;
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

/** What an invocation did. */
export interface AutoRollbackResult extends Omit<AutoRollbackDecision, 'reason'> {
  readonly service: string;
  /** The engine's outcome, after a rollback. */
  readonly outcome?: {
    readonly status: OutcomeStatus;
    readonly message: string;
    readonly weights?: Weights;
  };
}

/** The part of the Lambda context used here. */
interface LambdaContext {
  readonly awsRequestId?: string;
}

/** Kept across invocations of a warm function. */
let sharedClients: AwsClients | undefined;
let sharedDescriptors: DescriptorCache | undefined;

/** Lambda entry point: a reconcile tick, or an alarm event. */
export async function handler(event: AlarmStateChangeEvent | ReconcileEvent, context?: LambdaContext): Promise<AutoRollbackResult | ReconcileResult> {
  sharedClients ??= createAwsClients();
  const serviceName = requiredEnv(AUTO_ROLLBACK_ENV.SERVICE_NAME);
  if (isReconcileEvent(event)) {
    if (sharedDescriptors?.serviceName !== serviceName) sharedDescriptors = new DescriptorCache(serviceName);
    return runReconcile({
      serviceName,
      clients: sharedClients,
      releaseStateTable: process.env[AUTO_ROLLBACK_ENV.RELEASE_STATE_TABLE] || undefined,
      descriptors: sharedDescriptors,
      requestId: context?.awsRequestId,
    });
  }
  return runAutoRollback(event, {
    serviceName,
    rollbackAfterPromotion: process.env[AUTO_ROLLBACK_ENV.ROLLBACK_AFTER_PROMOTION] !== 'false',
    clients: sharedClients,
    requestId: context?.awsRequestId,
  });
}

/**
 * Handle one alarm event: 1 SSM read to place the alarm; for a gate of the service, 3 reads (release record,
 * production weights, the alarm now), 2 more (the old colour's capacity and health) when the gate is the colour
 * a release promoted, and the decision; for a rollback, the engine's rollback.
 *
 * @throws when a read fails or the rollback does not end `rolled-back` (so that Lambda retries)
 */
export async function runAutoRollback(event: AlarmStateChangeEvent, config: AutoRollbackConfig): Promise<AutoRollbackResult> {
  const service = config.serviceName;
  const log = createLog(service, 'alarm', config.requestId, config.log);

  const descriptor = await loadDescriptor(service, config.clients);
  const gate = classifyAlarmEvent(event, descriptor);
  if ('action' in gate) return finish(gate);

  const hooks = onRollbackHooks(descriptor, config.clients);
  const ports: ReleasePorts = {
    ...createAwsPorts(descriptor, config.clients, {
      event: (e: ReleaseEvent) => log('info', 'engine', e.message, { type: e.type, ...(e.weights ? { weights: e.weights } : {}) }),
    }),
    // The engine runs them after the rollback.
    ...(hooks ? { hooks } : {}),
  };
  const [stored, weights, alarmStateNow] = await Promise.all([ports.state.read(), ports.traffic.getWeights(), alarmState(config.clients, gate.alarmName)]);
  const release = stored?.state;
  const previousColour = await previousColourWarmth(ports, gate, release);
  const decision = decideAutoRollback(event, { at: ports.clock.now(), weights, release, alarmStateNow, previousColour }, descriptor, {
    rollbackAfterPromotion: config.rollbackAfterPromotion,
  });
  if (decision.action === 'none') return finish(decision, { weights, alarmStateNow, previousColour });
  log('info', 'decision', decision.message, summary(decision, { weights, previousColour }));

  const engine = new ReleaseEngine(ports, { service, owner: AUTO_ROLLBACK_OWNER });
  const outcome = await engine.rollback({ reason: decision.reason, allowAfterPromotion: config.rollbackAfterPromotion });
  const result: AutoRollbackResult = {
    ...resultOf(service, decision),
    outcome: { status: outcome.status, message: outcome.message, weights: outcome.weights },
  };
  if (outcome.status !== 'rolled-back') {
    log('error', 'outcome', outcome.message, { status: outcome.status, code: decision.code, releaseId: decision.releaseId });
    throw new Error(`Auto-rollback of ${service} (${decision.alarmName} on ${decision.colour}) ended ${outcome.status}: ${outcome.message}`);
  }
  log('info', 'outcome', outcome.message, { status: outcome.status, code: decision.code, releaseId: outcome.releaseId, weights: outcome.weights });
  return result;

  function finish(d: AutoRollbackDecision, fields: Record<string, unknown> = {}): AutoRollbackResult {
    log('info', 'decision', d.message, summary(d, fields));
    return resultOf(service, d);
  }
}

/**
 * How warm the old colour of a promoted release is, when the gate that fired is the colour it promoted: whether a
 * rollback has anywhere to go does not depend on the clock, but on the old colour's capacity and health.
 */
async function previousColourWarmth(ports: ReleasePorts, gate: GateAlarm, release: ReleaseState | undefined): Promise<ColourWarmth | undefined> {
  if (release?.status !== 'succeeded' || gate.colour !== release.candidate) return undefined;
  const [capacity, health] = await Promise.all([ports.capacity.describe(release.stable), ports.health.count(release.stable)]);
  return { desired: capacity.desired, healthy: health.healthy, total: health.total };
}

/** The alarm's state now; undefined when CloudWatch no longer knows it (the event is then trusted). */
async function alarmState(clients: AwsClients, alarmName: string): Promise<string | undefined> {
  // Without AlarmTypes, DescribeAlarms returns metric alarms only, and the composite gate would look absent.
  const out = await clients.get(CloudWatchClient).send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }));
  return [...(out.CompositeAlarms ?? []), ...(out.MetricAlarms ?? [])].find((a) => a.AlarmName === alarmName)?.StateValue;
}

/** The decision as the invocation's result; the reason went into the release record, not here. */
function resultOf(service: string, d: AutoRollbackDecision): AutoRollbackResult {
  const { reason: _recorded, ...decision } = d;
  return { service, ...decision };
}

function summary(d: AutoRollbackDecision, fields: Record<string, unknown>): Record<string, unknown> {
  return { action: d.action, code: d.code, alarmName: d.alarmName, colour: d.colour, releaseId: d.releaseId, ...fields };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set: the AutoRollback construct sets it; redeploy the stack.`);
  return value;
}
