import { releaseInProgressError, describeProgress } from '../lease';
import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { ColourName, ConcurrentReleaseError, otherColour, ReleaseState, VersionedState } from '../ports';
import { allTo, formatWeights, sameWeights } from '../weights';
import { compact, EngineContext, newReleaseId, writeRecord } from './context';
import { pendingAt } from './hooks';
import { applyStep, failRun, postPromotion, promoteRun, Run } from './run';
import { gateFailure } from './traffic';

/**
 * Make the candidate of the release in progress live now, skipping its remaining steps and bakes; or, with no
 * release in progress, make `colour` live (settles split weights). Refused unless the colour has capacity, all
 * its expected targets healthy and no gate alarm firing.
 */
export async function promote(ctx: EngineContext, colour: ColourName | undefined): Promise<ReleaseOutcome> {
  const current = await ctx.ports.state.read();
  const s = current?.state;
  if (current && s?.status === 'in-progress') {
    if (colour !== undefined && colour !== s.candidate) {
      return refuse(ctx, `Release ${s.releaseId} is releasing ${s.candidate}, not ${colour}. Abort it first to promote ${colour}.`, s);
    }
    return promoteInProgress(ctx, current);
  }
  if (colour === undefined) {
    const last = s ? ` (last: ${s.releaseId}, ${s.status})` : '';
    return refuse(ctx, `${ctx.opts.service} has no release in progress${last}: nothing to promote. To send all traffic to one colour, promote with a colour.`, s);
  }
  return promoteColour(ctx, colour, current);
}

async function promoteInProgress(ctx: EngineContext, current: VersionedState): Promise<ReleaseOutcome> {
  const s = current.state;
  // The expand migrations of pre-release hooks come before the candidate takes any traffic: promote does not skip them.
  const pending = s.stepIndex < 0 ? pendingAt(ctx, s, 'pre-release') : [];
  if (pending.length > 0) {
    return refuse(
      ctx,
      `Cannot promote ${s.candidate}: the pre-release hooks of ${s.releaseId} have not passed (${pending.join(', ')}). Run resume to run them first, or abort.`,
      s,
    );
  }
  const ready = await readiness(ctx, s.candidate);
  if (ready.failure) return refuse(ctx, `Cannot promote ${s.candidate}: ${ready.failure}. Wait, or roll back.`, s);
  const weights = await ctx.ports.traffic.getWeights();
  if (s.owner !== ctx.opts.owner) ctx.emit(ReleaseEventType.TAKEN_OVER, `Taking over release ${s.releaseId} from ${s.owner} to promote it`);
  ctx.emit(ReleaseEventType.PROMOTION_STARTED, `Promoting ${s.candidate} from ${describeProgress(s)} (${formatWeights(weights)})`, { weights });
  // The remaining steps become one step to 100 %, so a crash leaves a record that resume understands.
  const done = s.steps.slice(0, s.stepIndex + 1).filter((p) => p < 100);
  const steps = [...done, 100];
  // Promote overrides the remaining pauses and gating hooks (step, pre-promotion); the post-promotion hooks still run.
  const run = new Run(ctx, { ...s, steps, stepIndex: done.length - 1, pauseBefore: undefined, awaitingApproval: undefined }, current.version, ready.expected, false);
  // Set even when the weights already read as 100 %: a lone read may be stale, a set-and-verify is not.
  try {
    await applyStep(ctx, run, steps.length - 1);
  } catch (e) {
    return failRun(ctx, run, e);
  }
  const promoted = await promoteRun(ctx, run, true);
  return promoted.status === 'succeeded' ? postPromotion(ctx, run.state, run.version, promoted) : promoted;
}

async function promoteColour(ctx: EngineContext, colour: ColourName, current: VersionedState | undefined): Promise<ReleaseOutcome> {
  const weights = await ctx.ports.traffic.getWeights();
  if (sameWeights(weights, allTo(colour))) {
    const message = `${colour} already holds all traffic; nothing to promote.`;
    ctx.emit(ReleaseEventType.REFUSED, message);
    return { status: 'noop', exitCode: 0, message, weights, state: current?.state };
  }
  const ready = await readiness(ctx, colour);
  if (ready.failure) return refuse(ctx, `Cannot promote ${colour}: ${ready.failure}.`, current?.state);
  const now = ctx.now();
  const state: ReleaseState = compact({
    releaseId: newReleaseId(now),
    service: ctx.opts.service,
    status: 'in-progress',
    stable: otherColour(colour),
    candidate: colour,
    steps: [100],
    bakeMs: 0,
    stepIndex: -1,
    ...ctx.ownership(),
    startedAt: now,
    updatedAt: now,
  });
  let version: number;
  try {
    version = await writeRecord(ctx, state, current?.version);
  } catch (e) {
    if (!(e instanceof ConcurrentReleaseError)) throw e;
    const now2 = await ctx.ports.state.read();
    if (now2?.state.status === 'in-progress') throw releaseInProgressError(now2.state, ctx.now());
    throw new ConcurrentReleaseError(`The release record of ${ctx.opts.service} changed meanwhile; run promote again.`);
  }
  ctx.emit(ReleaseEventType.PROMOTION_STARTED, `Promoting ${colour} (release ${state.releaseId}); weights were ${formatWeights(weights)}`, { weights });
  const run = new Run(ctx, state, version, ready.expected, true);
  try {
    await applyStep(ctx, run, 0);
  } catch (e) {
    return failRun(ctx, run, e);
  }
  // A colour made live by hand is no release with hooks: none are claimed or run.
  return promoteRun(ctx, run, false);
}

/** Whether `colour` can take all traffic: capacity, every expected target healthy, no gate alarm. */
async function readiness(ctx: EngineContext, colour: ColourName): Promise<{ expected: number; failure?: string }> {
  const capacity = await ctx.ports.capacity.describe(colour);
  if (capacity.desired < 1) return { expected: 0, failure: `${colour} is in standby (desired 0); deploy it as ready first` };
  return { expected: capacity.desired, failure: await gateFailure(ctx, colour, capacity.desired) };
}

function refuse(ctx: EngineContext, message: string, state?: ReleaseState): ReleaseOutcome {
  ctx.emit(ReleaseEventType.REFUSED, message);
  return { status: 'refused', exitCode: 1, message, releaseId: state?.releaseId, state };
}
