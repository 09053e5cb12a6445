import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FeatureFlagFile, FeatureFlagRollout, FeatureFlags, ServiceAlarms } from '../../constructs';
import { buildService, ServiceOverrides } from '../fleet/fixtures';

/** One flag as the file declares it; override fields per test. */
export function flagObject(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'release-new-checkout',
    description: 'New checkout flow',
    owner: 'team-payments',
    created: '2026-11-30',
    expiry: '2027-02-15',
    default: 'off',
    ...overrides,
  };
}

/** A flags file object for service `web`. */
export function flagsObject(flags: Array<Record<string, unknown>> = [flagObject(), flagObject({ name: 'ops-disable-recommendations', default: 'on', expiry: '2027-11-30' })], overrides: Record<string, unknown> = {}) {
  return { schemaVersion: 1, service: 'web', flags, ...overrides };
}

/** GIVEN helper: a service, its alarms and its feature flags in a fresh stack. */
export function buildFlags(options: { file?: Record<string, unknown>; gradual?: FeatureFlagRollout; service?: ServiceOverrides; before?: (s: ReturnType<typeof buildService>) => void } = {}) {
  const built = buildService(options.service);
  options.before?.(built);
  const alarms = new ServiceAlarms(built.stack, 'Alarms', { service: built.service });
  const flags = new FeatureFlags(built.stack, 'Flags', {
    service: built.service,
    file: FeatureFlagFile.fromObject(options.file ?? flagsObject(), 'flags/web.json'),
    alarms,
    gradual: options.gradual,
  });
  return { ...built, alarms, flags, template: () => Template.fromStack(built.stack) };
}

export type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every statement of the policies attached to the role `roleId` in `template`. */
export function statementsOf(template: Template, roleId: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (statements: Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

/** The logical id of a role. */
export function roleId(role: iam.Role): string {
  return role.stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
}
