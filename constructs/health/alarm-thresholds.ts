import { Duration } from 'aws-cdk-lib';

/**
 * When a colour's alarms fire. Every value has a default, so `{}` is a working set; change one without the others.
 *
 * Defaults follow Flagger's analysis defaults loosened for EC2 start-up times: a release step rolls back after a few
 * bad minutes, not after one slow request.
 */
export interface AlarmThresholds {
  /**
   * Target 5xx responses, as a percentage of the colour's requests, above which the error-rate alarm breaches
   * (more than 0, at most 100). A minute without requests counts as 0 %.
   *
   * @default 5
   */
  readonly errorRatePercent?: number;
  /**
   * p99 target response time above which the latency alarm breaches (more than 0, at most 4000 seconds, the
   * load balancer's longest idle timeout).
   *
   * @default Duration.seconds(1)
   */
  readonly latencyP99?: Duration;
  /**
   * Load-balancer-generated 5xx responses (502, 503, 504: target resets, no targets, timeouts), as a percentage of
   * all requests, above which the load balancer alarm breaches (more than 0, at most 100).
   *
   * @default 5
   */
  readonly loadBalancerErrorRatePercent?: number;
  /**
   * Consecutive periods with any unhealthy target before the unhealthy-hosts alarm fires (1 to 1440).
   * Short, because an unhealthy target is direct evidence, unlike a slow minute.
   *
   * @default 2
   */
  readonly unhealthyPeriods?: number;
  /**
   * Consecutive breaching periods before the error-rate, latency, healthy-hosts and load balancer alarms fire
   * (1 to 1440). `period` × `evaluationPeriods` may not exceed one day (seven days for periods of an hour or more).
   *
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Length of one evaluation period: a whole number of minutes, at most one day. Load balancer metrics have
   * one-minute resolution, so shorter periods are not possible.
   *
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;
}
