import * as fs from 'fs';
import * as path from 'path';
import { actionsTheCliCalls } from '../helpers/sdk-actions';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ofType, primary, standby } from './fixtures';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

function watcherStatements(template: Template): Statement[] {
  const role = Object.entries(ofType(template, 'AWS::IAM::Role')).find(([, r]) => String(r.Properties.Description).startsWith('Failover watcher'));
  expect(role).toBeDefined();
  const policies = Object.values(ofType(template, 'AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(role![0]));
  return policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('failover watcher', () => {
  it('runs the prebundled dr-watcher every minute in the standby, with what it needs in its environment', () => {
    // GIVEN / WHEN
    const { template, dr } = standby(undefined, { watcherFailureThreshold: 4 });
    const t = template();
    // THEN
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', State: 'ENABLED', Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Watcher'), 'Arn'] } })] });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: {
          BLUEGREEN_SERVICE: 'web',
          BLUEGREEN_DESCRIPTOR_PARAMETER: '/bluegreen/web/descriptor',
          BLUEGREEN_DR_WATCHER_FAILURE_THRESHOLD: '4',
        },
      },
    });
    expect(dr.watcherFunction).toBeDefined();
  });

  it('is not in the primary', () => {
    const t = primary().template();
    expect(Object.keys(ofType(t, 'AWS::Events::Rule'))).toEqual([]);
    expect(Object.values(ofType(t, 'AWS::Lambda::Function')).map((f) => f.Properties.Description)).not.toContainEqual(expect.stringContaining('watcher'));
  });

  it('writes only this service\'s resources: table items, the two groups, the switch namespace, the service topic', () => {
    // GIVEN / WHEN
    const statements = watcherStatements(standby().template());
    // THEN every action on `*` only reads, except PutMetricData, which is held to the switch's namespace
    const wildcard = statements.filter((s) => JSON.stringify(s.Resource) === '"*"');
    const wildcardActions = wildcard.flatMap(actionsOf).sort();
    expect(wildcardActions).toEqual(['autoscaling:DescribeAutoScalingGroups', 'cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricData', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth']);
    expect(wildcard.find((s) => actionsOf(s).includes('cloudwatch:PutMetricData'))!.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'cdk-bluegreen/DR' } });
    const update = statements.find((s) => actionsOf(s).includes('autoscaling:UpdateAutoScalingGroup'))!;
    expect(JSON.stringify(update.Resource)).toMatch(/autoScalingGroupName\/".*WebBlue.*autoScalingGroupName\/".*WebGreen/);
    const dynamo = statements.find((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))!;
    expect(actionsOf(dynamo).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(JSON.stringify(dynamo.Resource)).toContain('WebReleaseState');
    expect(statements.find((s) => actionsOf(s).includes('sns:Publish'))!.Resource).toEqual({ Ref: expect.stringMatching(/^WebTopic/) });
    // The topic is encrypted: publishing needs its key.
    expect(JSON.stringify(statements.find((s) => actionsOf(s).some((a) => a.startsWith('kms:')))!.Resource)).toContain('WebTopicKey');
  });

  it('reads its own descriptor and, best effort, the primary\'s, by name', () => {
    const statements = watcherStatements(standby().template());
    const ssm = statements.find((s) => actionsOf(s).includes('ssm:GetParameter'))!;
    const arns = JSON.stringify(ssm.Resource);
    expect(arns).toContain(':ssm:eu-central-1:');
    expect(arns).toContain(':ssm:eu-west-1:');
    expect(arns.match(/parameter\/bluegreen\/web\/descriptor/g)).toHaveLength(2);
  });

  it('may call every AWS action its bundle calls, and nothing the bundle does not', () => {
    // GIVEN the SDK commands the shipped watcher bundle can send (esbuild names each client import_client_<name>)
    const bundle = fs.readFileSync(path.join(__dirname, '..', '..', 'assets', 'dr-watcher', 'index.js'), 'utf8');
    const prefix: Record<string, string> = { auto_scaling: 'autoscaling', cloudwatch: 'cloudwatch', dynamodb: 'dynamodb', elastic_load_balancing_v2: 'elasticloadbalancing', ssm: 'ssm', ec2: 'ec2' };
    // esbuild numbers repeated imports (import_client_cloudwatch3): the client is the longest known name it starts with.
    const service = (name: string) => prefix[Object.keys(prefix).filter((k) => name.startsWith(k)).sort((a, b) => b.length - a.length)[0]] ?? name;
    const called = new Set([...bundle.matchAll(/import_client_([a-z0-9_]+)\.(\w+)Command\b/g)].map((m) => `${service(m[1])}:${m[2]}`));
    // The traffic router module is shared with the release engine; the DR engine reads weights and never sets them.
    const neverCalled = ['elasticloadbalancing:ModifyRule'];
    // WHEN
    const granted = new Set(watcherStatements(standby().template()).flatMap(actionsOf));
    // THEN
    expect(called.size).toBeGreaterThan(8);
    expect([...called].filter((a) => !granted.has(a) && !neverCalled.includes(a))).toEqual([]);
    expect(granted.has('elasticloadbalancing:ModifyRule')).toBe(false);
  });

  it('reads alarms on `*` (the gates are composite alarms) and writes the switch metric only in its namespace', () => {
    const statements = watcherStatements(standby().template());
    expect(statements.find((s) => actionsOf(s).includes('cloudwatch:DescribeAlarms'))!.Resource).toBe('*');
    expect(statements.find((s) => actionsOf(s).includes('cloudwatch:PutMetricData'))!.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'cdk-bluegreen/DR' } });
  });
});

describe('grantDisasterRecovery', () => {
  it('grants the release actions, the switch metric in its namespace, and Route 53 reads of this Region\'s checks and the zone', () => {
    // GIVEN
    const { stack, dr } = primary();
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    dr.grantDisasterRecovery(operator);
    // THEN
    const statements = Object.values(ofType(Template.fromStack(stack), 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('Operator'))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['elasticloadbalancing:ModifyRule', 'autoscaling:UpdateAutoScalingGroup', 'dynamodb:PutItem', 'cloudwatch:PutMetricData', 'cloudwatch:DescribeAlarms', 'route53:GetHealthCheckStatus', 'route53:TestDNSAnswer', 'route53:ListResourceRecordSets']));
    expect(statements.find((s) => actionsOf(s).includes('cloudwatch:PutMetricData'))!.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'cdk-bluegreen/DR' } });
    const status = JSON.stringify(statements.find((s) => actionsOf(s).includes('route53:GetHealthCheckStatus'))!.Resource);
    expect(status.match(/healthcheck\//g)).toHaveLength(4);
    expect(JSON.stringify(statements.find((s) => actionsOf(s).includes('route53:ListResourceRecordSets'))!.Resource)).toContain('hostedzone/Z0123456789ABCDEFGHIJ');
  });

  it('covers every AWS action bluegreen dr and its adapters call', () => {
    // GIVEN the actions in lib/aws (lib/aws/dr included) and lib/cli; release hooks run in `release`, whose actions
    // grantRelease covers, not in the `dr` commands
    const called = actionsTheCliCalls({ dr: true, hooks: false });
    expect(called).toContain('cloudwatch:PutMetricData');
    // dr status reads Route 53 (lib/aws/dr/route53-status-view.ts)
    expect([...called].filter((a) => a.startsWith('route53:')).sort()).toEqual([
      'route53:GetHealthCheck',
      'route53:GetHealthCheckStatus',
      'route53:ListResourceRecordSets',
      'route53:TestDNSAnswer',
    ]);
    const { stack, dr } = standby();
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    dr.grantDisasterRecovery(operator);
    // THEN
    const granted = new Set(
      Object.values(ofType(Template.fromStack(stack), 'AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes('Operator'))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
        .flatMap(actionsOf),
    );
    expect([...called].filter((a) => !granted.has(a))).toEqual([]);
  });
});
