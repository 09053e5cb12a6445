import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { AutoRollback, BakedImage, BlueGreenDashboard, BlueGreenService, ReleaseManifest, ServiceAlarms } from '../constructs';
import { demoWebComponent } from './demo-web-image';

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
   * Regions the web image is copied to after each bake (disaster recovery).
   *
   * @default ['eu-central-1']
   */
  readonly imageDistributionRegions?: string[];
}

/** The reference service `web`: a blue/green fleet behind one ALB, running an image baked in the same stack. */
export class WebServiceStack extends Stack {
  /** The VPC of the service and of the image's build instances. */
  public readonly vpc: ec2.Vpc;
  /** The baked image of the demo web service (`baked:web` in the release manifest). */
  public readonly webImage: BakedImage;
  /** The service. */
  public readonly service: BlueGreenService;
  /** Per-colour alarms; each colour's gate is what releases and the auto-rollback watch. */
  public readonly alarms: ServiceAlarms;
  /** Blue-vs-green dashboard. */
  public readonly dashboard: BlueGreenDashboard;
  /** Rolls back a failing candidate when its gate fires, even if the pipeline that released it died. */
  public readonly autoRollback: AutoRollback;

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
    this.webImage = new BakedImage(this, 'WebImage', {
      imageName: 'web',
      vpc: this.vpc,
      components: [demoWebComponent()],
      distributionRegions: (props.imageDistributionRegions ?? ['eu-central-1']).map((region) => ({ region })),
    });
    this.service = new BlueGreenService(this, 'Web', {
      serviceName: 'web',
      manifest: ReleaseManifest.fromFile(path.join(releasesDir, 'web.json')),
      imageResolvers: [this.webImage],
      vpc: this.vpc,
      testListener: { allowedCidrs: props.testListenerCidrs },
    });
    this.alarms = new ServiceAlarms(this, 'Alarms', { service: this.service });
    this.dashboard = new BlueGreenDashboard(this, 'Dashboard', { alarms: this.alarms });
    this.autoRollback = new AutoRollback(this, 'AutoRollback', { service: this.service, alarms: this.alarms });
  }
}
