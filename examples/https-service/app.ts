#!/usr/bin/env node
// A service with HTTPS, its own capacity, and a database both colours may reach.
// Copy this folder, replace the certificate ARN and the AMI ids, then: npx cdk synth --app "npx tsx app.ts"
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { BlueGreenService, ReleaseManifest } from '../../constructs';

export function build(app = new App()): Stack {
  const stack = new Stack(app, 'Shop', { env: { region: 'eu-west-1' } });
  const shop = new BlueGreenService(stack, 'Shop', {
    serviceName: 'shop',
    // Which image each colour runs, and its capacity mode (active | ready | standby).
    manifest: ReleaseManifest.fromFile(path.join(__dirname, 'releases', 'shop.json')),
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    certificates: [elbv2.ListenerCertificate.fromArn('arn:aws:acm:eu-west-1:123456789012:certificate/abc')],
    minCapacity: 2,
    maxCapacity: 6,
    // The test listener always forwards to the idle colour: smoke-test a candidate before it gets traffic.
    // Use your pipeline's public egress range: an internet-facing ALB never sees private source addresses.
    testListener: { port: 8443, allowedCidrs: ['203.0.113.0/24'] },
  });
  const database = new ec2.SecurityGroup(stack, 'Database', { vpc: shop.vpc, description: 'shop database' });
  database.connections.allowFrom(shop, ec2.Port.tcp(5432), 'both colours reach the database');
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
