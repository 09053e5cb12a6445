/**
 * The rules of a reconcile pass, as a pure function of the release record and, for an ended release, the
 * production weights. The engine's `reconcile()` takes its decisions from here and makes the repair named; the
 * auto-rollback's reconcile tick calls the same function first and starts the engine only when it says `reconcile`.
 *
 * Most ticks are settled by the record alone (no release, a release driven by a live process) or by the record and
 * one read of the weights (an ended release whose traffic is where its record says); the engine needs the
 * descriptor and more reads only for a repair.
 */
import { isStale, leaseMs } from './lease';
import { formatDuration } from './parsing';
import { ReleaseState, Weights } from './ports';
import { allTo, formatWeights, sameWeights } from './weights';

/** What the tick knows. */
export interface ReconcileObservation {
  /** When, epoch ms. */
  readonly at: number;
  /** The release record, if the service ever had a release. */
  readonly release?: ReleaseState;
  /**
   * Production weights.
   *
   * @default - not read
   */
  readonly weights?: Weights;
}

/** What the tick found; stable ids for logs and tests. */
export type ReconcileCode =
  | 'no-release'
  /** A release in progress whose driver still heartbeats: it gates its own candidate. */
  | 'release-alive'
  /** A release in progress whose heartbeat is older than its lease: the engine checks its candidate's gate. */
  | 'release-interrupted'
  /**
   * A release in progress that waits for approval (no driver while it waits, whatever its heartbeat): the engine
   * checks its candidate's gate on every pass, and rolls it back only when the gate fails.
   */
  | 'release-awaiting-approval'
  /** A rolled-back or aborted release with all traffic on its stable colour. */
  | 'rolled-back-settled'
  /** A rolled-back or aborted release with traffic off its stable colour (a late weight change): roll back again. */
  | 'traffic-off-stable'
  /**
   * A promoted release with traffic off its promoted colour (a dead driver's late weight change after another
   * process's promotion): the engine restores 100 % on the promoted colour, if it is healthy with no gate alarm.
   */
  | 'promoted-traffic-moved'
  /** A promoted release whose old colour is already in standby (or was never scheduled for it). */
  | 'no-scale-down-scheduled'
  | 'scale-down-not-due'
  /** A promoted release past `scaleDownAt`: the engine scales the old colour down unless the promoted one fires. */
  | 'scale-down-due';

/** The verdict. */
export interface ReconcileDecision {
  /** Nothing to do, or run the engine's `reconcile()`. */
  readonly action: 'none' | 'reconcile';
  /** Why. */
  readonly code: ReconcileCode;
  /** One line for the log; for `none`, also the message of the engine's outcome. */
  readonly message: string;
  /** The release concerned, when there is one. */
  readonly releaseId?: string;
  /**
   * For `reconcile`: the repair the engine may make: a rollback (of an interrupted release, or again of a rolled-back
   * or aborted one), the restore of a promoted release's weights, or the old colour's scale-down.
   */
  readonly repair?: 'rollback' | 'restore' | 'scale-down';
}

/** The record alone does not settle it: read the production weights, then decide again with them. */
export interface ReconcileWeightsRequest {
  readonly action: 'read-weights';
  /** One line for the log. */
  readonly message: string;
  readonly releaseId: string;
}

/**
 * Decide one reconcile pass: `none` where there is nothing to repair, `reconcile` naming the repair, or
 * `read-weights` for an ended release (rolled back, aborted or promoted: a late weight change shows only there).
 *
 * - No release, or a release whose driver heartbeats: `none`.
 * - A release whose heartbeat is older than its lease: `reconcile`, `rollback` if its candidate fails its gate (the
 *   gate may have fired before the driver died, and then no new alarm event comes).
 * - A release that waits for approval: `reconcile`, `rollback` if its candidate fails its gate, on every pass (no
 *   driver polls it while it waits; its old heartbeat alone never rolls it back).
 * - A rolled-back or aborted release whose weights are not all on its stable colour: `reconcile`, `rollback` again.
 * - A promoted release whose weights are not all on its promoted colour: `reconcile`, `restore`.
 * - A promoted release whose weights are all on its promoted colour: `none`, unless past `scaleDownAt`:
 *   `reconcile`, `scale-down` (unless the promoted colour's gate fires).
 */
export function decideReconcile(obs: ReconcileObservation): ReconcileDecision | ReconcileWeightsRequest {
  const release = obs.release;
  if (!release) return { action: 'none', code: 'no-release', message: 'No release recorded: nothing to reconcile.' };
  if (release.status === 'in-progress') return decideInProgress(release, obs.at);
  if (!obs.weights) return { action: 'read-weights', message: `Release ${release.releaseId} is ${release.status}: reading the weights.`, releaseId: release.releaseId };
  return release.status === 'succeeded' ? decideSucceeded(release, obs.weights, obs.at) : decideEnded(release, obs.weights);
}

/** The screen's verdict, with the weights read for it. */
export interface ReconcileScreening {
  readonly decision: ReconcileDecision;
  /**
   * The production weights the decision was made with.
   *
   * @default - not read: the record settled it
   */
  readonly weights?: Weights;
}

/**
 * Run `decideReconcile` to a verdict: decide from the record, and when it asks for the weights, read them (once) and
 * decide again. The engine's `reconcile()` and the auto-rollback's tick both screen with this.
 */
export async function screenReconcile(release: ReleaseState | undefined, readWeights: () => Promise<Weights>, now: () => number): Promise<ReconcileScreening> {
  const first = decideReconcile({ at: now(), release });
  if (first.action !== 'read-weights') return { decision: first };
  const weights = await readWeights();
  const decision = decideReconcile({ at: now(), release, weights });
  if (decision.action === 'read-weights') throw new Error(`Reconcile of release ${decision.releaseId}: the weights were read, yet asked for again.`);
  return { decision, weights };
}

function decideInProgress(release: ReleaseState, at: number): ReconcileDecision {
  const waiting = release.awaitingApproval;
  if (waiting) {
    return {
      action: 'reconcile',
      code: 'release-awaiting-approval',
      repair: 'rollback',
      message:
        `Release ${release.releaseId} awaits approval (for ${formatDuration(Math.max(0, at - waiting.since))}: ${waiting.detail}): ` +
        `checking ${release.candidate}'s gate, which no driver polls while it waits.`,
      releaseId: release.releaseId,
    };
  }
  const quiet = `heartbeat ${formatDuration(Math.max(0, at - release.updatedAt))} ago, lease ${formatDuration(leaseMs(release))}`;
  if (!isStale(release, at)) {
    return none('release-alive', `Release ${release.releaseId} is in progress, driven by ${release.owner} (${quiet}): it gates its own candidate.`, release);
  }
  return {
    action: 'reconcile',
    code: 'release-interrupted',
    repair: 'rollback',
    message: `Release ${release.releaseId} was interrupted (${release.owner}: ${quiet}): checking ${release.candidate}'s gate.`,
    releaseId: release.releaseId,
  };
}

function decideEnded(release: ReleaseState, weights: Weights): ReconcileDecision {
  if (sameWeights(weights, allTo(release.stable))) {
    return none('rolled-back-settled', `Release ${release.releaseId} is ${release.status} and ${release.stable} holds all traffic: nothing to do.`, release);
  }
  return {
    action: 'reconcile',
    code: 'traffic-off-stable',
    repair: 'rollback',
    message: `Release ${release.releaseId} is ${release.status}, which puts all traffic on ${release.stable}, but weights are ${formatWeights(weights)}: rolling back again.`,
    releaseId: release.releaseId,
  };
}

function decideSucceeded(release: ReleaseState, weights: Weights, at: number): ReconcileDecision {
  const live = release.candidate;
  if (!sameWeights(weights, allTo(live))) {
    return {
      action: 'reconcile',
      code: 'promoted-traffic-moved',
      repair: 'restore',
      message: `Release ${release.releaseId} succeeded, which puts all traffic on ${live}, but weights are ${formatWeights(weights)}: restoring 100 % on ${live} if it is healthy with no gate alarm firing.`,
      releaseId: release.releaseId,
    };
  }
  if (release.scaleDownAt === undefined) {
    return none('no-scale-down-scheduled', `Release ${release.releaseId} succeeded; no scale-down scheduled: nothing to do.`, release);
  }
  const when = new Date(release.scaleDownAt).toISOString();
  if (at < release.scaleDownAt) {
    return none('scale-down-not-due', `Release ${release.releaseId} succeeded; ${release.stable} stays ready until ${when}.`, release);
  }
  return {
    action: 'reconcile',
    code: 'scale-down-due',
    repair: 'scale-down',
    message: `${release.stable}'s scale-down was due at ${when}: putting it in standby unless ${live}'s gate fires.`,
    releaseId: release.releaseId,
  };
}

function none(code: ReconcileCode, message: string, release: ReleaseState): ReconcileDecision {
  return { action: 'none', code, message, releaseId: release.releaseId };
}
