import { CfnParameter, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AlarmThresholds, ServiceAlarms } from '../../constructs/health';
import { alarmNamed, serviceStack } from './service-fixture';

function alarmsWith(thresholds: AlarmThresholds) {
  const { stack, service } = serviceStack();
  return () => new ServiceAlarms(stack, 'Alarms', { service, thresholds });
}

describe('AlarmThresholds', () => {
  it('defaults to 5 % errors, 1 s p99, 5 % load balancer errors, 2 unhealthy periods, 3 periods of 1 minute', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service });
    // THEN
    const template = Template.fromStack(stack);
    expect(alarmNamed(template, 'web-blue-error-rate').props).toMatchObject({ Threshold: 5, EvaluationPeriods: 3 });
    expect(alarmNamed(template, 'web-blue-latency-p99').props).toMatchObject({ Threshold: 1, EvaluationPeriods: 3 });
    expect(alarmNamed(template, 'web-blue-unhealthy-hosts').props).toMatchObject({ Threshold: 0, EvaluationPeriods: 2 });
    expect(alarmNamed(template, 'web-blue-healthy-hosts').props).toMatchObject({ Threshold: 0, EvaluationPeriods: 3 });
    expect(alarmNamed(template, 'web-alb-error-rate').props).toMatchObject({ Threshold: 5, EvaluationPeriods: 3 });
    expect(JSON.stringify(alarmNamed(template, 'web-blue-latency-p99').props.Metrics)).toContain('"Period":60');
  });

  describe('rejects bad values, naming the prop, the value and the fix', () => {
    const cases: Array<[string, AlarmThresholds, RegExp]> = [
      ['a zero error rate', { errorRatePercent: 0 }, /^thresholds\.errorRatePercent: must be a percentage above 0 and at most 100, e\.g\. 5\. Got 0\.$/],
      ['an error rate above 100', { errorRatePercent: 120 }, /^thresholds\.errorRatePercent: must be a percentage .* Got 120\.$/],
      ['a NaN error rate', { errorRatePercent: NaN }, /^thresholds\.errorRatePercent: must be a percentage .* Got null\.$/],
      ['a zero load balancer error rate', { loadBalancerErrorRatePercent: 0 }, /^thresholds\.loadBalancerErrorRatePercent: must be a percentage .* Got 0\.$/],
      ['a zero latency', { latencyP99: Duration.millis(0) }, /^thresholds\.latencyP99: must be above 0 and at most 4000 seconds, e\.g\. Duration\.millis\(500\)\. Got 0 seconds\.$/],
      ['a latency beyond the idle timeout', { latencyP99: Duration.hours(2) }, /^thresholds\.latencyP99: must be above 0 and at most 4000 seconds.* Got 7200 seconds\.$/],
      ['zero unhealthy periods', { unhealthyPeriods: 0 }, /^thresholds\.unhealthyPeriods: must be a whole number from 1 to 1440\. Got 0\.$/],
      ['fractional evaluation periods', { evaluationPeriods: 2.5 }, /^thresholds\.evaluationPeriods: must be a whole number from 1 to 1440\. Got 2\.5\.$/],
      ['a period under a minute', { period: Duration.seconds(30) }, /^thresholds\.period: must be a whole number of minutes from 1 minute to 1 day.* Got 30 seconds\.$/],
      ['a period of a fractional minute', { period: Duration.seconds(90) }, /^thresholds\.period: must be a whole number of minutes .* Got 90 seconds\.$/],
      ['a period over a day', { period: Duration.days(2) }, /^thresholds\.period: .* Got 172800 seconds\.$/],
      ['an evaluation range over a day', { period: Duration.minutes(30), evaluationPeriods: 49 }, /^thresholds\.evaluationPeriods: times thresholds\.period \(1800 s\) must not exceed 1 day\(s\); use fewer periods or a shorter period\. Got 49\.$/],
      ['an unhealthy range over a day', { period: Duration.minutes(30), unhealthyPeriods: 50 }, /^thresholds\.unhealthyPeriods: times thresholds\.period \(1800 s\) must not exceed 1 day\(s\).* Got 50\.$/],
      ['an hourly evaluation range over seven days', { period: Duration.hours(1), evaluationPeriods: 169 }, /^thresholds\.evaluationPeriods: .* must not exceed 7 day\(s\).* Got 169\.$/],
    ];
    for (const [name, thresholds, message] of cases) {
      it(`rejects ${name}`, () => {
        // GIVEN / WHEN / THEN
        expect(alarmsWith(thresholds)).toThrow(message);
      });
    }
  });

  it('accepts the edges of each range', () => {
    // GIVEN / WHEN / THEN
    expect(alarmsWith({ errorRatePercent: 100, loadBalancerErrorRatePercent: 0.1, latencyP99: Duration.millis(1), unhealthyPeriods: 1 })).not.toThrow();
    expect(alarmsWith({ period: Duration.hours(1), evaluationPeriods: 168 })).not.toThrow();
    expect(alarmsWith({ period: Duration.minutes(1), evaluationPeriods: 1440 })).not.toThrow();
  });

  it('skips validation for values that are tokens', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    const param = (name: string) => new CfnParameter(stack, name, { type: 'Number' }).valueAsNumber;
    // WHEN
    new ServiceAlarms(stack, 'Alarms', {
      service,
      thresholds: {
        errorRatePercent: param('ErrorRate'),
        loadBalancerErrorRatePercent: param('AlbErrorRate'),
        latencyP99: Duration.seconds(param('Latency')),
        unhealthyPeriods: param('UnhealthyPeriods'),
        evaluationPeriods: param('EvaluationPeriods'),
      },
    });
    // THEN the tokens reach the template unchanged
    const template = Template.fromStack(stack);
    expect(alarmNamed(template, 'web-blue-error-rate').props).toMatchObject({ Threshold: { Ref: 'ErrorRate' }, EvaluationPeriods: { Ref: 'EvaluationPeriods' } });
    expect(alarmNamed(template, 'web-alb-error-rate').props.Threshold).toEqual({ Ref: 'AlbErrorRate' });
    expect(alarmNamed(template, 'web-green-latency-p99').props.Threshold).toEqual({ Ref: 'Latency' });
    expect(alarmNamed(template, 'web-green-unhealthy-hosts').props.EvaluationPeriods).toEqual({ Ref: 'UnhealthyPeriods' });
    expect(alarmNamed(template, 'web-blue-error-rate').props.AlarmDescription).toEqual({ 'Fn::Join': ['', ['web blue: target 5xx above ', { Ref: 'ErrorRate' }, '% of requests. Part of web-blue-gate.']] });
    expect(JSON.stringify(alarmNamed(template, 'web-blue-latency-p99').props.AlarmDescription)).toContain('{"Ref":"Latency"}," seconds');
  });
});
