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
import { announceDeferred, deferredContractRuns } from './private/hooks';
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
    checkRequest(request);
    const pre = evaluatePreflight(await observe(this.ctx.ports), request.candidate, this.ctx.now(), this.ctx.opts.allowZeroCapacity);
    return buildPlan(this.ctx.opts, request.strategy, (await this.withImageCheck(pre)).pre);
  }

  /**
   * Release the idle colour: pre-flight, then every step (record, set, read back, record, bake with gates), then
   * promote. Returns `succeeded` (0), `refused` (1, nothing changed), `rolled-back` (1, 100 % back on the old
   * colour, verified), `preempted` or `failed` (1; also when a step failed and the rollback was refused because the
   * old colour has no healthy target, or threw: the message says to run rollback).
   *
   * @throws UsageError for an invalid request
   * @throws ReleaseInProgressError when a release of the service is in progress or was interrupted
   */
  public async release(request: ReleaseRequest): Promise<ReleaseOutcome> {
    checkRequest(request);
    const ctx = this.ctx;
    const obs = await observe(ctx.ports);
    if (obs.stored?.state.status === 'in-progress') throw releaseInProgressError(obs.stored.state, ctx.now(), ctx.holderOf(obs.stored.state));
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
   * @throws ReleaseInProgressError when another owner's release is still alive
   */
  public async resume(): Promise<ReleaseOutcome> {
    return resume(this.ctx);
  }

  /**
   * Continue a release that waits for approval (a declared pause or an inconclusive step hook): clears
   * `awaitingApproval`, polls the gate, and drives on from the next step as `resume` would. Returns `noop` (0) when
   * nothing waits, `refused` when the gate fails (nothing changed: roll back or wait), else as `release`.
   */
  public async approve(): Promise<ReleaseOutcome> {
    return approve(this.ctx);
  }

  /**
   * Run the service's contract hooks for the last succeeded release, once its old colour is in standby (it can no
   * longer take traffic back). Refused (nothing run) before then, with when it will be allowed; `noop` when there
   * is no contract hook or they all passed already for this release. Results go into the record's `contracts`.
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
   * release is in progress or started meanwhile, the record changed, or the colour takes traffic).
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
   *   alarm firing or fewer healthy targets than its desired capacity, is rolled back (`rolled-back`).
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

  /** Weights, test route, each colour's health, capacity and alarms, the release record and warnings. Reads only. */
  public async status(): Promise<ServiceStatus> {
    const [obs, testTarget] = await Promise.all([observe(this.ctx.ports), this.ctx.ports.traffic.getTestTarget()]);
    const release = obs.stored?.state;
    const holder = release?.status === 'in-progress' ? this.ctx.holderOf(release) : undefined;
    return buildStatus(this.ctx.opts.service, obs, testTarget, this.ctx.now(), holder);
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
    await writeRecord(ctx, { ...state, status: 'aborted', reason: `withdrawn before any change: ${reason}`, updatedAt: ctx.now() }, version);
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
