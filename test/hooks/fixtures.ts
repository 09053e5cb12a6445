import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BlueGreenService } from '../../constructs';

type Cfn = string | number | { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, Cfn[]] };

/** Render a CloudFormation string expression, writing references as <Ref X> and <X.Attr>. */
function render(value: Cfn): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (value.Ref) return `<Ref ${value.Ref}>`;
  if (value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(render).join(value['Fn::Join'][0]);
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

/** The service's descriptor as JSON, references rendered as <Ref X> and <X.Attr>. */
export function descriptorOf(service: BlueGreenService): Record<string, unknown> {
  const stack = Stack.of(service);
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties: { Value: Cfn } }>;
  return JSON.parse(render(resources[stack.getLogicalId(service.descriptorParameter.node.defaultChild as never)].Properties.Value));
}

/** A small inline function in `stack`, as a hook would be. */
export function hookFunction(stack: Stack, id: string, timeout?: Duration): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ verdict: "passed" });'),
    timeout,
  });
}

/** Logical id of a construct's CloudFormation resource in its stack. */
export function idOf(construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild as never;
  return Stack.of(child).getLogicalId(child);
}

export interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every statement of the policies attached to `role` in the role's stack. */
export function statementsOf(role: iam.Role): Statement[] {
  const policies = Object.values(Template.fromStack(Stack.of(role)).findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === idOf(role)),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The statements granting `action`. */
export function statementsWith(role: iam.Role, action: string): Statement[] {
  return statementsOf(role).filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action));
}

/** Every resource of the statements granting `action`, flattened. */
export function resourcesOf(role: iam.Role, action: string): unknown[] {
  return statementsWith(role, action).flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
}
