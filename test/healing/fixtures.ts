import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BlueGreenService, Healing, QuarantineOptions } from '../../constructs';
import { buildService, ServiceOverrides } from '../fleet/fixtures';

/** GIVEN helper: the `web` service of test/fleet/fixtures, quarantining with `options`. */
export function quarantinedService(options: QuarantineOptions = {}, overrides: ServiceOverrides = {}) {
  return buildService({ healing: Healing.quarantine(options), ...overrides });
}

/** A statement of a policy document as the template renders it. */
export interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Effect: string;
}

/** Every statement of the policies attached to `role` in `template`. */
export function statementsOf(template: Template, role: iam.IRole): Statement[] {
  const roleId = Stack.of(role).getLogicalId(role.node.defaultChild as iam.CfnRole);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The actions of a statement as a list. */
export function actionsOf(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

/** The statements granting `action`. */
export function granting(statements: Statement[], action: string): Statement[] {
  return statements.filter((s) => actionsOf(s).includes(action));
}

/** The resources of a statement as a list. */
export function resourcesOf(s: Statement): unknown[] {
  return Array.isArray(s.Resource) ? s.Resource : [s.Resource];
}

/** The logical id of an L2 construct's default child. */
export function idOf(service: BlueGreenService, construct: { node: { defaultChild?: unknown } }): string {
  return Stack.of(service).getLogicalId(construct.node.defaultChild as never);
}

/** An ARN the template builds with Fn::Join, rendered with `<Ref X>` / `<X.Attr>` / `<AWS::Partition>` placeholders. */
export function renderArn(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(renderArn).join(v['Fn::Join'][0]);
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
