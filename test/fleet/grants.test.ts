import { actionsTheCliCalls, QUARANTINE_CLI_ACTIONS } from '../helpers/sdk-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { HookPoint, ReleaseHook } from '../../constructs';
import { buildService } from './fixtures';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every statement of the policies attached to `role` in `template`. */
function statementsOf(template: Template, roleId: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) => new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

/** Every AWS API the CLI and the adapters call, as IAM actions, read from their sources. */
describe('BlueGreenService grants', () => {
  it('grantStatus grants reads only: the descriptor, the release record, and describe calls', () => {
    // GIVEN
    const { stack, service, template } = buildService();
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    service.grantStatus(role);
    // THEN
    const statements = statementsOf(template(), stack.getLogicalId(role.node.defaultChild as iam.CfnRole));
    expect([...actionsOf(statements)].sort()).toEqual([
      'autoscaling:DescribeAutoScalingGroups',
      'cloudwatch:DescribeAlarms',
      'dynamodb:GetItem',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTargetHealth',
      'ssm:DescribeParameters',
      'ssm:GetParameter',
      'ssm:GetParameterHistory',
      'ssm:GetParameters',
    ]);
    expect(statements.find((s) => s.Action === 'dynamodb:GetItem')?.Resource).toEqual(
      expect.arrayContaining([{ 'Fn::GetAtt': [expect.stringMatching(/^WebReleaseState/), 'Arn'] }]),
    );
  });

  it('grantRelease adds exactly the writes a release makes, each on the service\'s own resources', () => {
    // GIVEN
    const { stack, service, template } = buildService();
    const role = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    service.grantRelease(role);
    // THEN the rule writes name the two rules, the group writes the two groups, AMI tags only the retention keys
    const t = template();
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'dynamodb:PutItem' }),
          Match.objectLike({ Action: 'elasticloadbalancing:ModifyRule', Resource: [{ Ref: stack.getLogicalId(service.productionRule.node.defaultChild as never) }, { Ref: stack.getLogicalId(service.testRule.node.defaultChild as never) }] }),
          Match.objectLike({ Action: 'autoscaling:UpdateAutoScalingGroup', Resource: [Match.objectLike({ 'Fn::Join': Match.anyValue() }), Match.objectLike({ 'Fn::Join': Match.anyValue() })] }),
          Match.objectLike({ Action: ['ec2:CreateTags', 'ec2:DeleteTags'], Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['bluegreen:retain', 'bluegreen:retained-by'] } } }),
        ]),
      },
    });
    const statements = statementsOf(t, stack.getLogicalId(role.node.defaultChild as iam.CfnRole));
    const unscopedWrites = statements.filter((s) => s.Resource === '*' && actionsOf([s]).size && [...actionsOf([s])].some((a) => !/:(Describe|Get|List)/.test(a)));
    expect(unscopedWrites).toEqual([]);
  });

  it('grantRelease covers every AWS action the CLI and its adapters call (but bluegreen dr\'s)', () => {
    // GIVEN the actions in lib/aws and lib/cli, without lib/aws/dr (ssm:GetParameter of `ssm:` image references is the user's parameter)
    const called = actionsTheCliCalls();
    expect(called.size).toBeGreaterThan(8);
    // AND a service with a Lambda release hook, the only kind of service whose releases invoke a function
    const { stack, service, template } = buildService();
    const migrate = lambda.Function.fromFunctionArn(stack, 'Migrate', 'arn:aws:lambda:eu-west-1:123456789012:function:migrate');
    service.addReleaseHook(ReleaseHook.lambdaFunction(migrate, { name: 'expand', point: HookPoint.PRE_RELEASE }));
    const role = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    service.grantRelease(role);
    // THEN
    const granted = actionsOf(statementsOf(template(), stack.getLogicalId(role.node.defaultChild as iam.CfnRole)));
    expect([...called].filter((a) => !granted.has(a))).toEqual([]);
  });

  it('grantRelease covers every AWS action the bluegreen quarantine commands call', () => {
    // GIVEN
    const { stack, service, template } = buildService();
    const role = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    service.grantRelease(role);
    // THEN
    const granted = actionsOf(statementsOf(template(), stack.getLogicalId(role.node.defaultChild as iam.CfnRole)));
    expect([...QUARANTINE_CLI_ACTIONS].filter((a) => !granted.has(a))).toEqual([]);
  });
});
