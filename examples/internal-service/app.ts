#!/usr/bin/env node
// An internal service in a VPC you already have, gated by alarms, rolled back by AWS itself when a gate fires,
// with the test listener open to the pipeline's smoke-test runner only.
// Copy this folder, then: npx cdk synth --app "npx tsx app.ts"
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AutoRollback, BlueGreenDashboard, BlueGreenService, ReleaseManifest, ServiceAlarms } from '../../constructs';

export function build(app = new App()): Stack {
  const stack = new Stack(app, 'Orders', { env: { region: 'eu-west-1' } });
  // Stands in for your existing VPC (ec2.Vpc.fromLookup in a real app, which needs credentials at synth).
  const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 1 });
  const pipelineRunner = new ec2.SecurityGroup(stack, 'SmokeTests', { vpc, description: 'pipeline smoke-test runner' });

  const orders = new BlueGreenService(stack, 'Orders', {
    serviceName: 'orders',
    manifest: ReleaseManifest.fromFile(path.join(__dirname, 'releases', 'orders.json')),
    vpc,
    internetFacing: false, // the production listener admits the VPC's CIDR by default
    appPort: 3000,
    healthCheck: { path: '/ready', interval: Duration.seconds(15) },
    instanceType: new ec2.InstanceType('t4g.small'),
    testListener: { allowedSecurityGroups: [pipelineRunner] },
  });
  Validations.of(orders).acknowledge({
    id: 'Annotation::cdk-bluegreen:plainHttp',
    reason: 'Internal load balancer reachable only from this VPC; pass certificates if untrusted workloads share it.',
  });
  const alarms = new ServiceAlarms(stack, 'Alarms', {
    service: orders,
    thresholds: { errorRatePercent: 2, latencyP99: Duration.millis(800) },
  });
  new BlueGreenDashboard(stack, 'Dashboard', { alarms });
  new AutoRollback(stack, 'AutoRollback', { service: orders, alarms });
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
