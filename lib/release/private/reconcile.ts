import { describeProgress } from '../lease';
import { ReleaseEventType } from '../events';
import { OutcomeStatus, ReconcileAction, ReconcileOutcome, ReleaseOutcome } from '../outcome';
import { formatDuration } from '../parsing';
import { ConcurrentReleaseError, ReleaseState, VersionedState, Weights } from '../ports';
import { ReconcileCode, screenReconcile } from '../reconcile-screen';
import { allTo, formatWeights } from '../weights';
import { compact, EngineContext, writeRecord } from './context';
import { Preempted, rollBack } from './rollback';
import { scaleDown } from './scale-down';
import { pointTestRoute, setAndVerify } from './traffic';

/**
 * Bring AWS in line with the release record, for a periodic reconciler (no driver needed). What to repair is
 * `decideReconcile`'s verdict (the screen the auto-rollback's tick runs first), taken with the record read here
 * and, when it asks for them, the production weights; this makes the repair it names:
 *
 * - `release-interrupted` (in progress, heartbeat older than its lease): roll back if the candidate fails its gate
 *   (an alarm firing, or fewer healthy targets than its desired capacity, as the driver's own gate polls);
 * - `release-awaiting-approval` (in progress, waiting for a person): the same gate check, on every pass; a release
 *   that waits and passes its gate is left as it is, whatever its heartbeat;
 * - `traffic-off-stable` (rolled back or aborted, but a dead driver's late `setWeights` landed after the rollback
 *   was recorded): set 100 % on the stable colour again, verify, and point the test route at the candidate;
 * - `promoted-traffic-moved` (promoted, but a dead driver's late `setWeights` landed after another process's
 *   promotion): set 100 % on the promoted colour again, if it has a healthy target and no gate alarm firing (record
 *   compare-and-set first), and point the test route at the old colour;
 * - `scale-down-due` (promoted and past `scaleDownAt`): scale the old colour down, unless a gate alarm fires on the
 *   promoted colour;
 * - a `none` verdict: nothing, with the screen's message.
 *
 * Every rollback and scale-down goes through `rollBack` or `scaleDown`, so it refuses a stable colour with no
 * healthy target, and every repair only acts while the record is still the version read here.
 */
export async function reconcile(ctx: EngineContext): Promise<ReconcileOutcome> {
  const current = await ctx.ports.state.read();
  const { decision, weights } = await screenReconcile(current?.state, () => ctx.ports.traffic.getWeights(), () => ctx.now());
  // (Without a record the verdict is always `none`: `!current` only tells the compiler.)
  if (decision.action === 'none' || !current) {
    return nothing(ctx, decision.code === 'scale-down-not-due' ? 'not-due' : 'noop', decision.message, current?.state, weights);
  }
  switch (decision.code) {
    case 'release-interrupted':
      return rollBackInterrupted(ctx, current);
    case 'release-awaiting-approval':
      return rollBackInterrupted(ctx, current);
    case 'traffic-off-stable':
      return rollBackAgain(ctx, current, read(weights, decision.code));
    case 'promoted-traffic-moved':
      return restorePromoted(ctx, current, read(weights, decision.code));
    case 'scale-down-due':
      return scaleDownUnlessGate(ctx, current);
    default:
      throw new Error(`reconcile: the screen's verdict ${decision.code} names no repair.`);
  }
}

/** The weights a verdict was made with: the screen decides on weights only after asking for them. */
function read(weights: Weights | undefined, code: ReconcileCode): Weights {
  if (!weights) throw new Error(`reconcile: verdict ${code} without the weights it needs.`);
  return weights;
}

async function rollBackInterrupted(ctx: EngineContext, current: VersionedState): Promise<ReconcileOutcome> {
  const s = current.state;
  const quiet = formatDuration(Math.max(0, ctx.now() - s.updatedAt));
  const [capacity, health, firing] = await Promise.all([
    ctx.ports.capacity.describe(s.candidate),
    ctx.ports.health.count(s.candidate),
    ctx.ports.alarms.firing(s.candidate),
  ]);
  const expected = Math.max(capacity.desired, 1);
  const failure =
    firing.length > 0
      ? `alarms firing on ${s.candidate}: ${firing.join(', ')}`
      : health.healthy < expected
        ? `${s.candidate} has ${health.healthy}/${health.total} healthy targets, ${expected} expected`
        : undefined;
  const waiting = s.awaitingApproval;
  const where = waiting
    ? `Release ${s.releaseId} (${s.candidate} at ${describeProgress(s)}) awaits approval for ${formatDuration(Math.max(0, ctx.now() - waiting.since))} (${waiting.detail})`
    : `Release ${s.releaseId} (${s.candidate} at ${describeProgress(s)}) was interrupted: no heartbeat from ${s.owner} for ${quiet}`;
  if (!failure) {
    const next = waiting ? `Run approve or rollback.` : 'Run resume or rollback.';
    return nothing(ctx, 'noop', `${where}; ${s.candidate} passes its gate, so it is left as it is. ${next}`, s);
  }
  const why = waiting ? `release awaiting approval (${waiting.reason})` : `release interrupted (no heartbeat from ${s.owner} for ${quiet})`;
  return repair(ctx, 'rolled-back', `${where}, and ${failure}`, () =>
    rollBack(ctx, {
      status: 'rolled-back',
      reason: `reconcile: ${why} while ${failure}`,
      exitCode: 0,
      expectedVersion: current.version,
      inProgressOnly: true,
      allowAfterPromotion: false,
    }),
  );
}

async function rollBackAgain(ctx: EngineContext, current: VersionedState, weights: Weights): Promise<ReconcileOutcome> {
  const s = current.state;
  const status = s.status === 'aborted' ? 'aborted' : 'rolled-back';
  const why = `Release ${s.releaseId} is ${s.status}, which puts all traffic on ${s.stable}, but weights are ${formatWeights(weights)} (a late weight change)`;
  return repair(ctx, 'restored', why, () =>
    rollBack(ctx, {
      status,
      reason: s.reason ?? `reconcile: weights ${formatWeights(weights)} after ${s.status}`,
      exitCode: 0,
      expectedVersion: current.version,
      inProgressOnly: false,
      allowAfterPromotion: false,
    }),
  );
}

async function scaleDownUnlessGate(ctx: EngineContext, current: VersionedState): Promise<ReconcileOutcome> {
  const s = current.state;
  // Due means scheduled: the screen says `scale-down-due` only for a record with `scaleDownAt`.
  const when = new Date(s.scaleDownAt ?? ctx.now()).toISOString();
  // The old colour is what a rollback of a misbehaving promoted colour needs: keep it while a gate alarm fires.
  const firing = await ctx.ports.alarms.firing(s.candidate);
  if (firing.length > 0) {
    return nothing(ctx, 'noop', `${s.stable}'s scale-down was due at ${when}, but ${firing.join(', ')} in ALARM on the live colour ${s.candidate}: ${s.stable} stays ready.`, s);
  }
  const outcome = await scaleDown(ctx, false);
  return { ...outcome, action: outcome.status === 'scaled-down' ? 'scaled-down' : 'none' };
}

/**
 * A promoted release whose weights moved off the promoted colour (a dead driver's late `setWeights` that landed after
 * another process's promotion): set 100 % on the promoted colour again. Only onto a colour with a healthy target
 * and no gate alarm firing (else a rollback is the operator's or the auto-rollback's call). The record is compare-and-set first, like a rollback after promotion, so that of the two the later writer
 * wins and the next pass moves traffic to what its record says.
 */
async function restorePromoted(ctx: EngineContext, current: VersionedState, weights: Weights): Promise<ReconcileOutcome> {
  const s = current.state;
  const live = s.candidate;
  const why = `Release ${s.releaseId} succeeded, which puts all traffic on ${live}, but weights are ${formatWeights(weights)} (a late weight change)`;
  const [health, firing] = await Promise.all([ctx.ports.health.count(live), ctx.ports.alarms.firing(live)]);
  if (health.healthy === 0 || firing.length > 0) {
    const cause = health.healthy === 0 ? `${live} has no healthy targets (${health.healthy}/${health.total}) and would fail open` : `alarms firing on ${live}: ${firing.join(', ')}`;
    const message = `${why}; not restored, as ${cause}. Run rollback to send 100 % to ${s.stable}, or fix ${live} and run promote with colour ${live}.`;
    ctx.emit(ReleaseEventType.REFUSED, message);
    return { status: 'refused', exitCode: 1, message, releaseId: s.releaseId, state: s, weights, action: 'none' };
  }
  const fenced = compact({ ...s, updatedAt: ctx.now() });
  try {
    await writeRecord(ctx, fenced, current.version);
  } catch (e) {
    if (!(e instanceof ConcurrentReleaseError)) throw e;
    const now = await ctx.ports.state.read();
    return nothing(ctx, 'noop', `${why}; the release record changed while reconciling (now ${now?.state.releaseId} ${now?.state.status}), so it is left to its writer.`, now?.state);
  }
  const target = allTo(live);
  const seen = await setAndVerify(ctx, target);
  if (seen) {
    const message = `${why}; setting 100 % on ${live} again could not be verified (read ${formatWeights(seen)}). Check the production listener rule.`;
    ctx.emit(ReleaseEventType.WEIGHTS_MISMATCH, message, { weights: seen });
    return { status: 'failed', exitCode: 1, message, releaseId: s.releaseId, state: fenced, weights: seen, action: 'none' };
  }
  await pointTestRoute(ctx, s.stable);
  const message = `${why}: ${live} holds 100 % again (verified); the test route points at ${s.stable}.`;
  ctx.emit(ReleaseEventType.PROMOTED, message, { weights: target });
  return { status: 'succeeded', exitCode: 0, message, releaseId: s.releaseId, state: fenced, weights: target, action: 'restored' };
}

/** Run a repair; it counts only when it ended rolled back or aborted. A record that moved on meanwhile wins. */
async function repair(ctx: EngineContext, action: ReconcileAction, why: string, run: () => Promise<ReleaseOutcome>): Promise<ReconcileOutcome> {
  let outcome: ReleaseOutcome;
  try {
    outcome = await run();
  } catch (e) {
    if (!(e instanceof Preempted)) throw e;
    const now = await ctx.ports.state.read();
    return nothing(ctx, 'noop', `${why}; the release record changed while reconciling (now ${now?.state.releaseId} ${now?.state.status}), so it is left to its writer.`, now?.state);
  }
  const done = outcome.status === 'rolled-back' || outcome.status === 'aborted';
  return { ...outcome, message: `${why}: ${outcome.message}`, action: done ? action : 'none' };
}

function nothing(ctx: EngineContext, status: OutcomeStatus, message: string, state?: ReleaseState, weights?: ReleaseOutcome['weights']): ReconcileOutcome {
  ctx.emit(ReleaseEventType.REFUSED, message);
  return { status, exitCode: 0, message, releaseId: state?.releaseId, state, weights, action: 'none' };
}
