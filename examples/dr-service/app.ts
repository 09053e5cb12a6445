#!/usr/bin/env node
// A service in two Regions: the primary in eu-west-1 serves, a pilot-light standby in eu-central-1 waits (load
// balancer up, colours at zero) and takes over through Route 53 failover records when the primary fails or on
// `bluegreen dr failover shop`. Each Region's stack stands alone; the standby deploys first.
// Copy this folder, set your hosted zone, then: npx cdk deploy --all --app "npx tsx app.ts"
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { BlueGreenService, RegionalFailover, RegionRole, ReleaseManifest, StandbyMode } from '../../constructs';

const PRIMARY = 'eu-west-1';
const STANDBY = 'eu-central-1';
// Your public hosted zone, by id and name: synth makes no lookups.
const ZONE = { hostedZoneId: 'Z0123456789EXAMPLE00', zoneName: 'example.com' };
const RECORD = 'shop.example.com';

function shopIn(app: App, id: string, region: string, role: RegionRole): Stack {
  const stack = new Stack(app, id, { env: { region } });
  const shop = new BlueGreenService(stack, 'Shop', {
    serviceName: 'shop',
    // The same manifest in both Regions; an `ssm:` image resolves to each Region's own AMI id.
    manifest: ReleaseManifest.fromFile(path.join(__dirname, 'releases', 'shop.json')),
    availabilityZones: [`${region}a`, `${region}b`],
    desiredCapacity: 4,
    maxCapacity: 6,
    disasterRecovery: role,
  });
  new RegionalFailover(stack, 'Failover', {
    service: shop,
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', ZONE),
    recordName: RECORD,
  });
  return stack;
}

/** Both Regions; returns the primary's stack. */
export function build(app = new App()): Stack {
  const standby = shopIn(app, 'ShopStandby', STANDBY, RegionRole.standby({ primaryRegion: PRIMARY, mode: StandbyMode.pilotLight() }));
  const primary = shopIn(app, 'Shop', PRIMARY, RegionRole.primary({ standbyRegion: STANDBY, standbyMode: StandbyMode.pilotLight() }));
  // Deploy order only: the primary's health check names the standby's switch alarm.
  primary.addStackDependency(standby, "the primary's DNS health check watches the standby's switch alarm");
  return primary;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
