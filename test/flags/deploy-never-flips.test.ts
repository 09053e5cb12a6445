import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { FeatureFlagFile, FeatureFlags, ServiceAlarms } from '../../constructs';
import { buildReferenceApp } from '../../lib/reference-app';
import { buildService } from '../fleet/fixtures';
import { flagObject, flagsObject } from './fixtures';

/** File A: two flags. */
const A = flagsObject([
  flagObject(),
  flagObject({ name: 'ops-disable-recommendations', description: 'Stop recommendations', owner: 'team-oncall', expiry: '2027-11-30' }),
]);
/**
 * File A': a default flipped, a flag added, a flag removed, owner, expiry and description edited. None of it may
 * change what AppConfig serves at deploy.
 */
const A_PRIME = flagsObject([
  flagObject({ default: 'on', owner: 'team-checkout', expiry: '2027-01-31', description: 'New checkout flow, v2' }),
  flagObject({ name: 'experiment-one-click', description: 'One-click buy', created: '2026-12-01', expiry: '2027-02-01' }),
]);

type Resources = Record<string, { Type: string; Properties?: unknown; DeletionPolicy?: string }>;

/** The logical ids of the resources that differ between two templates (added, removed or changed). */
function changed(before: Resources, after: Resources): string[] {
  const ids = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...ids].filter((id) => JSON.stringify(before[id]) !== JSON.stringify(after[id])).sort();
}

const ofType = (resources: Resources, type: string) => Object.keys(resources).filter((id) => resources[id].Type === type);

/**
 * The principals allowed a StartDeployment (or any appconfig write by wildcard) anywhere in the template: roles of
 * IAM policies, managed policies and inline role policies, and any resource policy.
 */
function startDeploymentHolders(resources: Resources): string[] {
  const allows = (doc: unknown) =>
    ((doc as { Statement?: Array<{ Effect: string; Action: string | string[] }> })?.Statement ?? []).some(
      (s) => s.Effect === 'Allow' && [s.Action].flat().some((a) => a === 'appconfig:StartDeployment' || a === 'appconfig:*' || a === '*'),
    );
  const holders: string[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const p = (r.Properties ?? {}) as Record<string, unknown>;
    if ((r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && allows(p.PolicyDocument)) {
      holders.push(...((p.Roles as Array<{ Ref: string }> | undefined) ?? []).map((x) => x.Ref), ...((p.Users as unknown[]) ?? []).map(String), ...((p.Groups as unknown[]) ?? []).map(String));
    }
    if (r.Type === 'AWS::IAM::Role' && ((p.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []).some((x) => allows(x.PolicyDocument))) holders.push(id);
    if (r.Type === 'AWS::IAM::Role' && JSON.stringify(p.ManagedPolicyArns ?? []).match(/AdministratorAccess|AWSAppConfig/)) holders.push(id);
  }
  return [...new Set(holders)].sort();
}

describe('cdk deploy never flips a flag', () => {
  const synth = (file: Record<string, unknown>) => {
    const { stack, service } = buildService();
    const pipeline = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
    service.grantRelease(pipeline);
    const alarms = new ServiceAlarms(stack, 'Alarms', { service });
    const flags = new FeatureFlags(stack, 'Flags', { service, file: FeatureFlagFile.fromObject(file), alarms });
    return { resources: Template.fromStack(stack).toJSON().Resources as Resources, stack, flags, pipeline };
  };

  it('creates no AppConfig deployment, and an edited flags file changes only the hosted version (retained)', () => {
    // GIVEN / WHEN
    const before = synth(A);
    const after = synth(A_PRIME);
    // THEN no deployment either time
    for (const s of [before, after]) expect(ofType(s.resources, 'AWS::AppConfig::Deployment')).toEqual([]);
    // AND only the hosted version differs: application, environment, profile, strategies and monitor keep their ids and props
    const version = before.stack.getLogicalId(before.flags.configuration.node.defaultChild as never);
    expect(changed(before.resources, after.resources)).toEqual([version]);
    expect(after.resources[version].DeletionPolicy).toBe('Retain');
    for (const type of ['AWS::AppConfig::Application', 'AWS::AppConfig::Environment', 'AWS::AppConfig::ConfigurationProfile', 'AWS::AppConfig::DeploymentStrategy', 'AWS::CloudWatch::CompositeAlarm']) {
      expect(ofType(after.resources, type)).toEqual(ofType(before.resources, type));
      expect(ofType(before.resources, type).length).toBeGreaterThan(0);
    }
    // AND the content did change (the flip is declared, to be deployed only by bluegreen flags set)
    expect(JSON.stringify(after.resources[version].Properties)).toContain('experiment-one-click');
  });

  it('allows appconfig:StartDeployment only to the role given grantRelease: no Lambda role, no custom resource', () => {
    // GIVEN / WHEN
    const { resources, stack, pipeline } = synth(A);
    // THEN
    expect(startDeploymentHolders(resources)).toEqual([stack.getLogicalId(pipeline.node.defaultChild as never)]);
    expect(Object.values(resources).filter((r) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource').map((r) => JSON.stringify(r.Properties))).not.toEqual(
      expect.arrayContaining([expect.stringContaining('appconfig')]),
    );
  });

  it('holds through the reference app: both Regions\' stacks change only the hosted version and never deploy', () => {
    // GIVEN the reference app with flags file A, then A'
    const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
    const synthApp = (file: Record<string, unknown>) => {
      const flagsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flags-'));
      fs.writeFileSync(path.join(flagsDir, 'web.json'), JSON.stringify(file));
      const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'ref-app-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
      const { web, webStandby } = buildReferenceApp({ app, flagsDir });
      return [web, webStandby].map((s) => ({ stack: s as Stack, resources: Template.fromStack(s).toJSON().Resources as Resources, version: s.getLogicalId(s.featureFlags.configuration.node.defaultChild as never) }));
    };
    // WHEN
    const before = synthApp(A);
    const after = synthApp(A_PRIME);
    // THEN
    for (const [i, b] of before.entries()) {
      expect(ofType(b.resources, 'AWS::AppConfig::Deployment')).toEqual([]);
      expect(ofType(after[i].resources, 'AWS::AppConfig::Deployment')).toEqual([]);
      expect(changed(b.resources, after[i].resources)).toEqual([b.version]);
      // AND no role of the stack (the auto-rollback's, the watcher's, the quarantine's...) may start a deployment
      expect(startDeploymentHolders(b.resources)).toEqual([]);
    }
  });
});
