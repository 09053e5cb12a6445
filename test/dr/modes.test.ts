import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RegionRole, ReleaseManifest, StandbyMode } from '../../constructs';
import { drService, ofType, primary, PRIMARY, STANDBY, standby } from './fixtures';

function groupSizes(template: ReturnType<ReturnType<typeof standby>['template']>) {
  return Object.values(ofType(template, 'AWS::AutoScaling::AutoScalingGroup')).map((g) => ({
    min: g.Properties.MinSize,
    max: g.Properties.MaxSize,
    desired: g.Properties.DesiredCapacity,
  }));
}

describe('standby modes', () => {
  it('runs a pilot light\'s serving colours at zero with the configured maximum, so a failover can scale up', () => {
    // GIVEN a manifest with blue active and green ready (both serving) and a serving size of 4 (max 6)
    const { template, service } = standby(StandbyMode.pilotLight(), {}, { minCapacity: 2, desiredCapacity: 4, maxCapacity: 6 });
    // THEN
    expect(groupSizes(template())).toEqual([
      { min: '0', max: '6', desired: undefined },
      { min: '0', max: '6', desired: undefined },
    ]);
    expect(service.capacity).toEqual({ minCapacity: 0, desiredCapacity: 0, maxCapacity: 6, pinDesired: false });
  });

  it('runs a warm standby at the percentage of the desired size, rounded up, with the maximum kept', () => {
    // GIVEN 30 % of 4 = 1.2 -> 2
    const { template } = standby(StandbyMode.warm({ capacityPercent: 30 }), {}, { desiredCapacity: 4, maxCapacity: 6 });
    // THEN
    expect(groupSizes(template())).toEqual([
      { min: '2', max: '6', desired: undefined },
      { min: '2', max: '6', desired: undefined },
    ]);
  });

  it('keeps a warm standby at one instance at least', () => {
    // GIVEN 1 % of 2 = 0.02 -> 1
    const { service } = standby(StandbyMode.warm({ capacityPercent: 1 }));
    expect(service.capacity).toMatchObject({ minCapacity: 1, desiredCapacity: 1, maxCapacity: 3 });
  });

  it('leaves a colour in standby capacity mode at zero, maximum zero', () => {
    // GIVEN green in the manifest's standby mode
    const manifest = { schemaVersion: 1, service: 'web', blue: { image: 'ami-0123456789abcdef0', mode: 'active' }, green: { image: 'ami-0fedcba9876543210', mode: 'standby' } };
    const { stack } = drService(STANDBY, RegionRole.standby({ primaryRegion: PRIMARY, mode: StandbyMode.warm({ capacityPercent: 50 }) }), { manifest: ReleaseManifest.fromObject(manifest) });
    // THEN blue warm at 1 of 2, green at zero
    const sizes = Object.values(ofType(Template.fromStack(stack as Stack), 'AWS::AutoScaling::AutoScalingGroup')).map((g) => [g.Properties.MinSize, g.Properties.MaxSize]);
    expect(sizes).toEqual([['1', '3'], ['0', '0']]);
  });

  it('does not change the primary\'s capacity', () => {
    const { service } = primary({}, { desiredCapacity: 4, maxCapacity: 6 });
    expect(service.capacity).toEqual({ minCapacity: 2, desiredCapacity: 4, maxCapacity: 6, pinDesired: true });
  });

  it('keeps the release guard on both colours\' images and modes in a standby', () => {
    standby().template().hasResourceProperties('Custom::BlueGreenReleaseGuard', {
      Colours: { blue: { image: 'ami-0123456789abcdef0', mode: 'active' }, green: { image: 'ami-0fedcba9876543210', mode: 'ready' } },
    });
  });

  it('keeps a rolling update from waiting on instances a pilot light does not run', () => {
    standby().template().hasResource('AWS::AutoScaling::AutoScalingGroup', {
      UpdatePolicy: { AutoScalingRollingUpdate: Match.objectLike({ MinInstancesInService: 0 }) },
    });
  });

  it('names the modes and percentages it holds', () => {
    expect(StandbyMode.pilotLight()).toMatchObject({ name: 'pilot-light', capacityPercent: 0 });
    expect(StandbyMode.warm({ capacityPercent: 25 })).toMatchObject({ name: 'warm-standby', capacityPercent: 25 });
    expect(RegionRole.primary({ standbyRegion: STANDBY }).standbyMode.name).toBe('pilot-light');
  });
});

