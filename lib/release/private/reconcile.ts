import { describeProgress, isStale, leaseMs } from '../lease';
import { ReleaseEventType } from '../events';
import { OutcomeStatus, ReconcileAction, ReconcileOutcome, ReleaseOutcome } from '../outcome';
import { formatDuration } from '../parsing';
import { ConcurrentReleaseError, ReleaseState, VersionedState, Weights } from '../ports';
import { allTo, formatWeights, sameWeights } from '../weights';
import { compact, EngineContext, writeRecord } from './context';
import { Preempted, rollBack } from './rollback';
import { scaleDown } from './scale-down';
import { pointTestRoute, setAndVerify } from './traffic';

/**
 * Bring AWS in line with the release record, for a periodic reconciler (no driver needed):
 *
 * - rolled back or aborted, but the weights are not all on the stable colour (a dead driver's late `setWeights`
 *   landed after the rollback was recorded): set 100 % on the stable colour again, verify, and point the test route
 *   at the candidate;
 * - in progress with a heartbeat older than its lease, and the candidate failing its gate (an alarm firing, or fewer
 *   healthy targets than its desired capacity, as the driver's own gate polls): roll back;
 * - promoted, but the weights are not all on the promoted colour (a dead driver's late `setWeights` after another
 *   process's promotion): set 100 % on the promoted colour again, if it has a healthy target and no gate alarm
 *   firing (record compare-and-set first), and point the test route at the old colour;
 * - promoted and past `scaleDownAt`, with no gate alarm firing on the promoted colour: scale the old colour down;
 * - anything else: nothing.
 *
 * Every repair goes through `rollBack` or `scaleDown`, so it refuses a stable colour with no healthy target, and it
 * only acts while the record is still the version read here.
 */
export async function reconcile(ctx: EngineContext): Promise<ReconcileOutcome> {
  const current = await ctx.ports.state.read();
  if (!current) return nothing(ctx, 'noop', `No release recorded for ${ctx.opts.service}: nothing to reconcile.`);
  switch (current.state.status) {
    case 'in-progress':
      return reconcileInProgress(ctx, current);
    case 'succeeded':
      return reconcileSucceeded(ctx, current);
    default:
      return reconcileEnded(ctx, current);
  }
}

async function reconcileInProgress(ctx: EngineContext, current: VersionedState): Promise<ReconcileOutcome> {
  const s = current.state;
  const now = ctx.now();
  const quiet = formatDuration(Math.max(0, now - s.updatedAt));
  if (!isStale(s, now)) {
    return nothing(ctx, 'noop', `Release ${s.releaseId} is in progress, driven by ${s.owner} (heartbeat ${quiet} ago, lease ${formatDuration(leaseMs(s))}): it gates its own candidate.`, s);
  }
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
  const where = `Release ${s.releaseId} (${s.candidate} at ${describeProgress(s)}) was interrupted: no heartbeat from ${s.owner} for ${quiet}`;
  if (!failure) {
    return nothing(ctx, 'noop', `${where}; ${s.candidate} passes its gate, so it is left as it is. Run resume or rollback.`, s);
  }
  return repair(ctx, 'rolled-back', `${where}, and ${failure}`, () =>
    rollBack(ctx, {
      status: 'rolled-back',
      reason: `reconcile: release interrupted (no heartbeat from ${s.owner} for ${quiet}) while ${failure}`,
      exitCode: 0,
      expectedVersion: current.version,
      inProgressOnly: true,
      allowAfterPromotion: false,
    }),
  );
}

async function reconcileEnded(ctx: EngineContext, current: VersionedState): Promise<ReconcileOutcome> {
  const s = current.state;
  const status = s.status === 'aborted' ? 'aborted' : 'rolled-back';
  const weights = await ctx.ports.traffic.getWeights();
  if (sameWeights(weights, allTo(s.stable))) {
    return nothing(ctx, 'noop', `Release ${s.releaseId} is ${s.status} and ${s.stable} holds all traffic: nothing to do.`, s, weights);
  }
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

async function reconcileSucceeded(ctx: EngineContext, current: VersionedState): Promise<ReconcileOutcome> {
  const s = current.state;
  const weights = await ctx.ports.traffic.getWeights();
  if (!sameWeights(weights, allTo(s.candidate))) return restorePromoted(ctx, current, weights);
  if (s.scaleDownAt === undefined) return nothing(ctx, 'noop', `Release ${s.releaseId} succeeded; no scale-down scheduled: nothing to do.`, s);
  const when = new Date(s.scaleDownAt).toISOString();
  if (ctx.now() < s.scaleDownAt) return nothing(ctx, 'not-due', `Release ${s.releaseId} succeeded; ${s.stable} stays ready until ${when}.`, s);
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
