import { UsageError } from './errors';
import { ReleaseEventType } from './events';
import { releaseInProgressError } from './lease';
import {
  AbortOptions,
  checkColour,
  ContractOptions,
  checkRequest,
  PromoteOptions,
  ReleaseEngineOptions,
  ReleaseRequest,
  ResolvedOptions,
  resolveOptions,
  RollbackOptions,
  ScaleDownOptions,
} from './options';
import { ReconcileOutcome, ReleaseOutcome } from './outcome';
import { buildPlan, ReleasePlan } from './plan';
import { ConcurrentReleaseError, ReleasePorts, ReleaseState } from './ports';
import { checkStagedImage, evaluatePreflight, observe, PreflightResult, withCheck } from './preflight';
import { buildStatus, ServiceStatus } from './status';
import { stepWeights } from './weights';
import { formatDuration } from './parsing';
import { approve } from './private/approve';
import { compact, EngineContext, newReleaseId, writeRecord } from './private/context';
import { contract } from './private/contract';
import { announceDeferred, checkHookBudget, deferredContractRuns } from './private/hooks';
import { promote } from './private/promote';
import { reconcile } from './private/reconcile';
import { resume } from './private/resume';
import { rollBack } from './private/rollback';
import { drive, Run } from './private/run';
import { scaleDown } from './private/scale-down';

/**
 * Releases one blue/green service: shifts the production weights to the idle colour step by step, verifies every
 * change by reading it back, gates every bake on the candidate's target health and alarms, and rolls back to the
 * warm old colour in one weight change.
 *
 * Every command is safe to run from a fresh process: the release record (compare-and-set) says where a release is,
 * and a crash between any two port calls is recovered with `resume()` or `rollback()`.
 *
 * @example
 * const engine = new ReleaseEngine(ports, { service: 'web', owner: `${os.hostname()}/${process.pid}` });
 * const outcome = await engine.release({ strategy: ReleaseStrategy.canary(10, 5 * 60_000) });
 * process.exitCode = outcome.exitCode;
 */
export class ReleaseEngine {
  private readonly ctx: EngineContext;

  /** @throws UsageError for invalid options */
  constructor(ports: ReleasePorts, options: ReleaseEngineOptions) {
    this.ctx = new EngineContext(ports, resolveOptions(options));
  }

  /** The options in effect, defaults applied. */
  public get options(): ResolvedOptions {
    return this.ctx.opts;
  }

  /**
   * What `release(request)` would do now, with the pre-flight checks as they stand. Reads only (8 calls).
   *
   * @throws UsageError for an invalid request
   */
  public async plan(request: ReleaseRequest): Promise<ReleasePlan> {
    this.checkReleaseRequest(request);
    const pre = evaluatePreflight(await observe(this.ctx.ports), request.candidate, this.ctx.now(), this.ctx.opts.allowZeroCapacity);
    return buildPlan(this.ctx.opts, request.strategy, (await this.withImageCheck(pre)).pre, {
      hooks: this.ctx.ports.hooks?.hooks,
      pauseBefore: request.pauseBefore,
      noPause: this.ctx.ports.exclusion !== undefined,
    });
  }

  /**
   * Release the idle colour: pre-flight, then every step (record, set, read back, record, bake with gates), then
   * promote. Returns `succeeded` (0), `refused` (1, nothing changed), `rolled-back` (1, 100 % back on the old
   * colour, verified), `preempted` or `failed` (1; also when a step failed and the rollback was refused because the
   * old colour has no healthy target, or threw: the message says to run rollback).
   *
   * Release hooks (`ports.hooks`) run at their points, once per release, each recorded `running` in the release
   * record before the call and its verdict after: `pre-release` after the claim, before any weight moves (failed or
   * inconclusive: `aborted`, 1, nothing moved); `step` after each step's bake and `pre-promotion` before the step
   * that makes the candidate 100 % (failed: rolled back; inconclusive: waits for approval); `post-promotion` after
   * the promotion is recorded (failed or inconclusive: rolled back to the old colour, still ready: `rolled-back`,
   * 1); `on-rollback` after any rollback (recorded; never changes the outcome). Contract hooks (command ones too)
   * are never run: recorded `deferred`, for `contract()`. Hooks of a point run in declaration order; the first that
   * does not pass decides. After hooks ran, the candidate's gate is polled again before weights move (or the
   * release is promoted): a failure right after the pre-release hooks aborts, else it rolls back. The write that
   * ends a release claims the post-promotion or on-rollback hooks its process runs next (`running`, with an owner
   * and a budget), so a crash before them leaves them to `resume`, and a second process leaves them alone.
   *
   * With `request.pauseBefore`, and after an inconclusive hook, the release records `awaitingApproval` and returns
   * `awaiting-approval` (1: the release has not finished; the CLI exits 8): it stays in progress at its current
   * weight, guarded by its gate alarms (the auto-rollback) and the reconciler, until `approve()` or `rollback()`.
   * A service with a standby Region (`ports.exclusion` given) never waits: `pauseBefore` is refused, and an
   * inconclusive hook counts as failed.
   *
   * Refused (1, nothing changed) when `request.releaseId` is the id of the release recorded last (the same
   * idempotency keys would replay its hooks' verdicts).
   *
   * @throws UsageError for an invalid request (also a `pauseBefore` outside the strategy's steps, or any with
   * `ports.exclusion`; and more hook runs than a release record keeps: steps × step hooks + the other hooks over
   * `MAX_HOOK_RUNS`, 200)
   * @throws ReleaseInProgressError when a release of the service is in progress or was interrupted
   */
  public async release(request: ReleaseRequest): Promise<ReleaseOutcome> {
    this.checkReleaseRequest(request);
    const ctx = this.ctx;
    const obs = await observe(ctx.ports);
    if (obs.stored?.state.status === 'in-progress') throw releaseInProgressError(obs.stored.state, ctx.now(), ctx.holderOf(obs.stored.state));
    if (request.releaseId !== undefined && request.releaseId === obs.stored?.state.releaseId) {
      // The same id gives the same idempotency keys: the hooks would answer with that release's verdicts.
      const message = `Release refused, nothing changed: ${request.releaseId} is the id of the last release of ${ctx.opts.service} (${obs.stored.state.status}); a release needs a new id (its hooks' idempotency keys are made from it).`;
      ctx.emit(ReleaseEventType.REFUSED, message);
      return { status: 'refused', exitCode: 1, message, weights: obs.weights, state: obs.stored.state };
    }
    const { pre, overridden } = await this.withImageCheck(evaluatePreflight(obs, request.candidate, ctx.now(), ctx.opts.allowZeroCapacity));
    if (!pre.ok || !pre.stable || !pre.candidate) {
      const failed = pre.checks.filter((c) => !c.ok);
      for (const c of failed) ctx.emit(ReleaseEventType.PREFLIGHT_FAILED, `Pre-flight ${c.name}: ${c.detail}`);
      const message = `Release refused, nothing changed: ${failed.map((c) => c.detail.replace(/\.$/, '')).join('; ')}.`;
      return { status: 'refused', exitCode: 1, message, checks: pre.checks, weights: obs.weights, state: obs.stored?.state };
    }
    ctx.emit(ReleaseEventType.PREFLIGHT_PASSED, `Pre-flight passed: ${pre.checks.map((c) => c.detail).join('; ')}`, { weights: obs.weights });
    if (overridden) ctx.emit(ReleaseEventType.UNDEPLOYED_IMAGE_ALLOWED, `Releasing what ${pre.candidate} runs now, although ${overridden}`);

    const now = ctx.now();
    const pauseBefore = [...new Set(request.pauseBefore ?? [])].sort((a, b) => a - b);
    const commandHooks = (ctx.ports.hooks?.hooks ?? []).filter((h) => h.kind === 'command' && !h.contract).map((h) => h.name);
    const claimed: ReleaseState = compact({
      releaseId: request.releaseId ?? newReleaseId(now),
      service: ctx.opts.service,
      status: 'in-progress',
      stable: pre.stable,
      candidate: pre.candidate,
      steps: [...request.strategy.steps],
      bakeMs: request.strategy.bakeMs,
      stepIndex: -1,
      ...ctx.ownership(),
      startedAt: now,
      updatedAt: now,
      pauseBefore: pauseBefore.length ? pauseBefore : undefined,
      commandHooks: commandHooks.length ? commandHooks : undefined,
    });
    const deferred = deferredContractRuns(ctx, claimed);
    const state = deferred.length ? { ...claimed, hooks: deferred } : claimed;
    const version = await this.claim(state, obs.stored?.version);
    const excluded = await ctx.ports.exclusion?.refusal();
    if (excluded !== undefined) return this.withdraw(state, version, excluded, pre.checks, obs.weights);
    const pauses = pauseBefore.length ? `; pauses for approval before step ${pauseBefore.map((i) => i + 1).join(', ')}` : '';
    ctx.emit(ReleaseEventType.RELEASE_STARTED, `Releasing ${state.candidate} (${state.releaseId}): ${request.strategy.describe()}${pauses}`, {
      weights: stepWeights(state, -1),
      steps: state.steps.length,
    });
    announceDeferred(ctx, state);
    return drive(ctx, new Run(ctx, state, version, pre.expectedHealthy, true));
  }

  /**
   * Continue an interrupted release from its last verified step: the weights are read and must match that step or
   * the next; the record is taken over, the gate polled, that step's weights set again and verified, and the step
   * bakes again in full. Another owner's release is taken over only once its heartbeat is older than its lease
   * (max(2 × bake, 60 s)). Returns `noop` (0) when nothing is in progress, `refused` (1) when the weights match
   * neither the recorded step nor the next, else as `release`.
   *
   * A hook recorded `running` (a crash during it) runs again with the same idempotency key; a hook with a verdict
   * is not run again (a recorded `failed` rolls back at once). Refused (1, nothing changed) for a release that awaits
   * approval (approve or roll back it), and when the release needs a hook this process was not given (a command
   * hook: the message names the flag to pass again). An ended release whose last hooks were cut short is finished:
   * a promoted one's post-promotion hooks (a failure rolls back while the old colour is ready), a rolled-back or
   * aborted one's rollback (weights set again) and its on-rollback hooks. Only the hooks the record knows are
   * unfinished (claimed by the write that ended it, cut short, or command hooks it was started with): never one
   * declared after it ended, nothing for a release withdrawn before any change, and not a hook another process runs
   * now (its `running` run younger than its budget: `refused`, left to it).
   *
   * @throws ReleaseInProgressError when another owner's release is still alive
   */
  public async resume(): Promise<ReleaseOutcome> {
    return resume(this.ctx);
  }

  /**
   * Continue a release that waits for approval (a declared pause or an inconclusive hook): checks that this process
   * has the hooks it still needs, that the weights are those of the recorded step, and one gate poll of the
   * candidate; then clears `awaitingApproval` (and that step from `pauseBefore`) in one compare-and-set write that
   * takes the release over, and drives on from where it waited: the hooks of that point not yet run, then the next
   * step (or promotion). Returns `noop` (0) when nothing waits, `refused` (1, nothing changed) when a check fails
   * (a failing gate: roll back, or approve again once it passes), else as `release` (another pause:
   * `awaiting-approval`).
   */
  public async approve(): Promise<ReleaseOutcome> {
    return approve(this.ctx);
  }

  /**
   * Run the service's contract hooks for the last succeeded release, once its old colour is in standby (it can no
   * longer take traffic back): `scaledDownAt` recorded, desired capacity 0, no weight. Refused (1, nothing run)
   * before then, with when it will be allowed (after `scaleDownAt`, once `bluegreen scale-down` has run), and for a
   * release in progress, rolled back or aborted. `noop` (0) when there is no contract hook or they all passed for
   * this release; with `dryRun`, `noop` (0) saying what would run. Otherwise each contract hook not yet passed runs
   * in declaration order (recorded in `contracts`: `running` first, then its verdict; timeout and retries as at
   * release points; a crashed run runs again with the same key): `succeeded` (0) when all pass, `failed` (1) at
   * the first that does not (the rest are not run; contract again runs what did not pass).
   *
   * Only the hooks that release recorded `deferred` run: a command hook given here that it did not defer is refused
   * (1, nothing run), a declared one it did not defer is skipped with a note (refused when none is left); after a
   * colour was promoted by hand (which defers nothing) every contract hook is refused. Refused too while
   * `ports.exclusion` objects (a disaster-recovery operation), and while another process runs a hook (its
   * `running` run younger than its budget, timeout × attempts + 30 s).
   */
  public async contract(options: ContractOptions = {}): Promise<ReleaseOutcome> {
    return contract(this.ctx, options.dryRun ?? false);
  }

  /**
   * Make the candidate live now: 100 % (one set, read back), the test route on the old colour, the record
   * `succeeded` with `scaleDownAt`. Skips any remaining steps and bakes; preempts the process driving the release.
   * With no release in progress, `options.colour` is made live (for split weights). Refused (1) unless the colour
   * has capacity, every expected target healthy and no gate alarm firing.
   *
   * Promote overrides a release's remaining pauses and its step and pre-promotion hooks; it refuses a release whose
   * pre-release hooks have not passed (resume runs them), and runs the post-promotion hooks after it (a failure
   * rolls back).
   *
   * @throws UsageError for an invalid colour
   */
  public async promote(options: PromoteOptions = {}): Promise<ReleaseOutcome> {
    checkColour(options.colour, 'colour');
    return promote(this.ctx, options.colour);
  }

  /**
   * Send 100 % back to the last good colour in one weight change and verify it: 3 round trips to verified 100 %
   * (the record and both colours' target health read at once; set; read back: 5 port calls), then the test route
   * is pointed at the candidate, the record written, and the weights read once more (a late change from another
   * process is undone once). Preempts the process driving the release. Also rolls back a promoted release while
   * its old colour is still ready (the record is written first there: 4 round trips), and re-applies an already
   * rolled-back or aborted release (finishes a crashed rollback, or undoes a late weight change).
   *
   * Refused (1) when the last good colour has no healthy target: an ALB target group with no healthy target fails
   * open, so the weights are left as they are, and a release in progress gets the reason in its record.
   *
   * Returns `rolled-back` (0), `refused` (1) or `failed` (1, not verified after 3 attempts).
   *
   * Once verified and recorded, the on-rollback hooks of the release not yet run (or cut short) run, on the ended
   * record; their verdicts are recorded and never change the outcome (a failure is added to its message). They run
   * after `rollbackDeadlineMs`' part: the deadline bounds the traffic change only.
   */
  public async rollback(options: RollbackOptions = {}): Promise<ReleaseOutcome> {
    this.announceRollback('Rolling back');
    return rollBack(this.ctx, {
      status: 'rolled-back',
      reason: options.reason ?? `rollback requested by ${this.ctx.opts.owner}`,
      exitCode: 0,
      inProgressOnly: false,
      allowAfterPromotion: options.allowAfterPromotion ?? true,
    });
  }

  /**
   * Stop the release in progress and roll it back, as `rollback`, recording `aborted`. Returns `aborted` (0),
   * `refused` (1, no release in progress, or the old colour has no healthy target) or `failed` (1).
   */
  public async abort(options: AbortOptions = {}): Promise<ReleaseOutcome> {
    this.announceRollback('Aborting');
    return rollBack(this.ctx, {
      status: 'aborted',
      reason: options.reason ?? `aborted by ${this.ctx.opts.owner}`,
      exitCode: 0,
      inProgressOnly: true,
      allowAfterPromotion: false,
    });
  }

  /**
   * Put the old colour of a promoted release in standby once `scaleDownAt` has passed (or now, with `force`; with
   * `force` also the idle candidate after a rollback). The record is always compare-and-set first (`scaledDownAt`,
   * a fence that keeps a release of that colour out for a minute), then the record and weights are read again, and
   * only then is the capacity changed. Returns `scaled-down` (0), `not-due` (0), `noop` (0) or `refused` (1: a
   * release is in progress or started meanwhile, the record changed, or the colour takes traffic). `not-due` also
   * while a post-promotion hook of the release runs (its `running` run younger than its budget), forced or not: a
   * failure would roll back to the old colour.
   */
  public async scaleDown(options: ScaleDownOptions = {}): Promise<ReleaseOutcome> {
    return scaleDown(this.ctx, options.force ?? false);
  }

  /**
   * One pass of a periodic reconciler, safe from any process at any time (no driver needed). `action` names the
   * repair made:
   *
   * - `restored`: a rolled-back or aborted release whose weights moved afterwards (a dead driver's late
   *   `setWeights`) gets 100 % on its stable colour again, verified (status `rolled-back` / `aborted`); a
   *   promoted one gets 100 % on its promoted colour again (`succeeded`), unless that colour has no healthy target or
   *   a gate alarm firing (`refused`).
   * - `rolled-back`: a release in progress whose heartbeat is older than its lease, and whose candidate has a gate
   *   alarm firing or fewer healthy targets than its desired capacity, is rolled back (`rolled-back`). A release
   *   that awaits approval is checked the same way on every pass, whatever its heartbeat (no driver polls it while
   *   it waits): left as it is while its gate passes, rolled back when it fails.
   * - `scaled-down`: the old colour of a promoted release past `scaleDownAt` goes to standby, unless a gate alarm
   *   fires on the promoted colour (`scaled-down`).
   * - `none`: nothing to do (`noop` or `not-due`, 0), or the repair was refused or failed (`refused` / `failed`, 1:
   *   for example a rollback onto a colour with no healthy target).
   *
   * Every repair applies only while the record is still the version read, so a record written meanwhile by another
   * process wins (`noop`).
   */
  public async reconcile(): Promise<ReconcileOutcome> {
    return reconcile(this.ctx);
  }

  /**
   * Weights, test route, each colour's health, capacity and alarms, the release record and warnings; a release
   * awaiting approval (and for how long), and the hook runs of the release in the record. Reads only.
   */
  public async status(): Promise<ServiceStatus> {
    const [obs, testTarget] = await Promise.all([observe(this.ctx.ports), this.ctx.ports.traffic.getTestTarget()]);
    const release = obs.stored?.state;
    const holder = release?.status === 'in-progress' ? this.ctx.holderOf(release) : undefined;
    return buildStatus(this.ctx.opts.service, obs, testTarget, this.ctx.now(), holder);
  }

  /**
   * `checkRequest`, and what this engine's ports add: the release record must hold its hook runs
   * (`MAX_HOOK_RUNS`), and a service with a standby Region (`ports.exclusion`) cannot pause.
   *
   * @throws UsageError
   */
  private checkReleaseRequest(request: ReleaseRequest): void {
    checkRequest(request);
    checkHookBudget(this.ctx.ports.hooks?.hooks, request.strategy.steps.length);
    if (this.ctx.ports.exclusion && (request.pauseBefore?.length ?? 0) > 0) {
      throw new UsageError('pauses are not supported with a standby Region yet; release without --pause-before');
    }
  }

  /**
   * Pre-flight with `candidate-image` added, when the engine was given staged images and a candidate is known;
   * `overridden` is the check's detail when `allowUndeployedImage` let a failed comparison pass.
   */
  private async withImageCheck(pre: PreflightResult): Promise<{ pre: PreflightResult; overridden?: string }> {
    const { opts, ports } = this.ctx;
    if (!pre.candidate || !opts.stagedImages) return { pre };
    const check = await checkStagedImage(ports.images, opts.stagedImages, pre.candidate, opts.allowUndeployedImage);
    return { pre: withCheck(pre, check), overridden: check?.overridden ? check.detail : undefined };
  }

  /** The event before a rollback's first call: progress shows at once, with the deadline. */
  private announceRollback(verb: string): void {
    const ctx = this.ctx;
    ctx.emit(
      ReleaseEventType.ROLLBACK_REQUESTED,
      `${verb} ${ctx.opts.service}: reading the release record and both colours' target health (finishes or gives up within ${formatDuration(ctx.opts.rollbackDeadlineMs)})`,
    );
  }

  /**
   * A release that claimed its record but is excluded (a failover or drill started at the same moment): nothing was
   * changed, so the record is closed as aborted with the reason, and the release is refused.
   */
  private async withdraw(state: ReleaseState, version: number, reason: string, checks: ReleaseOutcome['checks'], weights: ReleaseOutcome['weights']): Promise<ReleaseOutcome> {
    const ctx = this.ctx;
    const message = `Release refused, nothing changed: ${reason.replace(/\.$/, '')}.`;
    // Nothing moved and no hook ran: no on-rollback hook is due (without `commandHooks`, none is ever run for it).
    const withdrawn = compact({ ...state, status: 'aborted', reason: `withdrawn before any change: ${reason}`, updatedAt: ctx.now(), commandHooks: undefined });
    await writeRecord(ctx, withdrawn, version);
    ctx.emit(ReleaseEventType.PREFLIGHT_FAILED, `Withdrawn after claiming the release record: ${reason}`);
    return { status: 'refused', exitCode: 1, message, checks, weights };
  }

  /** Write the new release record; a concurrent writer means another release started first. */
  private async claim(state: ReleaseState, expectedVersion: number | undefined): Promise<number> {
    try {
      return await writeRecord(this.ctx, state, expectedVersion);
    } catch (e) {
      if (!(e instanceof ConcurrentReleaseError)) throw e;
      const current = await this.ctx.ports.state.read();
      if (current?.state.status === 'in-progress') throw releaseInProgressError(current.state, this.ctx.now(), this.ctx.holderOf(current.state));
      throw new ConcurrentReleaseError(`The release record of ${this.ctx.opts.service} changed during pre-flight; run release again.`);
    }
  }
}
