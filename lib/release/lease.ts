import { ReleaseInProgressError } from './errors';
import { formatDuration } from './parsing';
import { OwnerProcess, OwnerProcessState, ProcessProbe, ReleaseState } from './ports';
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

/** When the lease of a release runs out if no heartbeat comes, epoch ms. */
export function leaseExpiresAt(state: ReleaseState): number {
  return state.updatedAt + leaseMs(state);
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

/**
 * Who holds a release in progress, as a process asking about it sees it:
 *
 * - `self`: this engine's owner;
 * - `stale`: no heartbeat for longer than the lease;
 * - `dead`: its process ran on this host and is gone (no such pid, or the pid now runs a process started at another
 *   time): nobody will write the record again;
 * - `alive`: its process runs on this host;
 * - `elsewhere`: another host, or this host cannot tell (no process recorded, no probe): the lease decides.
 */
export type HolderStatus = 'self' | 'stale' | 'dead' | 'alive' | 'elsewhere';

/** The verdict on a release's holder. */
export interface HolderVerdict {
  readonly status: HolderStatus;
  /**
   * Words for messages, after the owner: `(process 4242 on this host is not running)`,
   * `(on host ci-7, heartbeat 12s ago; its lease expires at 12:03:04Z, in 48s)`.
   */
  readonly detail: string;
  /** When the lease runs out, epoch ms. */
  readonly leaseExpiresAt: number;
}

/** Who asks, and how it checks processes. */
export interface HolderAsker {
  /** The asking engine's owner. */
  readonly owner: string;
  /** The asking process, if known (its host decides what the probe can tell). */
  readonly process?: OwnerProcess;
  readonly probe?: ProcessProbe;
}

/** Judge the holder of `state` (a release in progress) from `asker`'s point of view. */
export function judgeHolder(state: ReleaseState, now: number, asker: HolderAsker): HolderVerdict {
  const expires = leaseExpiresAt(state);
  const age = formatDuration(Math.max(0, now - state.updatedAt));
  const lease = `its lease expires at ${clock(expires)}, in ${formatDuration(Math.max(0, expires - now))}`;
  const verdict = (status: HolderStatus, detail: string): HolderVerdict => ({ status, detail, leaseExpiresAt: expires });
  if (state.owner === asker.owner) return verdict('self', '(this process)');
  if (isStale(state, now)) return verdict('stale', `(no heartbeat for ${age}, longer than its lease of ${formatDuration(leaseMs(state))})`);
  const holder = state.ownerProcess;
  const probed: OwnerProcessState = holder && asker.probe ? asker.probe.check(holder) : 'unknown';
  const sameHost = holder !== undefined && holder.host === asker.process?.host;
  const where = !holder ? '' : !sameHost ? `on host ${holder.host}, ` : probed === 'elsewhere' ? `on host ${holder.host} in another pid namespace, ` : 'on this host, ';
  switch (probed) {
    case 'exited':
      return verdict('dead', `(process ${holder?.pid} on this host is not running; last heartbeat ${age} ago)`);
    case 'pid-reused':
      return verdict('dead', `(process ${holder?.pid} on this host exited; that pid now runs another process; last heartbeat ${age} ago)`);
    case 'running':
      return verdict('alive', `(process ${holder?.pid} on this host is running, heartbeat ${age} ago; ${lease})`);
    default:
      return verdict('elsewhere', `(${where}heartbeat ${age} ago; ${lease})`);
  }
}

/**
 * The error for a release that is in the way: still driven (fresh heartbeat), or interrupted (stale, or its process
 * on this host is gone). `verdict` adds what this host knows of the holder; `forResume` offers the take-over.
 */
export function releaseInProgressError(state: ReleaseState, now: number, verdict?: HolderVerdict, forResume = false): ReleaseInProgressError {
  const age = formatDuration(Math.max(0, now - state.updatedAt));
  const where = `${state.service} release ${state.releaseId} (${state.candidate} at ${describeProgress(state)}, ${formatWeights(stepWeights(state, state.stepIndex))})`;
  const next = `Run resume to continue it, or rollback to send 100 % back to ${state.stable}.`;
  const waiting = state.awaitingApproval;
  if (waiting) {
    return new ReleaseInProgressError(
      `${where} awaits approval (for ${formatDuration(Math.max(0, now - waiting.since))}: ${waiting.detail}). ` +
        `Run approve to continue it, or rollback to send 100 % back to ${state.stable}.`,
      state,
    );
  }
  if (isStale(state, now)) {
    return new ReleaseInProgressError(
      `${where} was interrupted: no heartbeat from ${state.owner} for ${age} (lease ${formatDuration(leaseMs(state))}). ${next}`,
      state,
    );
  }
  if (verdict?.status === 'dead') return new ReleaseInProgressError(`${where} was interrupted: ${state.owner} is gone ${verdict.detail}. ${next}`, state);
  const detail = verdict && verdict.status !== 'self' ? ` ${verdict.detail}` : ` (heartbeat ${age} ago)`;
  const fix = forResume
    ? 'Wait for it, stop it with abort, or take it over now with resume --take-over (its process stops at its next record write).'
    : 'Wait for it, or stop it with abort.';
  return new ReleaseInProgressError(`${where} is in progress, driven by ${state.owner}${detail}. ${fix}`, state);
}

/** `12:03:04Z`. */
function clock(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)}Z`;
}
