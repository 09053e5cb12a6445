import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ServiceDescriptor } from '../../contract';
import { describeProgress, isStale } from '../../release/lease';
import { DrRecordCopy, ReleaseActivity, RegionService } from '../../release/dr/ports';
import { AlarmGate, CapacityState, Clock, ColourName, ReleaseStateStore, TargetHealth, TargetHealthCount, TrafficRouter, Weights } from '../../release/ports';
import { AutoScalingFleetCapacity } from '../auto-scaling-fleet-capacity';
import { AwsClients } from '../clients';
import { CloudWatchAlarmGate } from '../cloudwatch-alarm-gate';
import { DynamoReleaseStateStore } from '../dynamo-release-state-store';
import { ElbTargetHealth } from '../elb-target-health';
import { ElbTrafficRouter } from '../elb-traffic-router';
import { SystemClock } from '../system-clock';
import { DynamoDrRecordCopy } from './dynamo-dr-record-copy';

/**
 * One Region's service as the DR state machine sees it, built from that Region's descriptor and clients: the same
 * adapters the release engine uses (ELB rules and target health, Auto Scaling, the colour gates, the release record),
 * plus the Region's health alarm and its copy of the DR record.
 */
export class AwsRegionService implements RegionService {
  /** The service described by `descriptor`, through `clients` (which must be that descriptor's Region's). */
  public static fromClients(descriptor: ServiceDescriptor, clients: AwsClients, clock: Clock = new SystemClock()): AwsRegionService {
    return new AwsRegionService(descriptor, {
      router: ElbTrafficRouter.fromClients(descriptor, clients),
      capacity: AutoScalingFleetCapacity.fromClients(descriptor, clients),
      health: ElbTargetHealth.fromClients(descriptor, clients),
      gate: CloudWatchAlarmGate.fromClients(descriptor, clients),
      cloudwatch: clients.get(CloudWatchClient),
      releaseState: DynamoReleaseStateStore.fromClients(clients, descriptor.releaseStateTable, descriptor.service),
      record: DynamoDrRecordCopy.fromClients(clients, descriptor.releaseStateTable, descriptor.service),
      clock,
    });
  }

  public readonly region: string;
  public readonly record: DrRecordCopy;

  constructor(
    private readonly descriptor: ServiceDescriptor,
    private readonly parts: AwsRegionServiceParts,
  ) {
    this.region = descriptor.region;
    this.record = parts.record;
  }

  /** One DescribeRules call. */
  public weights(): Promise<Weights> {
    return this.parts.router.getWeights();
  }

  /** From the descriptor: no call. */
  public async image(colour: ColourName): Promise<string> {
    return this.descriptor.colours[colour].image;
  }

  /** One DescribeAutoScalingGroups call. */
  public capacity(colour: ColourName): Promise<CapacityState> {
    return this.parts.capacity.describe(colour);
  }

  /** One UpdateAutoScalingGroup call: min = desired = `desired`, max unchanged. */
  public scaleTo(colour: ColourName, desired: number): Promise<void> {
    return this.parts.capacity.scaleTo(colour, desired);
  }

  /** One UpdateAutoScalingGroup call: the deployed mode's sizes from the descriptor (serving capacity, or 0 for standby). */
  public restoreDeployedCapacity(colour: ColourName): Promise<void> {
    return this.parts.capacity.restoreDeployed(colour);
  }

  /** One DescribeTargetHealth call. */
  public health(colour: ColourName): Promise<TargetHealthCount> {
    return this.parts.health.count(colour);
  }

  /**
   * The colour's gate (as the release engine reads it) and the Region's health alarm, those in ALARM: two
   * DescribeAlarms calls, made together.
   *
   * @throws when the health alarm named in the descriptor does not exist: DNS health would be unknown
   */
  public async firingAlarms(colour: ColourName): Promise<string[]> {
    const [gate, health] = await Promise.all([this.parts.gate.firing(colour), this.healthAlarmFiring()]);
    return [...new Set([...gate, ...health])];
  }

  /** One GetItem call: a release in progress whose holder's lease is live. */
  public async releaseActivity(): Promise<ReleaseActivity> {
    const state = (await this.parts.releaseState.read())?.state;
    if (!state || state.status !== 'in-progress') {
      return { inProgress: false, detail: state ? `last release ${state.releaseId} ${state.status}` : 'no release recorded' };
    }
    const release = `release ${state.releaseId} (${state.candidate} at ${describeProgress(state)}) held by ${state.owner}`;
    if (isStale(state, this.parts.clock.now())) {
      return { inProgress: false, detail: `${release} was interrupted: its lease ran out (resume or rollback it)` };
    }
    return { inProgress: true, detail: `${release} in ${this.region}` };
  }

  private async healthAlarmFiring(): Promise<string[]> {
    const name = this.descriptor.disasterRecovery?.healthAlarmName;
    if (!name) return [];
    const out = await this.parts.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm'] }));
    const alarm = (out.MetricAlarms ?? []).find((a) => a.AlarmName === name);
    if (!alarm) {
      throw new Error(`The DR health alarm ${name} does not exist in ${this.region}. Redeploy the service's stack there (cdk deploy).`);
    }
    return alarm.StateValue === 'ALARM' ? [name] : [];
  }
}

/** The adapters an AwsRegionService delegates to (tests pass their own). */
export interface AwsRegionServiceParts {
  readonly router: TrafficRouter;
  readonly capacity: Pick<AutoScalingFleetCapacity, 'describe' | 'scaleTo' | 'restoreDeployed'>;
  readonly health: TargetHealth;
  readonly gate: AlarmGate;
  readonly cloudwatch: CloudWatchClient;
  readonly releaseState: ReleaseStateStore;
  readonly record: DrRecordCopy;
  readonly clock: Clock;
}
