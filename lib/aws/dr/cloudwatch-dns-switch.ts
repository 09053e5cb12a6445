import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DR_SWITCH_DIMENSION, DR_SWITCH_METRIC, DR_SWITCH_NAMESPACE, drSwitchAlarmName } from '../../contract';
import { DnsSwitch } from '../../release/dr/ports';
import { AwsClients } from '../clients';

/** States of the switch alarm. */
export type DnsSwitchState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

/**
 * The drill switch in the standby Region: the metric `cdk-bluegreen/DR FailoverSwitch{Service}` and its alarm, which
 * the primary's failover health check watches.
 *
 * `set` is one PutMetricData call: CloudWatch's data plane, so a failover depends on no control plane (Route 53's
 * or CloudWatch's). The alarm treats missing data as `ignore`, so one datapoint latches it until the next.
 */
export class CloudWatchDnsSwitch implements DnsSwitch {
  /** The switch of `service` through the standby Region's clients. */
  public static fromClients(clients: AwsClients, service: string, alarmName: string = drSwitchAlarmName(service)): CloudWatchDnsSwitch {
    return new CloudWatchDnsSwitch(clients.get(CloudWatchClient), service, alarmName);
  }

  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly service: string,
    private readonly alarmName: string = drSwitchAlarmName(service),
  ) {}

  /** One PutMetricData call: 1 (failed over) or 0. */
  public async set(failedOver: boolean): Promise<void> {
    await this.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: DR_SWITCH_NAMESPACE,
        MetricData: [
          {
            MetricName: DR_SWITCH_METRIC,
            Dimensions: [{ Name: DR_SWITCH_DIMENSION, Value: this.service }],
            Value: failedOver ? 1 : 0,
            Unit: 'Count',
            Timestamp: new Date(),
          },
        ],
      }),
    );
  }

  /**
   * One DescribeAlarms call.
   *
   * @throws when the alarm does not exist: the standby's stack was not deployed (or was deployed without DR)
   */
  public async state(): Promise<DnsSwitchState> {
    return metricAlarmState(this.cloudwatch, this.alarmName, (region) => `The drill switch alarm ${this.alarmName} does not exist in ${region}. Deploy the standby's stack there first (cdk deploy).`);
  }

}

/**
 * The state of one metric alarm (one DescribeAlarms call), INSUFFICIENT_DATA for anything but ALARM and OK.
 *
 * @param missing the error's message when it does not exist in `region`: which alarm, and the fix
 */
export async function metricAlarmState(cloudwatch: CloudWatchClient, alarmName: string, missing: (region: string) => string): Promise<DnsSwitchState> {
  const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['MetricAlarm'] }));
  const alarm = (out.MetricAlarms ?? []).find((a) => a.AlarmName === alarmName);
  if (!alarm) {
    const region = await cloudwatch.config.region();
    throw new Error(missing(region));
  }
  const value = alarm.StateValue;
  return value === 'ALARM' || value === 'OK' ? value : 'INSUFFICIENT_DATA';
}
