import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ColourAlarmsDescriptor, ServiceDescriptor } from '../contract';
import { AlarmGate, ColourName } from '../release/ports';
import { AwsClients } from './clients';

/**
 * The gate alarms of each colour, read from CloudWatch (one DescribeAlarms call per check).
 *
 * The gate is the colour's composite alarm when it has one: it fires when the composite is in ALARM, and then
 * also names the colour's other alarms in ALARM, so the operator sees why. Without a composite, any of the colour's
 * alarms in ALARM fires. A colour with no alarms registered never fires.
 */
export class CloudWatchAlarmGate implements AlarmGate {
  /** The gate on the shared CloudWatch client. */
  public static fromClients(descriptor: ServiceDescriptor, clients: AwsClients): CloudWatchAlarmGate {
    return new CloudWatchAlarmGate(descriptor, clients.get(CloudWatchClient));
  }

  constructor(
    private readonly descriptor: ServiceDescriptor,
    private readonly cloudwatch: CloudWatchClient,
  ) {}

  /**
   * @throws when the colour's composite alarm is registered but does not exist: the gate cannot see health
   */
  public async firing(colour: ColourName): Promise<string[]> {
    const alarms = this.descriptor.colours[colour].alarms;
    const names = registeredAlarms(alarms);
    if (names.length === 0) return [];
    // Without AlarmTypes, DescribeAlarms returns metric alarms only and the composite would look absent.
    const out = await this.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100 }),
    );
    const states = new Map<string, string | undefined>();
    for (const a of [...(out.CompositeAlarms ?? []), ...(out.MetricAlarms ?? [])]) {
      if (a.AlarmName) states.set(a.AlarmName, a.StateValue);
    }
    const inAlarm = names.filter((n) => states.get(n) === 'ALARM');
    if (!alarms.gate) return inAlarm;
    if (!states.has(alarms.gate)) {
      throw new Error(`The ${colour} gate alarm ${alarms.gate} does not exist in CloudWatch. Redeploy the service (cdk deploy).`);
    }
    return inAlarm.includes(alarms.gate) ? inAlarm : [];
  }
}

/** The colour's alarm names, gate first. */
function registeredAlarms(alarms: ColourAlarmsDescriptor): string[] {
  const names = [alarms.gate, alarms.errorRate, alarms.latencyP99, alarms.unhealthyHosts, alarms.healthyHosts];
  return [...new Set(names.filter((n): n is string => typeof n === 'string' && n !== ''))];
}
