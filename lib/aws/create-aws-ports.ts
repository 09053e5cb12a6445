import { ServiceDescriptor } from '../contract';
import { Logger, ReleasePorts } from '../release/ports';
import { AutoScalingFleetCapacity } from './auto-scaling-fleet-capacity';
import { AwsClients } from './clients';
import { CloudWatchAlarmGate } from './cloudwatch-alarm-gate';
import { DynamoReleaseStateStore } from './dynamo-release-state-store';
import { ElbTargetHealth } from './elb-target-health';
import { ElbTrafficRouter } from './elb-traffic-router';
import { SystemClock } from './system-clock';

/** Every port of the release engine, backed by the service's AWS resources. */
export function createAwsPorts(descriptor: ServiceDescriptor, clients: AwsClients, logger: Logger): ReleasePorts {
  return {
    traffic: new ElbTrafficRouter(descriptor, clients.elbv2),
    health: new ElbTargetHealth(descriptor, clients.elbv2),
    alarms: new CloudWatchAlarmGate(descriptor, clients.cloudwatch),
    capacity: new AutoScalingFleetCapacity(descriptor, clients.autoscaling),
    state: new DynamoReleaseStateStore(clients.dynamodb, descriptor.releaseStateTable, descriptor.service),
    clock: new SystemClock(),
    logger,
  };
}
