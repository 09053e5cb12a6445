import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { FeatureFlagFile, FeatureFlagRollout, FeatureFlags, ServiceAlarms } from '../../constructs';
import { buildService } from '../fleet/fixtures';
import { actionsOf, buildFlags, flagObject, flagsObject, roleId, statementsOf } from './fixtures';
import { readFeatureFlagProfile } from '../../lib/contract';

describe('FeatureFlags', () => {
  it('creates the application bluegreen-<service> and the environment live', () => {
    // GIVEN / WHEN
    const { template } = buildFlags();
    // THEN
    const t = template();
    t.resourceCountIs('AWS::AppConfig::Application', 1);
    t.hasResourceProperties('AWS::AppConfig::Application', { Name: 'bluegreen-web' });
    t.resourceCountIs('AWS::AppConfig::Environment', 1);
    t.hasResourceProperties('AWS::AppConfig::Environment', { Name: 'live' });
  });

  it('watches ONE monitor: a composite of both colours\' gates in ALARM, with no actions of its own', () => {
    // GIVEN / WHEN
    const { stack, flags, alarms, template } = buildFlags();
    // THEN
    const t = template();
    const env = Object.values(t.findResources('AWS::AppConfig::Environment'))[0];
    expect(env.Properties.Monitors).toEqual([{ AlarmArn: { 'Fn::GetAtt': [stack.getLogicalId(flags.monitorAlarm.node.defaultChild as never), 'Arn'] }, AlarmRoleArn: { 'Fn::GetAtt': [roleId(flags.monitorRole), 'Arn'] } }]);
    const monitor = t.findResources('AWS::CloudWatch::CompositeAlarm', { Properties: { AlarmName: 'web-feature-flags-monitor' } });
    const [props] = Object.values(monitor).map((r) => r.Properties);
    expect(props.AlarmActions).toBeUndefined();
    expect(props.OKActions).toBeUndefined();
    // AND its actions are enabled: AppConfig ignores an alarm whose actions are disabled (only a kill disables them)
    expect(props.ActionsEnabled).not.toBe(false);
    const rule = JSON.stringify(stack.resolve(props.AlarmRule));
    expect(rule).toContain('ALARM(');
    expect(rule).toContain(' OR ');
    for (const gate of [alarms.blue.gate, alarms.green.gate]) expect(rule).toContain(stack.getLogicalId(gate.node.defaultChild as never));
    // AND the role AppConfig reads it with only describes alarms
    expect(actionsOf(statementsOf(t, roleId(flags.monitorRole)))).toEqual(['cloudwatch:DescribeAlarms']);
    t.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'appconfig.amazonaws.com' } })] } });
  });

  it('creates exactly two strategies: gradual (default linear 20 %, 10 min, 5 min bake) and kill (linear 100 %, 0, 0); no stray canary', () => {
    // GIVEN / WHEN
    const { template } = buildFlags();
    // THEN
    const t = template();
    t.resourceCountIs('AWS::AppConfig::DeploymentStrategy', 2);
    t.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', { Name: 'bluegreen-web-flags-gradual', GrowthType: 'LINEAR', GrowthFactor: 20, DeploymentDurationInMinutes: 10, FinalBakeTimeInMinutes: 5, ReplicateTo: 'NONE' });
    t.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', { Name: 'bluegreen-web-flags-kill', GrowthType: 'LINEAR', GrowthFactor: 100, DeploymentDurationInMinutes: 0, FinalBakeTimeInMinutes: 0 });
  });

  it('makes the gradual strategy from the rollout given', () => {
    // GIVEN / WHEN
    const { template } = buildFlags({ gradual: FeatureFlagRollout.exponential({ stepPercent: 10, duration: Duration.minutes(20), bake: Duration.minutes(15) }) });
    // THEN
    template().hasResourceProperties('AWS::AppConfig::DeploymentStrategy', { Name: 'bluegreen-web-flags-gradual', GrowthType: 'EXPONENTIAL', GrowthFactor: 10, DeploymentDurationInMinutes: 20, FinalBakeTimeInMinutes: 15 });
  });

  it('declares the profile feature-flags (FEATURE_FLAGS) with every flag at its default, retained, and never deploys it', () => {
    // GIVEN / WHEN
    const { template } = buildFlags();
    // THEN
    const t = template();
    t.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', { Name: 'feature-flags', Type: 'AWS.AppConfig.FeatureFlags', LocationUri: 'hosted' });
    const versions = Object.values(t.findResources('AWS::AppConfig::HostedConfigurationVersion'));
    expect(versions).toHaveLength(1);
    expect(versions[0].DeletionPolicy).toBe('Retain');
    expect(versions[0].Properties.ContentType).toBe('application/json');
    const profile = readFeatureFlagProfile(versions[0].Properties.Content);
    expect(profile.flags.map((f) => [f.name, f.enabled, f.owner, f.expiry])).toEqual([
      ['release-new-checkout', false, 'team-payments', '2027-02-15'],
      ['ops-disable-recommendations', true, 'team-payments', '2027-11-30'],
    ]);
    t.resourceCountIs('AWS::AppConfig::Deployment', 0);
  });

  it('lets the instance role read only the feature-flags profile of live, in a policy of its own', () => {
    // GIVEN / WHEN
    const { stack, service, flags, template } = buildFlags();
    // THEN
    const t = template();
    const statements = statementsOf(t, roleId(service.instanceRole));
    const read = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('appconfig:')));
    expect(read).toHaveLength(1);
    expect(actionsOf(read).sort()).toEqual(['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession']);
    const resource = JSON.stringify(read[0].Resource);
    expect(resource).toContain(`${stack.getLogicalId(flags.environment.node.defaultChild as never)}"},"/configuration/",`);
    expect(resource).toContain(stack.getLogicalId(flags.configuration.node.findChild('ConfigurationProfile') as never));
    expect(resource).not.toContain('*');
    // AND not through the role's default policy, which the launch templates wait for
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('InstanceRoleDefaultPolicy') } }))).not.toContain('appconfig:');
  });

  it('grantReadFlags grants the same read to another grantee', () => {
    // GIVEN
    const { stack, flags, template } = buildFlags();
    const role = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // WHEN
    flags.grantReadFlags(role);
    // THEN
    expect(actionsOf(statementsOf(template(), roleId(role))).sort()).toEqual(['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession']);
  });

  it('adds the featureFlags section to the descriptor: ids, the declared version and the monitor name', () => {
    // GIVEN / WHEN
    const { stack, flags, template } = buildFlags();
    // THEN
    const param = Object.values(template().findResources('AWS::SSM::Parameter')).find((r) => JSON.stringify(r.Properties.Name).includes('descriptor'));
    const value = JSON.stringify(stack.resolve(param!.Properties.Value));
    const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
    for (const [key, logical] of [
      ['applicationId', id(flags.application)],
      ['environmentId', id(flags.environment)],
      ['profileId', stack.getLogicalId(flags.configuration.node.findChild('ConfigurationProfile') as never)],
      ['declaredVersion', id(flags.configuration)],
      ['gradualStrategyId', id(flags.gradualStrategy)],
      ['killStrategyId', id(flags.killStrategy)],
      ['monitorAlarmName', id(flags.monitorAlarm)],
    ]) {
      expect(value).toContain(`\\"${key}\\":\\"",{"Ref":"${logical}"}`);
    }
  });

  it('warns (never fails) about flags past expiry, naming the flag, owner and expiry', () => {
    // GIVEN / WHEN
    const { stack } = buildFlags({ file: flagsObject([flagObject({ name: 'release-old', created: '2020-01-01', expiry: '2020-02-01', owner: 'team-old' })]) });
    // THEN
    Annotations.fromStack(stack).hasWarning('/Test/Flags', Match.stringLikeRegexp("Feature flag 'release-old' \\(owner team-old\\) expired on 2020-02-01.*cdk-bluegreen:featureFlagExpired"));
  });

  it('gives no warning while no flag has expired', () => {
    // GIVEN / WHEN
    const { stack } = buildFlags({ file: flagsObject([flagObject({ created: '2100-01-01', expiry: '2100-02-01' })]) });
    // THEN
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('featureFlagExpired'))).toEqual([]);
  });

  it('refuses the flags file of another service, naming the file and the fix', () => {
    // GIVEN / WHEN / THEN
    expect(() => buildFlags({ file: flagsObject(undefined, { service: 'shop' }) })).toThrow(
      /file: must be the flags file of service 'web': set "service": "web" in the flags file flags\/web\.json or pass that service's flags file\. Got "shop"\./,
    );
  });

  it('refuses alarms of another service and a second FeatureFlags on the service', () => {
    // GIVEN
    const { stack, service, alarms } = buildFlags();
    const file = FeatureFlagFile.fromObject(flagsObject());
    // WHEN / THEN
    expect(() => new FeatureFlags(stack, 'Again', { service, file, alarms })).toThrow(/already has FeatureFlags/);
    const other = buildService();
    expect(() => new FeatureFlags(other.stack, 'Flags', { service: other.service, file, alarms })).toThrow(/alarms: must be the ServiceAlarms of service 'web'/);
  });

  it('refuses a service in another stack', () => {
    // GIVEN
    const { service } = buildService();
    const alarms = new ServiceAlarms(Stack.of(service), 'Alarms', { service });
    const elsewhere = new Stack(service.node.root as App, 'Elsewhere', { env: { region: 'eu-west-1' } });
    // WHEN / THEN
    expect(() => new FeatureFlags(elsewhere, 'Flags', { service, file: FeatureFlagFile.fromObject(flagsObject()), alarms })).toThrow(/service: must be in this construct's stack \(Elsewhere\)/);
  });
});
