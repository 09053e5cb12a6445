import { Duration, Tokenization } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { IBlueGreenService } from '../fleet/blue-green-service';
import { Colour } from '../fleet/colour';
import { AlarmActions } from './alarm-actions';
import { AlarmNaming, ColourAlarmKind } from './alarm-naming';
import { AlarmThresholds } from './alarm-thresholds';
import { applyActions } from './private/apply-actions';
import { resolveThresholds } from './private/thresholds';
import { ServiceHealthMetrics } from './service-health-metrics';

/** Properties of one colour's alarms. */
export interface ColourAlarmsProps {
  /** The service whose colour is watched. */
  readonly service: IBlueGreenService;
  /** The colour watched. */
  readonly colour: Colour;
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
   * Whether the individual alarms notify too, not only the gate.
   *
   * Off by default: every individual alarm in ALARM puts the gate in ALARM, and the gate's notification lists the
   * alarms that triggered it, so notifying both would page twice for one event.
   *
   * @default false
   */
  readonly notifyComponentAlarms?: boolean;
  /**
   * Further alarms the gate fires on, e.g. an application's own error alarm.
   *
   * @default - none
   */
  readonly additionalGateAlarms?: cloudwatch.IAlarm[];
}

/**
 * The alarms of one colour and the composite "gate" alarm a release gates on. Their names are added to the
 * service descriptor so the `bluegreen` CLI finds them.
 *
 * Standby colours need no special case: the healthy-hosts alarm expects the Auto Scaling group's desired capacity
 * (zero in standby) rather than the mode deployed, and without requests the error rate is 0 and latency is
 * absent. So a colour at zero is quiet and never blocks, whether it was deployed in standby or scaled there by the
 * release engine, and its alarms stay armed for when the engine scales it up without a deploy.
 */
export class ColourAlarms extends Construct {
  /** The colour watched. */
  public readonly colour: Colour;
  /** The metrics the alarms evaluate, for dashboards. */
  public readonly metrics: ServiceHealthMetrics;
  /** Target 5xx responses above `thresholds.errorRatePercent` of requests. */
  public readonly errorRate: cloudwatch.Alarm;
  /** p99 target response time above `thresholds.latencyP99`. */
  public readonly latencyP99: cloudwatch.Alarm;
  /** Any unhealthy target for `thresholds.unhealthyPeriods` periods. */
  public readonly unhealthyHosts: cloudwatch.Alarm;
  /** Fewer healthy targets than expected (see `ServiceHealthMetrics.metricExpectedHosts`). */
  public readonly healthyHosts: cloudwatch.Alarm;
  /**
   * At least `flappingReplacements` health-driven replacements of the colour within the quarantine's flapping
   * window.
   *
   * @default - none: only when the service's healing is `Healing.quarantine()`
   */
  public readonly flapping?: cloudwatch.Alarm;
  /** In ALARM when any of the colour's alarms is: what a release gates on, and what notifies. */
  public readonly gate: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: ColourAlarmsProps) {
    super(scope, id);
    const thresholds = resolveThresholds(props.thresholds);
    const naming = props.naming ?? AlarmNaming.fromServiceName();
    const { service, colour } = props;
    const fleet = service.colour(colour);
    const name = (kind: ColourAlarmKind) => naming.colourAlarmName(service.serviceName, colour, kind);
    const gateName = name(ColourAlarmKind.GATE);
    const what = `${service.serviceName} ${colour.name}`;
    this.colour = colour;
    this.metrics = new ServiceHealthMetrics(service, thresholds.period);

    this.errorRate = this.gateMember('ErrorRate', name(ColourAlarmKind.ERROR_RATE), {
      metric: this.metrics.metricErrorRate(colour),
      threshold: thresholds.errorRatePercent,
      periods: thresholds.evaluationPeriods,
      description: `${what}: target 5xx above ${num(thresholds.errorRatePercent)}% of requests. Part of ${gateName}.`,
    });
    this.latencyP99 = this.gateMember('LatencyP99', name(ColourAlarmKind.LATENCY_P99), {
      metric: this.metrics.metricLatencyP99(colour),
      // TargetResponseTime is in seconds; a token Duration must be given in seconds to convert.
      threshold: thresholds.latencyP99.toSeconds({ integral: false }),
      periods: thresholds.evaluationPeriods,
      description: `${what}: p99 target response time above ${humanDuration(thresholds.latencyP99)}. Part of ${gateName}.`,
    });
    this.unhealthyHosts = this.gateMember('UnhealthyHosts', name(ColourAlarmKind.UNHEALTHY_HOSTS), {
      metric: this.metrics.metricUnhealthyHosts(colour),
      threshold: 0,
      periods: thresholds.unhealthyPeriods,
      description: `${what}: at least one target failing load balancer health checks. Part of ${gateName}.`,
    });
    this.healthyHosts = this.gateMember('HealthyHosts', name(ColourAlarmKind.HEALTHY_HOSTS), {
      metric: this.metrics.metricHealthyHostShortfall(colour),
      threshold: 0,
      periods: thresholds.evaluationPeriods,
      description: `${what}: fewer healthy targets than the Auto Scaling group's desired capacity (capped at ${num(service.capacity.desiredCapacity)}). Part of ${gateName}.`,
    });

    const quarantine = service.healing.quarantineSettings;
    if (quarantine) {
      this.flapping = this.gateMember('Flapping', name(ColourAlarmKind.FLAPPING), {
        // The gauge already counts over the flapping window: one minute's maximum is the current count.
        metric: fleet.metricRecentReplacements(),
        threshold: quarantine.flappingReplacements,
        periods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          `${what}: at least ${num(quarantine.flappingReplacements)} instances replaced for failing health checks within ` +
          `${humanDuration(quarantine.flappingWindow)}; its instances keep dying. Part of ${gateName}: a release of ${colour.name} rolls back on it.`,
      });
    }
    const own = [this.errorRate, this.latencyP99, this.unhealthyHosts, this.healthyHosts, ...(this.flapping ? [this.flapping] : [])];
    const members: cloudwatch.IAlarm[] = [...own, ...(props.additionalGateAlarms ?? [])];
    this.gate = new cloudwatch.CompositeAlarm(this, 'Gate', {
      compositeAlarmName: gateName,
      alarmRule: cloudwatch.AlarmRule.anyOf(...members),
      alarmDescription: `${what} release gate: in ALARM while any of ${members.length} alarms is. A release of ${colour.name} rolls back on it.`,
    });

    const actions = (props.actions ?? AlarmActions.serviceTopic()).bind(service);
    applyActions(this.gate, actions);
    if (props.notifyComponentAlarms) {
      for (const a of own) applyActions(a, actions);
    }

    fleet.registerAlarms({
      gate: gateName,
      errorRate: name(ColourAlarmKind.ERROR_RATE),
      latencyP99: name(ColourAlarmKind.LATENCY_P99),
      unhealthyHosts: name(ColourAlarmKind.UNHEALTHY_HOSTS),
      healthyHosts: name(ColourAlarmKind.HEALTHY_HOSTS),
      ...(this.flapping ? { flapping: name(ColourAlarmKind.FLAPPING) } : {}),
    });
  }

  private gateMember(id: string, alarmName: string, spec: MemberSpec): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmName,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: spec.periods,
      alarmDescription: spec.description,
      // Not breaching: these metrics go missing exactly when a colour gets no requests or has no targets, i.e. a
      // healthy idle colour. Hosts that should exist but report nothing still count, because the healthy-host
      // shortfall fills missing healthy counts with 0. The flapping gauge is missing when nothing was replaced
      // (or the quarantine function is not running, which its own failure alarm reports).
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

/** One member alarm of the gate: breaches above `threshold` (or as `comparisonOperator` says) for `periods` consecutive periods. */
interface MemberSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly periods: number;
  readonly description: string;
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
}

/** A number for a description, tokens included. */
function num(value: number): string {
  return Tokenization.stringifyNumber(value);
}

function humanDuration(value: Duration): string {
  return value.isUnresolved() ? `${num(value.toSeconds())} seconds` : value.toHumanString();
}
