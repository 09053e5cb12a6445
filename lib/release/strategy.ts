import { checkDurationMs, checkSteps, checkWhole, formatDuration } from './parsing';

/** How a strategy was built; for display and `--json`. */
export type StrategyKind = 'all-at-once' | 'canary' | 'linear' | 'steps';

/**
 * How a release moves traffic to the candidate: the candidate's share at each step and how long each step bakes.
 *
 * Every step, the last (100 %) included, bakes for `bakeMs` while the engine polls the candidate's health and
 * alarms; the release is promoted when the last bake passes.
 *
 * @example
 * ReleaseStrategy.canary(10, 5 * 60_000);      // 10 %, bake 5 min, then 100 %, bake 5 min
 * ReleaseStrategy.linear(25, 2 * 60_000);      // 25, 50, 75, 100 %, 2 min each
 * ReleaseStrategy.explicitSteps();             // 10, 25, 50, 75, 100 %, 5 min each
 */
export class ReleaseStrategy {
  /** Steps of `explicitSteps()` when none are given. */
  public static readonly DEFAULT_STEPS: readonly number[] = Object.freeze([10, 25, 50, 75, 100]);
  /** Bake time per step of `canary` and `explicitSteps` when none is given: 5 minutes. */
  public static readonly DEFAULT_BAKE_MS = 5 * 60_000;
  /** Longest bake time per step: 24 hours. */
  public static readonly MAX_BAKE_MS = 24 * 3_600_000;

  /**
   * 100 % in one step, like CodeDeploy's AllAtOnce, then bake before promotion.
   *
   * @param bakeMs how long 100 % bakes before promotion (gates are checked at least once)
   * @default bakeMs 0
   */
  public static allAtOnce(bakeMs = 0): ReleaseStrategy {
    return new ReleaseStrategy('all-at-once', [100], bakeMs, 'bakeMs');
  }

  /**
   * `percent` of traffic, bake, then 100 % and bake.
   *
   * @param percent the canary's share, 1 to 99
   * @default bakeMs ReleaseStrategy.DEFAULT_BAKE_MS (5 minutes)
   */
  public static canary(percent: number, bakeMs = ReleaseStrategy.DEFAULT_BAKE_MS): ReleaseStrategy {
    checkWhole(percent, 'canary percent', 1, 99);
    return new ReleaseStrategy('canary', [percent, 100], bakeMs, 'bakeMs');
  }

  /**
   * `stepPercent` more traffic every `intervalMs` until 100 % (30 gives 30, 60, 90, 100).
   *
   * @param stepPercent the increment, 1 to 100
   * @param intervalMs bake time of each step
   */
  public static linear(stepPercent: number, intervalMs: number): ReleaseStrategy {
    checkWhole(stepPercent, 'linear stepPercent', 1, 100);
    const steps: number[] = [];
    for (let p = stepPercent; p < 100; p += stepPercent) steps.push(p);
    steps.push(100);
    return new ReleaseStrategy('linear', steps, intervalMs, 'linear intervalMs');
  }

  /**
   * The candidate's share at each step, as given.
   *
   * @param steps whole percentages from 1 to 100, strictly increasing, ending at 100
   * @default steps ReleaseStrategy.DEFAULT_STEPS (10, 25, 50, 75, 100)
   * @default bakeMs ReleaseStrategy.DEFAULT_BAKE_MS (5 minutes)
   */
  public static explicitSteps(
    steps: readonly number[] = ReleaseStrategy.DEFAULT_STEPS,
    bakeMs = ReleaseStrategy.DEFAULT_BAKE_MS,
  ): ReleaseStrategy {
    checkSteps(steps, 'steps');
    return new ReleaseStrategy('steps', [...steps], bakeMs, 'bakeMs');
  }

  /** The candidate's share at each step, ending at 100. */
  public readonly steps: readonly number[];

  private constructor(
    /** How the strategy was built. */
    public readonly kind: StrategyKind,
    steps: number[],
    /** Bake time of every step, milliseconds. */
    public readonly bakeMs: number,
    bakeName: string,
  ) {
    checkDurationMs(bakeMs, bakeName, 0, ReleaseStrategy.MAX_BAKE_MS);
    this.steps = Object.freeze(steps);
  }

  /** Sum of the bake times: the shortest time the release can take. */
  public get totalBakeMs(): number {
    return this.bakeMs * this.steps.length;
  }

  /** One line for humans: `canary 10 % then 100 %, bake 5m per step`. */
  public describe(): string {
    const bake = `bake ${formatDuration(this.bakeMs)} per step`;
    switch (this.kind) {
      case 'all-at-once':
        return `all at once, bake ${formatDuration(this.bakeMs)}`;
      case 'canary':
        return `canary ${this.steps[0]} % then 100 %, ${bake}`;
      case 'linear':
        return `linear ${this.steps[0]} % every ${formatDuration(this.bakeMs)} (${this.steps.join(', ')} %)`;
      default:
        return `steps ${this.steps.join(', ')} %, ${bake}`;
    }
  }

  public toString(): string {
    return this.describe();
  }
}
