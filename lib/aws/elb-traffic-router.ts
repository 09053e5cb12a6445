import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ServiceDescriptor } from '../contract';
import { ColourName, TrafficRouter, Weights } from '../release/ports';
import { AwsClients } from './clients';
import { WeightedRule } from './private/weighted-rule';

/**
 * Traffic routes on the ALB listener rules named in the descriptor.
 *
 * Each read is one DescribeRules call and each write one ModifyRule call. A write keeps the rule's other settings as
 * last read; before any read it writes the rule as BlueGreenService defines it.
 */
export class ElbTrafficRouter implements TrafficRouter {
  private readonly production: WeightedRule;
  private readonly test: WeightedRule;

  /** The routes through the shared ELBv2 client. */
  public static fromClients(descriptor: ServiceDescriptor, clients: AwsClients): ElbTrafficRouter {
    return new ElbTrafficRouter(descriptor, clients.get(ElasticLoadBalancingV2Client));
  }

  constructor(descriptor: ServiceDescriptor, elb: ElasticLoadBalancingV2Client) {
    const groups = { blue: descriptor.colours.blue.targetGroupArn, green: descriptor.colours.green.targetGroupArn };
    this.production = new WeightedRule(elb, descriptor.production.ruleArn, groups, 'production');
    this.test = new WeightedRule(elb, descriptor.test.ruleArn, groups, 'test');
  }

  public getWeights(): Promise<Weights> {
    return this.production.read();
  }

  public setWeights(weights: Weights): Promise<void> {
    return this.production.write(weights);
  }

  public setTestTarget(colour: ColourName): Promise<void> {
    return this.test.write(colour === 'blue' ? { blue: 100, green: 0 } : { blue: 0, green: 100 });
  }

  /**
   * The colour the test route sends (most) traffic to.
   *
   * @throws when it splits traffic evenly, which only a hand edit can do
   */
  public async getTestTarget(): Promise<ColourName> {
    const w = await this.test.read();
    if (w.blue === w.green) {
      throw new Error(`The test route splits traffic evenly (blue ${w.blue}, green ${w.green}). Run a release command to point it at the idle colour.`);
    }
    return w.blue > w.green ? 'blue' : 'green';
  }
}
