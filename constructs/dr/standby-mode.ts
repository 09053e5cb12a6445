import { Token } from 'aws-cdk-lib';
import { propError } from '../private/validate';

/** Options of a warm standby. */
export interface WarmStandbyOptions {
  /**
   * The standby's serving size as a percentage (1 to 100) of the configured serving size (`desiredCapacity`, or
   * `minCapacity` when unset), rounded up, at least one instance.
   */
  readonly capacityPercent: number;
}

/**
 * How a standby Region waits for a failover.
 *
 * @example
 * StandbyMode.warm({ capacityPercent: 25 });
 */
export class StandbyMode {
  /**
   * Pilot light: the load balancer is up and both colours run zero instances (maximum kept at the configured
   * size, so a failover can scale up). Cheapest; a failover waits for instances to launch and pass health checks.
   */
  public static pilotLight(): StandbyMode {
    return new StandbyMode('pilot-light', 0);
  }

  /**
   * Warm standby: serving colours run a fraction of the serving size, so a failover starts with healthy targets.
   *
   * @throws when `capacityPercent` is not a whole number from 1 to 100
   */
  public static warm(options: WarmStandbyOptions): StandbyMode {
    const percent = options.capacityPercent;
    if (!Token.isUnresolved(percent) && (!Number.isInteger(percent) || percent < 1 || percent > 100)) {
      throw propError(
        'StandbyMode.warm capacityPercent',
        percent,
        'must be a whole number from 1 to 100 (use StandbyMode.pilotLight() for zero instances).',
      );
    }
    return new StandbyMode('warm-standby', percent);
  }

  private constructor(
    /** Name in the descriptor: `pilot-light` or `warm-standby`. */
    public readonly name: string,
    /** Serving size as a percentage of the configured one; 0 for pilot light. */
    public readonly capacityPercent: number,
  ) {}

  public toString(): string {
    return this.capacityPercent ? `${this.name} (${this.capacityPercent} %)` : this.name;
  }
}
