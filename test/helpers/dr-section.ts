import { DisasterRecoveryDescriptor, drRegionHealthAlarmName, drSwitchAlarmName, regionalRecordName, RegionRoleName, StandbyModeName } from '../../lib/contract';

/** What differs between the tests' `disasterRecovery` sections; everything else is `RegionalFailover`'s defaults. */
export interface DrSectionOptions {
  readonly primaryRegion: string;
  readonly standbyRegion: string;
  /** @default 'web' */
  readonly service?: string;
  /** @default 'standby' */
  readonly role?: RegionRoleName;
  /** @default 'pilot-light' */
  readonly mode?: StandbyModeName;
  /** A warm standby's percentage. @default 50 */
  readonly warmPercent?: number;
  /** @default 'example.com' */
  readonly zoneName?: string;
  /** @default 'Z123' */
  readonly hostedZoneId?: string;
  /** Production listener port. @default 80 */
  readonly port?: number;
  /** Fields set last (ids, names, allowVersionSkew...). */
  readonly overrides?: Partial<DisasterRecoveryDescriptor>;
}

/** A Region's `disasterRecovery` section, as `RegionalFailover` publishes it with its default DNS timing. */
export function drSectionOf(o: DrSectionOptions): DisasterRecoveryDescriptor {
  const service = o.service ?? 'web';
  const role = o.role ?? 'standby';
  const mode = o.mode ?? 'pilot-light';
  const region = role === 'primary' ? o.primaryRegion : o.standbyRegion;
  const recordName = `${service}.${o.zoneName ?? 'example.com'}`;
  return {
    role,
    primaryRegion: o.primaryRegion,
    standbyRegion: o.standbyRegion,
    standbyMode: mode,
    standbyCapacityPercent: mode === 'warm-standby' ? (o.warmPercent ?? 50) : 0,
    failoverCapacityPercent: 100,
    allowVersionSkew: false,
    hostedZoneId: o.hostedZoneId ?? 'Z123',
    zoneName: o.zoneName ?? 'example.com',
    recordName,
    regionalRecordName: regionalRecordName(region, recordName),
    dns: { ttlSeconds: 60, intervalSeconds: 10, failureThreshold: 3, alarmPeriodSeconds: 60 },
    endpoint: { protocol: 'HTTP', port: o.port ?? 80, healthPath: '/health' },
    switchAlarmName: drSwitchAlarmName(service),
    healthAlarmName: drRegionHealthAlarmName(service, region),
    ...o.overrides,
  };
}
