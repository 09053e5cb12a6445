import { Duration } from 'aws-cdk-lib';
import { allResolved, checkIntRange, checkSecondsRange, propError } from '../../private/validate';
import { ServiceHealthCheck } from '../health-check';

/** A health check with every default applied. */
export interface ResolvedHealthCheck {
  readonly path: string;
  readonly port?: number;
  readonly healthyHttpCodes: string;
  readonly interval: Duration;
  readonly timeout: Duration;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
}

/** Apply defaults and validate against the ALB's ranges; `prop` names the prop in errors. */
export function resolveHealthCheck(hc: ServiceHealthCheck = {}, prop = 'healthCheck'): ResolvedHealthCheck {
  const resolved: ResolvedHealthCheck = {
    path: hc.path ?? '/health',
    port: hc.port,
    healthyHttpCodes: hc.healthyHttpCodes ?? '200',
    interval: hc.interval ?? Duration.seconds(10),
    timeout: hc.timeout ?? Duration.seconds(5),
    healthyThresholdCount: hc.healthyThresholdCount ?? 2,
    unhealthyThresholdCount: hc.unhealthyThresholdCount ?? 2,
  };
  if (!resolved.path.startsWith('/') || resolved.path.length > 1024) {
    throw propError(`${prop}.path`, resolved.path, "must start with '/' and be at most 1024 characters.");
  }
  if (!/^\d{3}(?:-\d{3})?(?:,\d{3}(?:-\d{3})?)*$/.test(resolved.healthyHttpCodes)) {
    throw propError(`${prop}.healthyHttpCodes`, resolved.healthyHttpCodes, "must be codes like '200', '200,302' or '200-299'.");
  }
  checkIntRange(`${prop}.port`, resolved.port, 1, 65535);
  checkSecondsRange(`${prop}.interval`, resolved.interval, 5, 300);
  checkSecondsRange(`${prop}.timeout`, resolved.timeout, 2, 120);
  checkIntRange(`${prop}.healthyThresholdCount`, resolved.healthyThresholdCount, 2, 10);
  checkIntRange(`${prop}.unhealthyThresholdCount`, resolved.unhealthyThresholdCount, 2, 10);
  if (allResolved(resolved.interval, resolved.timeout) && resolved.interval.toSeconds() <= resolved.timeout.toSeconds()) {
    throw propError(
      `${prop}.interval`,
      resolved.interval,
      `must be longer than ${prop}.timeout (${resolved.timeout.toSeconds()} seconds); raise the interval or lower the timeout.`,
    );
  }
  return resolved;
}
