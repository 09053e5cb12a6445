import { ResolvedOptions } from './options';
import { PreflightCheck } from './outcome';
import { formatDuration } from './parsing';
import { HookPointName } from '../contract';
import { ColourName, ReleaseHook, Weights } from './ports';
import { PreflightResult } from './preflight';
import { ReleaseStrategy } from './strategy';
import { formatWeights, weightsAt } from './weights';

/** One step a release would take. */
export interface PlannedStep {
  /** 1-based. */
  readonly step: number;
  /** The candidate's share. */
  readonly candidatePercent: number;
  /** The weights the step sets; absent when no colour is live (the release would be refused). */
  readonly weights?: Weights;
  /** How long the step bakes, milliseconds. */
  readonly bakeMs: number;
}

/** What `release` would do, from `plan()` (a dry run: nothing is changed). */
export interface ReleasePlan {
  readonly service: string;
  /** The strategy, described in one line. */
  readonly strategy: string;
  /** The live colour now (where a rollback goes). */
  readonly stable?: ColourName;
  /** The colour that would be released. */
  readonly candidate?: ColourName;
  /** Whether every pre-flight check passes now, so `release` would start. */
  readonly ready: boolean;
  /** Pre-flight checks as they stand now. */
  readonly checks: PreflightCheck[];
  readonly steps: PlannedStep[];
  /** Every intended action, one line each, in order. */
  readonly actions: string[];
  /** Shortest time to promotion: the sum of the bake times. */
  readonly minimumDurationMs: number;
  readonly pollIntervalMs: number;
  readonly scaleDownDelayMs: number;
}

/** Hooks and pauses of a planned release. */
export interface PlanExtras {
  /** The hooks the engine was given. */
  readonly hooks?: readonly ReleaseHook[];
  /** 0-based steps to pause before. */
  readonly pauseBefore?: readonly number[];
  /** A release that never waits for approval (a service with a standby Region): inconclusive counts as failed. */
  readonly noPause?: boolean;
}

/** `migrate (lambda, 30s timeout, 2 retries)`. */
function hookList(hooks: readonly ReleaseHook[]): string {
  return hooks.map((h) => `${h.name} (${h.kind}, ${formatDuration(h.timeoutMs)} timeout${h.retries ? `, ${h.retries} retr${h.retries === 1 ? 'y' : 'ies'}` : ''})`).join(', ');
}

/** The plan of a release with `strategy`, given the pre-flight verdict. */
export function buildPlan(opts: ResolvedOptions, strategy: ReleaseStrategy, pre: PreflightResult, extras: PlanExtras = {}): ReleasePlan {
  const { stable, candidate } = pre;
  const n = strategy.steps.length;
  const steps: PlannedStep[] = strategy.steps.map((p, i) => ({
    step: i + 1,
    candidatePercent: p,
    ...(stable ? { weights: weightsAt(stable, p) } : {}),
    bakeMs: strategy.bakeMs,
  }));
  const cand = candidate ?? 'the candidate';
  const actions = pre.checks.map((c) => `check ${c.name}: ${c.ok ? 'ok' : 'FAILS'} (${c.detail})`);
  if (!pre.ok) actions.push('refuse: a pre-flight check fails; nothing would change');
  actions.push(`write the release record (in progress, ${strategy.describe()})`);
  const at = (point: HookPointName) => (extras.hooks ?? []).filter((h) => h.point === point && !h.contract);
  const contracts = (extras.hooks ?? []).filter((h) => h.contract);
  if (contracts.length) {
    actions.push(`record the contract hooks ${contracts.map((h) => h.name).join(', ')} deferred: never run during the release; \`bluegreen contract ${opts.service}\` runs them once ${stable ?? 'the old colour'} is in standby`);
  }
  const pausing = extras.noPause
    ? 'counts as failed (a service with a standby Region does not wait for approval)'
    : 'wait for approval at the current weight (still in progress and guarded; `bluegreen approve` goes on)';
  if (at('pre-release').length) {
    actions.push(`run the pre-release hooks ${hookList(at('pre-release'))}: failed or inconclusive aborts the release with nothing moved`);
  }
  for (const s of steps) {
    const to = s.weights ? formatWeights(s.weights) : `${s.candidatePercent} % to ${cand}`;
    if (extras.pauseBefore?.includes(s.step - 1)) actions.push(`pause before step ${s.step}/${n}: ${pausing}`);
    if (s.step === n && at('pre-promotion').length) {
      actions.push(`run the pre-promotion hooks ${hookList(at('pre-promotion'))}: failed rolls back; inconclusive: ${pausing}`);
    }
    actions.push(
      `step ${s.step}/${n}: record, set ${to}, read back (at most ${opts.verifyAttempts} reads), ` +
        `bake ${formatDuration(s.bakeMs)} polling ${cand}'s target health and gate alarms every ${formatDuration(opts.pollIntervalMs)}; ` +
        `on failure set 100 % to ${stable ?? 'the live colour'} in one call and read back`,
    );
    if (at('step').length) actions.push(`run the step hooks ${hookList(at('step'))} (step ${s.step}): failed rolls back; inconclusive: ${pausing}`);
  }
  actions.push(`promote: point the test route at ${stable ?? 'the old colour'}; record the release as succeeded`);
  if (at('post-promotion').length) {
    actions.push(`run the post-promotion hooks ${hookList(at('post-promotion'))}: failed or inconclusive rolls back to ${stable ?? 'the old colour'}, still ready`);
  }
  if (at('on-rollback').length) actions.push(`after any rollback, run the on-rollback hooks ${hookList(at('on-rollback'))} (recorded; they never change the rollback)`);
  actions.push(`keep ${stable ?? 'the old colour'} ready for ${formatDuration(opts.scaleDownDelayMs)}, then scale-down puts it in standby`);
  return {
    service: opts.service,
    strategy: strategy.describe(),
    stable,
    candidate,
    ready: pre.ok,
    checks: pre.checks,
    steps,
    actions,
    minimumDurationMs: strategy.totalBakeMs,
    pollIntervalMs: opts.pollIntervalMs,
    scaleDownDelayMs: opts.scaleDownDelayMs,
  };
}
