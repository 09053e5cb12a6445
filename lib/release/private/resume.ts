import { describeProgress, HolderVerdict, releaseInProgressError } from '../lease';
import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { formatWeights, sameWeights, stepWeights } from '../weights';
import { EngineContext } from './context';
import { HOOK_POINT_NAMES, HookPointName } from '../../contract';
import { formatDuration } from '../parsing';
import { ReleaseState, VersionedState } from '../ports';
import { allTo } from '../weights';
import { commandFlag, missingHooks, unfinishedAt } from './hooks';
import { rollBack } from './rollback';
import { drive, postPromotion, Run, stepText } from './run';

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
  if (current && s && s.status !== 'in-progress') {
    const finished = await finishEndedHooks(ctx, current);
    if (finished) return finished;
  }
  if (!current || !s || s.status !== 'in-progress') {
    const last = s ? ` (last: ${s.releaseId}, ${s.status})` : '';
    const message = `${ctx.opts.service} has no release in progress${last}; nothing to resume.`;
    ctx.emit(ReleaseEventType.REFUSED, message);
    return { status: 'noop', exitCode: 0, message, releaseId: s?.releaseId, state: s };
  }
  if (s.awaitingApproval) return refuseAwaiting(ctx, s);
  const now = ctx.now();
  const holder = ctx.holderOf(s);
  const mayTake = holder.status === 'self' || holder.status === 'stale' || holder.status === 'dead' || ctx.opts.takeOver;
  if (!mayTake) throw releaseInProgressError(s, now, holder, true);
  const missing = missingHooks(ctx, s, pointsAhead(s));
  if (missing.length > 0) return refuseMissing(ctx, s, 'resume', missing);

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

/** The hook points a release in progress may still reach. */
export function pointsAhead(s: ReleaseState): HookPointName[] {
  return s.stepIndex < 0 ? [...HOOK_POINT_NAMES] : HOOK_POINT_NAMES.filter((p) => p !== 'pre-release');
}

/** A release that waits for approval is not resumed: a person approves it, or rolls it back. */
function refuseAwaiting(ctx: EngineContext, s: ReleaseState): ReleaseOutcome {
  const a = s.awaitingApproval!;
  const service = ctx.opts.service;
  const message =
    `Release ${s.releaseId} awaits approval before ${stepText(s, a.beforeStep)} (for ${formatDuration(Math.max(0, ctx.now() - a.since))}: ${a.detail}); ` +
    `resume does not continue it. Run \`bluegreen approve ${service}\` to go on, or \`bluegreen rollback ${service}\`.`;
  ctx.emit(ReleaseEventType.REFUSED, message);
  return { status: 'refused', exitCode: 1, message, releaseId: s.releaseId, state: s };
}

/** Hooks this process would need and was not given: nothing is changed. */
export function refuseMissing(ctx: EngineContext, s: ReleaseState, verb: string, missing: readonly string[]): ReleaseOutcome {
  const message = `Cannot ${verb} ${s.releaseId}: it needs hooks this process was not given (${missing.join('; ')}). Nothing was changed.`;
  ctx.emit(ReleaseEventType.REFUSED, message);
  return { status: 'refused', exitCode: 1, message, releaseId: s.releaseId, state: s };
}

/**
 * An ended release whose hooks did not all run (a crash during them, or right before): a promoted release's
 * post-promotion hooks while its old colour is still ready (a failure rolls back), or a rolled-back or aborted
 * release's on-rollback hooks. Only the hooks the record says are unfinished (`unfinishedAt`: claimed by the write
 * that ended it, cut short, or command hooks it was started with): never a hook declared after it ended, and nothing
 * for a release withdrawn before any change (no hook claimed, nothing moved). Undefined when there is nothing to
 * finish.
 */
async function finishEndedHooks(ctx: EngineContext, current: VersionedState): Promise<ReleaseOutcome | undefined> {
  const s = current.state;
  const point: HookPointName | undefined =
    s.status === 'succeeded' && s.scaleDownAt !== undefined ? 'post-promotion' : s.status === 'rolled-back' || s.status === 'aborted' ? 'on-rollback' : undefined;
  const failedPost = point === 'post-promotion' && (s.hooks ?? []).some((r) => r.point === 'post-promotion' && r.status === 'failed');
  const unfinished = point ? unfinishedAt(s, point) : [];
  if (!point || (unfinished.length === 0 && !failedPost)) return undefined;
  const given = new Set((ctx.ports.hooks?.hooks ?? []).map((h) => h.name));
  const missing = unfinished
    .filter((name) => !given.has(name))
    .map((name) => (name.startsWith('cmd-') ? `${name}: pass ${commandFlag(name)} again` : `${name}: no longer declared on the service (deploy it again)`));
  if (missing.length > 0) return refuseMissing(ctx, s, `finish the ${point} hooks of`, missing);
  if (s.status === 'rolled-back' || s.status === 'aborted') {
    // The rollback may have been cut short too (its hooks run last): set its weights again, then run the hooks.
    ctx.emit(ReleaseEventType.RESUMED, `Release ${s.releaseId} is ${s.status}, but its on-rollback hooks did not all run: finishing the rollback`);
    return rollBack(ctx, {
      status: s.status,
      reason: s.reason ?? `${s.status} (finished by ${ctx.opts.owner})`,
      exitCode: 0,
      inProgressOnly: false,
      allowAfterPromotion: false,
    });
  }
  ctx.emit(ReleaseEventType.RESUMED, `Release ${s.releaseId} is promoted; running its post-promotion hooks that had not finished`);
  const message = `Release ${s.releaseId} is promoted (${s.candidate} live); its post-promotion hooks passed.`;
  return postPromotion(ctx, s, current.version, { status: 'succeeded', exitCode: 0, message, releaseId: s.releaseId, state: s, weights: allTo(s.candidate) });
}

/** `Took over release … from host:pid (process 4242 on this host is not running …)`. */
function tookOver(releaseId: string, owner: string, holder: HolderVerdict): string {
  const asked = holder.status === 'alive' || holder.status === 'elsewhere' ? ' as asked (take-over); it stops at its next record write' : '';
  return `Took over release ${releaseId} from ${owner} ${holder.detail}${asked}`;
}
