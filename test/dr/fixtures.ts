import { App, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Template } from 'aws-cdk-lib/assertions';
import { BlueGreenService, BlueGreenServiceProps, RegionalFailover, RegionalFailoverProps, RegionRole, ReleaseManifest, StandbyMode } from '../../constructs';

export const PRIMARY = 'eu-west-1';
export const STANDBY = 'eu-central-1';
export const ZONE_ID = 'Z0123456789ABCDEFGHIJ';
export const ZONE_NAME = 'example.com';
export const RECORD = 'web.example.com';

const MANIFEST = {
  schemaVersion: 1,
  service: 'web',
  blue: { image: 'ami-0123456789abcdef0', mode: 'active' },
  green: { image: 'ami-0fedcba9876543210', mode: 'ready' },
};

/** A fresh app; bundling is skipped so tests stay fast. */
export function freshApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

/** GIVEN helper: a service with a role in a fresh stack of `region`. */
export function drService(region: string, role: RegionRole, overrides: Partial<BlueGreenServiceProps> = {}, app = freshApp()) {
  const stack = new Stack(app, region === PRIMARY ? 'Primary' : 'Standby', { env: { region } });
  const service = new BlueGreenService(stack, 'Web', {
    serviceName: 'web',
    manifest: ReleaseManifest.fromObject(MANIFEST),
    availabilityZones: [`${region}a`, `${region}b`],
    testListener: { allowedCidrs: ['192.0.2.0/24'] },
    disasterRecovery: role,
    ...overrides,
  });
  return { app, stack, service };
}

export function zoneIn(stack: Stack): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: ZONE_ID, zoneName: ZONE_NAME });
}

/** GIVEN helper: the primary Region's service and failover. */
export function primary(failover: Partial<RegionalFailoverProps> = {}, service: Partial<BlueGreenServiceProps> = {}, app = freshApp()) {
  const built = drService(PRIMARY, RegionRole.primary({ standbyRegion: STANDBY }), service, app);
  const dr = new RegionalFailover(built.stack, 'Failover', { service: built.service, hostedZone: zoneIn(built.stack), recordName: RECORD, ...failover });
  return { ...built, dr, template: () => Template.fromStack(built.stack) };
}

/** GIVEN helper: the standby Region's service (pilot light unless `mode`) and failover. */
export function standby(mode = StandbyMode.pilotLight(), failover: Partial<RegionalFailoverProps> = {}, service: Partial<BlueGreenServiceProps> = {}, app = freshApp()) {
  const built = drService(STANDBY, RegionRole.standby({ primaryRegion: PRIMARY, mode }), service, app);
  const dr = new RegionalFailover(built.stack, 'Failover', { service: built.service, hostedZone: zoneIn(built.stack), recordName: RECORD, ...failover });
  return { ...built, dr, template: () => Template.fromStack(built.stack) };
}

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

/** Resources of one type, by logical id. */
export function ofType(template: Template, type: string): Record<string, Resource> {
  const all = template.toJSON().Resources as Record<string, Resource>;
  return Object.fromEntries(Object.entries(all).filter(([, r]) => r.Type === type));
}
