import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
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
    release: ReleaseManifest.fromObject({
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
          { 'Fn::GetAtt': [idOf(stack, alarms.blue.composite), 'Arn'] },
          { 'Fn::GetAtt': [idOf(stack, alarms.green.composite), 'Arn'] },
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
    const { template, stack, autoRollback } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: { BLUEGREEN_SERVICE: 'web', BLUEGREEN_ROLLBACK_AFTER_PROMOTION: 'true' } },
      LoggingConfig: { LogGroup: { Ref: idOf(stack, autoRollback.logGroup) } },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [idOf(stack, autoRollback.deadLetterQueue), 'Arn'] } },
      Role: { 'Fn::GetAtt': [idOf(stack, autoRollback.role), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('grants exactly what a rollback calls, scoped where IAM allows', () => {
    // GIVEN / WHEN
    const { template, stack, service, autoRollback } = build();
    const byAction = new Map<string, unknown>();
    for (const s of statements(template, stack, autoRollback)) {
      expect(s.Effect).toBe('Allow');
      expect(s.Condition).toBeUndefined();
      for (const a of actionsOf(s)) byAction.set(a, s.Resource);
    }
    // THEN the action set is closed: no Auto Scaling, no table scans, no writes beyond the two rules and the record
    expect([...byAction.keys()].sort()).toEqual([
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
    // AND only the reads without resource-level permissions are on `*`
    const wildcard = [...byAction].filter(([, r]) => r === '*').map(([a]) => a);
    expect(wildcard.sort()).toEqual(['cloudwatch:DescribeAlarms', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth']);
    expect(byAction.get('elasticloadbalancing:ModifyRule')).toEqual([
      { Ref: idOf(stack, service.traffic.productionRule) },
      { Ref: idOf(stack, service.traffic.testRule) },
    ]);
    expect(byAction.get('dynamodb:PutItem')).toEqual([{ 'Fn::GetAtt': [idOf(stack, service.releaseStateTable), 'Arn'] }]);
    expect(JSON.stringify(byAction.get('ssm:GetParameter'))).toContain(`{"Ref":"${idOf(stack, service.descriptorParameter)}"}`);
    expect(byAction.get('sqs:SendMessage')).toEqual({ 'Fn::GetAtt': [idOf(stack, autoRollback.deadLetterQueue), 'Arn'] });
    expect(byAction.get('logs:PutLogEvents')).toEqual({ 'Fn::GetAtt': [idOf(stack, autoRollback.logGroup), 'Arn'] });
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

  it('passes rollbackAfterPromotion to the function and can be switched off', () => {
    const { template } = build({ rollbackAfterPromotion: false, enabled: false });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BLUEGREEN_ROLLBACK_AFTER_PROMOTION: 'false' }) },
    });
    template.hasResourceProperties('AWS::Events::Rule', { State: 'DISABLED' });
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

  it('adds one cdk-nag finding, the reasoned `*` of reads without resource-level permissions', () => {
    // GIVEN an app checked by AwsSolutions, as the reference app is
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'auto-rollback-nag-'));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    addAutoRollback(new Stack(app, 'Stack', { env: { region: 'eu-west-1' } }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // WHEN
    const violations = synthViolations(app);
    fs.rmSync(outdir, { recursive: true, force: true });
    // THEN only the reasoned `*` is ours
    const ours = describeViolations(violations).filter((p) => p.includes('/AutoRollback/'));
    expect(ours).toEqual(['AwsSolutions-IAM5[Resource::*] at Stack/AutoRollback/Role/DefaultPolicy/Resource']);
  });
});
