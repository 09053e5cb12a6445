import { HookPointName } from '../../lib/contract';

/**
 * Where in a release a hook runs. Hooks run once per release, by whoever drives it (the `bluegreen` CLI, or the
 * automatic rollback for `ON_ROLLBACK`), never once per instance.
 *
 * @example
 * ReleaseHook.lambdaFunction(expand, { name: 'expand-schema', point: HookPoint.PRE_RELEASE });
 */
export class HookPoint {
  /**
   * After the release claims its record, before any weight moves: expand (additive) migrations. A failure ends the
   * release `aborted` with nothing moved.
   */
  public static readonly PRE_RELEASE = new HookPoint('pre-release');
  /**
   * After each step's bake: a custom analysis. `failed` rolls back; `inconclusive` pauses the release at its current
   * weight for a person to approve or roll back.
   */
  public static readonly STEP = new HookPoint('step');
  /** Before the candidate is made live at 100 %. `failed` rolls back; `inconclusive` awaits approval. */
  public static readonly PRE_PROMOTION = new HookPoint('pre-promotion');
  /**
   * After promotion, while the old colour is still warm: a failure rolls back to it. Contract hooks
   * (`contract: true`) are declared here and run later, by `bluegreen contract <service>`.
   */
  public static readonly POST_PROMOTION = new HookPoint('post-promotion');
  /** After a rollback, by the CLI or the automatic rollback. Its result is recorded; it never blocks the rollback. */
  public static readonly ON_ROLLBACK = new HookPoint('on-rollback');

  /** Every hook point, in the order a release meets them. */
  public static all(): HookPoint[] {
    return [HookPoint.PRE_RELEASE, HookPoint.STEP, HookPoint.PRE_PROMOTION, HookPoint.POST_PROMOTION, HookPoint.ON_ROLLBACK];
  }

  /** Name in the descriptor and the release record, e.g. `pre-release`. */
  public readonly name: string;

  private constructor(name: HookPointName) {
    this.name = name;
  }

  public toString(): string {
    return this.name;
  }
}
