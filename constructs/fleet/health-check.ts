import { Duration } from 'aws-cdk-lib';

/**
 * How the load balancer decides a colour's instance is healthy.
 *
 * Defaults are tighter than the ALB's (30 s interval, 5 healthy checks) so a new colour becomes
 * releasable in about 20 seconds instead of 2.5 minutes.
 */
export interface ServiceHealthCheck {
  /**
   * Path requested on each instance.
   *
   * @default '/health'
   */
  readonly path?: string;
  /**
   * Port the health check uses.
   *
   * @default - the application port
   */
  readonly port?: number;
  /**
   * HTTP codes that mean healthy, e.g. `200` or `200-299`.
   *
   * @default '200'
   */
  readonly healthyHttpCodes?: string;
  /**
   * Time between checks (5 to 300 seconds); must be longer than `timeout`.
   *
   * @default Duration.seconds(10)
   */
  readonly interval?: Duration;
  /**
   * Time without an answer that fails a check (2 to 120 seconds).
   *
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
  /**
   * Consecutive successes before an instance is healthy (2 to 10).
   *
   * @default 2
   */
  readonly healthyThresholdCount?: number;
  /**
   * Consecutive failures before an instance is unhealthy (2 to 10).
   *
   * @default 2
   */
  readonly unhealthyThresholdCount?: number;
}
