import { Duration, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { describe, expect, it } from 'vitest';
import { BlueGreenService, RegionalFailover, RegionRole, ReleaseManifest, StandbyMode } from '../../constructs';
import { drService, freshApp, primary, PRIMARY, RECORD, standby, STANDBY, ZONE_ID, zoneIn } from './fixtures';

describe('disaster recovery: bad input', () => {
  it('refuses a standby whose primary is in its own Region, naming the prop, the value and the fix', () => {
    expect(() => drService(STANDBY, RegionRole.standby({ primaryRegion: STANDBY, mode: StandbyMode.pilotLight() }))).toThrow(
      /disasterRecovery primaryRegion: must differ from the stack's own Region \(eu-central-1\).*name the other Region\. Got "eu-central-1"/,
    );
  });

  it('refuses a primary whose standby is in its own Region', () => {
    expect(() => drService(PRIMARY, RegionRole.primary({ standbyRegion: PRIMARY }))).toThrow(/disasterRecovery standbyRegion: must differ .* Got "eu-west-1"/);
  });

  it('refuses a Region that is not a Region name', () => {
    expect(() => RegionRole.primary({ standbyRegion: 'Frankfurt' })).toThrow(/disasterRecovery standbyRegion: must be a Region name such as eu-central-1\. Got "Frankfurt"/);
  });

  it('refuses a warm standby at 0 % or 101 %', () => {
    expect(() => StandbyMode.warm({ capacityPercent: 0 })).toThrow(/capacityPercent: must be a whole number from 1 to 100 \(use StandbyMode.pilotLight\(\) for zero instances\)\. Got 0/);
    expect(() => StandbyMode.warm({ capacityPercent: 101 })).toThrow(/capacityPercent: must be a whole number from 1 to 100.*Got 101/);
    expect(() => StandbyMode.warm({ capacityPercent: 12.5 })).toThrow(/Got 12.5/);
  });

  it('refuses a failover capacity of 0 % or 101 %', () => {
    expect(() => standby(undefined, { failoverCapacityPercent: 0 })).toThrow(/failoverCapacityPercent: must be a whole number from 1 to 100\. Got 0/);
    expect(() => standby(undefined, { failoverCapacityPercent: 101 })).toThrow(/failoverCapacityPercent: must be a whole number from 1 to 100\. Got 101/);
  });

  it('refuses a record name outside the hosted zone', () => {
    expect(() => primary({ recordName: 'web.example.org' })).toThrow(
      /recordName: must be inside the hosted zone 'example.com' \(e.g. www.example.com\); a hosted zone name that does not contain the record name cannot hold it\. Got "web.example.org"/,
    );
    // a suffix that is not a label boundary is outside too
    expect(() => primary({ recordName: 'webexample.com' })).toThrow(/recordName: must be inside the hosted zone/);
  });

  it('refuses a health-check interval of 20 s', () => {
    expect(() => primary({ healthCheckInterval: Duration.seconds(20) })).toThrow(/healthCheckInterval: must be 10 or 30 seconds.*Got 20 seconds/);
  });

  it('refuses a failure threshold of 11 (and 0)', () => {
    expect(() => primary({ failureThreshold: 11 })).toThrow(/failureThreshold: must be a whole number from 1 to 10\. Got 11/);
    expect(() => primary({ failureThreshold: 0 })).toThrow(/failureThreshold: must be a whole number from 1 to 10\. Got 0/);
  });

  it('refuses a watcher threshold of 0', () => {
    expect(() => standby(undefined, { watcherFailureThreshold: 0 })).toThrow(/watcherFailureThreshold: must be a whole number from 1 to 60\. Got 0/);
  });

  it('refuses a service without a role, and a second failover for the same service', () => {
    // GIVEN a single-Region service
    const stack = new Stack(freshApp(), 'S', { env: { region: PRIMARY } });
    const service = new BlueGreenService(stack, 'Web', {
      serviceName: 'web',
      manifest: ReleaseManifest.fromObject({ schemaVersion: 1, service: 'web', blue: { image: 'ami-0123456789abcdef0', mode: 'active' }, green: { image: 'ami-0123456789abcdef0', mode: 'ready' } }),
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    });
    expect(() => new RegionalFailover(stack, 'F', { service, hostedZone: zoneIn(stack), recordName: RECORD })).toThrow(/service: has no disasterRecovery role: set disasterRecovery: RegionRole.primary/);
    // GIVEN a primary with a failover already
    const built = primary();
    expect(() => new RegionalFailover(built.stack, 'Again', { service: built.service, hostedZone: built.dr.node.scope!.node.findChild('Zone') as route53.IHostedZone, recordName: RECORD })).toThrow(/already has a RegionalFailover/);
  });

  it('refuses a hosted zone without a literal name (a lookup-free zone is given by id and name)', () => {
    const { stack, service } = drService(PRIMARY, RegionRole.primary({ standbyRegion: STANDBY }));
    const zone = route53.HostedZone.fromHostedZoneId(stack, 'ById', ZONE_ID);
    expect(() => new RegionalFailover(stack, 'F', { service, hostedZone: zone, recordName: RECORD })).toThrow(/hostedZone: must have a literal zone name: use HostedZone.fromHostedZoneAttributes/);
  });

  it('refuses a service of another stack (each Region\'s stack owns its failover)', () => {
    // GIVEN a primary service, and a second stack in the same app and Region
    const { app, service } = drService(PRIMARY, RegionRole.primary({ standbyRegion: STANDBY }));
    const other = new Stack(app, 'Dns', { env: { region: PRIMARY } });
    // WHEN / THEN
    expect(() => new RegionalFailover(other, 'F', { service, hostedZone: zoneIn(other), recordName: RECORD })).toThrow(/service: must be in this construct's stack \(Dns\).*add the RegionalFailover to Primary/);
  });
});
