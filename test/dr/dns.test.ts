import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ofType, primary, PRIMARY, RECORD, standby, STANDBY, ZONE_ID } from './fixtures';

function logicalIdOf(template: Template, type: string, match: (props: Record<string, unknown>) => boolean): string {
  const found = Object.entries(ofType(template, type)).filter(([, r]) => match(r.Properties));
  expect(found).toHaveLength(1);
  return found[0][0];
}

const hcConfig = (r: { Properties: Record<string, unknown> }) => r.Properties.HealthCheckConfig as Record<string, unknown>;

describe('RegionalFailover records', () => {
  it('gives the primary a PRIMARY alias to its load balancer, health-checked by the calculated check, EvaluateTargetHealth off', () => {
    // GIVEN / WHEN
    const t = primary().template();
    // THEN
    const calculated = logicalIdOf(t, 'AWS::Route53::HealthCheck', (p) => (p.HealthCheckConfig as { Type: string }).Type === 'CALCULATED');
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: `${RECORD}.`,
      Type: 'A',
      HostedZoneId: ZONE_ID,
      Failover: 'PRIMARY',
      SetIdentifier: `bluegreen-web-${PRIMARY}`,
      HealthCheckId: { Ref: calculated },
      AliasTarget: { DNSName: { 'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebLoadBalancer'), 'DNSName'] }]] }, EvaluateTargetHealth: false, HostedZoneId: Match.anyValue() },
    });
  });

  it('gives the standby a SECONDARY alias to its load balancer, health-checked by its endpoint check', () => {
    // GIVEN / WHEN
    const t = standby().template();
    // THEN
    const endpoint = logicalIdOf(t, 'AWS::Route53::HealthCheck', (p) => (p.HealthCheckConfig as { Type: string }).Type === 'HTTP');
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: `${RECORD}.`,
      Failover: 'SECONDARY',
      SetIdentifier: `bluegreen-web-${STANDBY}`,
      HealthCheckId: { Ref: endpoint },
      AliasTarget: Match.objectLike({ EvaluateTargetHealth: false }),
    });
    expect(Object.keys(ofType(t, 'AWS::Route53::HealthCheck'))).toEqual([endpoint]);
  });

  it('adds each Region its own record <region>.<recordName>, an alias of its load balancer without routing policy', () => {
    for (const [built, region] of [[primary(), PRIMARY], [standby(), STANDBY]] as const) {
      // GIVEN / WHEN
      const records = Object.values(ofType(built.template(), 'AWS::Route53::RecordSet')).map((r) => r.Properties);
      // THEN
      const regional = records.find((r) => r.Name === `${region}.${RECORD}.`);
      expect(regional).toMatchObject({ Type: 'A', HostedZoneId: ZONE_ID, AliasTarget: { EvaluateTargetHealth: false } });
      expect(regional).not.toHaveProperty('Failover');
      expect(built.dr.regionalRecordName).toBe(`${region}.${RECORD}`);
    }
  });

  it('accepts the record name with a trailing dot and in upper case, and the zone apex itself', () => {
    // GIVEN / WHEN
    const upper = primary({ recordName: 'WEB.Example.com.' });
    const apex = primary({ recordName: 'example.com' });
    // THEN
    expect(upper.dr.recordName).toBe(RECORD);
    apex.template().hasResourceProperties('AWS::Route53::RecordSet', { Name: 'example.com.', Failover: 'PRIMARY' });
  });
});

describe('RegionalFailover health checks', () => {
  it('makes the primary check CALCULATED over the endpoint, switch and health-alarm checks, healthy only when all three are', () => {
    // GIVEN / WHEN
    const t = primary().template();
    const checks = ofType(t, 'AWS::Route53::HealthCheck');
    // THEN
    const id = (pred: (c: Record<string, unknown>) => boolean) => logicalIdOf(t, 'AWS::Route53::HealthCheck', (p) => pred(p.HealthCheckConfig as Record<string, unknown>));
    const endpoint = id((c) => c.Type === 'HTTP');
    const switchCheck = id((c) => (c.AlarmIdentifier as { Name?: string } | undefined)?.Name === 'bluegreen-web-dr-switch');
    const alarmCheck = id((c) => (c.AlarmIdentifier as { Name?: string } | undefined)?.Name === `bluegreen-web-dr-health-${PRIMARY}`);
    const calculated = Object.values(checks).map(hcConfig).find((c) => c.Type === 'CALCULATED');
    expect(calculated).toEqual({ Type: 'CALCULATED', HealthThreshold: 3, ChildHealthChecks: [{ Ref: endpoint }, { Ref: switchCheck }, { Ref: alarmCheck }], Inverted: false });
  });

  it('reads the switch alarm in the standby Region (healthy without data) and the health alarm in its own (last known status)', () => {
    // GIVEN / WHEN
    const t = primary().template();
    // THEN
    t.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: 'bluegreen-web-dr-switch', Region: STANDBY }, InsufficientDataHealthStatus: 'LastKnownStatus', Inverted: false },
    });
    t.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: `bluegreen-web-dr-health-${PRIMARY}`, Region: PRIMARY }, InsufficientDataHealthStatus: 'LastKnownStatus', Inverted: false },
    });
  });

  it('checks the health path through the Region record at the given interval and threshold', () => {
    // GIVEN / WHEN
    const t = standby(undefined, { healthCheckInterval: Duration.seconds(30), failureThreshold: 5 }, { healthCheck: { path: '/ready' } }).template();
    // THEN
    t.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'HTTP', FullyQualifiedDomainName: `${STANDBY}.${RECORD}`, Port: 80, ResourcePath: '/ready', RequestInterval: 30, FailureThreshold: 5 },
    });
  });

  it('defaults to a 10 s interval and a threshold of 3', () => {
    primary().template().hasResourceProperties('AWS::Route53::HealthCheck', { HealthCheckConfig: Match.objectLike({ Type: 'HTTP', RequestInterval: 10, FailureThreshold: 3 }) });
  });
});

describe('RegionalFailover alarms', () => {
  it('makes the switch alarm a latch: Maximum of the switch metric over 60 s, 1 of 1, >= 1, missing data ignored', () => {
    // GIVEN / WHEN
    const t = standby().template();
    // THEN
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'bluegreen-web-dr-switch',
      Namespace: 'cdk-bluegreen/DR',
      MetricName: 'FailoverSwitch',
      Dimensions: [{ Name: 'Service', Value: 'web' }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
    });
  });

  it('has no switch alarm in the primary (it lives in the standby, out of the primary Region\'s fate)', () => {
    const names = Object.values(ofType(primary().template(), 'AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
    expect(names).toEqual([`bluegreen-web-dr-health-${PRIMARY}`]);
  });

  it('makes each Region\'s health alarm a standard-resolution metric alarm on the load balancer\'s own 5xx', () => {
    for (const [built, region] of [[primary({ healthAlarmThreshold: 20 }), PRIMARY], [standby(undefined, { healthAlarmThreshold: 20 }), STANDBY]] as const) {
      built.template().hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `bluegreen-web-dr-health-${region}`,
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HTTPCode_ELB_5XX_Count',
        Statistic: 'Sum',
        Period: 60,
        Threshold: 20,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        Metrics: Match.absent(),
      });
    }
  });

  it('defaults the health alarm to 50 5xx a minute', () => {
    primary().template().hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HTTPCode_ELB_5XX_Count', Threshold: 50 });
  });
});
