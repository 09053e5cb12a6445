import { ReleaseEventType } from './events';
import { releaseInProgressError } from './lease';
import {
  AbortOptions,
  checkColour,
  checkRequest,
  PromoteOptions,
  ReleaseEngineOptions,
  ReleaseRequest,
  ResolvedOptions,
  resolveOptions,
  RollbackOptions,
  ScaleDownOptions,
} from './options';
import { ReleaseOutcome } from './outcome';
import { buildPlan, ReleasePlan } from './plan';
import { ConcurrentReleaseError, ReleasePorts, ReleaseState } from './ports';
import { evaluatePreflight, observe } from './preflight';
import { buildStatus, ServiceStatus } from './status';
import { stepWeights } from './weights';
import { EngineContext, newReleaseId } from './private/context';
import { promote } from './private/promote';
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
    const pre = evaluatePreflight(await observe(this.ctx.ports), request.candidate, this.ctx.now());
    return buildPlan(this.ctx.opts, request.strategy, pre);
  }

  /**
   * Release the idle colour: pre-flight, then every step (record, set, read back, record, bake with gates), then
   * promote. Returns `succeeded` (0), `refused` (1, nothing changed), `rolled-back` (1, 100 % back on the old
   * colour, verified), `preempted` or `failed` (1).
   *
   * @throws UsageError for an invalid request
   * @throws ReleaseInProgressError when a release of the service is in progress or was interrupted
   */
  public async release(request: ReleaseRequest): Promise<ReleaseOutcome> {
    checkRequest(request);
    const ctx = this.ctx;
    const obs = await observe(ctx.ports);
    if (obs.stored?.state.status === 'in-progress') throw releaseInProgressError(obs.stored.state, ctx.now());
    const pre = evaluatePreflight(obs, request.candidate, ctx.now());
    if (!pre.ok || !pre.stable || !pre.candidate) {
      const failed = pre.checks.filter((c) => !c.ok);
      for (const c of failed) ctx.emit(ReleaseEventType.PREFLIGHT_FAILED, `Pre-flight ${c.name}: ${c.detail}`);
      const message = `Release refused, nothing changed: ${failed.map((c) => c.detail).join('; ')}.`;
      return { status: 'refused', exitCode: 1, message, checks: pre.checks, weights: obs.weights, state: obs.stored?.state };
    }
    ctx.emit(ReleaseEventType.PREFLIGHT_PASSED, `Pre-flight passed: ${pre.checks.map((c) => c.detail).join('; ')}`, { weights: obs.weights });

    const now = ctx.now();
    const state: ReleaseState = {
      releaseId: request.releaseId ?? newReleaseId(now),
      service: ctx.opts.service,
      status: 'in-progress',
      stable: pre.stable,
      candidate: pre.candidate,
      steps: [...request.strategy.steps],
      bakeMs: request.strategy.bakeMs,
      stepIndex: -1,
      owner: ctx.opts.owner,
      startedAt: now,
      updatedAt: now,
    };
    const version = await this.claim(state, obs.stored?.version);
    ctx.emit(ReleaseEventType.RELEASE_STARTED, `Releasing ${state.candidate} (${state.releaseId}): ${request.strategy.describe()}`, {
      weights: stepWeights(state, -1),
      steps: state.steps.length,
    });
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
   * Send 100 % back to the last good colour in one weight change and verify it: 3 port calls to verified 100 %
   * (read record, set, read back), then the test route is pointed at the candidate and the record written.
   * Preempts the process driving the release. Also rolls back a promoted release while its old colour is still
   * ready (the record is written first there, and the old colour's health is checked: 5 calls), and re-applies
   * an already rolled-back release (finishes a crashed rollback). Returns `rolled-back` (0), `refused` (1) or
   * `failed` (1, not verified after 3 attempts).
   */
  public async rollback(options: RollbackOptions = {}): Promise<ReleaseOutcome> {
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
   * `refused` (1, no release in progress) or `failed` (1).
   */
  public async abort(options: AbortOptions = {}): Promise<ReleaseOutcome> {
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
   * `force` also the idle candidate after a rollback). Returns `scaled-down` (0), `not-due` (0), `noop` (0) or
   * `refused` (1: a release is in progress, or the colour takes traffic).
   */
  public async scaleDown(options: ScaleDownOptions = {}): Promise<ReleaseOutcome> {
    return scaleDown(this.ctx, options.force ?? false);
  }

  /** Weights, test route, each colour's health, capacity and alarms, the release record and warnings. Reads only. */
  public async status(): Promise<ServiceStatus> {
    const [obs, testTarget] = await Promise.all([observe(this.ctx.ports), this.ctx.ports.traffic.getTestTarget()]);
    return buildStatus(this.ctx.opts.service, obs, testTarget, this.ctx.now());
  }

  /** Write the new release record; a concurrent writer means another release started first. */
  private async claim(state: ReleaseState, expectedVersion: number | undefined): Promise<number> {
    try {
      return await this.ctx.ports.state.write(state, expectedVersion);
    } catch (e) {
      if (!(e instanceof ConcurrentReleaseError)) throw e;
      const current = await this.ctx.ports.state.read();
      if (current?.state.status === 'in-progress') throw releaseInProgressError(current.state, this.ctx.now());
      throw new ConcurrentReleaseError(`The release record of ${this.ctx.opts.service} changed during pre-flight; run release again.`);
    }
  }
}
