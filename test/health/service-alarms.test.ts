import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { Colour } from '../../constructs/fleet';
import { AlarmActions, AlarmNaming, ColourAlarms, ServiceAlarms } from '../../constructs/health';
import { alarmNamed, arnRefs, descriptorJson, returnedExpression, serviceStack } from './service-fixture';

const MEMBERS = ['error-rate', 'latency-p99', 'unhealthy-hosts', 'healthy-hosts'];

describe('ServiceAlarms', () => {
  it('alarms on each colour\'s target 5xx rate with a no-traffic guard', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service });
    // THEN
    const template = Template.fromStack(stack);
    for (const colour of ['blue', 'green']) {
      const { props } = alarmNamed(template, `web-${colour}-error-rate`);
      expect(returnedExpression(props)).toBe('IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)');
      expect(props).toMatchObject({ Threshold: 5, EvaluationPeriods: 3, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
      const inputs = Object.fromEntries((props.Metrics as Array<{ Id: string; MetricStat?: { Metric: { MetricName: string }; Stat: string; Period: number } }>)
        .filter((m) => m.MetricStat)
        .map((m) => [m.Id, m.MetricStat]));
      expect(inputs.requests).toMatchObject({ Metric: { MetricName: 'RequestCount' }, Stat: 'Sum', Period: 60 });
      expect(inputs.errors).toMatchObject({ Metric: { MetricName: 'HTTPCode_Target_5XX_Count' }, Stat: 'Sum', Period: 60 });
      // The colour's own target group, not the other's.
      expect(JSON.stringify(props.Metrics)).toContain(`Web${colour === 'blue' ? 'Blue' : 'Green'}TargetGroup`);
      expect(JSON.stringify(props.Metrics)).not.toContain(`Web${colour === 'blue' ? 'Green' : 'Blue'}TargetGroup`);
    }
  });

  it('alarms on p99 target response time in seconds', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service, thresholds: { latencyP99: Duration.millis(500) } });
    // THEN
    const { props } = alarmNamed(Template.fromStack(stack), 'web-green-latency-p99');
    expect(props.Threshold).toBe(0.5);
    const [metric] = props.Metrics as Array<{ MetricStat: { Metric: { MetricName: string }; Stat: string }; ReturnData: boolean }>;
    expect(metric).toMatchObject({ MetricStat: { Metric: { MetricName: 'TargetResponseTime' }, Stat: 'p99' }, ReturnData: true });
  });

  it('alarms when any target is unhealthy for unhealthyPeriods periods', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service, thresholds: { unhealthyPeriods: 4 } });
    // THEN
    const { props } = alarmNamed(Template.fromStack(stack), 'web-blue-unhealthy-hosts');
    expect(props).toMatchObject({ Threshold: 0, EvaluationPeriods: 4, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    expect(JSON.stringify(props.Metrics)).toContain('"MetricName":"UnHealthyHostCount"');
    expect(JSON.stringify(props.Metrics)).toContain('"Stat":"Maximum"');
  });

  it('expects as many healthy hosts as the Auto Scaling group wants, capped at the serving desired capacity', () => {
    // GIVEN
    const { stack, service } = serviceStack({ service: { minCapacity: 3, desiredCapacity: 3, maxCapacity: 4 } });
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service });
    // THEN
    const template = Template.fromStack(stack);
    const { props } = alarmNamed(template, 'web-green-healthy-hosts');
    expect(returnedExpression(props)).toBe('IF(FILL(desired, 0) < 3, FILL(desired, 0), 3) - FILL(healthy, 0)');
    expect(props).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const metrics = JSON.stringify(props.Metrics);
    expect(metrics).toContain('"MetricName":"GroupDesiredCapacity"');
    expect(metrics).toContain('"MetricName":"HealthyHostCount"');
    const greenAsg = Object.keys(template.findResources('AWS::AutoScaling::AutoScalingGroup')).find((id) => id.startsWith('WebGreen'));
    expect(metrics).toContain(`{"Ref":"${greenAsg}"}`);
  });

  it('keeps a standby colour quiet without disabling it: zero desired capacity means zero expected hosts', () => {
    // GIVEN a green colour deployed in standby (zero instances)
    const { stack, service } = serviceStack({ greenMode: 'standby' });
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service });
    // THEN its Auto Scaling group wants zero and its healthy-host alarm expects what the group wants, not a constant
    const template = Template.fromStack(stack);
    const asgs = template.findResources('AWS::AutoScaling::AutoScalingGroup');
    const greenAsg = Object.keys(asgs).find((id) => id.startsWith('WebGreen')) ?? '';
    expect(asgs[greenAsg].Properties).toMatchObject({ MinSize: '0', MaxSize: '0', MetricsCollection: [{ Granularity: '1Minute' }] });
    const { props } = alarmNamed(template, 'web-green-healthy-hosts');
    expect(returnedExpression(props)).toMatch(/^IF\(FILL\(desired, 0\) < 2, FILL\(desired, 0\), 2\)/);
    expect(JSON.stringify(props.Metrics)).toContain(`{"Ref":"${greenAsg}"}`);
    // AND its alarms stay armed, for when the release engine scales it up without a deploy
    for (const name of ['web-green-gate', ...MEMBERS.map((m) => `web-green-${m}`)]) {
      expect(alarmNamed(template, name).props.ActionsEnabled).not.toBe(false);
    }
    expect(alarmNamed(template, 'web-green-gate').props.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^WebTopic/) }]);
  });

  it('alarms on the load balancer\'s own 5xx rate', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service, thresholds: { loadBalancerErrorRatePercent: 2 } });
    // THEN
    const { props } = alarmNamed(Template.fromStack(stack), 'web-alb-error-rate');
    expect(returnedExpression(props)).toBe('IF(FILL(errors, 0) > 0, 100 * FILL(errors, 0) / (FILL(requests, 0) + FILL(errors, 0)), 0)');
    expect(props).toMatchObject({ Threshold: 2, TreatMissingData: 'notBreaching' });
    const errors = (props.Metrics as Array<{ Id: string; MetricStat?: { Metric: { MetricName: string; Dimensions: Array<{ Name: string }> } } }>).find((m) => m.Id === 'errors');
    expect(errors?.MetricStat?.Metric.MetricName).toBe('HTTPCode_ELB_5XX_Count');
    expect(errors?.MetricStat?.Metric.Dimensions.map((d) => d.Name)).toEqual(['LoadBalancer']);
  });

  it('gives each colour one gate on exactly its own alarms and the load balancer alarm', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service });
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 2);
    const alb = alarmNamed(template, 'web-alb-error-rate').logicalId;
    for (const colour of ['blue', 'green']) {
      const gate = alarmNamed(template, `web-${colour}-gate`).props;
      const own = MEMBERS.map((m) => alarmNamed(template, `web-${colour}-${m}`).logicalId);
      expect(arnRefs(gate.AlarmRule).sort()).toEqual([...own, alb].sort());
      expect(JSON.stringify(gate.AlarmRule)).toMatch(/^\{"Fn::Join":\["",\["\(ALARM\(\\"/);
      expect(JSON.stringify(gate.AlarmRule).match(/ OR /g)).toHaveLength(4);
    }
  });

  it('leaves the load balancer alarm out of the gates on request, and then lets it notify itself', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service, gateOnLoadBalancerErrors: false });
    // THEN
    const template = Template.fromStack(stack);
    const alb = alarmNamed(template, 'web-alb-error-rate');
    expect(arnRefs(alarmNamed(template, 'web-blue-gate').props.AlarmRule)).not.toContain(alb.logicalId);
    expect(alb.props).toMatchObject({ AlarmActions: [{ Ref: expect.stringMatching(/^WebTopic/) }], OKActions: [{ Ref: expect.stringMatching(/^WebTopic/) }] });
  });

  it('notifies the service topic from the gates on ALARM and OK, and not from their members by default', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service });
    // THEN
    const template = Template.fromStack(stack);
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    for (const colour of ['blue', 'green']) {
      expect(alarmNamed(template, `web-${colour}-gate`).props).toMatchObject({ AlarmActions: [{ Ref: topic }], OKActions: [{ Ref: topic }] });
      for (const m of MEMBERS) expect(alarmNamed(template, `web-${colour}-${m}`).props.AlarmActions).toBeUndefined();
    }
    expect(alarmNamed(template, 'web-alb-error-rate').props.AlarmActions).toBeUndefined();
  });

  it('notifies from every alarm with notifyComponentAlarms', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service, notifyComponentAlarms: true });
    // THEN
    const template = Template.fromStack(stack);
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    for (const name of ['web-alb-error-rate', ...MEMBERS.map((m) => `web-blue-${m}`)]) {
      expect(alarmNamed(template, name).props).toMatchObject({ AlarmActions: [{ Ref: topic }], OKActions: [{ Ref: topic }] });
    }
  });

  it('routes notifications to another topic or to none', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    const pager = new sns.Topic(stack, 'Pager');
    // WHEN
    new ServiceAlarms(stack, 'Paged', { service, actions: AlarmActions.toTopic(pager), naming: AlarmNaming.withPrefix('paged') });
    new ServiceAlarms(stack, 'Silent', { service, actions: AlarmActions.none(), naming: AlarmNaming.withPrefix('silent') });
    // THEN
    const template = Template.fromStack(stack);
    const pagerId = stack.getLogicalId(pager.node.defaultChild as sns.CfnTopic);
    expect(alarmNamed(template, 'paged-blue-gate').props).toMatchObject({ AlarmActions: [{ Ref: pagerId }], OKActions: [{ Ref: pagerId }] });
    expect(alarmNamed(template, 'silent-blue-gate').props.AlarmActions).toBeUndefined();
    expect(alarmNamed(template, 'silent-blue-gate').props.OKActions).toBeUndefined();
  });

  it('runs custom actions, reusing the ALARM actions for OK unless told otherwise', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    const onAlarm = new sns.Topic(stack, 'OnAlarm');
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service, actions: AlarmActions.custom({ onAlarm: [new cw_actions.SnsAction(onAlarm)] }) });
    // THEN
    const id = stack.getLogicalId(onAlarm.node.defaultChild as sns.CfnTopic);
    expect(alarmNamed(Template.fromStack(stack), 'web-green-gate').props).toMatchObject({ AlarmActions: [{ Ref: id }], OKActions: [{ Ref: id }] });
  });

  it('publishes the alarm names in the service descriptor', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service });
    // THEN
    const descriptor = descriptorJson(Template.fromStack(stack));
    for (const colour of ['blue', 'green'] as const) {
      expect(descriptor.colours[colour].alarms).toEqual({
        gate: `web-${colour}-gate`,
        errorRate: `web-${colour}-error-rate`,
        latencyP99: `web-${colour}-latency-p99`,
        unhealthyHosts: `web-${colour}-unhealthy-hosts`,
        healthyHosts: `web-${colour}-healthy-hosts`,
      });
    }
  });

  it('names alarms with a custom prefix', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service, naming: AlarmNaming.withPrefix('prod-web') });
    // THEN
    const template = Template.fromStack(stack);
    expect(alarmNamed(template, 'prod-web-green-gate').props.AlarmRule).toBeDefined();
    expect(alarmNamed(template, 'prod-web-alb-error-rate').props.Threshold).toBe(5);
    expect(descriptorJson(template).colours.green.alarms).toMatchObject({ gate: 'prod-web-green-gate' });
  });

  it('rejects an alarm name prefix CloudWatch or an alarm rule cannot take', () => {
    expect(() => AlarmNaming.withPrefix('web "prod"')).toThrow(/^naming: prefix must be letters, digits.*Got "web \\"prod\\""\.$/);
  });

  it('applies shorter periods to every metric', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    const alarms = new ServiceAlarms(stack, 'Alarms', { service, thresholds: { period: Duration.minutes(5), evaluationPeriods: 2 } });
    // THEN
    expect(alarms.metrics.period.toMinutes()).toBe(5);
    const { props } = alarmNamed(Template.fromStack(stack), 'web-blue-error-rate');
    expect(props.EvaluationPeriods).toBe(2);
    const periods = (props.Metrics as Array<{ MetricStat?: { Period: number } }>).filter((m) => m.MetricStat).map((m) => m.MetricStat?.Period);
    expect(periods).toEqual([300, 300]);
  });

  it('exposes each colour\'s alarms by colour', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    const alarms = new ServiceAlarms(stack, 'Alarms', { service });
    // THEN
    expect(alarms.colour(Colour.GREEN)).toBe(alarms.green);
    expect(alarms.blue.colour).toBe(Colour.BLUE);
    expect(alarms.blue.gate.node.path).toBe('Stack/Alarms/Blue/Gate');
  });
});

describe('ColourAlarms', () => {
  it('watches one colour alone and registers only its alarms', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    new ColourAlarms(stack, 'GreenAlarms', { service, colour: Colour.GREEN });
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    const descriptor = descriptorJson(template);
    expect(descriptor.colours.blue.alarms).toEqual({});
    expect(descriptor.colours.green.alarms).toMatchObject({ gate: 'web-green-gate' });
  });
});
