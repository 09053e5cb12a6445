import { ReleaseEventType } from '../events';
import { describeProgress } from '../lease';
import { ReleaseOutcome } from '../outcome';
import { formatDuration } from '../parsing';
import { ConcurrentReleaseError, ReleaseState } from '../ports';
import { formatWeights, sameWeights, stepWeights } from '../weights';
import { EngineContext } from './context';
import { missingHooks } from './hooks';
import { pointsAhead, refuseMissing } from './resume';
import { drive, Run, stepText } from './run';
import { gateFailure } from './traffic';

/**
 * Continue a release that waits for approval. Nothing is changed unless every check passes: the release is in
 * progress and waits; this process has the hooks it still needs; the weights are those of its recorded step; and
 * one gate poll of the candidate passes (target health against its desired capacity, no gate alarm firing). Then
 * `awaitingApproval` is cleared (its step leaves `pauseBefore`: one approval per position) in one compare-and-set
 * write that takes the release over, and the release is driven on from where it waited, as `resume` would.
 */
export async function approve(ctx: EngineContext): Promise<ReleaseOutcome> {
  const current = await ctx.ports.state.read();
  const s = current?.state;
  const service = ctx.opts.service;
  if (!current || !s || s.status !== 'in-progress' || !s.awaitingApproval) {
    const what = !s
      ? `${service} has no release`
      : s.status !== 'in-progress'
        ? `${service} has no release in progress (last: ${s.releaseId}, ${s.status})`
        : `release ${s.releaseId} is in progress and does not wait for approval (${describeProgress(s)})`;
    const message = `${what}; nothing to approve.`;
    ctx.emit(ReleaseEventType.REFUSED, message);
    return { status: 'noop', exitCode: 0, message, releaseId: s?.releaseId, state: s };
  }
  const a = s.awaitingApproval;
  const missing = missingHooks(ctx, s, pointsAhead(s));
  if (missing.length > 0) return refuseMissing(ctx, s, 'approve', missing);

  const [capacity, weights] = await Promise.all([ctx.ports.capacity.describe(s.candidate), ctx.ports.traffic.getWeights()]);
  const held = stepWeights(s, s.stepIndex);
  if (!sameWeights(weights, held)) {
    return refuse(
      ctx,
      `Cannot approve ${s.releaseId}: weights are ${formatWeights(weights)}, but it waits at ${describeProgress(s)} (${formatWeights(held)}). ` +
        `Nothing was changed. Run \`bluegreen rollback ${service}\` to send 100 % to ${s.stable}, or promote to send 100 % to ${s.candidate}.`,
      s,
    );
  }
  const failure = await gateFailure(ctx, s.candidate, capacity.desired);
  if (failure) {
    ctx.emit(ReleaseEventType.GATE_FAILED, `Gate failed before approving: ${failure}`, { weights });
    return refuse(
      ctx,
      `Cannot approve ${s.releaseId}: ${s.candidate} fails its gate (${failure}). Nothing was changed. ` +
        `Run \`bluegreen rollback ${service}\` to send 100 % back to ${s.stable}, or approve again once the gate passes.`,
      s,
    );
  }

  const run = new Run(ctx, s, current.version, capacity.desired, false);
  try {
    const pauseBefore = s.pauseBefore?.filter((i) => i !== a.beforeStep);
    await run.write({ awaitingApproval: undefined, pauseBefore: pauseBefore?.length ? pauseBefore : undefined });
  } catch (e) {
    if (!(e instanceof ConcurrentReleaseError)) throw e;
    const now = (await ctx.ports.state.read())?.state;
    return refuse(ctx, `Cannot approve ${s.releaseId}: its record changed meanwhile (now ${now?.releaseId} ${now?.status}). Nothing was changed; run status.`, now);
  }
  const waited = formatDuration(Math.max(0, ctx.now() - a.since));
  ctx.emit(ReleaseEventType.APPROVED, `Approved ${s.releaseId} after ${waited} (${a.detail}); going on with ${stepText(s, a.beforeStep)}`, {
    weights,
    steps: s.steps.length,
  });
  return drive(ctx, run);
}

function refuse(ctx: EngineContext, message: string, state?: ReleaseState): ReleaseOutcome {
  ctx.emit(ReleaseEventType.REFUSED, message);
  return { status: 'refused', exitCode: 1, message, releaseId: state?.releaseId, state };
}
