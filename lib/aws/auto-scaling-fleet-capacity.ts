import { AutoScalingClient, AutoScalingGroup, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { ServiceDescriptor } from '../contract';
import { CapacityModeName, CapacityState, ColourName, FleetCapacity } from '../release/ports';
import { AwsClients } from './clients';

/**
 * Capacity of the colours' Auto Scaling groups.
 *
 * `active` and `ready` run the descriptor's serving capacity; `standby` sets min, max and desired to 0, the sizes a
 * deploy writes for standby (docs/ARCHITECTURE.md, decision 3): max 0 also keeps scaling policies from starting
 * instances. A serving colour whose desired capacity was scaled out above the serving size keeps it: re-asserting a
 * mode must never scale in a colour that carries traffic.
 */
export class AutoScalingFleetCapacity implements FleetCapacity {
  /** The capacity of the colours' groups through the shared Auto Scaling client. */
  public static fromClients(descriptor: ServiceDescriptor, clients: AwsClients): AutoScalingFleetCapacity {
    return new AutoScalingFleetCapacity(descriptor, clients.get(AutoScalingClient));
  }

  constructor(
    private readonly descriptor: ServiceDescriptor,
    private readonly autoscaling: AutoScalingClient,
  ) {}

  /** One DescribeAutoScalingGroups call. */
  public async describe(colour: ColourName): Promise<CapacityState> {
    const group = await this.group(colour);
    return {
      min: group.MinSize ?? 0,
      max: group.MaxSize ?? 0,
      desired: group.DesiredCapacity ?? 0,
      inService: (group.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length,
    };
  }

  /** Standby: one UpdateAutoScalingGroup call. Active/ready: one DescribeAutoScalingGroups and one update. */
  public async setMode(colour: ColourName, mode: CapacityModeName): Promise<void> {
    const name = this.descriptor.colours[colour].autoScalingGroupName;
    if (mode === 'standby') {
      await this.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: 0, MaxSize: 0, DesiredCapacity: 0 }));
      return;
    }
    const { min, max, desired } = this.descriptor.capacity;
    const current = await this.group(colour);
    const keep = Math.min(Math.max(current.DesiredCapacity ?? 0, desired), max);
    await this.autoscaling.send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: min, MaxSize: max, DesiredCapacity: keep }),
    );
  }

  /**
   * Set the colour's min and desired to `desired`, max unchanged (one UpdateAutoScalingGroup call): a failover
   * scaling the standby up. The caller bounds `desired` by the group's max.
   */
  public async scaleTo(colour: ColourName, desired: number): Promise<void> {
    if (!Number.isInteger(desired) || desired < 0) {
      throw new Error(`Capacity of the ${colour} group must be a whole number of instances >= 0, got ${desired}.`);
    }
    const name = this.descriptor.colours[colour].autoScalingGroupName;
    await this.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: desired, DesiredCapacity: desired }));
  }

  /**
   * Put the colour back to the sizes its deployed mode has (one UpdateAutoScalingGroup call): the descriptor's
   * serving capacity for `active` and `ready`, 0 for `standby`. Unlike `setMode`, a serving colour scaled out above
   * its serving size is scaled back in: this undoes a failover's scale-up once the colour carries no traffic.
   */
  public async restoreDeployed(colour: ColourName): Promise<void> {
    const { mode, autoScalingGroupName } = this.descriptor.colours[colour];
    if (mode === 'standby') return this.setMode(colour, 'standby');
    if (mode !== 'active' && mode !== 'ready') {
      throw new Error(`The ${colour} colour's deployed mode is '${mode}', expected active, ready or standby. Redeploy the service (cdk deploy).`);
    }
    const { min, max, desired } = this.descriptor.capacity;
    await this.autoscaling.send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: autoScalingGroupName, MinSize: min, MaxSize: max, DesiredCapacity: desired }),
    );
  }

  private async group(colour: ColourName): Promise<AutoScalingGroup> {
    const name = this.descriptor.colours[colour].autoScalingGroupName;
    const out = await this.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const group = out.AutoScalingGroups?.[0];
    if (!group) throw new Error(`The ${colour} Auto Scaling group ${name} does not exist. Redeploy the service (cdk deploy).`);
    return group;
  }
}
