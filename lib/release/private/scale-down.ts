import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { formatDuration } from '../parsing';
import { ConcurrentReleaseError } from '../ports';
import { compact, EngineContext } from './context';
import { formatWeights, weightOf } from '../weights';

/**
 * Put the idle colour in standby: the old colour of a promoted release once `scaleDownAt` has passed, or (forced)
 * the idle colour at any time after a release ended. Never a colour with traffic.
 *
 * `scaleDownAt` is cleared in the record before scaling, so a concurrent rollback after promotion (which writes the
 * record before moving traffic) either wins and keeps the colour, or sees it gone and refuses.
 */
export async function scaleDown(ctx: EngineContext, force: boolean): Promise<ReleaseOutcome> {
  const current = await ctx.ports.state.read();
  const s = current?.state;
  const done = (status: ReleaseOutcome['status'], message: string, exitCode = 0): ReleaseOutcome => {
    ctx.emit(status === 'scaled-down' ? ReleaseEventType.SCALED_DOWN : ReleaseEventType.REFUSED, message);
    return { status, exitCode, message, releaseId: s?.releaseId, state: s };
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
  const weights = await ctx.ports.traffic.getWeights();
  if (weightOf(weights, idle) > 0) {
    return done('refused', `${idle} takes traffic (${formatWeights(weights)}); it is not scaled down.`, 1);
  }
  if (s.scaleDownAt !== undefined) {
    try {
      await ctx.ports.state.write(compact({ ...s, scaleDownAt: undefined, updatedAt: ctx.now() }), current.version);
    } catch (e) {
      if (!(e instanceof ConcurrentReleaseError)) throw e;
      return done('refused', `The release record of ${ctx.opts.service} changed meanwhile (a rollback or a new release?); ${idle} was not scaled down. Check status.`, 1);
    }
  }
  await ctx.ports.capacity.setMode(idle, 'standby');
  return done('scaled-down', `${idle} is in standby (0 instances); release ${s.releaseId} keeps ${s.status === 'succeeded' ? s.candidate : s.stable} live.`);
}
