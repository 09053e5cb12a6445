import { Duration } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import { propError } from '../private/validate';

/** Options of a gradual flag rollout. */
export interface FeatureFlagRolloutOptions {
  /**
   * Percentage of the instances (1 to 100) that get the change at each step (linear), or the growth factor
   * (exponential: step N serves `stepPercent` × 2^N %).
   *
   * @default 20
   */
  readonly stepPercent?: number;
  /**
   * Time over which the change reaches every instance, in whole minutes (0 to 1440).
   *
   * @default Duration.minutes(10)
   */
  readonly duration?: Duration;
  /**
   * Time AppConfig keeps watching the monitor after the change reached every instance, in whole minutes (0 to
   * 1440); a gate in ALARM during it rolls the change back.
   *
   * @default Duration.minutes(5)
   */
  readonly bake?: Duration;
}

/**
 * How `bluegreen flags set --gradual` rolls a flag change out: AppConfig's deployment strategy, watched by the
 * service's gates.
 *
 * The default (linear, 20 % a step, over 10 minutes, 5 minutes' bake) shows a bad flag on a fifth of the instances
 * for two minutes before the next step, and ends within a quarter of an hour, a release's own bake order of magnitude.
 */
export class FeatureFlagRollout {
  /** The default: linear, 20 % a step, over 10 minutes, then 5 minutes' bake. */
  public static readonly DEFAULT = FeatureFlagRollout.linear();

  /** The same share of instances at each step. */
  public static linear(options: FeatureFlagRolloutOptions = {}): FeatureFlagRollout {
    return new FeatureFlagRollout('linear', options);
  }

  /** Steps growing exponentially: `stepPercent` × 2^N % of the instances at step N. */
  public static exponential(options: FeatureFlagRolloutOptions = {}): FeatureFlagRollout {
    return new FeatureFlagRollout('exponential', options);
  }

  /** `linear` or `exponential`. */
  public readonly growthType: string;
  /** Percentage per step (linear) or growth factor (exponential). */
  public readonly stepPercent: number;
  /** Time over which the change reaches every instance. */
  public readonly duration: Duration;
  /** Time the monitor is watched after that. */
  public readonly bake: Duration;

  private constructor(growthType: string, options: FeatureFlagRolloutOptions) {
    this.growthType = growthType;
    this.stepPercent = options.stepPercent ?? 20;
    this.duration = options.duration ?? Duration.minutes(10);
    this.bake = options.bake ?? Duration.minutes(5);
    const step = this.stepPercent;
    if (!Number.isFinite(step) || step < 1 || step > 100) {
      throw propError('stepPercent', step, 'must be a percentage from 1 to 100 (AppConfig\'s growth factor).');
    }
    checkMinutes('duration', this.duration);
    checkMinutes('bake', this.bake);
  }

  /**
   * AppConfig's rollout strategy.
   *
   * @internal
   */
  public _rolloutStrategy(): appconfig.RolloutStrategy {
    const props = { growthFactor: this.stepPercent, deploymentDuration: this.duration, finalBakeTime: this.bake };
    return this.growthType === 'linear' ? appconfig.RolloutStrategy.linear(props) : appconfig.RolloutStrategy.exponential(props);
  }
}

/** AppConfig counts both times in whole minutes, 0 to 1440 (a day). */
function checkMinutes(prop: string, value: Duration): void {
  if (value.isUnresolved()) return;
  const seconds = value.toSeconds();
  if (seconds % 60 !== 0 || seconds < 0 || seconds > 1440 * 60) {
    throw propError(prop, value, 'must be whole minutes from 0 to 1440 (AppConfig counts deployment and bake time in minutes); e.g. Duration.minutes(10).');
  }
}
