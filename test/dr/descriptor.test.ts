import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { RegionRole, StandbyMode } from '../../constructs';
import { deployedDescriptor } from './deployed-descriptor';
import { drService, primary, PRIMARY, RECORD, standby, STANDBY, ZONE_ID, ZONE_NAME } from './fixtures';

describe('descriptor disasterRecovery section', () => {
  it('publishes the standby\'s half, valid for the CLI\'s parser', () => {
    // GIVEN / WHEN
    const descriptor = deployedDescriptor(standby(StandbyMode.warm({ capacityPercent: 50 }), { failoverCapacityPercent: 80, allowVersionSkew: true }).template());
    // THEN
    expect(descriptor.disasterRecovery).toEqual({
      role: 'standby',
      primaryRegion: PRIMARY,
      standbyRegion: STANDBY,
      standbyMode: 'warm-standby',
      standbyCapacityPercent: 50,
      failoverCapacityPercent: 80,
      allowVersionSkew: true,
      hostedZoneId: ZONE_ID,
      zoneName: ZONE_NAME,
      recordName: RECORD,
      regionalRecordName: `${STANDBY}.${RECORD}`,
      dns: { ttlSeconds: 60, intervalSeconds: 10, failureThreshold: 3, alarmPeriodSeconds: 60 },
      endpoint: { protocol: 'HTTP', port: 80, healthPath: '/health' },
      switchAlarmName: 'bluegreen-web-dr-switch',
      healthAlarmName: `bluegreen-web-dr-health-${STANDBY}`,
      healthCheckId: expect.stringMatching(/^tok-/),
      watcherFunctionName: expect.stringMatching(/^tok-/),
    });
    expect(descriptor.capacity).toEqual({ min: 1, max: 3, desired: 1 });
  });

  it('publishes the primary\'s half with its calculated check and no watcher', () => {
    // GIVEN / WHEN
    const descriptor = deployedDescriptor(primary({ healthCheckInterval: Duration.seconds(30), failureThreshold: 2 }).template());
    // THEN
    expect(descriptor.disasterRecovery).toMatchObject({
      role: 'primary',
      primaryRegion: PRIMARY,
      standbyRegion: STANDBY,
      standbyMode: 'pilot-light',
      standbyCapacityPercent: 0,
      failoverCapacityPercent: 100,
      allowVersionSkew: false,
      regionalRecordName: `${PRIMARY}.${RECORD}`,
      dns: { ttlSeconds: 60, intervalSeconds: 30, failureThreshold: 2, alarmPeriodSeconds: 60 },
      healthAlarmName: `bluegreen-web-dr-health-${PRIMARY}`,
    });
    expect(descriptor.disasterRecovery).not.toHaveProperty('watcherFunctionName');
    expect(descriptor.capacity).toEqual({ min: 2, max: 3, desired: 2 });
  });

  it('has no section without a RegionalFailover', () => {
    const { stack } = drService(PRIMARY, RegionRole.primary({ standbyRegion: STANDBY }));
    expect(deployedDescriptor(Template.fromStack(stack))).not.toHaveProperty('disasterRecovery');
  });
});
