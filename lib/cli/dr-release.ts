/**
 * `release` of a service with a standby Region (its descriptor has `disasterRecovery`): the primary first, then the
 * standby, each with its own ReleaseEngine on its own Region's ports (lib/release/staggered-release.ts), refused
 * while the DR record is not normal. `--region-only` releases the command's Region alone.
 */
import type { ServiceDescriptor } from '../contract';
import {
  ColourName,
  liveColour,
  Logger,
  otherColour,
  ReleaseEngine,
  ReleaseEngineOptions,
  ReleaseExclusion,
  ReleasePorts,
  ReleaseStrategy,
  RegionReleaseRunner,
  staggeredRelease,
  DrRecordView,
  StaggeredReleaseOutcome,
  UsageError,
} from '../release';
import type { CommandContext } from './command';
import { DrAccess, drAccessFor } from './dr-access';
import { EXIT_CODES, exitCodeForOutcome } from './exit-codes';
import { keepManifestInStep, layoutAfter } from './manifest-sync';
import { apiCallSummary } from './output';

/** What the release command asks of a staggered release. */
export interface StaggeredRequest {
  readonly strategy: ReleaseStrategy;
  /** Release only the command's Region. */
  readonly regionOnly: boolean;
  /** Also: release a standby whose idle colour runs another image than the primary now serves. */
  readonly allowUndeployedImage: boolean;
  /** Whether the release manifest may be kept in step (it describes the primary's colours). */
  readonly manifestUsable: boolean;
}

/** Release a service with a standby Region; the exit code. `here` is the descriptor of the command's Region. */
export async function releaseWithStandby(ctx: CommandContext, here: ServiceDescriptor, engine: ReleaseEngineOptions, request: StaggeredRequest): Promise<number> {
  const { global, out, clients } = ctx;
  const pair = here.disasterRecovery!;
  if (!request.regionOnly && pair.role === 'standby') {
    throw new UsageError(
      `--region: ${here.region} is the standby of ${global.service}; a release goes to the primary ${pair.primaryRegion} first, then here. ` +
        `Run it with --region ${pair.primaryRegion}, or add --region-only to release the standby alone.`,
    );
  }
  const access = drAccessFor(ctx);
  try {
    const descriptors = request.regionOnly ? [here] : [here, await access.descriptor(pair.standbyRegion)];
    // Asked again by each Region's engine once it has claimed its release record: a drill or failover that starts
    // while a Region releases (or between the primary and the standby) withdraws the release before it changes anything.
    const exclusion = { refusal: async () => drRefusal(global.service, await readDrRecord(access, here, descriptors)) };
    const runners = descriptors.map((d) => new RegionRunner(ctx, access, d, engine, request.strategy, exclusion));
    if (global.dryRun) return await planRegions(ctx, runners);
    const outcome = await staggeredRelease({
      service: global.service,
      regions: runners,
      drRecord: () => readDrRecord(access, here, descriptors),
      allowImageMismatch: request.allowUndeployedImage,
      onRegion: (e) => out.logger.event({ type: `region-${e.phase}`, message: e.message, at: Date.now() }),
    });
    const primary = runners.find((r) => r.role === 'primary');
    const primaryOutcome = outcome.regions.find((r) => r.role === 'primary')?.outcome;
    const manifest =
      request.manifestUsable && primary && primaryOutcome
        ? await keepManifestInStep(ctx, primary.descriptor, layoutAfter(primaryOutcome), async (c) => (await (await primary.ports()).capacity.describe(c)).desired)
        : undefined;
    return out.result({
      status: outcome.status,
      exitCode: exitCodeOf(outcome),
      message: outcome.message,
      next: nextOf(global.service, outcome),
      regions: outcome.regions.map(({ outcome: o, ...r }) => ({ ...r, ...(o ? { status: o.status, releaseId: o.releaseId, weights: o.weights } : {}) })),
      skew: outcome.skew,
      versions: outcome.versions,
      ...(manifest ? { manifest } : {}),
      apiCalls: apiCallSummary(clients.counter),
    });
  } finally {
    access.close();
  }
}

/** One Region's release on its own ports; a pilot-light standby releases with weights only (`allowZeroCapacity`). */
class RegionRunner implements RegionReleaseRunner {
  public readonly region: string;
  public readonly role: 'primary' | 'standby';
  private portsRead?: Promise<ReleasePorts>;

  constructor(
    private readonly ctx: CommandContext,
    private readonly access: DrAccess,
    public readonly descriptor: ServiceDescriptor,
    private readonly engineOptions: ReleaseEngineOptions,
    private readonly strategy: ReleaseStrategy,
    private readonly exclusion: ReleaseExclusion,
  ) {
    this.region = descriptor.region;
    this.role = descriptor.disasterRecovery?.role ?? 'primary';
  }

  public ports(): Promise<ReleasePorts> {
    this.portsRead ??= this.access.releasePorts(this.descriptor, regionLogger(this.ctx.out.logger, this.region)).then((p) => ({ ...p, exclusion: this.exclusion }));
    return this.portsRead;
  }

  public async serving(): Promise<string | undefined> {
    const live = await this.live();
    return live ? this.descriptor.colours[live].image : undefined;
  }

  public async candidateImage(): Promise<string | undefined> {
    const live = await this.live();
    return live ? this.descriptor.colours[otherColour(live)].image : undefined;
  }

  public async release() {
    this.ctx.out.expectRelease(this.strategy.steps.length, this.strategy.bakeMs);
    return this.engine(await this.ports()).release({ strategy: this.strategy });
  }

  public async plan() {
    return this.engine(await this.ports()).plan({ strategy: this.strategy });
  }

  private engine(ports: ReleasePorts): ReleaseEngine {
    const dr = this.descriptor.disasterRecovery;
    const standby = dr?.role === 'standby';
    // The manifest stages the primary's colours; the standby's live colour may be the other one.
    const { stagedImages, ...rest } = this.engineOptions;
    return new ReleaseEngine(ports, {
      ...rest,
      ...(standby ? {} : { stagedImages }),
      allowZeroCapacity: standby && dr.standbyMode === 'pilot-light',
    });
  }

  private async live(): Promise<ColourName | undefined> {
    return liveColour(await (await this.ports()).traffic.getWeights());
  }
}

/** Why the DR record excludes a release now, or undefined when it is normal. */
function drRefusal(service: string, view: DrRecordView): string | undefined {
  const phase = view.phase ?? 'normal';
  if (phase === 'normal') return undefined;
  return `the DR record of ${service} is ${phase}${view.operation ? ` (${view.operation})` : ''}: releases wait until it is normal; see 'bluegreen dr status ${service}'`;
}

/** Events of a Region's engine, with the Region in front. */
function regionLogger(logger: Logger, region: string): Logger {
  return { event: (e) => logger.event({ ...e, message: `${region}: ${e.message}` }) };
}

/**
 * The DR record: the copy with the highest generation among the Regions that answer. A copy that cannot be read is
 * skipped (its Region may be down); none readable at all is an error, and nothing is released.
 */
async function readDrRecord(access: DrAccess, here: ServiceDescriptor, descriptors: readonly ServiceDescriptor[]): Promise<DrRecordView> {
  const pair = here.disasterRecovery!;
  const byRole = { primary: descriptors.find((d) => d.disasterRecovery?.role === 'primary'), standby: descriptors.find((d) => d.disasterRecovery?.role === 'standby') };
  const copies = await access.drRecords(pair, byRole);
  const reads = await Promise.allSettled(copies.map((c) => c.copy.read()));
  const readFrom: string[] = [];
  let newest: DrRecordView | undefined;
  let generation = -1;
  reads.forEach((r, i) => {
    if (r.status !== 'fulfilled') return;
    readFrom.push(copies[i].region);
    const record = r.value?.record;
    if (record && record.generation > generation) {
      generation = record.generation;
      const op = record.operation;
      newest = { phase: record.phase, readFrom, ...(op ? { operation: `${op.kind} ${op.id} by ${op.owner} at step ${op.step}` } : {}) };
    }
  });
  if (readFrom.length === 0) {
    const first = reads.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw first?.reason instanceof Error ? first.reason : new Error('the DR record could not be read in any Region');
  }
  return newest ? { ...newest, readFrom } : { readFrom };
}

/** `release --dry-run`: each Region's plan, in order. Reads only. */
async function planRegions(ctx: CommandContext, runners: readonly RegionRunner[]): Promise<number> {
  const { out, global, clients } = ctx;
  const plans = [];
  out.line(`Dry run, nothing was changed. Plan to release ${global.service}, one Region after the other:`);
  for (const r of runners) {
    const plan = await r.plan();
    plans.push({ region: r.region, role: r.role, plan });
    out.line(`${r.region} (${r.role}): ${plan.strategy}`);
    plan.actions.forEach((a, i) => out.line(`  ${i + 1}. ${a}`));
    if (!plan.ready) out.line(`  refused: ${plan.checks.filter((c) => !c.ok).map((c) => c.detail).join('; ')}`);
  }
  const ready = plans.every((p) => p.plan.ready);
  const order = plans.map((p) => `${p.region} (${p.role})`).join(', then ');
  return out.result({
    status: 'dry-run',
    exitCode: ready ? EXIT_CODES.done : EXIT_CODES.refused,
    message: ready ? `Dry run: release of ${global.service} would start in ${order}.` : `Dry run: release of ${global.service} would be refused in ${plans.filter((p) => !p.plan.ready).map((p) => p.region).join(', ')}.`,
    dryRun: true,
    plans,
    apiCalls: apiCallSummary(clients.counter),
  });
}

/** released 0; refused 3; the first Region not released: as its outcome (1 rolled back, 6 failed...); skewed 7 (6 when the later Region failed). */
function exitCodeOf(outcome: StaggeredReleaseOutcome): number {
  const stopped = outcome.regions.find((r) => r.region === outcome.stoppedAt);
  switch (outcome.status) {
    case 'released':
      return EXIT_CODES.done;
    case 'refused':
      return EXIT_CODES.refused;
    case 'first-region-not-released':
      return stopped?.outcome ? exitCodeForOutcome(stopped.outcome) : EXIT_CODES.failed;
    default:
      return stopped?.result === 'failed' ? EXIT_CODES.failed : EXIT_CODES.skewed;
  }
}

function nextOf(service: string, outcome: StaggeredReleaseOutcome): string[] | undefined {
  const stopped = outcome.regions.find((r) => r.region === outcome.stoppedAt);
  if (!stopped) return undefined;
  if (stopped.result === 'failed') return [`bluegreen status ${service} --region ${stopped.region}`, `bluegreen rollback ${service} --region ${stopped.region}`];
  if (outcome.status === 'skewed') return [`bluegreen release ${service} --region ${stopped.region} --region-only`];
  return undefined;
}
