import * as path from 'path';
import * as cdk from 'aws-cdk-lib/core';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import {
  AutoRollback,
  BakedImage,
  BlueGreenDashboard,
  BlueGreenService,
  FeatureFlagFile,
  FeatureFlags,
  Healing,
  HookPoint,
  ImageComponent,
  ReleaseHook,
  ReleaseManifest,
  ServiceAlarms,
} from 'cdk-bluegreen';

/** What a new user writes after `cdk init app --language typescript`: the README's example, with a bake. */
export class ShopStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    // One VPC for the image builds and the service.
    const vpc = new ec2.Vpc(this, 'Vpc', { availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 1 });
    const image = new BakedImage(this, 'ShopImage', {
      imageName: 'shop',
      vpc,
      components: [ImageComponent.fromSteps({ name: 'nginx', buildCommands: ['dnf install -y nginx', 'systemctl enable nginx'] })],
    });
    const shop = new BlueGreenService(this, 'Shop', {
      serviceName: 'shop',
      manifest: ReleaseManifest.fromFile(path.join(__dirname, '..', 'releases', 'shop.json')),
      imageResolvers: [image],
      vpc,
      testListener: { allowedCidrs: ['203.0.113.0/24'] },
      healing: Healing.quarantine(),
    });
    shop.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/smoke', { name: 'smoke', point: HookPoint.POST_PROMOTION }));
    const alarms = new ServiceAlarms(this, 'Alarms', { service: shop });
    new BlueGreenDashboard(this, 'Dashboard', { alarms });
    new AutoRollback(this, 'AutoRollback', { service: shop, alarms });
    new FeatureFlags(this, 'FeatureFlags', { service: shop, file: FeatureFlagFile.fromFile(path.join(__dirname, '..', 'flags', 'shop.json')), alarms });
  }
}
