#!/usr/bin/env node
// Feature flags beside traffic: flags declared in flags/shop.json (checked at synth), AWS AppConfig created by
// `FeatureFlags`, changed only by the `bluegreen flags` commands, never by `cdk deploy`.
//
//   bluegreen flags shop                                            every flag: live value, owner, expiry, debt
//   bluegreen flags set shop release-new-checkout on --gradual --reason "JIRA-123"
//   bluegreen flags kill shop release-new-checkout --reason "INC-42"   stop, deploy off at once, monitor kept quiet
//
// The instances read the flags from the AppConfig Agent on localhost:2772: bake it into the image with
// `ImageComponent.appConfigAgent()` (see lib/demo-web-image.ts in this repository) and read with a default.
//
// Copy this folder, replace the AMI ids, then: npx cdk synth --app "npx tsx app.ts"
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BlueGreenService, FeatureFlagFile, FeatureFlagRollout, FeatureFlags, ReleaseManifest, ServiceAlarms } from '../../constructs';

export function build(app = new App()): Stack {
  const stack = new Stack(app, 'Shop', { env: { region: 'eu-west-1' } });
  const service = new BlueGreenService(stack, 'Shop', {
    serviceName: 'shop',
    manifest: ReleaseManifest.fromFile(path.join(__dirname, 'releases', 'shop.json')),
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  });
  // The gates the flags' monitor watches: either colour's gate in ALARM rolls a flag change back.
  const alarms = new ServiceAlarms(stack, 'Alarms', { service });

  new FeatureFlags(stack, 'Flags', {
    service,
    alarms,
    file: FeatureFlagFile.fromFile(path.join(__dirname, 'flags', 'shop.json')),
    // `flags set --gradual`: a quarter of the instances every 2 minutes, then 5 minutes' bake.
    gradual: FeatureFlagRollout.linear({ stepPercent: 25, duration: Duration.minutes(8), bake: Duration.minutes(5) }),
  });

  // The on-call role reads (`bluegreen flags shop`); the pipeline changes flags (and releases).
  const onCall = new iam.Role(stack, 'OnCall', { assumedBy: new iam.AccountRootPrincipal(), description: 'shop on-call: read' });
  service.grantStatus(onCall);
  const pipeline = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal(), description: 'shop release pipeline' });
  service.grantRelease(pipeline);
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
