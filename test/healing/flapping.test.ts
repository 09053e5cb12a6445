import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AlarmNaming, Colour, ColourAlarmKind, Healing, IBlueGreenService, ServiceAlarms } from '../../constructs';
import { HEALING_METRIC } from '../../lib/contract';
import { alarmNamed, arnRefs, descriptorJson, serviceStack } from '../health/service-fixture';

describe('flapping alarm', () => {
  it('is a member of each colour\'s gate when the service quarantines: Maximum over 1 minute >= flappingReplacements, missing data not breaching', () => {
    // GIVEN
    const { stack, service } = serviceStack({ service: { healing: Healing.quarantine({ flappingReplacements: 4, flappingWindow: Duration.minutes(10) }) } });
    // WHEN
    const alarms = new ServiceAlarms(stack, 'Alarms', { service });
    const template = Template.fromStack(stack);
    // THEN
    for (const colour of ['blue', 'green'] as const) {
      const flapping = alarmNamed(template, `web-${colour}-flapping`);
      expect(flapping.props).toMatchObject({
        Namespace: HEALING_METRIC.NAMESPACE,
        MetricName: HEALING_METRIC.RECENT_REPLACEMENTS,
        Dimensions: expect.arrayContaining([
          { Name: HEALING_METRIC.SERVICE_DIMENSION, Value: 'web' },
          { Name: HEALING_METRIC.COLOUR_DIMENSION, Value: colour },
        ]),
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 4,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(flapping.props.AlarmDescription).toBe(
        `web ${colour}: at least 4 instances replaced for failing health checks within 10 minutes; its instances keep dying. Part of web-${colour}-gate: a release of ${colour} rolls back on it.`,
      );
      expect(flapping.props.AlarmActions).toBeUndefined();
      expect(arnRefs(alarmNamed(template, `web-${colour}-gate`).props.AlarmRule)).toContain(flapping.logicalId);
    }
    expect(alarms.blue.flapping).toBeDefined();
    expect(alarms.blue.flapping?.node.path).toBe('Stack/Alarms/Blue/Flapping');
  });

  it('is registered as `flapping` in the descriptor', () => {
    // GIVEN
    const { stack, service } = serviceStack({ service: { healing: Healing.quarantine() } });
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service });
    // THEN
    const d = descriptorJson(Template.fromStack(stack));
    expect(d.colours.blue.alarms).toMatchObject({ flapping: 'web-blue-flapping' });
    expect(d.colours.green.alarms).toMatchObject({ flapping: 'web-green-flapping' });
  });

  it('does not exist when the service only replaces', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    // WHEN
    const alarms = new ServiceAlarms(stack, 'Alarms', { service });
    const template = Template.fromStack(stack);
    // THEN
    expect(alarms.blue.flapping).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: HEALING_METRIC.RECENT_REPLACEMENTS }, 0);
    expect(descriptorJson(template).colours.blue.alarms).not.toHaveProperty('flapping');
  });

  it('notifies with the other members when notifyComponentAlarms is on', () => {
    // GIVEN
    const { stack, service } = serviceStack({ service: { healing: Healing.quarantine() } });
    // WHEN
    new ServiceAlarms(stack, 'Alarms', { service, notifyComponentAlarms: true });
    // THEN
    expect(alarmNamed(Template.fromStack(stack), 'web-green-flapping').props.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^WebTopic/) }]);
  });

  it('follows the naming', () => {
    // GIVEN / WHEN / THEN
    expect(AlarmNaming.withPrefix('prod-web').colourAlarmName('web', Colour.GREEN, ColourAlarmKind.FLAPPING)).toBe('prod-web-green-flapping');
  });

  it('is there when the alarms live in another stack: the service interface carries its healing', () => {
    // GIVEN the service in one stack
    const { stack, service } = serviceStack({ service: { healing: Healing.quarantine({ flappingReplacements: 5 }) } });
    const monitoring = new Stack(stack.node.scope as never, 'Monitoring', { env: { region: 'eu-west-1' } });
    const asInterface: IBlueGreenService = service;
    // WHEN
    new ServiceAlarms(monitoring, 'Alarms', { service: asInterface });
    // THEN
    expect(asInterface.healing.quarantineSettings?.flappingReplacements).toBe(5);
    expect(alarmNamed(Template.fromStack(monitoring), 'web-blue-flapping').props.Threshold).toBe(5);
    expect(descriptorJson(Template.fromStack(stack)).colours.blue.alarms).toMatchObject({ flapping: 'web-blue-flapping' });
  });

  it('reads the gauge the quarantine function publishes through IColourFleet.metricRecentReplacements', () => {
    // GIVEN
    const { service } = serviceStack();
    // WHEN
    const metric = service.colour(Colour.BLUE).metricRecentReplacements({ period: Duration.minutes(5) });
    // THEN
    expect(metric.namespace).toBe(HEALING_METRIC.NAMESPACE);
    expect(metric.metricName).toBe(HEALING_METRIC.RECENT_REPLACEMENTS);
    expect(metric.dimensions).toEqual({ Service: 'web', Colour: 'blue' });
    expect(metric.statistic).toBe('Maximum');
    expect(metric.period.toSeconds()).toBe(300);
  });
});
