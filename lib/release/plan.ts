import { ResolvedOptions } from './options';
import { PreflightCheck } from './outcome';
import { formatDuration } from './parsing';
import { ColourName, Weights } from './ports';
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

/** The plan of a release with `strategy`, given the pre-flight verdict. */
export function buildPlan(opts: ResolvedOptions, strategy: ReleaseStrategy, pre: PreflightResult): ReleasePlan {
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
  for (const s of steps) {
    const to = s.weights ? formatWeights(s.weights) : `${s.candidatePercent} % to ${cand}`;
    actions.push(
      `step ${s.step}/${n}: record, set ${to}, read back (at most ${opts.verifyAttempts} reads), ` +
        `bake ${formatDuration(s.bakeMs)} polling ${cand}'s target health and gate alarms every ${formatDuration(opts.pollIntervalMs)}; ` +
        `on failure set 100 % to ${stable ?? 'the live colour'} in one call and read back`,
    );
  }
  actions.push(`promote: point the test route at ${stable ?? 'the old colour'}; record the release as succeeded`);
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
