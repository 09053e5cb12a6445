import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FailoverSwitch, StandbyMode } from '../../constructs';
import { freshApp, primary, PRIMARY, standby, STANDBY } from './fixtures';

describe('FailoverSwitch', () => {
  it('is a latching alarm on the DR switch metric, in its own stack', () => {
    // GIVEN a stack in the standby Region
    const stack = new Stack(freshApp(), 'Switch', { env: { region: STANDBY } });
    // WHEN
    const s = new FailoverSwitch(stack, 'Switch', { serviceName: 'web' });
    // THEN
    expect(s.region).toBe(STANDBY);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'bluegreen-web-dr-switch',
      Namespace: 'cdk-bluegreen/DR',
      MetricName: 'FailoverSwitch',
      Dimensions: [{ Name: 'Service', Value: 'web' }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      TreatMissingData: 'ignore',
      AlarmActions: Match.absent(),
    });
  });

  it('given to the standby, replaces the one the standby would create', () => {
    // GIVEN a switch in its own stack of the standby Region
    const { app, template } = (() => {
      const a = freshApp();
      const switchStack = new Stack(a, 'Switch', { env: { region: STANDBY } });
      const s = new FailoverSwitch(switchStack, 'Switch', { serviceName: 'web' });
      // WHEN the standby's failover is given it
      return standby(StandbyMode.pilotLight(), { failoverSwitch: s }, {}, a);
    })();
    // THEN the standby has no switch alarm of its own and still publishes the switch's name
    template().resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: 'bluegreen-web-dr-switch' }, 0);
    expect(JSON.stringify(template().toJSON())).not.toContain('Fn::ImportValue');
    expect(app.node.findAll().length).toBeGreaterThan(0);
  });

  it('refuses a switch on the primary, in another Region, or of another service', () => {
    const switchIn = (region: string, serviceName = 'web') => {
      const a = freshApp();
      return { a, s: new FailoverSwitch(new Stack(a, 'Switch', { env: { region } }), 'Switch', { serviceName }) };
    };
    // GIVEN / WHEN / THEN
    const onPrimary = switchIn(STANDBY);
    expect(() => primary({ failoverSwitch: onPrimary.s }, {}, onPrimary.a)).toThrow(/failoverSwitch.*applies only to the standby/);
    const elsewhere = switchIn(PRIMARY);
    expect(() => standby(StandbyMode.pilotLight(), { failoverSwitch: elsewhere.s }, {}, elsewhere.a)).toThrow(/failoverSwitch: must be in the standby Region \(eu-central-1\).*Got .eu-west-1./);
    const other = switchIn(STANDBY, 'shop');
    expect(() => standby(StandbyMode.pilotLight(), { failoverSwitch: other.s }, {}, other.a)).toThrow(/failoverSwitch: must be the switch of service 'web'.*Got .shop./);
  });

  it('refuses a bad service name and a stack without a Region', () => {
    // GIVEN / WHEN / THEN
    expect(() => new FailoverSwitch(new Stack(freshApp(), 'S', { env: { region: STANDBY } }), 'Switch', { serviceName: 'Web_1' })).toThrow(/serviceName.*Web_1/);
    expect(() => new FailoverSwitch(new Stack(freshApp(), 'S'), 'Switch', { serviceName: 'web' })).toThrow(/explicit Region/);
  });
});
