import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { BlueGreenService } from '../../constructs';
import { HEALING_METRIC, QUARANTINE_EXTEND_TAG_KEYS, QUARANTINE_TAG_KEYS } from '../../lib/contract';
import { buildService } from '../fleet/fixtures';
import { actionsOfBundle } from '../helpers/sdk-actions';
import { actionsOf, granting, idOf, quarantinedService, renderArn, resourcesOf, Statement, statementsOf } from './fixtures';

const ofWeb = { StringEquals: { 'aws:ResourceTag/bluegreen:service': 'web' } };
const instances = 'arn:<AWS::Partition>:ec2:eu-west-1:<AWS::AccountId>:instance/*';

function quarantineStatements(snapshots = false) {
  const { service, template } = quarantinedService({ snapshots });
  return { service, statements: statementsOf(template(), service.quarantine!.role) };
}

const groupArns = (service: BlueGreenService) =>
  [service.blue, service.green].map((f) => `arn:<AWS::Partition>:autoscaling:eu-west-1:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/<${idOf(service, f.autoScalingGroup)}>`);

/** The one statement granting `action` on exactly `resources`. */
function only(statements: Statement[], action: string): Statement {
  const found = granting(statements, action);
  expect(found, action).toHaveLength(1);
  return found[0];
}

describe('the quarantine function\'s role', () => {
  it('grants exactly the actions the shipped bundle sends, plus its logs, dead-letter queue and topic key', () => {
    // GIVEN the SDK commands the shipped quarantine bundle can send; snapshots are off by default
    const sent = [...actionsOfBundle('quarantine')].filter((a) => a !== 'ec2:CreateSnapshots');
    const infrastructure = ['kms:Decrypt', 'kms:GenerateDataKey', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage'];
    // WHEN
    const { statements } = quarantineStatements();
    const withSnapshots = quarantineStatements(true).statements;
    // THEN nothing the bundle sends is missing, and nothing beyond it is granted
    expect([...new Set(statements.flatMap(actionsOf))].sort()).toEqual([...sent, ...infrastructure].sort());
    expect([...new Set(withSnapshots.flatMap(actionsOf))].sort()).toEqual([...sent, 'ec2:CreateSnapshots', ...infrastructure].sort());
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('completes lifecycle actions and terminates instances of the service\'s two groups only', () => {
    // GIVEN / WHEN
    const { service, statements } = quarantineStatements();
    // THEN
    for (const action of ['autoscaling:CompleteLifecycleAction', 'autoscaling:TerminateInstanceInAutoScalingGroup']) {
      expect(resourcesOf(only(statements, action)).map(renderArn)).toEqual(groupArns(service));
    }
  });

  it('grants the describe calls without resource-level permissions on *, and nothing else on * but the namespaced metric', () => {
    // GIVEN / WHEN
    const { statements } = quarantineStatements(true);
    // THEN
    const onStar = statements.filter((s) => resourcesOf(s).includes('*'));
    expect(onStar.flatMap(actionsOf).sort()).toEqual([
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:DescribeScalingActivities',
      'cloudwatch:PutMetricData',
      'ec2:DescribeInstances',
      'elasticloadbalancing:DescribeTargetHealth',
    ]);
    expect(only(statements, 'cloudwatch:PutMetricData').Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': HEALING_METRIC.NAMESPACE } });
  });

  it('never grants ModifyInstanceAttribute or TerminateInstanceInAutoScalingGroup on *', () => {
    // GIVEN / WHEN
    const { statements } = quarantineStatements(true);
    // THEN
    for (const action of ['ec2:ModifyInstanceAttribute', 'autoscaling:TerminateInstanceInAutoScalingGroup', 'ec2:CreateTags', 'ec2:CreateSnapshots', 'ec2:GetConsoleOutput']) {
      for (const s of granting(statements, action)) expect(resourcesOf(s).map(renderArn), action).not.toContain('*');
    }
  });

  it('isolates only the service\'s instances (by tag), and only into the quarantine group', () => {
    // GIVEN / WHEN
    const { service, statements } = quarantineStatements();
    // THEN
    const modify = granting(statements, 'ec2:ModifyInstanceAttribute');
    expect(modify).toHaveLength(2);
    const onInstances = modify.find((s) => resourcesOf(s).map(renderArn).includes(instances))!;
    expect(resourcesOf(onInstances).map(renderArn)).toEqual([instances]);
    expect(onInstances.Condition).toEqual(ofWeb);
    expect(actionsOf(onInstances).sort()).toEqual(['ec2:GetConsoleOutput', 'ec2:ModifyInstanceAttribute']);
    const onGroups = modify.find((s) => s !== onInstances)!;
    expect(resourcesOf(onGroups).map(renderArn)).toEqual(
      [`arn:<AWS::Partition>:ec2:eu-west-1:<AWS::AccountId>:security-group/<${idOf(service, service.quarantine!.securityGroup)}.GroupId>`],
    );
    expect(onGroups.Condition).toBeUndefined();
  });

  it('tags only the service\'s instances, and only with the quarantine tag keys', () => {
    // GIVEN / WHEN
    const { statements } = quarantineStatements();
    // THEN
    const tags = only(statements, 'ec2:CreateTags');
    expect(resourcesOf(tags).map(renderArn)).toEqual([instances]);
    expect(tags.Condition).toEqual({ ...ofWeb, 'ForAllValues:StringEquals': { 'aws:TagKeys': [...QUARANTINE_TAG_KEYS] } });
  });

  it('snapshots only with snapshots on: the service\'s instances and volumes by tag, tagging snapshots only as they are created', () => {
    // GIVEN / WHEN
    const without = quarantineStatements(false).statements;
    const { statements } = quarantineStatements(true);
    // THEN
    expect(granting(without, 'ec2:CreateSnapshots')).toEqual([]);
    const snapshots = granting(statements, 'ec2:CreateSnapshots');
    expect(snapshots.map((s) => ({ resources: resourcesOf(s).map(renderArn), condition: s.Condition }))).toEqual([
      { resources: [instances, 'arn:<AWS::Partition>:ec2:eu-west-1:<AWS::AccountId>:volume/*'], condition: ofWeb },
      { resources: ['arn:<AWS::Partition>:ec2:eu-west-1::snapshot/*'], condition: undefined },
    ]);
    const tagSnapshots = granting(statements, 'ec2:CreateTags').filter((s) => resourcesOf(s).map(renderArn).includes('arn:<AWS::Partition>:ec2:eu-west-1::snapshot/*'));
    expect(tagSnapshots).toHaveLength(1);
    expect(tagSnapshots[0].Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'CreateSnapshots' } });
  });

  it('deregisters from the two target groups only', () => {
    // GIVEN / WHEN
    const { service, statements } = quarantineStatements();
    // THEN
    expect(resourcesOf(only(statements, 'elasticloadbalancing:DeregisterTargets'))).toEqual([service.blue, service.green].map((f) => ({ Ref: idOf(service, f.targetGroup) })));
  });

  it('writes evidence only under quarantine/<service>/ of the access-logs bucket', () => {
    // GIVEN / WHEN
    const { service, statements } = quarantineStatements();
    // THEN
    expect(resourcesOf(only(statements, 's3:PutObject')).map(renderArn)).toEqual([`<${idOf(service, service.accessLogsBucket)}.Arn>/quarantine/web/*`]);
  });

  it('reads the descriptor, reads and writes the release-state table, publishes to the topic with exact KMS actions', () => {
    // GIVEN / WHEN
    const { service, statements } = quarantineStatements();
    // THEN
    expect(resourcesOf(only(statements, 'ssm:GetParameter')).map(renderArn)).toEqual([`arn:<AWS::Partition>:ssm:eu-west-1:<AWS::AccountId>:parameter<${idOf(service, service.descriptorParameter)}>`]);
    const table = only(statements, 'dynamodb:PutItem');
    expect(actionsOf(table)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(resourcesOf(table)).toEqual([{ 'Fn::GetAtt': [idOf(service, service.releaseStateTable), 'Arn'] }]);
    expect(resourcesOf(only(statements, 'sns:Publish'))).toEqual([{ Ref: idOf(service, service.topic) }]);
    const kms = only(statements, 'kms:GenerateDataKey');
    expect(actionsOf(kms)).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(resourcesOf(kms)).toEqual([{ 'Fn::GetAtt': [idOf(service, service.topic.masterKey!), 'Arn'] }]);
  });
});

describe('grantRelease and the quarantine commands', () => {
  it.each([
    ['replace', buildService],
    ['quarantine', () => quarantinedService()],
  ] as const)('grants what `bluegreen quarantine terminate|extend` do, scoped to the service (%s)', (_kind, build) => {
    // GIVEN
    const { stack, service, template } = build();
    const role = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    service.grantRelease(role);
    // THEN
    const statements = statementsOf(template(), role);
    expect(resourcesOf(only(statements, 'autoscaling:TerminateInstanceInAutoScalingGroup')).map(renderArn)).toEqual(groupArns(service));
    expect(resourcesOf(only(statements, 'ec2:DescribeInstances'))).toEqual(['*']);
    const tagInstances = granting(statements, 'ec2:CreateTags').filter((s) => resourcesOf(s).map(renderArn).includes(instances));
    expect(tagInstances).toHaveLength(1);
    expect(tagInstances[0].Condition).toEqual({ ...ofWeb, 'ForAllValues:StringEquals': { 'aws:TagKeys': [...QUARANTINE_EXTEND_TAG_KEYS] } });
    expect(granting(statements, 'dynamodb:GetItem').length + granting(statements, 'dynamodb:PutItem').length).toBeGreaterThanOrEqual(2);
  });

  it('leaves grantStatus read-only', () => {
    // GIVEN
    const { stack, service, template } = quarantinedService();
    const role = new iam.Role(stack, 'Viewer', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    service.grantStatus(role);
    // THEN
    const actions = statementsOf(template(), role).flatMap(actionsOf);
    expect(actions.filter((a) => !/:(Describe|Get)/.test(a))).toEqual([]);
  });
});
