import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BlueGreenService, ReleaseManifest } from '../../constructs/fleet';
import { ServiceAlarms } from '../../constructs/health';
import { AutoRollback, AutoRollbackProps } from '../../constructs/release';
import { describeViolations, synthViolations } from '../helpers/nag-report';

/** GIVEN: a fresh app (bundling skipped) with a service `web`, its alarms and an AutoRollback. */
function build(props: Partial<AutoRollbackProps> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Stack', { env: { region: 'eu-west-1' } });
  const built = addAutoRollback(stack, props);
  return { stack, ...built, template: Template.fromStack(stack) };
}

function addAutoRollback(stack: Stack, props: Partial<AutoRollbackProps> = {}) {
  const service = webService(stack, 'Web', 'web');
  const alarms = new ServiceAlarms(stack, 'Alarms', { service });
  const autoRollback = new AutoRollback(stack, 'AutoRollback', { service, alarms, ...props });
  return { service, alarms, autoRollback };
}

function webService(stack: Stack, id: string, serviceName: string): BlueGreenService {
  return new BlueGreenService(stack, id, {
    serviceName,
    manifest: ReleaseManifest.fromObject({
      schemaVersion: 1,
      service: serviceName,
      blue: { image: 'ami-0123456789abcdef0', mode: 'active' },
      green: { image: 'ami-0123456789abcdef0', mode: 'ready' },
    }),
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  });
}

/** Logical id of a construct's CloudFormation resource. */
function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: unknown;
}

function statements(template: Template, stack: Stack, autoRollback: AutoRollback): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: idOf(stack, autoRollback.role) }] } });
  expect(Object.keys(policies)).toHaveLength(1);
  return Object.values(policies)[0].Properties.PolicyDocument.Statement;
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('AutoRollback', () => {
  it("triggers on either colour's gate alarm entering ALARM, and on nothing else", () => {
    // GIVEN / WHEN
    const { template, stack, alarms, autoRollback } = build();
    // THEN
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [
          { 'Fn::GetAtt': [idOf(stack, alarms.blue.gate), 'Arn'] },
          { 'Fn::GetAtt': [idOf(stack, alarms.green.gate), 'Arn'] },
        ],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [idOf(stack, autoRollback.function), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(stack, autoRollback.deadLetterQueue), 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [idOf(stack, autoRollback.rule), 'Arn'] },
    });
  });

  it('runs one function at a time on Node.js 24 (arm64), with the service in its environment and its own log group', () => {
    const { template, stack, service, autoRollback } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: {
          BLUEGREEN_SERVICE: 'web',
          BLUEGREEN_ROLLBACK_AFTER_PROMOTION: 'true',
          BLUEGREEN_RELEASE_STATE_TABLE: { Ref: idOf(stack, service.releaseStateTable) },
        },
      },
      LoggingConfig: { LogGroup: { Ref: idOf(stack, autoRollback.logGroup) } },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [idOf(stack, autoRollback.deadLetterQueue), 'Arn'] } },
      Role: { 'Fn::GetAtt': [idOf(stack, autoRollback.role), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('grants exactly what a rollback and the reconciler call, scoped where IAM allows', () => {
    // GIVEN / WHEN
    const { template, stack, service, autoRollback } = build();
    const byAction = new Map<string, Statement>();
    for (const s of statements(template, stack, autoRollback)) {
      expect(s.Effect).toBe('Allow');
      for (const a of actionsOf(s)) byAction.set(a, s);
    }
    // THEN the action set is closed: no table scans, no writes beyond the two rules, the record and the two groups
    expect([...byAction.keys()].sort()).toEqual([
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:UpdateAutoScalingGroup',
      'cloudwatch:DescribeAlarms',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:ModifyRule',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
      'ssm:GetParameter',
    ]);
    const resource = (action: string) => byAction.get(action)?.Resource;
    // AND only the reads without resource-level permissions are on `*`
    const wildcard = [...byAction].filter(([, s]) => s.Resource === '*').map(([a]) => a);
    expect(wildcard.sort()).toEqual([
      'autoscaling:DescribeAutoScalingGroups',
      'cloudwatch:DescribeAlarms',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTargetHealth',
    ]);
    expect(resource('elasticloadbalancing:ModifyRule')).toEqual([
      { Ref: idOf(stack, service.productionRule) },
      { Ref: idOf(stack, service.testRule) },
    ]);
    expect(resource('dynamodb:PutItem')).toEqual([{ 'Fn::GetAtt': [idOf(stack, service.releaseStateTable), 'Arn'] }]);
    expect(JSON.stringify(resource('ssm:GetParameter'))).toContain(`{"Ref":"${idOf(stack, service.descriptorParameter)}"}`);
    expect(resource('sqs:SendMessage')).toEqual({ 'Fn::GetAtt': [idOf(stack, autoRollback.deadLetterQueue), 'Arn'] });
    expect(resource('logs:PutLogEvents')).toEqual({ 'Fn::GetAtt': [idOf(stack, autoRollback.logGroup), 'Arn'] });
    // AND the only condition: Auto Scaling updates of the two groups, to standby sizes only
    const conditioned = [...byAction].filter(([, s]) => s.Condition !== undefined).map(([a]) => a);
    expect(conditioned).toEqual(['autoscaling:UpdateAutoScalingGroup']);
  });

  it('lets the reconciler put the two colour groups in standby, and nothing else with Auto Scaling', () => {
    // GIVEN / WHEN
    const { template, stack, service, autoRollback } = build();
    const update = statements(template, stack, autoRollback).find((s) => actionsOf(s).includes('autoscaling:UpdateAutoScalingGroup'));
    // THEN scoped to the groups by name (the `*` is the group id, unknown before deploy)
    const groupArn = (asg: { node: { defaultChild?: unknown } }) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':autoscaling:eu-west-1:',
          { Ref: 'AWS::AccountId' },
          ':autoScalingGroup:*:autoScalingGroupName/',
          { Ref: idOf(stack, asg) },
        ],
      ],
    });
    expect(update).toEqual({
      Effect: 'Allow',
      Action: 'autoscaling:UpdateAutoScalingGroup',
      Resource: [groupArn(service.blue.autoScalingGroup), groupArn(service.green.autoScalingGroup)],
      // AND only to min 0 / max 0: the function can never start instances
      Condition: { NumericEquals: { 'autoscaling:MinSize': 0, 'autoscaling:MaxSize': 0 } },
    });
  });

  it('runs the reconciler every minute with its own event, failures going to the dead-letter queue', () => {
    // GIVEN / WHEN
    const { template, stack, autoRollback } = build();
    // THEN
    expect(autoRollback.reconcileRule).toBeDefined();
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [idOf(stack, autoRollback.function), 'Arn'] },
          Input: JSON.stringify({ source: 'cdk-bluegreen.reconcile' }),
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(stack, autoRollback.deadLetterQueue), 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [idOf(stack, autoRollback.reconcileRule!), 'Arn'] },
    });
  });

  it('runs the reconciler at the interval given', () => {
    const { template } = build({ reconcileInterval: Duration.minutes(5) });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('can do without the reconciler: no schedule, and no Auto Scaling writes', () => {
    // GIVEN / WHEN
    const { template, stack, autoRollback } = build({ reconcile: false });
    // THEN only the gates' rule
    expect(autoRollback.reconcileRule).toBeUndefined();
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: Match.anyValue() }, 0);
    const actions = statements(template, stack, autoRollback).flatMap(actionsOf);
    expect(actions).not.toContain('autoscaling:UpdateAutoScalingGroup');
    // AND the alarm path still reads the old colour's capacity
    expect(actions).toContain('autoscaling:DescribeAutoScalingGroups');
  });

  it('keeps failed events in an encrypted, SSL-only queue and notifies the service topic while it holds any', () => {
    const { template, stack, service, autoRollback } = build();
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    const queuePolicy = new Capture();
    template.hasResourceProperties('AWS::SQS::QueuePolicy', { PolicyDocument: { Statement: queuePolicy } });
    expect(queuePolicy.asArray()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' }),
      ]),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'web-auto-rollback-failed',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(stack, autoRollback.deadLetterQueue), 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [{ Ref: idOf(stack, service.topic) }],
    });
  });

  it('passes rollbackAfterPromotion to the function and can be switched off, reconciler included', () => {
    const { template } = build({ rollbackAfterPromotion: false, enabled: false });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BLUEGREEN_ROLLBACK_AFTER_PROMOTION: 'false' }) },
    });
    template.resourcePropertiesCountIs('AWS::Events::Rule', { State: 'DISABLED' }, 2);
    template.resourcePropertiesCountIs('AWS::Events::Rule', { State: 'ENABLED' }, 0);
  });

  it('reserves no concurrency when told to, for accounts with a low Lambda quota', () => {
    const { template } = build({ reserveConcurrency: false });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', ReservedConcurrentExecutions: Match.absent() });
  });

  it('lets more be granted to its role', () => {
    const { autoRollback } = build();
    expect(autoRollback.grantPrincipal).toBe(autoRollback.role);
  });

  it('sets the log retention', () => {
    const { template } = build({ logRetention: 30 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it.each([
    [Duration.seconds(90), '90 seconds'],
    [Duration.seconds(30), '30 seconds'],
    [Duration.hours(2), '7200 seconds'],
  ])('refuses a reconcile interval of %s, naming the prop', (reconcileInterval, shown) => {
    expect(() => build({ reconcileInterval })).toThrow(
      `reconcileInterval: must be a whole number of minutes from 1 to 60, e.g. Duration.minutes(1). Got ${shown}.`,
    );
  });

  it('refuses a reconcile interval without the reconciler', () => {
    expect(() => build({ reconcile: false, reconcileInterval: Duration.minutes(5) })).toThrow(
      /^reconcileInterval: has no effect with reconcile: false; remove one of them\. Got 300 seconds\.$/,
    );
  });

  it('skips checking a reconcile interval that is a token', () => {
    // GIVEN an interval from a template parameter
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Stack', { env: { region: 'eu-west-1' } });
    const minutes = new CfnParameter(stack, 'Minutes', { type: 'Number' }).valueAsNumber;
    // WHEN / THEN
    expect(() => addAutoRollback(stack, { reconcileInterval: Duration.minutes(minutes) })).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: { 'Fn::Join': ['', ['rate(', { Ref: 'Minutes' }, ' minutes)']] },
    });
  });

  it("refuses alarms of another service, naming the prop", () => {
    // GIVEN two services in one stack
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Stack', { env: { region: 'eu-west-1' } });
    const web = webService(stack, 'Web', 'web');
    const shop = webService(stack, 'Shop', 'shop');
    const shopAlarms = new ServiceAlarms(stack, 'ShopAlarms', { service: shop });
    // WHEN / THEN
    expect(() => new AutoRollback(stack, 'AutoRollback', { service: web, alarms: shopAlarms })).toThrow(
      /^alarms: must be the ServiceAlarms of service 'web' \(Stack\/Web\), whose gates this rolls back\. Got "Stack\/ShopAlarms"\.$/,
    );
  });

  it('adds three cdk-nag findings: the `*` of reads without resource-level permissions, and the group id in each group ARN', () => {
    // GIVEN an app checked by AwsSolutions, as the reference app is
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'auto-rollback-nag-'));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Stack', { env: { region: 'eu-west-1' } });
    const { service } = addAutoRollback(stack);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // WHEN
    const violations = synthViolations(app);
    fs.rmSync(outdir, { recursive: true, force: true });
    // THEN ours are the reasoned `*` and the two groups (the `*` stands for the group id, unknown before deploy)
    const ours = describeViolations(violations).filter((p) => p.includes('/AutoRollback/'));
    const group = (asg: { node: { defaultChild?: unknown } }) =>
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:eu-west-1:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/<${idOf(stack, asg)}>]`;
    const at = ' at Stack/AutoRollback/Role/DefaultPolicy/Resource';
    expect(ours).toEqual([
      `AwsSolutions-IAM5[Resource::*]${at}`,
      `${group(service.blue.autoScalingGroup)}${at}`,
      `${group(service.green.autoScalingGroup)}${at}`,
    ]);
  });
});
