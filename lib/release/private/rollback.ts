import { ReleaseEventType } from '../events';
import { DeadlineError, isTransientError } from '../errors';
import { describeProgress } from '../lease';
import { ReleaseOutcome } from '../outcome';
import { formatDuration } from '../parsing';
import { ConcurrentReleaseError, ReleaseState, TargetHealthCount, VersionedState, Weights } from '../ports';
import { allTo, formatWeights, sameWeights } from '../weights';
import { compact, EngineContext, writeRecord } from './context';
import { runOnRollbackHooks, withClaims } from './hooks';
import { pointTestRoute, setAndVerify } from './traffic';

/** The release record moved on while a running release tried to roll itself back. */
export class Preempted extends Error {
  constructor() {
    super('preempted');
    this.name = 'Preempted';
  }
}

/** What to roll back and how to report it. */
export interface RollbackCall {
  /** Status to record. */
  readonly status: 'rolled-back' | 'aborted';
  /** Recorded reason. */
  readonly reason: string;
  /** Exit code of a verified rollback: 0 for the rollback and abort commands, 1 for a release that failed. */
  readonly exitCode: number;
  /** A running release: roll back only while the record is at this version, else throw `Preempted`. */
  readonly expectedVersion?: number;
  /** Refuse unless a release is in progress (abort). */
  readonly inProgressOnly: boolean;
  /** Whether a promoted release whose old colour is still ready may be rolled back. */
  readonly allowAfterPromotion: boolean;
  /** 1-based failed step, for the outcome. */
  readonly failedStep?: number;
  /**
   * Epoch ms after which no attempt starts (the outcome is then `failed`).
   *
   * @default - now + the engine's rollbackDeadlineMs
   */
  readonly deadline?: number;
}

/** Attempts of read, set, verify before a rollback reports failure. */
const ROLLBACK_ATTEMPTS = 3;

/**
 * Send 100 % back to the last good colour (the record's `stable`) and verify.
 *
 * Every attempt first reads the record and both colours' target health at once (one round trip: the stable colour
 * is only known from the record). A stable colour with no healthy target is never sent traffic: an ALB target
 * group with no healthy target fails open, so that rollback is refused and the weights are left as they are.
 *
 * A release in progress: read, set the weights in one call, read them back (verified 100 % after 3 round trips),
 * point the test route at the candidate, then compare-and-set the record. A running release that loses that
 * compare-and-set restores what the winning record says. A promoted release (old colour still ready): the record is
 * written first, so that a concurrent `scaleDown` (which writes the record before scaling) cannot put the old colour
 * in standby under the rollback. A record already rolled back or aborted: the weights and test route are set again
 * (idempotent), so a crashed rollback is finished by running it again.
 *
 * After all that, the weights are read once more: a weight change another process had in flight (a driver's
 * `setWeights` sent before our rollback) can land after our verify; it is undone once if the record is still ours.
 */
export async function rollBack(ctx: EngineContext, call: RollbackCall): Promise<ReleaseOutcome> {
  const progress: RollbackProgress = { tries: 0, announced: false };
  const outcome = await rollBackTraffic(ctx, call, progress);
  const ended = outcome.status === 'rolled-back' || outcome.status === 'aborted';
  // The on-rollback hooks run once the rollback is verified and recorded; they never change its outcome.
  return ended && progress.version !== undefined ? runOnRollbackHooks(ctx, outcome, progress.version) : outcome;
}

/** `rollBack` without the on-rollback hooks. */
async function rollBackTraffic(ctx: EngineContext, call: RollbackCall, progress: RollbackProgress): Promise<ReleaseOutcome> {
  const deadline = call.deadline ?? ctx.now() + ctx.opts.rollbackDeadlineMs;
  for (let attempt = 1; attempt <= ROLLBACK_ATTEMPTS; ) {
    if (progress.tries > 0 && ctx.now() >= deadline) return pastDeadline(ctx, call, progress);
    progress.tries++;
    let outcome: ReleaseOutcome | undefined;
    try {
      outcome = await attemptRollback(ctx, call, deadline, progress);
    } catch (e) {
      if (e instanceof DeadlineError) return pastDeadline(ctx, call, { ...progress, error: e });
      if (e instanceof Preempted || !isTransientError(e)) throw e;
      // AWS not answering or throttling: try again (a transient error is not a verification attempt) until the deadline.
      progress.error = e;
      const left = deadline - ctx.now();
      if (left <= 0) return pastDeadline(ctx, call, progress);
      ctx.emit(ReleaseEventType.ROLLBACK_RETRYING, `Rollback attempt failed: ${(e as Error).message}; trying again (gives up in ${formatDuration(left)})`);
      await ctx.ports.clock.sleep(Math.min(ROLLBACK_RETRY_PAUSE_MS, left));
      continue;
    }
    if (outcome) return outcome;
    attempt++;
  }
  const seen = progress.seen;
  const message =
    `Rollback not verified after ${ROLLBACK_ATTEMPTS} attempts` +
    `${seen ? `: weights read back as ${formatWeights(seen)}` : ': the release record kept changing'}. ` +
    'Check the production listener rule and run rollback again.';
  ctx.emit(ReleaseEventType.ROLLBACK_FAILED, message, { weights: seen });
  return { status: 'failed', exitCode: 1, message, releaseId: progress.last?.releaseId, state: progress.last, failedStep: call.failedStep };
}

/** Pause between rollback attempts that failed with a transient AWS error. */
const ROLLBACK_RETRY_PAUSE_MS = 1_000;

/** What a rollback learnt over its attempts. */
interface RollbackProgress {
  /** Attempts started. */
  tries: number;
  /** Whether the take-over was announced. */
  announced: boolean;
  /** Weights last read back, when they did not verify. */
  seen?: Weights;
  /** The record last read. */
  last?: ReleaseState;
  /** The last transient error. */
  error?: unknown;
  /** The version of the ended record, once the rollback is verified and recorded. */
  version?: number;
}

/** One read, set, verify: an outcome, or undefined to try again (weights did not verify, or the record moved). */
async function attemptRollback(ctx: EngineContext, call: RollbackCall, deadline: number, progress: RollbackProgress): Promise<ReleaseOutcome | undefined> {
  const [current, blue, green] = await Promise.all([ctx.ports.state.read(), ctx.ports.health.count('blue'), ctx.ports.health.count('green')]);
  if (call.expectedVersion !== undefined && current?.version !== call.expectedVersion) throw new Preempted();
  if (!current) return refuse(ctx, `No release recorded for ${ctx.opts.service}: nothing to roll back. To send all traffic to one colour, run promote with a colour.`);
  const s = current.state;
  progress.last = s;
  const stableHealth = s.stable === 'blue' ? blue : green;
  const refusal = refusalFor(ctx, s, call, stableHealth);
  if (refusal) return refuse(ctx, refusal, s);
  if (failsOpen(ctx, stableHealth)) return refuseFailOpen(ctx, current, call, stableHealth);

  if (!progress.announced && s.status === 'in-progress' && s.owner !== ctx.opts.owner) {
    progress.announced = true;
    const holder = ctx.holderOf(s);
    const stops = holder.status === 'alive' || holder.status === 'elsewhere' ? '; it stops at its next record write' : '';
    ctx.emit(ReleaseEventType.TAKEN_OVER, `Taking over release ${s.releaseId} (${s.candidate} at ${describeProgress(s)}) from ${s.owner} ${holder.detail} to roll it back${stops}`);
  }
  const target = allTo(s.stable);
  // The write that ends the release claims the on-rollback hooks this process runs next (see `withClaims`).
  const terminal = compact({
    ...withClaims(ctx, s, 'on-rollback'),
    status: call.status,
    reason: call.reason,
    ...ctx.ownership(),
    updatedAt: ctx.now(),
    scaleDownAt: undefined,
    awaitingApproval: undefined,
  });
  ctx.emit(ReleaseEventType.ROLLBACK_STARTED, `Rolling back ${s.releaseId} to ${s.stable}: ${call.reason}`, { weights: target });
  let version: number | undefined = current.version;
  if (s.status === 'succeeded') {
    version = await tryWrite(ctx, terminal, current.version, call);
    if (version === undefined) return undefined;
  }
  progress.seen = await setAndVerify(ctx, target);
  if (progress.seen) return undefined;
  await pointTestRoute(ctx, s.candidate);
  if (s.status === 'in-progress') {
    version = await tryWrite(ctx, terminal, current.version, call);
    if (version === undefined) return undefined;
  }

  const state = s.status === 'rolled-back' || s.status === 'aborted' ? s : terminal;
  progress.version = version;
  const late = ctx.now() < deadline ? await settle(ctx, target, version) : { note: '; the final re-read was skipped (past the deadline)' };
  if (late.unverified) return lateChangeFailed(ctx, state, late.unverified, call);
  const again = state === s ? ` (it was already ${s.status}; weights set again)` : '';
  const message = `${call.status === 'aborted' ? 'Aborted' : 'Rolled back'} ${s.releaseId}: ${s.stable} holds 100 % (verified)${again}${late.note}. Reason: ${call.reason}.`;
  ctx.emit(call.status === 'aborted' ? ReleaseEventType.ABORTED : ReleaseEventType.ROLLED_BACK, message, { weights: target });
  return { status: call.status, exitCode: call.exitCode, message, releaseId: s.releaseId, state, weights: target, failedStep: call.failedStep };
}

/** No attempt left before the deadline: report what is known, and what to run. */
function pastDeadline(ctx: EngineContext, call: RollbackCall, progress: RollbackProgress): ReleaseOutcome {
  const { seen, last, error, tries } = progress;
  const message =
    `Rollback not verified within its ${formatDuration(ctx.opts.rollbackDeadlineMs)} deadline (${tries} attempt(s)` +
    `${seen ? `; weights last read as ${formatWeights(seen)}` : ''}${error ? `; last error: ${(error as Error).message}` : ''}). ` +
    'Run rollback again: it is idempotent; bluegreen status shows the weights.';
  ctx.emit(ReleaseEventType.ROLLBACK_FAILED, message, { weights: seen });
  return { status: 'failed', exitCode: 1, message, releaseId: last?.releaseId, state: last, failedStep: call.failedStep };
}

/**
 * Read the weights once more after a verified rollback. A late change (sent by another process before our
 * rollback, landed after our verify) is set back once, only while the record is still at `version`: a record that
 * moved on belongs to someone else, who sets the weights they need.
 */
async function settle(ctx: EngineContext, target: Weights, version: number): Promise<{ note: string; unverified?: Weights }> {
  const read = await ctx.ports.traffic.getWeights();
  if (sameWeights(read, target)) return { note: '' };
  ctx.emit(ReleaseEventType.WEIGHTS_CHANGED, `Weights read as ${formatWeights(read)} after the rollback was verified: a late change landed`, { weights: read });
  const stored = await ctx.ports.state.read();
  if (stored?.version !== version) {
    return { note: `; weights then read as ${formatWeights(read)}, but the release record had moved on, so they are left to its writer` };
  }
  const seen = await setAndVerify(ctx, target);
  return seen ? { note: '', unverified: seen } : { note: `; a late weight change to ${formatWeights(read)} was undone (verified)` };
}

function lateChangeFailed(ctx: EngineContext, state: ReleaseState, seen: Weights, call: RollbackCall): ReleaseOutcome {
  const message =
    `Rolled back ${state.releaseId} to ${state.stable} (verified), but a late weight change landed afterwards and setting ` +
    `100 % again could not be verified (read ${formatWeights(seen)}). Check the production listener rule and run rollback again.`;
  ctx.emit(ReleaseEventType.ROLLBACK_FAILED, message, { weights: seen });
  return { status: 'failed', exitCode: 1, message, releaseId: state.releaseId, state, weights: seen, failedStep: call.failedStep };
}

/**
 * Compare-and-set. Returns the new version; undefined when someone else wrote first (try again); throws `Preempted`
 * for a running release.
 */
async function tryWrite(ctx: EngineContext, state: ReleaseState, version: number, call: RollbackCall): Promise<number | undefined> {
  try {
    return await writeRecord(ctx, state, version);
  } catch (e) {
    if (!(e instanceof ConcurrentReleaseError)) throw e;
    if (call.expectedVersion !== undefined) throw new Preempted();
    return undefined;
  }
}

function refusalFor(ctx: EngineContext, s: ReleaseState, call: RollbackCall, stableHealth: TargetHealthCount): string | undefined {
  if (s.status === 'in-progress') return undefined;
  const last = `${ctx.opts.service} has no release in progress (last: ${s.releaseId}, ${s.status})`;
  if (call.inProgressOnly) return `${last}; nothing to abort.`;
  if (s.status !== 'succeeded') return undefined;
  if (!call.allowAfterPromotion) return `${last}; rolling back a promoted release is not allowed here.`;
  if (s.scaleDownAt === undefined) {
    return `${last}, and ${s.stable} has been scaled down: nothing warm to roll back to. Deploy the previous image to ${s.stable} and release it.`;
  }
  if (failsOpen(ctx, stableHealth)) {
    return (
      `${last}; ${s.stable} has ${stableHealth.healthy}/${stableHealth.total} healthy targets, so a rollback would send traffic to a ` +
      `target group that fails open. Fix ${s.stable} first.`
    );
  }
  return undefined;
}

/**
 * The stable colour has no healthy target: sending it all traffic would fail open. Nothing moves. A release in
 * progress gets the reason in its record (a compare-and-set that keeps owner and heartbeat, so the lease still runs
 * out for `resume` or the reconciler, and a live driver stops at its next write rather than go on).
 */
async function refuseFailOpen(ctx: EngineContext, current: VersionedState, call: RollbackCall, health: TargetHealthCount): Promise<ReleaseOutcome> {
  const s = current.state;
  const counts = `${health.healthy}/${health.total}`;
  const message =
    `Rollback of ${s.releaseId} refused: ${s.stable} has no healthy targets (${counts}), so rolling back would fail open ` +
    `(the load balancer would send all traffic to unhealthy targets); the weights were left as they are. ` +
    `Scale ${s.stable} up or fix it (bluegreen status shows its targets), then run rollback again.`;
  let state = s;
  const reason = `rollback refused (${call.reason}): ${s.stable} has ${counts} healthy targets and would fail open`;
  // Written once: a reconciler refused on every pass does not rewrite the same note.
  if (s.status === 'in-progress' && s.reason !== reason) {
    const noted = compact({ ...s, reason });
    if ((await tryWrite(ctx, noted, current.version, call)) !== undefined) state = noted;
  }
  return refuse(ctx, message, state);
}

/**
 * Whether sending all traffic to a colour with this health would fail open: no healthy target. A colour with no
 * target at all in a service allowed to run at zero (a pilot-light standby, which serves no one) does not count.
 */
function failsOpen(ctx: EngineContext, health: TargetHealthCount): boolean {
  return health.healthy === 0 && !(ctx.opts.allowZeroCapacity && health.total === 0);
}

function refuse(ctx: EngineContext, message: string, state?: ReleaseState): ReleaseOutcome {
  ctx.emit(ReleaseEventType.REFUSED, message);
  return { status: 'refused', exitCode: 1, message, releaseId: state?.releaseId, state };
}
