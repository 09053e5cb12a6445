import { ServiceDescriptor } from '../contract';
import { AlarmGate, DeployedImages, FleetCapacity, Logger, ReleasePorts } from '../release/ports';
import { AwsClients } from './clients';
import { DynamoReleaseStateStore } from './dynamo-release-state-store';
import { ElbTargetHealth } from './elb-target-health';
import { ElbTrafficRouter } from './elb-traffic-router';
import { SystemClock } from './system-clock';

/**
 * Every port of the release engine, backed by the service's AWS resources.
 *
 * Every engine command reads the release record and the rules, so those adapters (DynamoDB, ELBv2) load with this
 * module. The alarm gate and the capacity adapter load on their first call, with their SDK clients: a rollback
 * calls neither, and CloudWatch's and Auto Scaling's clients would add to every rollback's start time.
 */
export function createAwsPorts(descriptor: ServiceDescriptor, clients: AwsClients, logger: Logger): ReleasePorts {
  return {
    traffic: ElbTrafficRouter.fromClients(descriptor, clients),
    health: ElbTargetHealth.fromClients(descriptor, clients),
    alarms: lazyAlarmGate(descriptor, clients),
    capacity: lazyFleetCapacity(descriptor, clients),
    state: DynamoReleaseStateStore.fromClients(clients, descriptor.releaseStateTable, descriptor.service),
    clock: new SystemClock(),
    logger,
    images: lazyDeployedImages(descriptor, clients),
  };
}

/** The staged-image check, imported on its first use (a release's pre-flight); EC2's client only for a bake. */
function lazyDeployedImages(descriptor: ServiceDescriptor, clients: AwsClients): DeployedImages {
  const images = once(async () => (await import('./deployed-images')).AwsDeployedImages.fromClients(descriptor, clients));
  return { verify: async (colour, staged) => (await images()).verify(colour, staged) };
}

/** The CloudWatch gate, imported on the first check. */
function lazyAlarmGate(descriptor: ServiceDescriptor, clients: AwsClients): AlarmGate {
  const gate = once(async () => (await import('./cloudwatch-alarm-gate')).CloudWatchAlarmGate.fromClients(descriptor, clients));
  return { firing: async (colour) => (await gate()).firing(colour) };
}

/** The Auto Scaling capacity, imported on the first read or change. */
function lazyFleetCapacity(descriptor: ServiceDescriptor, clients: AwsClients): FleetCapacity {
  const capacity = once(async () => (await import('./auto-scaling-fleet-capacity')).AutoScalingFleetCapacity.fromClients(descriptor, clients));
  return {
    describe: async (colour) => (await capacity()).describe(colour),
    setMode: async (colour, mode) => (await capacity()).setMode(colour, mode),
  };
}

/** `load` run once; calls made while it runs share its promise. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}
