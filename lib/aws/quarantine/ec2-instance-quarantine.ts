import {
  CreateSnapshotsCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  GetConsoleOutputCommand,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InstanceFacts, InstanceQuarantinePort, TargetHealthFacts } from '../../release/quarantine/ports';
import { AwsClients } from '../clients';

/** EC2 tag values are at most 256 characters. */
export const TAG_VALUE_MAX = 256;

/**
 * The EC2 and load balancer side of isolating an instance: what it runs, its target's health, taking it out of its
 * target group, swapping its security groups, tagging it, its console output and EBS snapshots.
 */
export class Ec2InstanceQuarantine implements InstanceQuarantinePort {
  /** Through the shared EC2 and ELBv2 clients. */
  public static fromClients(clients: AwsClients): Ec2InstanceQuarantine {
    return new Ec2InstanceQuarantine(clients.get(EC2Client), clients.get(ElasticLoadBalancingV2Client));
  }

  constructor(
    private readonly ec2: EC2Client,
    private readonly elb: ElasticLoadBalancingV2Client,
  ) {}

  /** One DescribeInstances call; state `gone` when EC2 no longer lists it. */
  public async describe(instanceId: string): Promise<InstanceFacts> {
    try {
      const out = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
      if (!instance) return { instanceId, state: 'gone', securityGroupIds: [] };
      return {
        instanceId,
        state: instance.State?.Name ?? 'unknown',
        ...(instance.ImageId ? { imageId: instance.ImageId } : {}),
        securityGroupIds: (instance.SecurityGroups ?? []).map((g) => g.GroupId ?? '').filter((id) => id !== ''),
      };
    } catch (e) {
      if ((e as Error).name === 'InvalidInstanceID.NotFound') return { instanceId, state: 'gone', securityGroupIds: [] };
      throw e;
    }
  }

  /**
   * One DescribeTargetHealth call for the whole group (asking for one target that is not registered, or whose
   * instance is gone, is an error): the state, reason and description of the instance's target, undefined when it is
   * not registered.
   */
  public async targetHealth(targetGroupArn: string, instanceId: string): Promise<TargetHealthFacts | undefined> {
    const target = (await this.targetsOf(targetGroupArn, instanceId))[0];
    if (!target) return undefined;
    const h = target.TargetHealth;
    return {
      ...(h?.State ? { state: h.State } : {}),
      ...(h?.Reason ? { reason: h.Reason } : {}),
      ...(h?.Description ? { description: h.Description } : {}),
    };
  }

  /**
   * One DescribeTargetHealth call, then one DeregisterTargets call for the instance's registrations (with their
   * ports), none when it has none.
   */
  public async deregister(targetGroupArn: string, instanceId: string): Promise<void> {
    const targets = (await this.targetsOf(targetGroupArn, instanceId)).map((t) => ({ Id: instanceId, ...(t.Target?.Port !== undefined ? { Port: t.Target.Port } : {}) }));
    if (!targets.length) return;
    try {
      await this.elb.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: targets }));
    } catch (e) {
      // The instance went away between the two calls: it is out of the group either way.
      if ((e as Error).name === 'InvalidTargetException' || (e as Error).name === 'InvalidTarget') return;
      throw e;
    }
  }

  /** One ModifyInstanceAttribute call (the instance's only network interface: a group's instances have one). */
  public async replaceSecurityGroups(instanceId: string, securityGroupIds: readonly string[]): Promise<void> {
    await this.ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, Groups: [...securityGroupIds] }));
  }

  /** One CreateTags call; values longer than EC2 allows are cut to TAG_VALUE_MAX. */
  public async tag(instanceId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value: Value.slice(0, TAG_VALUE_MAX) }));
    if (!list.length) return;
    await this.ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: list }));
  }

  /**
   * One GetConsoleOutput call for the latest output (decoded); a second without `Latest` on an instance type that
   * does not support it. Undefined when EC2 has none yet.
   */
  public async consoleOutput(instanceId: string): Promise<string | undefined> {
    let encoded: string | undefined;
    try {
      encoded = (await this.ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true }))).Output;
    } catch (e) {
      // Only Nitro instance types keep the latest output; others answer UnsupportedOperation.
      if ((e as Error).name !== 'UnsupportedOperation') throw e;
      encoded = (await this.ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId }))).Output;
    }
    if (!encoded) return undefined;
    return Buffer.from(encoded, 'base64').toString('utf8');
  }

  /**
   * One CreateSnapshots call: every EBS volume of the instance, crash-consistent across them, tagged with `tags`
   * and the volume's own tags.
   */
  public async snapshot(instanceId: string, tags: Readonly<Record<string, string>>): Promise<string[]> {
    const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value: Value.slice(0, TAG_VALUE_MAX) }));
    const out = await this.ec2.send(
      new CreateSnapshotsCommand({
        InstanceSpecification: { InstanceId: instanceId, ExcludeBootVolume: false },
        Description: `bluegreen quarantine of ${instanceId}`,
        CopyTagsFromSource: 'volume',
        ...(list.length ? { TagSpecifications: [{ ResourceType: 'snapshot', Tags: list }] } : {}),
      }),
    );
    return (out.Snapshots ?? []).map((s) => s.SnapshotId ?? '').filter((id) => id !== '');
  }

  /** The instance's registrations in the target group (one DescribeTargetHealth call for the whole group). */
  private async targetsOf(targetGroupArn: string, instanceId: string): Promise<TargetHealthDescription[]> {
    const out = await this.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    return (out.TargetHealthDescriptions ?? []).filter((t) => t.Target?.Id === instanceId);
  }
}
