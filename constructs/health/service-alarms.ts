import { Tokenization } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { IBlueGreenService } from '../fleet/blue-green-service';
import { Colour } from '../fleet/colour';
import { AlarmActions } from './alarm-actions';
import { AlarmNaming } from './alarm-naming';
import { AlarmThresholds } from './alarm-thresholds';
import { ColourAlarms } from './colour-alarms';
import { applyActions } from './private/apply-actions';
import { resolveThresholds } from './private/thresholds';
import { ServiceHealthMetrics } from './service-health-metrics';

/** Properties of a service's alarms. */
export interface ServiceAlarmsProps {
  /** The service watched. */
  readonly service: IBlueGreenService;
  /**
   * When the alarms fire.
   *
   * @default - the defaults of each `AlarmThresholds` field
   */
  readonly thresholds?: AlarmThresholds;
  /**
   * How the alarms are named.
   *
   * @default AlarmNaming.fromServiceName()
   */
  readonly naming?: AlarmNaming;
  /**
   * What notifying alarms do.
   *
   * @default AlarmActions.serviceTopic()
   */
  readonly actions?: AlarmActions;
  /**
   * Whether the individual alarms notify too, not only the gates (see `ColourAlarmsProps.notifyComponentAlarms`).
   *
   * @default false
   */
  readonly notifyComponentAlarms?: boolean;
  /**
   * Whether the load balancer's own 5xx alarm is part of both colours' gates.
   *
   * CloudWatch does not split load-balancer-generated 5xx by target group, so the alarm cannot be pinned on a
   * colour. In the gates (the default), a release rolls back when the load balancer starts failing requests
   * (a candidate that resets connections or times out shows up only here), at the price of blocking releases
   * while the live colour causes such errors. Out of the gates, the alarm notifies on its own.
   *
   * @default true
   */
  readonly gateOnLoadBalancerErrors?: boolean;
}

/**
 * Alarms of a blue/green service: per colour a target error rate, p99 latency, unhealthy-hosts and healthy-hosts
 * alarm combined into one composite gate, plus one alarm on the load balancer's own 5xx responses.
 *
 * Naming, thresholds and actions are separate props so each can change alone. Only the gates notify by default;
 * the gate names and member alarm names go into the service descriptor for the `bluegreen` CLI.
 *
 * @example
 * const alarms = new ServiceAlarms(this, 'Alarms', {
 *   service,
 *   thresholds: { errorRatePercent: 2, latencyP99: Duration.millis(500) },
 * });
 * new BlueGreenDashboard(this, 'Dashboard', { alarms });
 */
export class ServiceAlarms extends Construct {
  /** The service watched. */
  public readonly service: IBlueGreenService;
  /** The metrics the alarms evaluate, for dashboards. */
  public readonly metrics: ServiceHealthMetrics;
  /** Load-balancer-generated 5xx above `thresholds.loadBalancerErrorRatePercent` of requests. */
  public readonly loadBalancerErrorRate: cloudwatch.Alarm;
  /** The blue colour's alarms. */
  public readonly blue: ColourAlarms;
  /** The green colour's alarms. */
  public readonly green: ColourAlarms;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const thresholds = resolveThresholds(props.thresholds);
    const naming = props.naming ?? AlarmNaming.fromServiceName();
    const actions = props.actions ?? AlarmActions.serviceTopic();
    const gated = props.gateOnLoadBalancerErrors ?? true;
    this.service = props.service;
    this.metrics = new ServiceHealthMetrics(props.service, thresholds.period);

    this.loadBalancerErrorRate = new cloudwatch.Alarm(this, 'LoadBalancerErrorRate', {
      alarmName: naming.loadBalancerAlarmName(props.service.serviceName),
      metric: this.metrics.metricLoadBalancerErrorRate(),
      threshold: thresholds.loadBalancerErrorRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: thresholds.evaluationPeriods,
      alarmDescription:
        `${props.service.serviceName}: load-balancer-generated 5xx above ${Tokenization.stringifyNumber(thresholds.loadBalancerErrorRatePercent)}% of requests. ` +
        (gated ? 'Part of both colours\' gates: it cannot be attributed to one colour.' : 'Not part of the release gates.'),
      // The load balancer publishes its 5xx count only when there are some: missing means none.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (!gated || props.notifyComponentAlarms) {
      applyActions(this.loadBalancerErrorRate, actions.bind(props.service));
    }

    const colour = (c: Colour) =>
      new ColourAlarms(this, c.id, {
        service: props.service,
        colour: c,
        thresholds: props.thresholds,
        naming,
        actions,
        notifyComponentAlarms: props.notifyComponentAlarms,
        additionalGateAlarms: gated ? [this.loadBalancerErrorRate] : [],
      });
    this.blue = colour(Colour.BLUE);
    this.green = colour(Colour.GREEN);
  }

  /** The alarms of `colour`. */
  public colour(colour: Colour): ColourAlarms {
    return colour === Colour.BLUE ? this.blue : this.green;
  }
}
