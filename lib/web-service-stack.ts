import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import {
  AutoRollback,
  BakedImage,
  BlueGreenDashboard,
  BlueGreenService,
  FailoverSwitch,
  FeatureFlagFile,
  FeatureFlags,
  Healing,
  RegionalFailover,
  RegionRole,
  ReleaseManifest,
  ServiceAlarms,
} from '../constructs';
import { demoWebImageComponents } from './demo-web-image';

/** Properties of the reference stack. */
export interface WebServiceStackProps extends StackProps {
  /** Availability Zones of the service's VPC (committed in cdk.json so synth needs no lookups). */
  readonly availabilityZones: string[];
  /** CIDR ranges allowed to reach the test listener. */
  readonly testListenerCidrs: string[];
  /**
   * Folder holding `releases/<service>.json`.
   *
   * @default - the repository root
   */
  readonly releasesDir?: string;
  /**
   * Folder holding `flags/<service>.json`.
   *
   * @default - the repository's `flags` folder
   */
  readonly flagsDir?: string;
  /**
   * Regions the web image is copied to after each bake (disaster recovery).
   *
   * @default ['eu-central-1']
   */
  readonly imageDistributionRegions?: string[];
  /**
   * Run the image another stack bakes (the primary Region's, through the SSM parameter its distribution writes in
   * this stack's Region) instead of baking one here.
   *
   * @default - bake the image in this stack
   */
  readonly bakedImage?: BakedImage;
  /**
   * This Region's role in a disaster-recovery pair, with DNS failover.
   *
   * @default - a single Region
   */
  readonly disasterRecovery?: WebDisasterRecovery;
  /**
   * How the colours heal.
   *
   * @default Healing.replace()
   */
  readonly healing?: Healing;
}

/** The reference service's disaster-recovery settings (all from cdk.json: synth makes no lookups). */
export interface WebDisasterRecovery {
  /** This Region's role. */
  readonly role: RegionRole;
  /** Hosted zone id. */
  readonly hostedZoneId: string;
  /** Hosted zone name. */
  readonly zoneName: string;
  /** The failover record, inside the zone. */
  readonly recordName: string;
  /**
   * Standby only: the drill switch, deployed in a stack of its own before the primary.
   *
   * @default - the standby's failover creates it
   */
  readonly failoverSwitch?: FailoverSwitch;
}

/** The reference service `web`: a blue/green fleet behind one ALB, running an image baked in the same stack. */
export class WebServiceStack extends Stack {
  /** The VPC of the service and of the image's build instances. */
  public readonly vpc: ec2.Vpc;
  /** The baked image of the demo web service (`baked:web` in the release manifest); another stack's in a standby. */
  public readonly webImage: BakedImage;
  /** Whether this stack bakes `webImage` (the standby runs the primary's). */
  public readonly bakesImage: boolean;
  /** This Region's half of DNS failover, when the service has a disaster-recovery role. */
  public readonly failover?: RegionalFailover;
  /** The service. */
  public readonly service: BlueGreenService;
  /** Per-colour alarms; each colour's gate is what releases and the auto-rollback watch. */
  public readonly alarms: ServiceAlarms;
  /** Blue-vs-green dashboard. */
  public readonly dashboard: BlueGreenDashboard;
  /** Rolls back a failing candidate when its gate fires, even if the pipeline that released it died. */
  public readonly autoRollback: AutoRollback;
  /** The feature flags of `web` in this Region (AppConfig), declared from flags/web.json, changed by `bluegreen flags`. */
  public readonly featureFlags: FeatureFlags;

  constructor(scope: Construct, id: string, props: WebServiceStackProps) {
    super(scope, id, props);
    const releasesDir = props.releasesDir ?? path.join(__dirname, '..', 'releases');
    // The image's build instances need the VPC before the service exists, so the stack owns it.
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      availabilityZones: props.availabilityZones,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      flowLogs: { FlowLogs: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    this.bakesImage = props.bakedImage === undefined;
    this.webImage =
      props.bakedImage ??
      new BakedImage(this, 'WebImage', {
        imageName: 'web',
        vpc: this.vpc,
        components: demoWebImageComponents(),
        distributionRegions: (props.imageDistributionRegions ?? ['eu-central-1']).map((region) => ({ region })),
      });
    this.service = new BlueGreenService(this, 'Web', {
      serviceName: 'web',
      manifest: ReleaseManifest.fromFile(path.join(releasesDir, 'web.json')),
      imageResolvers: [this.webImage],
      vpc: this.vpc,
      testListener: { allowedCidrs: props.testListenerCidrs },
      disasterRecovery: props.disasterRecovery?.role,
      healing: props.healing,
    });
    this.alarms = new ServiceAlarms(this, 'Alarms', { service: this.service });
    this.dashboard = new BlueGreenDashboard(this, 'Dashboard', { alarms: this.alarms });
    this.autoRollback = new AutoRollback(this, 'AutoRollback', { service: this.service, alarms: this.alarms });
    // Each Region declares the same flags from the same file; `bluegreen flags` changes each Region's on its own.
    this.featureFlags = new FeatureFlags(this, 'FeatureFlags', {
      service: this.service,
      file: FeatureFlagFile.fromFile(path.join(props.flagsDir ?? path.join(__dirname, '..', 'flags'), 'web.json')),
      alarms: this.alarms,
    });
    const dr = props.disasterRecovery;
    if (dr) {
      this.failover = new RegionalFailover(this, 'Failover', {
        service: this.service,
        hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: dr.hostedZoneId, zoneName: dr.zoneName }),
        recordName: dr.recordName,
        failoverSwitch: dr.failoverSwitch,
      });
    }
  }
}
