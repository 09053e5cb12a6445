import * as path from 'path';
import * as cdk from 'aws-cdk-lib/core';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { BlueGreenService, RegionalFailover, RegionRole, ReleaseManifest, StandbyMode } from 'cdk-bluegreen';

/** A pilot-light standby of shop with its half of DNS failover: the watcher's bundle must load from the package. */
export class ShopStandbyStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const shop = new BlueGreenService(this, 'Shop', {
      serviceName: 'shop',
      manifest: ReleaseManifest.fromFile(path.join(__dirname, '..', 'releases', 'shop-standby.json')),
      availabilityZones: ['eu-central-1a', 'eu-central-1b'],
      disasterRecovery: RegionRole.standby({ primaryRegion: 'eu-west-1', mode: StandbyMode.pilotLight() }),
    });
    new RegionalFailover(this, 'Failover', {
      service: shop,
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: 'Z0123456789EXAMPLE00', zoneName: 'example.com' }),
      recordName: 'shop.example.com',
    });
  }
}
