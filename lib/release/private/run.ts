import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { describeProgress, leaseMs } from '../lease';
import { formatDuration } from '../parsing';
import { HookPointName, HookRunRecord } from '../../contract';
import { AwaitingApproval, ConcurrentReleaseError, otherColour, ReleaseHook, ReleaseState } from '../ports';
import { allTo, formatWeights, stepWeights } from '../weights';
import { compact, EngineContext, EventExtra, writeRecord } from './context';
import {
  EndedLedger,
  HookLedger,
  HookList,
  HookPlace,
  HookRunHeld,
  hooksAt,
  placeText,
  recordedFailure,
  refreshDeferred,
  runHookPoint,
  runOnRollbackHooks,
  unfinishedAt,
  verdictText,
  withClaims,
  withRun,
} from './hooks';
import { Preempted, rollBack } from './rollback';
import { gateFailure, pointTestRoute, setAndVerify } from './traffic';

/** A step's read-back or gate failed. */
export class StepFailure extends Error {
  constructor(
    message: string,
    /** 1-based step, undefined before the first step. */
    public readonly step: number | undefined,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** The release this process drives: its record, the record's version, and what it changed since its last write. */
export class Run implements HookLedger {
  /** Weights were set since the last successful write: someone who preempts us may have been overwritten. */
  public dirty = false;
  /** The test route was moved by this run. */
  public touchedTest = false;
  /**
   * The point of the last hook called since the candidate's gate was last polled: a hook may take minutes, and the
   * candidate may have failed meanwhile, so the gate is polled again before weights move.
   */
  public hooksSincePoll?: HookPointName;
  /** The last write, when it failed with an AWS error: it may have landed, and the next write adopts it if so. */
  private unsure?: ReleaseState;

  constructor(
    private readonly ctx: EngineContext,
    public state: ReleaseState,
    public version: number,
    /** Healthy candidate targets every gate poll requires. */
    public readonly expectedHealthy: number,
    /** Whether the record was written just now, so the next step needs no write-ahead. */
    public fresh: boolean,
  ) {}

  /**
   * Compare-and-set the record with `patch`, this owner and a new heartbeat.
   *
   * @throws ConcurrentReleaseError when someone else wrote since our last write: we were preempted
   */
  public async write(patch: Partial<ReleaseState> = {}): Promise<void> {
    const next = compact({ ...this.state, ...patch, ...this.ctx.ownership(), updatedAt: this.ctx.now() });
    try {
      this.version = await writeRecord(this.ctx, next, this.version, this.unsure);
    } catch (e) {
      if (!(e instanceof ConcurrentReleaseError)) this.unsure = next;
      throw e;
    }
    this.unsure = undefined;
    this.state = next;
    this.fresh = true;
  }

  /** Record a hook run (and `patch`) in the release record: one compare-and-set write, which is also a heartbeat. */
  public async record(list: HookList, run: HookRunRecord, patch: Partial<ReleaseState> = {}): Promise<void> {
    if (run.status === 'running') this.hooksSincePoll = run.point;
    await this.write({ [list]: withRun(this.state, list, run)[list], ...patch });
  }

  /** A heartbeat while a hook runs. */
  public async heartbeat(): Promise<void> {
    await heartbeat(this.ctx, this, {});
  }
}

/** The release waits for approval: written to the record already. */
class Paused extends Error {
  constructor(public readonly awaiting: AwaitingApproval) {
    super('awaiting approval');
    this.name = 'Paused';
  }
}

/** A pre-release hook failed: nothing moved, the release is aborted. */
class PreReleaseFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreReleaseFailure';
  }
}

/**
 * Drive `run` to promotion: pre-release hooks (before any weight moves), then for each remaining step: a declared
 * pause, the pre-promotion hooks before the step that makes the candidate 100 %, the step (set, read back,
 * record), its bake with gates, and its step hooks; then promote, then the post-promotion hooks. A failed gate,
 * read-back or hook, or an error, rolls back (a failed pre-release hook aborts with nothing moved); a lost
 * compare-and-set stops (preempted); a pause or an inconclusive hook writes `awaitingApproval` and returns
 * `awaiting-approval`.
 *
 * Every hook point is idempotent over the record: a hook whose run for this release has a verdict is not run again,
 * one recorded `running` (a crash during it) runs again with the same key. So `resume` and `approve` re-enter here
 * and go on where the record says.
 *
 * @param resumeAt for `resume`: the step whose weights were read (the recorded step, or the next one when a crash
 * came after setting it). Before anything else the gate is polled, then that step's weights are set again and
 * verified: a single read may be stale (ALB reads lag), a set-and-verify is not. Then the step bakes in full.
 */
export async function drive(ctx: EngineContext, run: Run, resumeAt?: number): Promise<ReleaseOutcome> {
  const n = run.state.steps.length;
  try {
    const failed = recordedFailure(run.state);
    if (failed) {
      // A verdict recorded before a crash: act on it before anything moves.
      const text = `${placeText(failed, n)} hook ${failed.hook} failed${failed.detail ? `: ${failed.detail}` : ''}`;
      if (failed.point === 'pre-release' && run.state.stepIndex < 0 && (resumeAt ?? -1) < 0) throw new PreReleaseFailure(text);
      throw new StepFailure(text, run.state.stepIndex < 0 ? undefined : run.state.stepIndex + 1);
    }
    if (resumeAt !== undefined) {
      await pollGate(ctx, run, resumeAt, 'before resuming');
      if (resumeAt > run.state.stepIndex) await applyStep(ctx, run, resumeAt);
      else await reassert(ctx, run);
      if (run.state.stepIndex >= 0) await bake(ctx, run, run.state.stepIndex);
    }
    if (run.state.stepIndex < 0) {
      await gatingHooks(ctx, run, { point: 'pre-release', weights: stepWeights(run.state, -1) }, 0);
      await pollAfterHooks(ctx, run);
    } else await gatingHooks(ctx, run, { point: 'step', step: run.state.stepIndex + 1, weights: stepWeights(run.state, run.state.stepIndex) }, run.state.stepIndex + 1);
    for (let i = run.state.stepIndex + 1; i < n; i++) {
      await beforeStep(ctx, run, i);
      await pollAfterHooks(ctx, run);
      await applyStep(ctx, run, i);
      await bake(ctx, run, i);
      await gatingHooks(ctx, run, { point: 'step', step: i + 1, weights: stepWeights(run.state, i) }, i + 1);
    }
    await pollAfterHooks(ctx, run);
  } catch (e) {
    if (e instanceof Paused) return awaitingOutcome(ctx, run, e.awaiting);
    if (e instanceof PreReleaseFailure) return abortBeforeMove(ctx, run, e.message);
    return failRun(ctx, run, e);
  }
  const promoted = await promoteRun(ctx, run, true);
  return promoted.status === 'succeeded' ? postPromotion(ctx, run.state, run.version, promoted) : promoted;
}

/** Before step `i`: a declared pause, then (before the step that makes the candidate 100 %) the pre-promotion hooks. */
async function beforeStep(ctx: EngineContext, run: Run, i: number): Promise<void> {
  const s = run.state;
  if (s.pauseBefore?.includes(i)) {
    const awaiting: AwaitingApproval = { since: ctx.now(), beforeStep: i, reason: 'pause', detail: `paused before ${stepText(s, i)}, as asked` };
    await run.write({ awaitingApproval: awaiting });
    throw new Paused(awaiting);
  }
  if (i === s.steps.length - 1) await gatingHooks(ctx, run, { point: 'pre-promotion', weights: stepWeights(s, s.stepIndex) }, i);
}

/**
 * A hook point that gates the release (pre-release, step, pre-promotion). Failed: throws (pre-release: abort with
 * nothing moved; else `StepFailure`, rolled back). Inconclusive: the verdict is written with `awaitingApproval`
 * before `beforeStep`, in one write, then `Paused` is thrown.
 */
async function gatingHooks(ctx: EngineContext, run: Run, place: HookPlace, beforeStep: number): Promise<void> {
  const n = run.state.steps.length;
  let awaiting: AwaitingApproval | undefined;
  const verdict = await runHookPoint(ctx, run, place, (r) => {
    if (r.status !== 'inconclusive') return undefined;
    awaiting = {
      since: ctx.now(),
      beforeStep,
      reason: 'inconclusive',
      detail: `${placeText(place, n)} hook ${r.hook} was inconclusive${r.detail ? ` (${r.detail})` : ''}; waits before ${stepText(run.state, beforeStep)}`,
    };
    return { awaitingApproval: awaiting };
  });
  if (verdict.verdict === 'passed') return;
  if (verdict.verdict === 'inconclusive') {
    // Recorded by the verdict's write; an inconclusive verdict recorded earlier was approved, and passes.
    if (awaiting) throw new Paused(awaiting);
    return;
  }
  const text = verdictText(place, n, verdict);
  if (place.point === 'pre-release') throw new PreReleaseFailure(text);
  const step = run.state.stepIndex < 0 ? undefined : run.state.stepIndex + 1;
  throw new StepFailure(text, step);
}

/**
 * When a hook was called since the last gate poll (pre-release, step, pre-promotion hooks, also those run after an
 * approval): poll the candidate's gate (health against the expected count, alarms) before the release moves on. A
 * failure right after the pre-release hooks (nothing moved) aborts the release (`PreReleaseFailure`); else it rolls
 * back (`StepFailure`), as a failed hook at that point would.
 */
async function pollAfterHooks(ctx: EngineContext, run: Run): Promise<void> {
  const point = run.hooksSincePoll;
  if (!point) return;
  const i = run.state.stepIndex;
  const n = run.state.steps.length;
  const extra: EventExtra = i < 0 ? { steps: n } : { step: i + 1, steps: n };
  const where = point === 'pre-release' ? 'after the pre-release hooks, before any weight moved' : i < 0 ? `after the ${point} hooks` : `after the hooks at ${stepText(run.state, i)}`;
  const failure = await gateFailure(ctx, run.state.candidate, run.expectedHealthy);
  if (failure && point === 'pre-release') {
    ctx.emit(ReleaseEventType.GATE_FAILED, `Gate failed ${where}: ${failure}`, extra);
    throw new PreReleaseFailure(`gate failed ${where}: ${failure}`);
  }
  if (failure) failGate(ctx, i, where, failure, extra);
  run.hooksSincePoll = undefined;
  ctx.emit(ReleaseEventType.GATE_PASSED, `Gate passed ${where}`, extra);
}

/** `step 3/4 (50 %)`, or `promotion` past the last step. */
export function stepText(s: ReleaseState, i: number): string {
  return i < s.steps.length ? `step ${i + 1}/${s.steps.length} (${s.steps[i]} %)` : 'promotion';
}

/** The release waits for approval (recorded): say where, and what to run. */
function awaitingOutcome(ctx: EngineContext, run: Run, awaiting: AwaitingApproval): ReleaseOutcome {
  const s = run.state;
  const weights = stepWeights(s, s.stepIndex);
  const service = ctx.opts.service;
  const message =
    `Release ${s.releaseId} awaits approval before ${stepText(s, awaiting.beforeStep)} at ${formatWeights(weights)}: ${awaiting.detail}. ` +
    `It stays in progress, guarded by ${s.candidate}'s gate alarms and the auto-rollback. ` +
    `Run \`bluegreen approve ${service}\` to go on, or \`bluegreen rollback ${service}\`.`;
  ctx.emit(ReleaseEventType.AWAITING_APPROVAL, message, { weights, step: s.stepIndex < 0 ? undefined : s.stepIndex + 1, steps: s.steps.length });
  return { status: 'awaiting-approval', exitCode: 1, message, releaseId: s.releaseId, state: s, weights };
}

/**
 * A pre-release hook failed: no weight has moved (pre-release runs before the first step), so the record is closed
 * as `aborted` with the reason, traffic left as it is; then the on-rollback hooks run (a half-done expand migration
 * may need undoing).
 */
async function abortBeforeMove(ctx: EngineContext, run: Run, reason: string): Promise<ReleaseOutcome> {
  const s = run.state;
  try {
    await run.write({ status: 'aborted', reason, awaitingApproval: undefined, hooks: withClaims(ctx, run.state, 'on-rollback').hooks });
  } catch (e) {
    if (e instanceof ConcurrentReleaseError) return preempted(ctx, run);
    const message = `Release ${s.releaseId} must be aborted (${reason}; no weight moved), but the record could not be written: ${errorText(e)}. Run abort.`;
    ctx.emit(ReleaseEventType.ROLLBACK_FAILED, message);
    return { status: 'failed', exitCode: 1, message, releaseId: s.releaseId, state: s };
  }
  const weights = allTo(s.stable);
  const message = `Aborted ${s.releaseId} before any weight moved (${s.stable} holds 100 %): ${reason}.`;
  ctx.emit(ReleaseEventType.ABORTED, message, { weights });
  return runOnRollbackHooks(ctx, { status: 'aborted', exitCode: 1, message, releaseId: s.releaseId, state: run.state, weights }, run.version);
}

/**
 * After promotion (recorded): the post-promotion hooks the record says are unfinished (claimed by the write that
 * promoted, or cut short; never a hook declared after it), on the ended record. A failure (or an inconclusive
 * verdict, which counts as failed here) rolls back to the old colour while it is still ready (it is until
 * `scaleDownAt`): the engine's rollback, record first, then the on-rollback hooks. A hook whose worst case runs past
 * `scaleDownAt` is warned of first (`hook-warning`); scale-down holds while it runs. A hook another process runs now
 * is left to it (`refused`).
 */
export async function postPromotion(ctx: EngineContext, state: ReleaseState, version: number, promoted: ReleaseOutcome): Promise<ReleaseOutcome> {
  const ledger = new EndedLedger(ctx, state, version);
  const place: HookPlace = { point: 'post-promotion', weights: allTo(state.candidate) };
  // A failure recorded before a crash (the rollback did not follow): roll back now.
  const failed = (state.hooks ?? []).find((r) => r.point === 'post-promotion' && r.status === 'failed');
  if (failed) return rollBackPromoted(ctx, ledger, verdictText(place, state.steps.length, { verdict: 'failed', hook: failed.hook, detail: failed.detail }));
  const unfinished = new Set(unfinishedAt(state, 'post-promotion'));
  const hooks = hooksAt(ctx, 'post-promotion').filter((h) => unfinished.has(h.name));
  if (hooks.length === 0) return promoted;
  let verdict;
  try {
    verdict = await runHookPoint(ctx, ledger, place, undefined, { hooks, before: (h) => warnPastScaleDown(ctx, ledger.state, h) });
  } catch (e) {
    if (e instanceof HookRunHeld) {
      const message = `Release ${state.releaseId} is promoted (${state.candidate} live); ${e.message}. Run resume later if it does not finish.`;
      ctx.emit(ReleaseEventType.REFUSED, message);
      return { ...promoted, status: 'refused', exitCode: 1, message, state: ledger.state };
    }
    const message =
      `${promoted.message} The post-promotion hooks could not finish: ${errorText(e)}. ` +
      `Run resume to run them again (or rollback while ${state.stable} is ready).`;
    return { ...promoted, status: 'failed', exitCode: 1, message, state: ledger.state };
  }
  if (verdict.verdict === 'passed') return { ...promoted, state: ledger.state };
  return rollBackPromoted(ctx, ledger, verdictText(place, ledger.state.steps.length, verdict));
}

/** Warn before a post-promotion hook whose worst case (timeout × attempts) runs past the old colour's scale-down. */
function warnPastScaleDown(ctx: EngineContext, s: ReleaseState, hook: ReleaseHook): void {
  if (s.scaleDownAt === undefined) return;
  const attempts = 1 + hook.retries;
  const worst = hook.timeoutMs * attempts;
  const left = s.scaleDownAt - ctx.now();
  if (worst <= left) return;
  ctx.emit(
    ReleaseEventType.HOOK_WARNING,
    `Post-promotion hook ${hook.name} may take up to ${formatDuration(worst)} (${attempts} attempt(s) of ${formatDuration(hook.timeoutMs)}), ` +
      `longer than the ${formatDuration(Math.max(0, left))} left before ${s.stable}'s scale-down at ${new Date(s.scaleDownAt).toISOString()}: ` +
      `scale-down holds while it runs, but a failure it reports after that finds no warm colour to roll back to`,
    { hook: hook.name, point: 'post-promotion' },
  );
}

/** A post-promotion hook failed: roll back to the old colour, if it still has capacity. */
async function rollBackPromoted(ctx: EngineContext, ledger: EndedLedger, text: string): Promise<ReleaseOutcome> {
  const s = ledger.state;
  const capacity = await ctx.ports.capacity.describe(s.stable);
  if (capacity.desired < 1 || s.scaleDownAt === undefined) {
    const message =
      `Release ${s.releaseId} was promoted, but ${text}, and ${s.stable} is in standby (desired ${capacity.desired}): there is no warm colour to roll back to. ` +
      `Deploy the previous image to ${s.stable} and release it.`;
    ctx.emit(ReleaseEventType.ROLLBACK_FAILED, message);
    return { status: 'failed', exitCode: 1, message, releaseId: s.releaseId, state: s, weights: allTo(s.candidate) };
  }
  ctx.emit(ReleaseEventType.ROLLBACK_REQUESTED, `${text}: rolling back to ${s.stable}, which is still ready`);
  let outcome: ReleaseOutcome;
  try {
    outcome = await rollBack(ctx, {
      status: 'rolled-back',
      reason: text,
      exitCode: 1,
      expectedVersion: ledger.version,
      inProgressOnly: false,
      allowAfterPromotion: true,
    });
  } catch (e) {
    const current = await ctx.ports.state.read().catch(() => undefined);
    const now = current?.state;
    const message =
      e instanceof Preempted
        ? `Release ${s.releaseId} was promoted, but ${text}; the release record changed meanwhile (now ${now?.releaseId} ${now?.status}), so it was not rolled back. Check status; rollback sends 100 % back to ${s.stable}.`
        : `Release ${s.releaseId} was promoted, but ${text}, and rolling back failed: ${errorText(e)}. Run 'bluegreen rollback' to send 100 % back to ${s.stable}.`;
    ctx.emit(e instanceof Preempted ? ReleaseEventType.PREEMPTED : ReleaseEventType.ROLLBACK_FAILED, message);
    return { status: e instanceof Preempted ? 'preempted' : 'failed', exitCode: 1, message, releaseId: s.releaseId, state: now ?? s };
  }
  if (outcome.status !== 'refused') return outcome;
  const message = `Release ${s.releaseId} was promoted, but ${text}, and ${outcome.message}`;
  return { ...outcome, status: 'failed', exitCode: 1, message, releaseId: s.releaseId, state: outcome.state ?? s };
}

/** Set the recorded step's weights again and verify them (no record write: the record already says so). */
async function reassert(ctx: EngineContext, run: Run): Promise<void> {
  const i = run.state.stepIndex;
  const target = stepWeights(run.state, i);
  run.dirty = true;
  const seen = await setAndVerify(ctx, target, i < 0 ? { steps: run.state.steps.length } : { step: i + 1, steps: run.state.steps.length });
  if (seen) throw new StepFailure(`resuming: weights read back as ${formatWeights(seen)}, expected ${formatWeights(target)}`, i < 0 ? undefined : i + 1);
  run.dirty = false;
}

/** One gate poll at step `i`; throws `StepFailure` when it fails. */
async function pollGate(ctx: EngineContext, run: Run, i: number, where: string): Promise<void> {
  const extra: EventExtra = i < 0 ? { steps: run.state.steps.length } : { step: i + 1, steps: run.state.steps.length };
  const failure = await gateFailure(ctx, run.state.candidate, run.expectedHealthy);
  if (failure) failGate(ctx, i, where, failure, extra);
  run.hooksSincePoll = undefined;
  ctx.emit(ReleaseEventType.GATE_PASSED, `Gate passed ${where}`, extra);
}

function failGate(ctx: EngineContext, i: number, where: string, failure: string, extra: EventExtra): never {
  ctx.emit(ReleaseEventType.GATE_FAILED, `Gate failed ${where}: ${failure}`, extra);
  throw new StepFailure(`gate failed ${where}: ${failure}`, i < 0 ? undefined : i + 1);
}

/**
 * Step `i`: write ahead (heartbeat and fence), set the step's weights in one call, read them back, record the step.
 * A crash anywhere leaves the record at step i-1 and the weights at step i-1 or i, which `resume` tells apart.
 */
export async function applyStep(ctx: EngineContext, run: Run, i: number): Promise<void> {
  const s = run.state;
  const target = stepWeights(s, i);
  const extra: EventExtra = { step: i + 1, steps: s.steps.length };
  ctx.emit(ReleaseEventType.STEP_STARTED, `Step ${i + 1}/${s.steps.length}: ${s.candidate} to ${s.steps[i]} %`, { ...extra, weights: target });
  if (!run.fresh) await run.write();
  run.fresh = false;
  run.dirty = true;
  const seen = await setAndVerify(ctx, target, extra);
  if (seen) {
    throw new StepFailure(`step ${i + 1}/${s.steps.length}: weights read back as ${formatWeights(seen)}, expected ${formatWeights(target)}`, i + 1);
  }
  await run.write({ stepIndex: i });
  run.dirty = false;
}

/**
 * Bake step `i`: poll the candidate's gate now, then every poll interval until the bake credit reaches the bake time
 * (the last poll is at the end, right before the next step moves weights). Heartbeats are written between polls.
 *
 * The credit is the time during which the gate was read and healthy: from the end of the first reading of an
 * unbroken run of readings to the start of the latest one (what a reading saw may date from any moment between its
 * start and its end, so the credit counts neither end's uncertain part). A run breaks when a reading ends more than
 * two poll intervals after the reading before it ended (AWS did not answer, a call hung and then answered, the
 * process was suspended): nothing is known of the time in between, so the step's bake starts again from 0
 * (`bake-restarted`) rather than pass on time nobody watched. A poll that cannot read the gate earns nothing
 * (`gate-unread`) and the bake goes on polling; once the gate has gone unread for longer than the release's lease
 * (when other processes may take the release over), the step fails and the release rolls back. A failed heartbeat is
 * retried at the next poll; a heartbeat that lost its compare-and-set means someone else took the release: the run
 * stops (preempted).
 */
async function bake(ctx: EngineContext, run: Run, i: number): Promise<void> {
  const { steps, bakeMs } = run.state;
  const where = `at step ${i + 1}/${steps.length} (${steps[i]} %)`;
  const extra: EventExtra = { step: i + 1, steps: steps.length };
  const maxGapMs = 2 * ctx.opts.pollIntervalMs;
  const began = ctx.now();
  /** End of the first reading of the current unbroken run; undefined before the first reading or after a break. */
  let since: number | undefined;
  /** End of the latest successful reading. */
  let lastRead: number | undefined;
  let credit = 0;
  run.fresh = false;
  for (;;) {
    const readStart = ctx.now();
    let failure: string | undefined;
    let error: unknown;
    try {
      failure = await gateFailure(ctx, run.state.candidate, run.expectedHealthy);
    } catch (e) {
      error = e;
    }
    const readEnd = ctx.now();
    if (failure) failGate(ctx, i, where, failure, extra);
    if (error === undefined) {
      if (lastRead !== undefined && readEnd - lastRead > maxGapMs) {
        ctx.emit(
          ReleaseEventType.BAKE_RESTARTED,
          `No gate reading ${where} for ${formatDuration(readEnd - lastRead)} (more than 2 polls of ${formatDuration(ctx.opts.pollIntervalMs)}): ` +
            `the step bakes again from 0s (it had ${formatDuration(credit)} of ${formatDuration(bakeMs)})`,
          { ...extra, bakedMs: 0, bakeMs },
        );
        since = undefined;
      }
      since ??= readEnd;
      lastRead = readEnd;
      credit = Math.max(0, readStart - since);
      ctx.emit(ReleaseEventType.GATE_PASSED, `Gate passed ${where}: baked ${formatDuration(credit)} of ${formatDuration(bakeMs)}`, {
        ...extra,
        bakedMs: credit,
        bakeMs,
      });
      run.hooksSincePoll = undefined;
      if (credit >= bakeMs) break;
    } else {
      const unread = readEnd - (lastRead ?? began);
      const lease = leaseMs(run.state);
      const cause = errorText(error);
      const last = lastRead === undefined ? 'since the step began' : `for ${formatDuration(unread)}`;
      ctx.emit(
        ReleaseEventType.GATE_UNREAD,
        `Gate not read ${where}: ${cause}. No bake credit: unread ${last} (baked ${formatDuration(credit)} of ${formatDuration(bakeMs)})`,
        { ...extra, bakedMs: credit, bakeMs },
      );
      if (unread > lease) {
        throw new StepFailure(
          `the gate could not be read ${where} for ${formatDuration(unread)}, longer than the release's lease of ${formatDuration(lease)} (${cause}); release again once AWS answers`,
          i + 1,
        );
      }
    }
    await ctx.ports.clock.sleep(error === undefined ? Math.min(ctx.opts.pollIntervalMs, Math.max(0, bakeMs - credit)) : ctx.opts.pollIntervalMs);
    if (ctx.now() - run.state.updatedAt >= ctx.opts.heartbeatIntervalMs) await heartbeat(ctx, run, extra);
  }
  ctx.emit(ReleaseEventType.STEP_COMPLETED, `Step ${i + 1}/${steps.length} baked`, { ...extra, bakedMs: credit, bakeMs });
}

/** A heartbeat during a bake. An AWS error is reported and left to the next poll; a lost compare-and-set is thrown. */
async function heartbeat(ctx: EngineContext, run: Run, extra: EventExtra): Promise<void> {
  try {
    await run.write();
  } catch (e) {
    if (e instanceof ConcurrentReleaseError) throw e;
    ctx.emit(ReleaseEventType.HEARTBEAT_FAILED, `Heartbeat not written: ${errorText(e)}; trying again at the next poll`, extra);
  }
  run.fresh = false;
}

/** An error's one-line text for messages. */
function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The candidate holds 100 % (verified): point the test route at the old colour, record success and when the old
 * colour may go to standby (with `postHooks`, and claims of the post-promotion hooks this process runs next). A failure here does not roll back: the candidate is verified at 100 %, and `promote`
 * finishes the job.
 */
export async function promoteRun(ctx: EngineContext, run: Run, postHooks: boolean): Promise<ReleaseOutcome> {
  const { releaseId, candidate, stable } = run.state;
  const scaleDownAt = ctx.now() + ctx.opts.scaleDownDelayMs;
  try {
    run.touchedTest = true;
    await pointTestRoute(ctx, stable);
    const refreshed = refreshDeferred(ctx, { ...run.state, scaleDownAt });
    const hooks = (postHooks ? withClaims(ctx, refreshed, 'post-promotion') : refreshed).hooks;
    await run.write({ status: 'succeeded', stepIndex: run.state.steps.length - 1, scaleDownAt, reason: undefined, awaitingApproval: undefined, hooks });
  } catch (e) {
    if (e instanceof ConcurrentReleaseError) return preempted(ctx, run);
    return {
      status: 'failed',
      exitCode: 1,
      message: `${candidate} holds 100 % (verified) but the promotion could not be recorded: ${(e as Error).message}. Run promote to finish.`,
      releaseId,
      state: run.state,
      weights: allTo(candidate),
    };
  }
  const until = new Date(scaleDownAt).toISOString();
  ctx.emit(ReleaseEventType.PROMOTED, `Promoted ${candidate}: 100 % verified; the test route points at ${stable}`, { weights: allTo(candidate) });
  ctx.emit(ReleaseEventType.SCALE_DOWN_SCHEDULED, `${stable} stays ready until ${until}, then scale-down puts it in standby`);
  return {
    status: 'succeeded',
    exitCode: 0,
    message: `Released ${candidate} (${releaseId}): 100 % verified and promoted; ${stable} stays ready until ${until} for an instant rollback.`,
    releaseId,
    state: run.state,
    weights: allTo(candidate),
  };
}

/**
 * A step failed or a port threw: roll back, unless someone else already changed the record. A rollback that is
 * refused (the old colour has no healthy target) or that throws (a port error) ends `failed`, with the record as
 * last known and a message telling the operator what to run.
 */
export async function failRun(ctx: EngineContext, run: Run, error: unknown): Promise<ReleaseOutcome> {
  if (error instanceof ConcurrentReleaseError) return preempted(ctx, run);
  const failure = error instanceof StepFailure ? error : undefined;
  const reason = failure ? failure.message : `error: ${(error as Error).message}`;
  let expectedVersion = run.version;
  for (let attempt = 1; ; attempt++) {
    let outcome: ReleaseOutcome;
    try {
      outcome = await rollBack(ctx, {
        status: 'rolled-back',
        reason,
        exitCode: 1,
        expectedVersion,
        inProgressOnly: true,
        allowAfterPromotion: false,
        failedStep: failure?.step,
      });
    } catch (e) {
      if (!(e instanceof Preempted)) return rollbackThrew(ctx, run, reason, failure?.step, e);
      // A write of ours that reported an error may still have landed: then the record is still ours.
      const current = await ctx.ports.state.read();
      const s = current?.state;
      const ours = s?.releaseId === run.state.releaseId && s.status === 'in-progress' && s.owner === ctx.opts.owner;
      if (!current || !ours || attempt > 1) {
        run.dirty = true;
        return preempted(ctx, run);
      }
      expectedVersion = current.version;
      continue;
    }
    if (outcome.status !== 'refused') return outcome;
    // Refused: the old colour cannot take the traffic back. For a release, that is a failure, not a no-op.
    const message = `Release ${run.state.releaseId} failed (${reason}), and ${outcome.message}`;
    return { ...outcome, status: 'failed', exitCode: 1, message, releaseId: run.state.releaseId, state: outcome.state ?? run.state, failedStep: failure?.step };
  }
}

/** A port threw during the rollback after a failed step: report it with the record, and what to run. */
function rollbackThrew(ctx: EngineContext, run: Run, reason: string, step: number | undefined, error: unknown): ReleaseOutcome {
  const s = run.state;
  const message =
    `Release ${s.releaseId} failed (${reason}), and rolling back to ${s.stable} failed too: ${(error as Error).message}. ` +
    `Traffic may still be split (last recorded ${describeProgress(s)}, ${formatWeights(stepWeights(s, s.stepIndex))}). ` +
    `Run 'bluegreen rollback' to send 100 % back to ${s.stable}.`;
  ctx.emit(ReleaseEventType.ROLLBACK_FAILED, message);
  return { status: 'failed', exitCode: 1, message, releaseId: s.releaseId, state: s, failedStep: step };
}

/**
 * Someone else wrote the record (abort, rollback, promote, or a takeover after our heartbeat lapsed): stop. If our
 * last change may have landed after theirs, restore what their record says (for a finished release only; a new
 * driver of a release in progress verifies weights itself).
 */
export async function preempted(ctx: EngineContext, run: Run): Promise<ReleaseOutcome> {
  const current = await ctx.ports.state.read();
  const winner = current?.state;
  const mine = winner?.releaseId === run.state.releaseId;
  const id = run.state.releaseId;
  let message: string;
  if (!winner) message = `The record of release ${id} disappeared`;
  else if (!mine) message = `Release ${id} was replaced by release ${winner.releaseId} (${winner.status}, ${winner.owner})`;
  else if (winner.status === 'in-progress' && winner.owner === ctx.opts.owner) message = `The record of release ${id} was changed by another process${because(winner)}`;
  else message = `Release ${id} is now ${winner.status} by ${winner.owner}${because(winner)}`;
  ctx.emit(ReleaseEventType.PREEMPTED, `${message}; this process stopped`);
  let weights;
  if (winner && mine && winner.status !== 'in-progress' && (run.dirty || run.touchedTest)) {
    const live = winner.status === 'succeeded' ? winner.candidate : winner.stable;
    const target = allTo(live);
    // Restoring may move weight back to `live`: never onto a target group with no healthy target (it fails open).
    const health = await ctx.ports.health.count(live);
    if (health.healthy === 0) {
      message += `; 100 % was not restored to ${live}, which has no healthy targets (${health.healthy}/${health.total}): fix it, then run rollback or promote`;
    } else {
      const seen = await setAndVerify(ctx, target);
      await pointTestRoute(ctx, otherColour(live));
      if (!seen) weights = target;
      message += seen ? `; restoring 100 % to ${live} could not be verified (read ${formatWeights(seen)})` : `; restored 100 % to ${live}`;
    }
  }
  return { status: 'preempted', exitCode: mine && winner.status === 'succeeded' ? 0 : 1, message: `${message}.`, releaseId: id, state: winner, weights };
}

function because(state: ReleaseState): string {
  return state.reason ? ` (${state.reason})` : '';
}
