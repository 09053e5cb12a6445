/**
 * Whether a reconcile tick needs the release engine at all: a pure function of the release record (and, for a
 * rolled-back release, the production weights). Part of the engine, so the screen and `reconcile()` share their rules.
 *
 * The engine's `reconcile()` makes the repairs, with its own reads; it needs the descriptor, and so at least two
 * more calls. Most ticks are settled by the record alone (no release, a release driven by a live process, a
 * scale-down not due yet), so the handler reads the record first and calls the engine only when this says so. It
 * says `none` only where the engine would do nothing either: it screens, the engine decides.
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
  /** A rolled-back or aborted release with all traffic on its stable colour. */
  | 'rolled-back-settled'
  /** A rolled-back or aborted release with traffic off its stable colour (a late weight change): roll back again. */
  | 'traffic-off-stable'
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
  /** One line for the log. */
  readonly message: string;
  /** The release concerned, when there is one. */
  readonly releaseId?: string;
  /** For `reconcile`: the repair the engine may make, a rollback or the old colour's scale-down. */
  readonly repair?: 'rollback' | 'scale-down';
}

/** The record alone does not settle it: read the production weights, then decide again with them. */
export interface ReconcileWeightsRequest {
  readonly action: 'read-weights';
  /** One line for the log. */
  readonly message: string;
  readonly releaseId: string;
}

/**
 * Screen one reconcile tick: `none` where the engine's `reconcile()` would do nothing, `reconcile` where it may
 * repair something, `read-weights` for a rolled-back or aborted release (a late weight change shows only there).
 *
 * - No release, a release whose driver heartbeats, a promoted release with no scale-down due: `none`.
 * - A release whose heartbeat is older than its lease: `reconcile` (rolls back if its candidate fails its gate: the
 *   gate may have fired before the driver died, and then no new alarm event comes).
 * - A rolled-back or aborted release whose weights are not all on its stable colour: `reconcile` (rolls back again).
 * - A promoted release past `scaleDownAt`: `reconcile` (scales the old colour down, unless the promoted colour fires).
 */
export function decideReconcile(obs: ReconcileObservation): ReconcileDecision | ReconcileWeightsRequest {
  const release = obs.release;
  if (!release) return { action: 'none', code: 'no-release', message: 'No release recorded: nothing to reconcile.' };
  switch (release.status) {
    case 'in-progress':
      return decideInProgress(release, obs.at);
    case 'succeeded':
      return decideSucceeded(release, obs.at);
    default:
      return decideEnded(release, obs.weights);
  }
}

function decideInProgress(release: ReleaseState, at: number): ReconcileDecision {
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

function decideEnded(release: ReleaseState, weights: Weights | undefined): ReconcileDecision | ReconcileWeightsRequest {
  if (!weights) return { action: 'read-weights', message: `Release ${release.releaseId} is ${release.status}: reading the weights.`, releaseId: release.releaseId };
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

function decideSucceeded(release: ReleaseState, at: number): ReconcileDecision {
  if (release.scaleDownAt === undefined) {
    return none('no-scale-down-scheduled', `Release ${release.releaseId} succeeded; no scale-down scheduled: nothing to do.`, release);
  }
  const when = new Date(release.scaleDownAt).toISOString();
  if (at < release.scaleDownAt) {
    return none('scale-down-not-due', `Release ${release.releaseId} succeeded; ${release.stable} stays warm until ${when}.`, release);
  }
  return {
    action: 'reconcile',
    code: 'scale-down-due',
    repair: 'scale-down',
    message: `${release.stable}'s scale-down was due at ${when}: putting it in standby unless ${release.candidate}'s gate fires.`,
    releaseId: release.releaseId,
  };
}

function none(code: ReconcileCode, message: string, release: ReleaseState): ReconcileDecision {
  return { action: 'none', code, message, releaseId: release.releaseId };
}
