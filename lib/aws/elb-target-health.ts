import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ServiceDescriptor } from '../contract';
import { ColourName, TargetHealth, TargetHealthCount } from '../release/ports';
import { AwsClients } from './clients';

/** Target health of a colour's target group (one DescribeTargetHealth call per count). */
export class ElbTargetHealth implements TargetHealth {
  /** Target health through the shared ELBv2 client. */
  public static fromClients(descriptor: ServiceDescriptor, clients: AwsClients): ElbTargetHealth {
    return new ElbTargetHealth(descriptor, clients.get(ElasticLoadBalancingV2Client));
  }

  constructor(
    private readonly descriptor: ServiceDescriptor,
    private readonly elb: ElasticLoadBalancingV2Client,
  ) {}

  public async count(colour: ColourName): Promise<TargetHealthCount> {
    const out = await this.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: this.descriptor.colours[colour].targetGroupArn }));
    const targets = out.TargetHealthDescriptions ?? [];
    return { healthy: targets.filter((t) => t.TargetHealth?.State === 'healthy').length, total: targets.length };
  }
}
