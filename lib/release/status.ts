import { HolderVerdict, isStale, leaseMs } from './lease';
import { formatDuration } from './parsing';
import { HookRunRecord } from '../contract';
import { AwaitingApproval, ColourName, ReleaseState, Weights } from './ports';
import { ColourObservation, ServiceObservation } from './preflight';
import { allTo, formatWeights, liveColour, sameWeights, weightOf } from './weights';

/** One colour, for `status`. */
export interface ColourStatus {
  readonly colour: ColourName;
  /** Production weight. */
  readonly weight: number;
  /** Healthy targets. */
  readonly healthy: number;
  /** Registered targets. */
  readonly total: number;
  /** Desired capacity of the Auto Scaling group (0 in standby). */
  readonly desired: number;
  /** Instances in service. */
  readonly inService: number;
  /** Gate alarms in ALARM. */
  readonly firingAlarms: string[];
}

/** What the CLI's `status` prints. */
export interface ServiceStatus {
  readonly service: string;
  /** When it was read, epoch ms. */
  readonly at: number;
  readonly weights: Weights;
  /** The colour with all traffic; absent when the weights are split. */
  readonly live?: ColourName;
  /** Where the test route points (should be the idle colour). */
  readonly testTarget: ColourName;
  readonly blue: ColourStatus;
  readonly green: ColourStatus;
  /** The release record (in progress or the last one). */
  readonly release?: ReleaseState;
  /** Whether a release is in progress. */
  readonly releaseInProgress: boolean;
  /** Whether the release in progress missed its heartbeat for longer than its lease (resume or rollback it). */
  readonly releaseStale: boolean;
  /** Time since the release record was last written. */
  readonly heartbeatAgeMs?: number;
  /** Lease of the release in progress. */
  readonly leaseMs?: number;
  /**
   * Who holds the release in progress as this process sees it: `dead` when its process ran on this host and is gone
   * (resume takes it over at once), `alive`, `elsewhere`, `stale`; with when its lease expires.
   */
  readonly holder?: HolderVerdict;
  /** Whether the old colour of a promoted release is past `scaleDownAt`. */
  readonly scaleDownDue: boolean;
  /**
   * Set while the release in progress waits for approval (`approve` continues it, `rollback` ends it), with how long
   * it has waited.
   */
  readonly awaitingApproval?: AwaitingApproval & { readonly waitingMs: number };
  /** Hook runs of the release in the record (in progress or the last one), in order; absent when none. */
  readonly hooks?: readonly HookRunRecord[];
  /** Contract hook runs of the release in the record (`contract()`); absent when none. */
  readonly contracts?: readonly HookRunRecord[];
  /** Things that need a human, one line each (interrupted release, split weights, test route on the live colour...). */
  readonly warnings: string[];
}

/** Build the status from an observation and the test route's target. */
export function buildStatus(service: string, obs: ServiceObservation, testTarget: ColourName, now: number, holder?: HolderVerdict): ServiceStatus {
  const release = obs.stored?.state;
  const live = liveColour(obs.weights);
  const inProgress = release?.status === 'in-progress';
  const waiting = inProgress ? release.awaitingApproval : undefined;
  // A release that waits for approval has no driver by design: it is not interrupted (resume does not apply).
  const stale = release !== undefined && !waiting && isStale(release, now);
  const scaleDownDue = release?.status === 'succeeded' && release.scaleDownAt !== undefined && now >= release.scaleDownAt;
  return {
    service,
    at: now,
    weights: obs.weights,
    live,
    testTarget,
    blue: colourStatus('blue', obs.weights, obs.blue),
    green: colourStatus('green', obs.weights, obs.green),
    release,
    releaseInProgress: inProgress,
    releaseStale: stale,
    heartbeatAgeMs: release ? now - release.updatedAt : undefined,
    leaseMs: inProgress ? leaseMs(release) : undefined,
    holder: inProgress ? holder : undefined,
    scaleDownDue,
    ...(waiting ? { awaitingApproval: { ...waiting, waitingMs: Math.max(0, now - waiting.since) } } : {}),
    ...(release?.hooks?.length ? { hooks: release.hooks } : {}),
    ...(release?.contracts?.length ? { contracts: release.contracts } : {}),
    warnings: warnings(obs, testTarget, now, stale, scaleDownDue, inProgress && !waiting ? holder : undefined),
  };
}

function colourStatus(colour: ColourName, weights: Weights, obs: ColourObservation): ColourStatus {
  return {
    colour,
    weight: weightOf(weights, colour),
    healthy: obs.health.healthy,
    total: obs.health.total,
    desired: obs.capacity.desired,
    inService: obs.capacity.inService,
    firingAlarms: obs.firing,
  };
}

function warnings(obs: ServiceObservation, testTarget: ColourName, now: number, stale: boolean, scaleDownDue: boolean, holder?: HolderVerdict): string[] {
  const out: string[] = [];
  const release = obs.stored?.state;
  const live = liveColour(obs.weights);
  const weights = formatWeights(obs.weights);
  const waiting = release?.status === 'in-progress' ? release.awaitingApproval : undefined;
  if (release && waiting) {
    out.push(
      `release ${release.releaseId} awaits approval for ${formatDuration(Math.max(0, now - waiting.since))} (${waiting.detail}): run approve to go on, or rollback`,
    );
  }
  // The runs an ended release may still finish: post-promotion once promoted, on-rollback once rolled back, contracts.
  const still = release?.status === 'succeeded' ? 'post-promotion' : 'on-rollback';
  for (const run of [...(release?.hooks ?? []).filter((r) => r.point === still), ...(release?.contracts ?? [])]) {
    if (run.status !== 'running' || release?.status === 'in-progress') continue;
    const until = run.startedAt + (run.budgetMs ?? 0);
    if (now < until) {
      out.push(`${run.point} hook ${run.hook} of release ${release?.releaseId} is running (${run.owner ?? 'owner unknown'}, since ${new Date(run.startedAt).toISOString()}; presumed dead after ${new Date(until).toISOString()})`);
    } else {
      const again = release?.contracts?.includes(run) ? 'run contract' : 'run resume';
      out.push(`${run.point} hook ${run.hook} of release ${release?.releaseId} was interrupted while running: ${again} to run it again`);
    }
  }
  if (release && stale) {
    out.push(`release ${release.releaseId} was interrupted (no heartbeat for ${formatDuration(now - release.updatedAt)}): run resume or rollback`);
  } else if (release && holder?.status === 'dead') {
    out.push(`release ${release.releaseId} was interrupted: its driver ${release.owner} is gone ${holder.detail}: run resume (it takes over at once) or rollback`);
  }
  if (release?.status !== 'in-progress') {
    if (!live) out.push(`weights are ${weights} with no release in progress: run rollback or promote with a colour`);
    const recorded = release && (release.status === 'succeeded' ? release.candidate : release.stable);
    if (live && recorded && !sameWeights(obs.weights, allTo(recorded))) {
      out.push(`release ${release.releaseId} is recorded as ${release.status}, which puts all traffic on ${recorded}, but weights are ${weights}`);
    }
    if (live && testTarget === live) out.push(`the test route points at the live colour ${live}; it should point at the idle colour`);
  }
  if (release && scaleDownDue) out.push(`${release.stable} is past its scale-down time: run scale-down`);
  for (const colour of ['blue', 'green'] as const) {
    const o = obs[colour];
    if (weightOf(obs.weights, colour) > 0 && o.health.healthy === 0) {
      out.push(`${colour} takes traffic but has no healthy target: the ALB fails open to all its targets`);
    }
  }
  return out;
}
