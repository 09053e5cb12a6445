import { Duration, Tokenization } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { IBlueGreenService } from '../fleet/blue-green-service';
import { Colour } from '../fleet/colour';

/**
 * The metrics of a blue/green service, per colour and for its load balancer. Alarms and dashboard both draw from
 * here, so a graph always shows exactly what its alarm evaluates.
 *
 * Every metric uses `period`; math expressions apply it to all their inputs.
 */
export class ServiceHealthMetrics {
  /** Period of every metric. */
  public readonly period: Duration;

  constructor(
    private readonly service: IBlueGreenService,
    period?: Duration,
  ) {
    this.period = period ?? Duration.minutes(1);
  }

  /**
   * Requests routed to the colour.
   *
   * @default - Sum over `period`
   */
  public metricRequestCount(colour: Colour): cloudwatch.Metric {
    return this.service.colour(colour).metricRequestCount({ period: this.period, label: `${colour.name} requests` });
  }

  /**
   * 5xx responses returned by the colour's targets.
   *
   * @default - Sum over `period`
   */
  public metricTarget5xxCount(colour: Colour): cloudwatch.Metric {
    return this.service.colour(colour).metricTarget5xxCount({ period: this.period, label: `${colour.name} target 5xx` });
  }

  /**
   * Target 5xx responses as a percentage of the colour's requests; 0 in a period without requests, so an idle
   * colour reads as healthy rather than as missing data.
   */
  public metricErrorRate(colour: Colour): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
      usingMetrics: { requests: this.metricRequestCount(colour), errors: this.metricTarget5xxCount(colour) },
      period: this.period,
      label: `${colour.name} 5xx rate (%)`,
    });
  }

  /**
   * p99 of the colour's target response time, in seconds.
   *
   * @default - p99 over `period`
   */
  public metricLatencyP99(colour: Colour): cloudwatch.Metric {
    return this.service.colour(colour).metricTargetResponseTime({ period: this.period, label: `${colour.name} p99 latency (s)` });
  }

  /**
   * Targets the load balancer sees as healthy.
   *
   * @default - Minimum over `period`
   */
  public metricHealthyHosts(colour: Colour): cloudwatch.Metric {
    return this.service.colour(colour).metricHealthyHostCount({ period: this.period, label: `${colour.name} healthy hosts` });
  }

  /**
   * Targets the load balancer sees as unhealthy.
   *
   * @default - Maximum over `period`
   */
  public metricUnhealthyHosts(colour: Colour): cloudwatch.Metric {
    return this.service.colour(colour).metricUnhealthyHostCount({ period: this.period, label: `${colour.name} unhealthy hosts` });
  }

  /**
   * Instances the colour should have healthy now: its Auto Scaling group's desired capacity, capped at the
   * service's serving desired capacity.
   *
   * Read at run time, not from the deployed capacity mode, because the release engine scales colours between
   * serving size and zero without a deploy (e.g. the old colour to standby after a promotion). A colour at zero
   * therefore expects zero hosts, and scale-outs beyond the serving size are not required to be healthy. Missing
   * Auto Scaling data counts as zero expected: a colour must never be blocked by a metric it does not publish.
   */
  public metricExpectedHosts(colour: Colour): cloudwatch.MathExpression {
    const cap = Tokenization.stringifyNumber(this.service.capacity.desiredCapacity);
    return new cloudwatch.MathExpression({
      expression: `IF(FILL(desired, 0) < ${cap}, FILL(desired, 0), ${cap})`,
      usingMetrics: { desired: this.metricDesiredCapacity(colour) },
      period: this.period,
      label: `${colour.name} expected hosts`,
    });
  }

  /** Expected hosts (see `metricExpectedHosts`) minus healthy hosts: above 0 when the colour is short. */
  public metricHealthyHostShortfall(colour: Colour): cloudwatch.MathExpression {
    const cap = Tokenization.stringifyNumber(this.service.capacity.desiredCapacity);
    return new cloudwatch.MathExpression({
      expression: `IF(FILL(desired, 0) < ${cap}, FILL(desired, 0), ${cap}) - FILL(healthy, 0)`,
      usingMetrics: { desired: this.metricDesiredCapacity(colour), healthy: this.metricHealthyHosts(colour) },
      period: this.period,
      label: `${colour.name} healthy-host shortfall`,
    });
  }

  /**
   * Requests the load balancer routed to a target (both colours, both listeners).
   *
   * @default - Sum over `period`
   */
  public metricLoadBalancerRequestCount(): cloudwatch.Metric {
    return this.service.loadBalancer.metrics.requestCount({ statistic: 'Sum', period: this.period, label: 'load balancer requests' });
  }

  /**
   * 5xx responses the load balancer generated itself (not the targets').
   *
   * @default - Sum over `period`
   */
  public metricLoadBalancer5xxCount(): cloudwatch.Metric {
    return this.service.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum', period: this.period, label: 'load balancer 5xx' });
  }

  /**
   * Load-balancer-generated 5xx as a percentage of all requests. The errors are added to the denominator because
   * requests rejected before a target is chosen (503: no targets) are not in `RequestCount`; 0 without errors.
   */
  public metricLoadBalancerErrorRate(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF(FILL(errors, 0) > 0, 100 * FILL(errors, 0) / (FILL(requests, 0) + FILL(errors, 0)), 0)',
      usingMetrics: { requests: this.metricLoadBalancerRequestCount(), errors: this.metricLoadBalancer5xxCount() },
      period: this.period,
      label: 'load balancer 5xx rate (%)',
    });
  }

  private metricDesiredCapacity(colour: Colour): cloudwatch.Metric {
    // Published because ColourFleet enables all group metrics.
    return new cloudwatch.Metric({
      namespace: 'AWS/AutoScaling',
      metricName: 'GroupDesiredCapacity',
      dimensionsMap: { AutoScalingGroupName: this.service.colour(colour).autoScalingGroup.autoScalingGroupName },
      statistic: 'Minimum',
      period: this.period,
      label: `${colour.name} desired capacity`,
    });
  }
}
