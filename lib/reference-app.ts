import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgeReferenceFindings } from './reference-acknowledgments';
import { FailoverSwitch, Healing, RegionRole, StandbyMode } from '../constructs';
import { WebServiceStack } from './web-service-stack';

/** Options of the reference app. */
export interface ReferenceAppOptions {
  /**
   * The app to build into.
   *
   * @default - a new App, reading context from cdk.json
   */
  readonly app?: App;
  /**
   * Whether to apply the app's reasoned cdk-nag acknowledgments. Tests turn them off to prove the checks run.
   *
   * @default true
   */
  readonly acknowledge?: boolean;
  /**
   * Folder holding `flags/web.json` (tests synthesize with edited flags files).
   *
   * @default - the repository's `flags` folder
   */
  readonly flagsDir?: string;
}

/**
 * Build the reference app: the `web` service in eu-west-1 (primary, keeping sick instances in quarantine) with a
 * pilot-light standby in eu-central-1 that runs the image the primary bakes and distributes, Route 53 failover
 * between them, all checked by cdk-nag AwsSolutions.
 */
export function buildReferenceApp(options: ReferenceAppOptions = {}): { app: App; web: WebServiceStack; webStandby: WebServiceStack; failoverSwitch: Stack } {
  const app = options.app ?? new App();
  const ctx = (key: string) => {
    const value = app.node.tryGetContext(key);
    if (value === undefined) throw new Error(`cdk.json: context '${key}' is missing; the reference app needs it to synthesize offline.`);
    return value;
  };
  const region: string = ctx('bluegreen:web:region');
  const standbyRegion: string = ctx('bluegreen:web:standbyRegion');
  const dns = { hostedZoneId: ctx('bluegreen:web:hostedZoneId'), zoneName: ctx('bluegreen:web:zoneName'), recordName: ctx('bluegreen:web:recordName') };
  // Deploy order, with no references between Regions: the switch (standby Region) first, because the primary's
  // health check names it; then the primary, whose bake distributes the image; then the standby, which runs it.
  const failoverSwitch = new Stack(app, 'BlueGreenWebFailoverSwitch', { env: { region: standbyRegion }, description: 'cdk-bluegreen reference service web, DNS failover switch' });
  const theSwitch = new FailoverSwitch(failoverSwitch, 'Switch', { serviceName: 'web' });
  const web = new WebServiceStack(app, 'BlueGreenWeb', {
    env: { region },
    availabilityZones: ctx('bluegreen:web:availabilityZones'),
    testListenerCidrs: ctx('bluegreen:web:testListenerCidrs'),
    imageDistributionRegions: [standbyRegion],
    disasterRecovery: { role: RegionRole.primary({ standbyRegion, standbyMode: StandbyMode.pilotLight() }), ...dns },
    // Keep one sick instance per colour (two for the service) for 24 hours, isolated, for investigation.
    healing: Healing.quarantine(),
    flagsDir: options.flagsDir,
    description: 'cdk-bluegreen reference service web',
  });
  const webStandby = new WebServiceStack(app, 'BlueGreenWebStandby', {
    env: { region: standbyRegion },
    availabilityZones: ctx('bluegreen:web:standbyAvailabilityZones'),
    testListenerCidrs: ctx('bluegreen:web:testListenerCidrs'),
    // Not baked again: the colours read the AMI id the primary's bake writes to SSM in the standby Region.
    bakedImage: web.webImage,
    flagsDir: options.flagsDir,
    disasterRecovery: { role: RegionRole.standby({ primaryRegion: region, mode: StandbyMode.pilotLight() }), ...dns, failoverSwitch: theSwitch },
    description: 'cdk-bluegreen reference service web, pilot-light standby',
  });
  web.addStackDependency(failoverSwitch, 'the primary\'s DNS health check watches the drill switch alarm, by name');
  webStandby.addStackDependency(web, 'the standby runs the image the primary bakes and distributes to its Region');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  if (options.acknowledge ?? true) {
    acknowledgeReferenceFindings(web);
    acknowledgeReferenceFindings(webStandby);
  }
  return { app, web, webStandby, failoverSwitch };
}
