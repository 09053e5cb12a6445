import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BlueGreenService, ReleaseManifest } from '../constructs';

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
}

/** The reference service `web`: a blue/green fleet behind one ALB. */
export class WebServiceStack extends Stack {
  /** The service. */
  public readonly service: BlueGreenService;

  constructor(scope: Construct, id: string, props: WebServiceStackProps) {
    super(scope, id, props);
    const releasesDir = props.releasesDir ?? path.join(__dirname, '..', 'releases');
    this.service = new BlueGreenService(this, 'Web', {
      serviceName: 'web',
      release: ReleaseManifest.fromFile(path.join(releasesDir, 'web.json')),
      availabilityZones: props.availabilityZones,
      testListener: { allowedCidrs: props.testListenerCidrs },
    });
  }
}
