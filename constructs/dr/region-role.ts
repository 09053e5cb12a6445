import { Token } from 'aws-cdk-lib';
import { propError } from '../private/validate';
import { StandbyMode } from './standby-mode';

/** Options of the primary Region's role. */
export interface PrimaryRegionOptions {
  /** The Region of the standby service, e.g. `eu-central-1`. */
  readonly standbyRegion: string;
  /**
   * How the standby waits, as published in the primary's descriptor so both Regions' descriptors agree. It does
   * not change the primary's own capacity.
   *
   * @default StandbyMode.pilotLight()
   */
  readonly standbyMode?: StandbyMode;
}

/** Options of the standby Region's role. */
export interface StandbyRegionOptions {
  /** The Region of the primary service, e.g. `eu-west-1`. */
  readonly primaryRegion: string;
  /** How the standby waits: `StandbyMode.pilotLight()` or `StandbyMode.warm({ capacityPercent })`. */
  readonly mode: StandbyMode;
}

/** Lower-case Region names such as `eu-west-1`, `us-gov-west-1` or `cn-north-1`. */
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * What a service's Region is to a disaster-recovery pair: the primary serves, the standby waits and takes over.
 * Pass it as `BlueGreenService.disasterRecovery`, then add a `RegionalFailover` in each Region's stack.
 *
 * @example
 * RegionRole.standby({ primaryRegion: 'eu-west-1', mode: StandbyMode.pilotLight() });
 */
export class RegionRole {
  /** This Region serves; the standby in `standbyRegion` takes over when it fails. */
  public static primary(options: PrimaryRegionOptions): RegionRole {
    checkRegionName('standbyRegion', options.standbyRegion);
    return new RegionRole('primary', options.standbyRegion, options.standbyMode ?? StandbyMode.pilotLight());
  }

  /** This Region waits in `mode` and takes over when the primary in `primaryRegion` fails. */
  public static standby(options: StandbyRegionOptions): RegionRole {
    checkRegionName('primaryRegion', options.primaryRegion);
    return new RegionRole('standby', options.primaryRegion, options.mode);
  }

  private constructor(
    /** `primary` or `standby`. */
    public readonly name: string,
    /** The other Region of the pair. */
    public readonly peerRegion: string,
    /** How the standby of the pair waits (it sizes this Region only when this Region is the standby). */
    public readonly standbyMode: StandbyMode,
  ) {}

  /** Whether this Region is the primary. */
  public get isPrimary(): boolean {
    return this.name === 'primary';
  }

  /** The prop naming the peer Region, for messages: `standbyRegion` or `primaryRegion`. */
  public get peerProp(): string {
    return this.isPrimary ? 'standbyRegion' : 'primaryRegion';
  }

  /** The primary Region of the pair, given this Region's own. */
  public primaryRegion(ownRegion: string): string {
    return this.isPrimary ? ownRegion : this.peerRegion;
  }

  /** The standby Region of the pair, given this Region's own. */
  public standbyRegion(ownRegion: string): string {
    return this.isPrimary ? this.peerRegion : ownRegion;
  }

  public toString(): string {
    return this.isPrimary ? `primary (standby in ${this.peerRegion})` : `standby of ${this.peerRegion}, ${this.standbyMode}`;
  }
}

function checkRegionName(prop: string, region: string) {
  if (Token.isUnresolved(region)) {
    throw propError(`disasterRecovery ${prop}`, region, 'must be a literal Region name such as eu-central-1: names across Regions are fixed at synth.');
  }
  if (!REGION_NAME.test(region)) {
    throw propError(`disasterRecovery ${prop}`, region, 'must be a Region name such as eu-central-1.');
  }
}
