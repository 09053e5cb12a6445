import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { FeatureFlags } from '../../constructs';
import { buildService } from '../fleet/fixtures';
import { actionsTheCliCalls } from '../helpers/sdk-actions';
import { actionsOf, buildFlags, roleId, Statement, statementsOf } from './fixtures';

const FLAG_READS = ['appconfig:GetDeployment', 'appconfig:GetHostedConfigurationVersion', 'appconfig:ListDeployments'];
const FLAG_CHANGES = ['appconfig:CreateHostedConfigurationVersion', 'appconfig:StartDeployment', 'appconfig:StopDeployment', 'cloudwatch:DisableAlarmActions', 'cloudwatch:EnableAlarmActions'];

/** The statements of `role` that allow `action`, their resources resolved to JSON text. */
function resourcesOf(statements: Statement[], action: string): string[] {
  return statements.filter((s) => actionsOf([s]).includes(action)).flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])).map((r) => JSON.stringify(r));
}

const appconfigAndAlarmWrites = (statements: Statement[]) =>
  [...new Set(actionsOf(statements).filter((a) => a.startsWith('appconfig:') || /AlarmActions$/.test(a)))].sort();

function ids(stack: Stack, flags: FeatureFlags) {
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  return {
    app: id(flags.application),
    env: id(flags.environment),
    profile: stack.getLogicalId(flags.configuration.node.findChild('ConfigurationProfile') as never),
    gradual: id(flags.gradualStrategy),
    kill: id(flags.killStrategy),
    monitor: id(flags.monitorAlarm),
  };
}

describe('BlueGreenService grants with FeatureFlags', () => {
  it('grantStatus adds what bluegreen flags reads, scoped to the environment, its deployments and the profile\'s versions', () => {
    // GIVEN
    const { stack, service, flags, template } = buildFlags();
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    service.grantStatus(role);
    // THEN
    const statements = statementsOf(template(), roleId(role));
    expect(appconfigAndAlarmWrites(statements)).toEqual(FLAG_READS);
    const i = ids(stack, flags);
    expect(resourcesOf(statements, 'appconfig:ListDeployments').join()).toContain(`/environment/",{"Ref":"${i.env}"}`);
    expect(resourcesOf(statements, 'appconfig:GetDeployment').some((r) => r.includes(i.env) && r.endsWith('/deployment/*"]]}'))).toBe(true);
    expect(resourcesOf(statements, 'appconfig:GetHostedConfigurationVersion').some((r) => r.includes(i.profile) && r.endsWith('/hostedconfigurationversion/*"]]}'))).toBe(true);
    for (const r of resourcesOf(statements, 'appconfig:GetDeployment')) expect(r).toContain(i.app);
  });

  it('grantRelease adds what bluegreen flags set|kill do: versions of the profile, deployments with the three strategies, stops, and the monitor\'s actions only', () => {
    // GIVEN
    const { stack, service, flags, template } = buildFlags();
    const role = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    service.grantRelease(role);
    // THEN
    const statements = statementsOf(template(), roleId(role));
    expect(appconfigAndAlarmWrites(statements)).toEqual([...FLAG_READS, ...FLAG_CHANGES].sort());
    const i = ids(stack, flags);
    const start = resourcesOf(statements, 'appconfig:StartDeployment');
    expect(start).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`{"Ref":"${i.gradual}"}`),
        expect.stringContaining(`{"Ref":"${i.kill}"}`),
        expect.stringContaining(':deploymentstrategy/AppConfig.AllAtOnce'),
        expect.stringContaining(`{"Ref":"${i.profile}"}`),
      ]),
    );
    expect(start.filter((r) => r.includes('deploymentstrategy/'))).toHaveLength(3);
    expect(resourcesOf(statements, 'appconfig:StopDeployment').some((r) => r.includes(i.env) && r.endsWith('/deployment/*"]]}'))).toBe(true);
    expect(resourcesOf(statements, 'appconfig:CreateHostedConfigurationVersion').join()).toContain(i.profile);
    expect(resourcesOf(statements, 'cloudwatch:DisableAlarmActions')).toEqual([JSON.stringify({ 'Fn::GetAtt': [i.monitor, 'Arn'] })]);
    expect(resourcesOf(statements, 'cloudwatch:EnableAlarmActions')).toEqual([JSON.stringify({ 'Fn::GetAtt': [i.monitor, 'Arn'] })]);
    // AND no appconfig action on a wildcard resource
    for (const s of statements.filter((x) => actionsOf([x]).some((a) => a.startsWith('appconfig:')))) expect(s.Resource).not.toBe('*');
  });

  it('grantees granted before FeatureFlags existed get the flag grants too', () => {
    // GIVEN roles granted before the FeatureFlags is added
    let operator: iam.Role | undefined;
    let pipeline: iam.Role | undefined;
    const { template } = buildFlags({
      before: ({ stack, service }) => {
        operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
        pipeline = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
        service.grantStatus(operator);
        service.grantRelease(pipeline);
      },
    });
    // THEN
    const t = template();
    expect(appconfigAndAlarmWrites(statementsOf(t, roleId(operator!)))).toEqual(FLAG_READS);
    expect(appconfigAndAlarmWrites(statementsOf(t, roleId(pipeline!)))).toEqual([...FLAG_READS, ...FLAG_CHANGES].sort());
  });

  it('without FeatureFlags, grantStatus and grantRelease allow no appconfig action', () => {
    // GIVEN
    const { stack, service, template } = buildService();
    const role = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    service.grantRelease(role);
    // THEN
    expect(appconfigAndAlarmWrites(statementsOf(template(), roleId(role)))).toEqual([]);
  });

  it('grantRelease covers every AWS action the CLI calls with feature flags (hooks aside: they need a Lambda hook)', () => {
    // GIVEN the actions in lib/aws and lib/cli, the feature-flag adapters included
    const called = actionsTheCliCalls({ featureFlags: true, hooks: false });
    expect([...called].filter((a) => a.startsWith('appconfig:')).length).toBeGreaterThanOrEqual(6);
    // AND a service with FeatureFlags and a pipeline role
    let pipeline: iam.Role | undefined;
    const { template } = buildFlags({
      before: ({ stack, service }) => {
        pipeline = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
        service.grantRelease(pipeline);
      },
    });
    // THEN every called action is granted
    const granted = new Set(actionsOf(statementsOf(template(), roleId(pipeline!))));
    expect([...called].filter((a) => !granted.has(a))).toEqual([]);
    // AND the flag actions the CLI calls are exactly the ones granted (no more, no less)
    const flagActions = (set: Iterable<string>) => [...set].filter((a) => a.startsWith('appconfig:') || /AlarmActions$/.test(a)).sort();
    expect(flagActions(called)).toEqual([...FLAG_READS, ...FLAG_CHANGES].sort());
  });
});
