import { ReleaseInProgressError } from './errors';
import { formatDuration } from './parsing';
import { ReleaseState } from './ports';
import { stepWeights, formatWeights } from './weights';

/** Shortest lease: a release whose heartbeat is older than its lease may be taken over by `resume()`. */
export const LEASE_FLOOR_MS = 60_000;

/**
 * The lease of a release: max(2 × bake time, 60 s). Derived from the record alone, so every process (CLI, Lambda)
 * agrees on it whatever its own options.
 */
export function leaseMs(state: ReleaseState): number {
  return Math.max(2 * state.bakeMs, LEASE_FLOOR_MS);
}

/** Whether an in-progress release has missed its heartbeat for longer than its lease. */
export function isStale(state: ReleaseState, now: number): boolean {
  return state.status === 'in-progress' && now - state.updatedAt > leaseMs(state);
}

/** `step 2/5 (25 %)`, or `before step 1` when no step was verified yet. */
export function describeProgress(state: ReleaseState): string {
  if (state.stepIndex < 0) return `before step 1/${state.steps.length}`;
  return `step ${state.stepIndex + 1}/${state.steps.length} (${state.steps[state.stepIndex]} %)`;
}

/** The error for a release that is in the way: still driven (fresh heartbeat), or interrupted (stale). */
export function releaseInProgressError(state: ReleaseState, now: number): ReleaseInProgressError {
  const age = formatDuration(Math.max(0, now - state.updatedAt));
  const where = `${state.service} release ${state.releaseId} (${state.candidate} at ${describeProgress(state)}, ${formatWeights(stepWeights(state, state.stepIndex))})`;
  if (isStale(state, now)) {
    return new ReleaseInProgressError(
      `${where} was interrupted: no heartbeat from ${state.owner} for ${age} (lease ${formatDuration(leaseMs(state))}). ` +
        `Run resume to continue it, or rollback to send 100 % back to ${state.stable}.`,
      state,
    );
  }
  return new ReleaseInProgressError(
    `${where} is in progress, driven by ${state.owner} (heartbeat ${age} ago). Wait for it, or stop it with abort.`,
    state,
  );
}
