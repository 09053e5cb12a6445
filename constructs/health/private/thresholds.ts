import { Duration, Token } from 'aws-cdk-lib';
import { allResolved, checkIntRange, propError } from '../../private/validate';
import { AlarmThresholds } from '../alarm-thresholds';

/** Thresholds with defaults applied. */
export interface ResolvedThresholds {
  readonly errorRatePercent: number;
  readonly latencyP99: Duration;
  readonly loadBalancerErrorRatePercent: number;
  readonly unhealthyPeriods: number;
  readonly evaluationPeriods: number;
  readonly period: Duration;
}

const ONE_DAY_SECONDS = 86_400;
const MAX_LATENCY_SECONDS = 4_000;

/** Apply defaults and validate; unresolved tokens pass unchecked. */
export function resolveThresholds(thresholds: AlarmThresholds = {}): ResolvedThresholds {
  const resolved: ResolvedThresholds = {
    errorRatePercent: thresholds.errorRatePercent ?? 5,
    latencyP99: thresholds.latencyP99 ?? Duration.seconds(1),
    loadBalancerErrorRatePercent: thresholds.loadBalancerErrorRatePercent ?? 5,
    unhealthyPeriods: thresholds.unhealthyPeriods ?? 2,
    evaluationPeriods: thresholds.evaluationPeriods ?? 3,
    period: thresholds.period ?? Duration.minutes(1),
  };
  checkPercent('thresholds.errorRatePercent', resolved.errorRatePercent);
  checkPercent('thresholds.loadBalancerErrorRatePercent', resolved.loadBalancerErrorRatePercent);
  checkLatency(resolved.latencyP99);
  checkIntRange('thresholds.unhealthyPeriods', resolved.unhealthyPeriods, 1, 1440);
  checkIntRange('thresholds.evaluationPeriods', resolved.evaluationPeriods, 1, 1440);
  checkPeriod(resolved.period);
  checkEvaluationWindow(resolved);
  return resolved;
}

function checkPercent(prop: string, value: number) {
  if (Token.isUnresolved(value)) return;
  if (!Number.isFinite(value) || value <= 0 || value > 100) {
    throw propError(prop, value, 'must be a percentage above 0 and at most 100, e.g. 5.');
  }
}

function checkLatency(value: Duration) {
  if (value.isUnresolved()) return;
  const ms = value.toMilliseconds({ integral: false });
  if (!(ms > 0) || ms > MAX_LATENCY_SECONDS * 1000) {
    throw propError('thresholds.latencyP99', value, `must be above 0 and at most ${MAX_LATENCY_SECONDS} seconds, e.g. Duration.millis(500).`);
  }
}

function checkPeriod(value: Duration) {
  if (value.isUnresolved()) return;
  const seconds = value.toSeconds({ integral: false });
  // Load balancer metrics are published once a minute: a shorter or fractional-minute period has no data.
  if (seconds < 60 || seconds > ONE_DAY_SECONDS || seconds % 60 !== 0) {
    throw propError('thresholds.period', value, 'must be a whole number of minutes from 1 minute to 1 day, e.g. Duration.minutes(1).');
  }
}

function checkEvaluationWindow(t: ResolvedThresholds) {
  if (!allResolved(t.period, t.evaluationPeriods, t.unhealthyPeriods)) return;
  const periods = Math.max(t.evaluationPeriods, t.unhealthyPeriods);
  const seconds = t.period.toSeconds();
  // CloudWatch caps an alarm's evaluation range: one day for periods under an hour, seven days otherwise.
  const limitDays = seconds >= 3600 ? 7 : 1;
  if (seconds * periods > limitDays * ONE_DAY_SECONDS) {
    const prop = periods === t.evaluationPeriods ? 'thresholds.evaluationPeriods' : 'thresholds.unhealthyPeriods';
    throw propError(prop, periods, `times thresholds.period (${seconds} s) must not exceed ${limitDays} day(s); use fewer periods or a shorter period.`);
  }
}
