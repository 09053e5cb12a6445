import { describeProgress, HolderVerdict, releaseInProgressError } from '../lease';
import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { formatWeights, sameWeights, stepWeights } from '../weights';
import { EngineContext } from './context';
import { drive, Run } from './run';

/**
 * Continue an interrupted release from its last verified step.
 *
 * Allowed for this owner; for anyone once the heartbeat is older than the lease, or at once when the holder ran on
 * this host and its process is gone; and, with `takeOver`, from a holder that may be alive. The weights are read first:
 * they must be those of the recorded step, or of the next one (a crash after setting it, before recording it);
 * anything else is refused, never "corrected" towards the candidate. Then the record is taken over, the gate is
 * polled, that step's weights are set again and verified (a lone read may be stale), the step bakes again in full,
 * and the release goes on.
 */
export async function resume(ctx: EngineContext): Promise<ReleaseOutcome> {
  const current = await ctx.ports.state.read();
  const s = current?.state;
  if (!current || !s || s.status !== 'in-progress') {
    const last = s ? ` (last: ${s.releaseId}, ${s.status})` : '';
    const message = `${ctx.opts.service} has no release in progress${last}; nothing to resume.`;
    ctx.emit(ReleaseEventType.REFUSED, message);
    return { status: 'noop', exitCode: 0, message, releaseId: s?.releaseId, state: s };
  }
  const now = ctx.now();
  const holder = ctx.holderOf(s);
  const mayTake = holder.status === 'self' || holder.status === 'stale' || holder.status === 'dead' || ctx.opts.takeOver;
  if (!mayTake) throw releaseInProgressError(s, now, holder, true);

  const capacity = await ctx.ports.capacity.describe(s.candidate);
  const weights = await ctx.ports.traffic.getWeights();
  let resumeAt = s.stepIndex;
  if (!sameWeights(weights, stepWeights(s, resumeAt))) {
    const next = resumeAt + 1 < s.steps.length ? stepWeights(s, resumeAt + 1) : undefined;
    if (!next || !sameWeights(weights, next)) {
      const message =
        `Cannot resume ${s.releaseId}: weights are ${formatWeights(weights)}, but the record is at ${describeProgress(s)} ` +
        `(${formatWeights(stepWeights(s, resumeAt))}${next ? ` or next ${formatWeights(next)}` : ''}). ` +
        `Run rollback to send 100 % to ${s.stable}, or promote to send 100 % to ${s.candidate}.`;
      ctx.emit(ReleaseEventType.REFUSED, message, { weights });
      return { status: 'refused', exitCode: 1, message, releaseId: s.releaseId, state: s, weights };
    }
    resumeAt += 1;
  }

  // Take the record over (compare-and-set) before touching traffic.
  const run = new Run(ctx, s, current.version, capacity.desired, false);
  await run.write();
  if (holder.status !== 'self') ctx.emit(ReleaseEventType.TAKEN_OVER, tookOver(s.releaseId, s.owner, holder));
  ctx.emit(ReleaseEventType.RESUMED, `Resuming ${s.releaseId} at ${describeProgress(run.state)}; weights read as ${formatWeights(weights)}`, {
    weights,
    step: resumeAt + 1,
    steps: s.steps.length,
  });
  return drive(ctx, run, resumeAt);
}

/** `Took over release … from host:pid (process 4242 on this host is not running …)`. */
function tookOver(releaseId: string, owner: string, holder: HolderVerdict): string {
  const asked = holder.status === 'alive' || holder.status === 'elsewhere' ? ' as asked (take-over); it stops at its next record write' : '';
  return `Took over release ${releaseId} from ${owner} ${holder.detail}${asked}`;
}
