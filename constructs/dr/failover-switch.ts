import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { propError } from '../private/validate';
import { DR_SWITCH_DIMENSION, DR_SWITCH_METRIC, DR_SWITCH_NAMESPACE, drSwitchAlarmName, SERVICE_NAME, SERVICE_NAME_RULE } from '../../lib/contract';

/** Period of the switch alarm: Route 53 accepts only standard-resolution metrics. */
const SWITCH_PERIOD = Duration.minutes(1);

/** Properties of a failover switch. */
export interface FailoverSwitchProps {
  /** The service whose DNS failover it holds. */
  readonly serviceName: string;
  /**
   * Topic told when the switch turns (ALARM: failed over; OK: failed back).
   *
   * @default - no notifications
   */
  readonly topic?: sns.ITopic;
}

/**
 * The drill switch of a disaster-recovery pair: an alarm in the **standby** Region on a metric that `bluegreen dr`
 * and the standby's watcher write with `PutMetricData` (CloudWatch's data plane). 1 turns it to ALARM, which makes
 * the primary's DNS health check unhealthy; missing data is ignored, so the alarm keeps its last state: the latch
 * that holds a failover until `dr failback` writes 0.
 *
 * A standby's `RegionalFailover` creates one. Create it yourself, in a small stack of the standby Region deployed
 * first, when the standby's stack cannot deploy before the primary's (for example because the standby runs the image
 * the primary's stack bakes): Route 53 may refuse a health check that names an alarm that does not exist yet.
 *
 * @example
 * const failoverSwitch = new FailoverSwitch(switchStack, 'Switch', { serviceName: 'web' });
 */
export class FailoverSwitch extends Construct {
  /** The service. */
  public readonly serviceName: string;
  /** The Region it lives in (the standby's). */
  public readonly region: string;
  /** The switch alarm. */
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FailoverSwitchProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.serviceName) && !SERVICE_NAME.test(props.serviceName)) {
      throw propError('serviceName', props.serviceName, `${SERVICE_NAME_RULE}.`);
    }
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      throw propError('scope', Stack.of(this).stackName, "must be a stack with an explicit Region (the standby's), e.g. env: { region: 'eu-central-1' }.");
    }
    this.serviceName = props.serviceName;
    this.region = region;
    const name = props.serviceName;
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: drSwitchAlarmName(name),
      alarmDescription: `${name}: DNS failover switch. ALARM = Route 53 answers the standby (latched until 'bluegreen dr failback ${name}').`,
      metric: new cloudwatch.Metric({ namespace: DR_SWITCH_NAMESPACE, metricName: DR_SWITCH_METRIC, dimensionsMap: { [DR_SWITCH_DIMENSION]: name }, statistic: cloudwatch.Stats.MAXIMUM, period: SWITCH_PERIOD }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    if (props.topic) {
      this.alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.topic));
      this.alarm.addOkAction(new cloudwatchActions.SnsAction(props.topic));
    }
  }
}
