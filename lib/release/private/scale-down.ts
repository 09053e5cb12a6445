import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { formatDuration } from '../parsing';
import { ConcurrentReleaseError, ReleaseState } from '../ports';
import { compact, EngineContext, writeRecord } from './context';
import { heldText } from './hooks';
import { formatWeights, weightOf } from '../weights';

/**
 * Put the idle colour in standby: the old colour of a promoted release once `scaleDownAt` has passed, or (forced)
 * the idle colour at any time after a release ended. Never a colour with traffic.
 *
 * The record is always compare-and-set before the capacity changes (`scaleDownAt` cleared, `scaledDownAt` set), so
 * whoever wrote it since our read wins: a new release claimed at the same moment, or a rollback after promotion
 * (which writes the record before moving traffic). Then the record and the weights are read again: the colour is
 * scaled only while the record is still our write and the colour still has no weight. A release that reads the
 * record after our write refuses in pre-flight (`scaledDownAt` is fresh), which closes the gap between that
 * re-check and the capacity change.
 */
export async function scaleDown(ctx: EngineContext, force: boolean): Promise<ReleaseOutcome> {
  const current = await ctx.ports.state.read();
  const s = current?.state;
  const done = (status: ReleaseOutcome['status'], message: string, exitCode = 0, state: ReleaseState | undefined = s): ReleaseOutcome => {
    ctx.emit(status === 'scaled-down' ? ReleaseEventType.SCALED_DOWN : ReleaseEventType.REFUSED, message);
    return { status, exitCode, message, releaseId: state?.releaseId, state };
  };
  if (!current || !s) return done('noop', `No release recorded for ${ctx.opts.service}; nothing to scale down.`);
  if (s.status === 'in-progress') return done('refused', `Release ${s.releaseId} is in progress; scale-down waits until it ends.`, 1);
  const idle = s.status === 'succeeded' ? s.stable : s.candidate;
  const scheduled = s.status === 'succeeded' && s.scaleDownAt !== undefined;
  if (!force && !scheduled) {
    return done('noop', `No scale-down scheduled (last release ${s.releaseId} ${s.status}); force puts ${idle} in standby anyway.`);
  }
  if (!force && s.scaleDownAt !== undefined && ctx.now() < s.scaleDownAt) {
    const left = formatDuration(s.scaleDownAt - ctx.now());
    return done('not-due', `${idle} stays ready until ${new Date(s.scaleDownAt).toISOString()} (in ${left}) for an instant rollback; force scales it down now.`);
  }
  // A post-promotion hook still running may yet fail and roll back to the old colour: it stays ready until it ends
  // (or its run's budget has passed: then its process is presumed dead). Forced or not.
  const now0 = ctx.now();
  const running = s.status === 'succeeded' ? (s.hooks ?? []).filter((r) => r.point === 'post-promotion' && r.status === 'running' && now0 - r.startedAt < (r.budgetMs ?? 0)) : [];
  if (running.length > 0) {
    const until = Math.max(...running.map((r) => r.startedAt + (r.budgetMs ?? 0)));
    return done(
      'not-due',
      `${idle} stays ready while the post-promotion hooks of release ${s.releaseId} run (${running.map(heldText).join('; ')}): a failure rolls back to it. ` +
        `Scale-down waits until they end, at the latest ${new Date(until).toISOString()}.`,
    );
  }
  const takesTraffic = (w: { blue: number; green: number }) => `${idle} takes traffic (${formatWeights(w)}); it is not scaled down.`;
  const weights = await ctx.ports.traffic.getWeights();
  if (weightOf(weights, idle) > 0) return done('refused', takesTraffic(weights), 1);

  const changed = `The release record of ${ctx.opts.service} changed meanwhile (a rollback or a new release?); ${idle} was not scaled down. Check status.`;
  const now = ctx.now();
  const fenced = compact({ ...s, scaleDownAt: undefined, scaledDownAt: now, updatedAt: now });
  let version: number;
  try {
    version = await writeRecord(ctx, fenced, current.version);
  } catch (e) {
    if (!(e instanceof ConcurrentReleaseError)) throw e;
    return done('refused', changed, 1);
  }
  const [after, weightsAfter] = await Promise.all([ctx.ports.state.read(), ctx.ports.traffic.getWeights()]);
  if (after?.version !== version || after.state.status === 'in-progress') return done('refused', changed, 1, after?.state);
  if (weightOf(weightsAfter, idle) > 0) return done('refused', takesTraffic(weightsAfter), 1, fenced);
  await ctx.ports.capacity.setMode(idle, 'standby');
  return done('scaled-down', `${idle} is in standby (0 instances); release ${s.releaseId} keeps ${s.status === 'succeeded' ? s.candidate : s.stable} live.`, 0, fenced);
}
