import {
  Activity,
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { AutoScalingQuarantinePort, LifecycleResult, TerminationActivity, TerminationEvent } from '../../release/quarantine/ports';
import { AwsClients } from '../clients';

/** Pages of scaling activities read to find an instance's termination: the newest 3 × 100 of the group. */
export const SCALING_ACTIVITY_PAGES = 3;

/**
 * The Auto Scaling side of the quarantine: why the group terminates an instance, the termination lifecycle action,
 * and the Retained instances the group keeps after an abandoned action.
 */
export class AutoScalingQuarantine implements AutoScalingQuarantinePort {
  /** Through the shared Auto Scaling client. */
  public static fromClients(clients: AwsClients): AutoScalingQuarantine {
    return new AutoScalingQuarantine(clients.get(AutoScalingClient));
  }

  constructor(private readonly autoscaling: AutoScalingClient) {}

  /**
   * The newest activity "Terminating EC2 instance: <id>" of the group: DescribeScalingActivities, newest first, at
   * most SCALING_ACTIVITY_PAGES pages (stops at the first page that has one).
   */
  public async terminationActivity(autoScalingGroupName: string, instanceId: string): Promise<TerminationActivity | undefined> {
    const description = `Terminating EC2 instance: ${instanceId}`;
    let token: string | undefined;
    for (let page = 0; page < SCALING_ACTIVITY_PAGES; page++) {
      const out = await this.autoscaling.send(
        new DescribeScalingActivitiesCommand({ AutoScalingGroupName: autoScalingGroupName, MaxRecords: 100, ...(token ? { NextToken: token } : {}) }),
      );
      const matches = (out.Activities ?? []).filter((a) => a.Description === description);
      if (matches.length) return terminationActivity(newest(matches));
      token = out.NextToken;
      if (!token) return undefined;
    }
    return undefined;
  }

  /** One DescribeAutoScalingGroups call: its status is `Delete in progress`, or it is gone. */
  public async groupDeleting(autoScalingGroupName: string): Promise<boolean> {
    const out = await this.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroupName] }));
    const group = (out.AutoScalingGroups ?? []).find((g) => g.AutoScalingGroupName === autoScalingGroupName);
    return !group || group.Status === 'Delete in progress';
  }

  /** One CompleteLifecycleAction call; false when no action is waiting (already completed, timed out). */
  public async completeLifecycleAction(event: TerminationEvent, result: LifecycleResult): Promise<boolean> {
    try {
      await this.autoscaling.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: event.autoScalingGroupName,
          LifecycleHookName: event.lifecycleHookName,
          LifecycleActionToken: event.lifecycleActionToken,
          InstanceId: event.instanceId,
          LifecycleActionResult: result,
        }),
      );
      return true;
    } catch (e) {
      // AWS: "No active Lifecycle Action found with token <token>" (or "with instance ID <id>").
      if (isValidationError(e, /No active Lifecycle Action found/i)) return false;
      throw e;
    }
  }

  /**
   * One TerminateInstanceInAutoScalingGroup call, desired capacity unchanged: a Retained instance is outside desired
   * capacity already. An instance the group no longer has is not an error. The call names only the instance; the
   * function's IAM policy holds it to the service's two groups.
   */
  public async terminateInstance(_autoScalingGroupName: string, instanceId: string): Promise<void> {
    try {
      await this.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: false }));
    } catch (e) {
      // AWS: "Instance Id not found - No managed instance found for instance ID <id>".
      if (isValidationError(e, /No managed instance found|Instance Id not found/i)) return;
      throw e;
    }
  }

  /** One DescribeAutoScalingGroups call: its instances in a Retained state (`Terminating:Retained`); gone: none. */
  public async retainedInstances(autoScalingGroupName: string): Promise<string[]> {
    const out = await this.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroupName] }));
    const group = (out.AutoScalingGroups ?? []).find((g) => g.AutoScalingGroupName === autoScalingGroupName);
    return (group?.Instances ?? []).filter((i) => isRetained(i.LifecycleState)).map((i) => i.InstanceId ?? '').filter((id) => id !== '');
  }
}

/**
 * Whether a lifecycle state is a Retained one. AWS spells them `Terminating:Retained` (an abandoned termination
 * action) and `Warmed:...:Retained` (warm pools, which DescribeAutoScalingGroups does not list).
 */
export function isRetained(state: string | undefined): boolean {
  return state !== undefined && /(^|:)Retained$/.test(state);
}

function terminationActivity(a: Activity): TerminationActivity {
  return {
    cause: a.Cause ?? '',
    ...(a.Description ? { description: a.Description } : {}),
    ...(a.StartTime ? { startTime: a.StartTime.toISOString() } : {}),
    ...(a.StatusCode ? { statusCode: a.StatusCode } : {}),
    ...(a.StatusMessage ? { statusMessage: a.StatusMessage } : {}),
    ...(a.Details ? { details: a.Details } : {}),
  };
}

function newest(activities: Activity[]): Activity {
  return activities.reduce((a, b) => ((b.StartTime?.getTime() ?? 0) > (a.StartTime?.getTime() ?? 0) ? b : a));
}

function isValidationError(e: unknown, message: RegExp): boolean {
  const err = e as { name?: string; message?: string };
  return err?.name === 'ValidationError' && message.test(err.message ?? '');
}
