/**
 * Stand-ins for the parts of Auto Scaling's termination lifecycle that moto 5.2 does not model, for the quarantine
 * handler's test against moto. Everything else the handler calls is moto's own (the record in DynamoDB, the
 * instances, tags, security groups, target groups, console output, S3, SNS, CloudWatch, the groups' descriptions and
 * TerminateInstanceInAutoScalingGroup).
 *
 * What moto lacks (moto/autoscaling/responses.py and models.py):
 * - Lifecycle hooks never fire: PutLifecycleHook is stored, but no instance ever enters `Terminating:Wait` and no
 *   EventBridge event is sent. `lifecycleActionEvent` is the event the group would send.
 * - DescribeScalingActivities always answers an empty list, so there is no activity nor Cause to classify.
 *   `standInTerminationActivity` derives one from moto's instance health.
 * - No CompleteLifecycleAction (moto answers an HTML 500). `standInCompleteLifecycleAction` records the call and
 *   does what the group would.
 * - No instance lifecycle policy and no `Terminating:Retained` state. `standInRetainedInstances` lists the
 *   instances an ABANDON left running.
 */
import { AutoScalingClient, DescribeAutoScalingInstancesCommand, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { randomUUID } from 'crypto';
import { AwsClients } from '../../lib/aws';
import { AutoScalingQuarantine } from '../../lib/aws/quarantine';
import { QUARANTINE_HOOK_NAME } from '../../lib/contract';
import { QuarantineEvent, TERMINATING_TRANSITION } from '../../lib/lambda/quarantine';
import { AutoScalingQuarantinePort, LifecycleResult, TerminationEvent } from '../../lib/release/quarantine';

/** One CompleteLifecycleAction call, and whether an action was waiting for it. */
export interface CompletedAction {
  readonly event: TerminationEvent;
  readonly result: LifecycleResult;
  /** False: no action was waiting (AWS's "No active Lifecycle Action found"). */
  readonly ended: boolean;
}

/** What the stand-ins share: the actions waiting (Terminating:Wait), the calls made, the instances retained. */
export interface MotoLifecycle {
  /** Waiting actions by token. */
  readonly waiting: Map<string, TerminationEvent>;
  readonly completed: CompletedAction[];
  /** Instances left Retained by an ABANDON, by id: their group. */
  readonly retained: Map<string, string>;
}

/** A new, empty lifecycle. */
export function motoLifecycle(): MotoLifecycle {
  return { waiting: new Map(), completed: [], retained: new Map() };
}

/**
 * Stands in for the group putting `instanceId` in `Terminating:Wait` under its hook: registers the waiting action
 * and returns the EventBridge event Auto Scaling sends for it (fields as documented for "EC2 Instance-terminate
 * Lifecycle Action").
 */
export function lifecycleActionEvent(lifecycle: MotoLifecycle, autoScalingGroupName: string, instanceId: string, hookName: string = QUARANTINE_HOOK_NAME): QuarantineEvent {
  const token = randomUUID();
  lifecycle.waiting.set(token, { autoScalingGroupName, instanceId, lifecycleHookName: hookName, lifecycleActionToken: token });
  return {
    source: 'aws.autoscaling',
    'detail-type': 'EC2 Instance-terminate Lifecycle Action',
    detail: {
      AutoScalingGroupName: autoScalingGroupName,
      EC2InstanceId: instanceId,
      LifecycleHookName: hookName,
      LifecycleActionToken: token,
      LifecycleTransition: TERMINATING_TRANSITION,
      Origin: 'AutoScalingGroup',
      Destination: 'EC2',
    },
  };
}

/**
 * Stands in for DescribeScalingActivities' activity terminating the instance (moto's list is always empty): its
 * Cause from moto's health of the instance (DescribeAutoScalingInstances), the wording AWS uses for a
 * SetInstanceHealth verdict when the instance is Unhealthy, else AWS's wording for a scale-in; the other fields as AWS
 * fills them while the termination waits on the hook.
 */
export function standInTerminationActivity(clients: AwsClients): AutoScalingQuarantinePort['terminationActivity'] {
  return async (_group, instanceId) => {
    const out = await clients.get(AutoScalingClient).send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = out.AutoScalingInstances?.[0];
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cause =
      instance?.HealthStatus?.toUpperCase() === 'UNHEALTHY'
        ? `At ${at} an instance was taken out of service in response to a user health-check.`
        : `At ${at} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from 2 to 1.`;
    return {
      cause,
      description: `Terminating EC2 instance: ${instanceId}`,
      startTime: new Date().toISOString(),
      statusCode: 'WaitingForTerminateLifecycleAction',
      details: JSON.stringify({ 'Availability Zone': instance?.AvailabilityZone ?? 'unknown' }),
    };
  };
}

/**
 * Stands in for CompleteLifecycleAction (moto has none): records the call; an action not waiting answers false, as
 * AWS's "No active Lifecycle Action found" does. CONTINUE terminates the instance with moto's
 * TerminateInstanceInAutoScalingGroup (desired capacity unchanged: the group launches its replacement, as it does for
 * an unhealthy instance). ABANDON leaves it running: with the instance lifecycle policy `TerminateHookAbandon:
 * retain`, it is Retained.
 */
export function standInCompleteLifecycleAction(clients: AwsClients, lifecycle: MotoLifecycle): AutoScalingQuarantinePort['completeLifecycleAction'] {
  return async (event, result) => {
    const waiting = lifecycle.waiting.get(event.lifecycleActionToken);
    const ended = waiting !== undefined && waiting.instanceId === event.instanceId && waiting.lifecycleHookName === event.lifecycleHookName;
    lifecycle.completed.push({ event, result, ended });
    if (!ended) return false;
    lifecycle.waiting.delete(event.lifecycleActionToken);
    if (result === 'CONTINUE') {
      await clients.get(AutoScalingClient).send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: event.instanceId, ShouldDecrementDesiredCapacity: false }));
    } else {
      lifecycle.retained.set(event.instanceId, event.autoScalingGroupName);
    }
    return true;
  };
}

/**
 * Stands in for the group's `Terminating:Retained` instances (moto has no such state): those an ABANDON left in
 * `group` that EC2 still runs.
 */
export function standInRetainedInstances(clients: AwsClients, lifecycle: MotoLifecycle): AutoScalingQuarantinePort['retainedInstances'] {
  return async (group) => {
    const ids = [...lifecycle.retained].filter(([, g]) => g === group).map(([id]) => id);
    if (!ids.length) return [];
    const out = await clients.get(EC2Client).send(new DescribeInstancesCommand({ InstanceIds: ids }));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name === 'running').map((i) => i.InstanceId ?? '');
  };
}

/** The real AutoScalingQuarantine against moto, with the three stand-ins above for what moto lacks. */
export function autoScalingWithStandIns(clients: AwsClients, lifecycle: MotoLifecycle): AutoScalingQuarantinePort {
  const real = AutoScalingQuarantine.fromClients(clients);
  return {
    terminationActivity: standInTerminationActivity(clients),
    groupDeleting: (group) => real.groupDeleting(group),
    completeLifecycleAction: standInCompleteLifecycleAction(clients, lifecycle),
    terminateInstance: (group, instanceId) => real.terminateInstance(group, instanceId),
    retainedInstances: standInRetainedInstances(clients, lifecycle),
  };
}
