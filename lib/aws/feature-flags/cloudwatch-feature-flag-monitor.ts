import { CloudWatchClient, DescribeAlarmsCommand, DisableAlarmActionsCommand, EnableAlarmActionsCommand } from '@aws-sdk/client-cloudwatch';
import { FeatureFlagMonitorPort } from '../../release/feature-flags/ports';
import { AwsClients } from '../clients';

/** The flags environment's monitor alarm disappeared (the stack that owns it was changed by hand, or deleted). */
export class FeatureFlagMonitorNotFoundError extends Error {
  constructor(public readonly alarmName: string) {
    super(`The feature-flag monitor alarm ${alarmName} does not exist: deploy the service's stack again (cdk deploy) to recreate it.`);
    this.name = 'FeatureFlagMonitorNotFoundError';
  }
}

/**
 * The flags environment's monitor: the composite alarm `<service>-feature-flags-monitor`. Read by name, asking for
 * both alarm types (a composite in AWS; emulators and test fixtures may stand in a metric alarm of the same name).
 * Only its actions are switched, never its gates.
 */
export class CloudWatchFeatureFlagMonitor implements FeatureFlagMonitorPort {
  /** The alarm `alarmName`, through the shared CloudWatch client. */
  public static fromClients(clients: AwsClients, alarmName: string): CloudWatchFeatureFlagMonitor {
    return new CloudWatchFeatureFlagMonitor(clients.get(CloudWatchClient), alarmName);
  }

  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly alarmName: string,
  ) {}

  /**
   * One DescribeAlarms call.
   *
   * @throws FeatureFlagMonitorNotFoundError when there is no such alarm
   */
  public async read(): Promise<{ readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; readonly actionsEnabled: boolean }> {
    const out = await this.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [this.alarmName], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }),
    );
    const alarm = [...(out.CompositeAlarms ?? []), ...(out.MetricAlarms ?? [])].find((a) => a.AlarmName === this.alarmName);
    if (!alarm) throw new FeatureFlagMonitorNotFoundError(this.alarmName);
    // CloudWatch leaves ActionsEnabled out only on alarms created without it, which have their actions enabled.
    return { state: alarm.StateValue ?? 'INSUFFICIENT_DATA', actionsEnabled: alarm.ActionsEnabled ?? true };
  }

  /** One DisableAlarmActions call: AppConfig then no longer rolls back on the alarm. */
  public async suspend(): Promise<void> {
    await this.cloudwatch.send(new DisableAlarmActionsCommand({ AlarmNames: [this.alarmName] }));
  }

  /** One EnableAlarmActions call. */
  public async resume(): Promise<void> {
    await this.cloudwatch.send(new EnableAlarmActionsCommand({ AlarmNames: [this.alarmName] }));
  }
}
