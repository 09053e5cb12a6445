/**
 * The quarantine handler end to end against moto: a service deployed with quarantine (the hook on both groups, the
 * quarantine group, the log bucket, the topic), instances marked Unhealthy with SetInstanceHealth, and the
 * EventBridge event the group would send. Only what moto lacks is stood in for (quarantine-stand-ins.ts: the
 * hook firing, the termination's cause, CompleteLifecycleAction, the Retained listing); every assertion reads
 * moto's own state.
 *
 * The tests run in order on one service: blue's first sick instance is kept, the second is over the cap; a green
 * scale-in continues; a failure while isolating continues; the sweep, a day later, terminates the kept one.
 */
import { AutoScalingClient, SetInstanceHealthCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client, Instance } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import * as http from 'http';
import { AddressInfo } from 'net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsClients, createAwsClients } from '../../lib/aws';
import { descriptorParameterName, HEALING_METRIC, QUARANTINE_SWEEP_SOURCE, QUARANTINE_TAGS, QuarantineRecord, quarantineRecordKey, ServiceDescriptor } from '../../lib/contract';
import { DescriptorCache } from '../../lib/lambda/auto-rollback/descriptor-cache';
import { handler, QuarantineConfig, QuarantineEvent, QuarantineLogLine, runQuarantine } from '../../lib/lambda/quarantine';
import { actionsOfBundle } from '../helpers/sdk-actions';
import { createServiceFixture, FIXTURE_AMI, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';
import { autoScalingWithStandIns, lifecycleActionEvent, MotoLifecycle, motoLifecycle } from './quarantine-stand-ins';

useMotoServer();

const SERVICE = 'qh';
let clients: AwsClients;
let fx: ServiceFixture;
let lifecycle: MotoLifecycle;
const lines: QuarantineLogLine[] = [];
/** The handler's clock; the sweep test moves it a day on. */
let nowMs = Date.now();
const notices: Array<{ Subject: string; Message: string }> = [];
const topicEndpoint = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    notices.push(JSON.parse(body));
    res.end();
  });
});

beforeAll(async () => {
  clients = createAwsClients();
  fx = await createServiceFixture({ service: SERVICE, quarantine: {} });
  lifecycle = motoLifecycle();
  // The topic's messages, as a subscriber sees them (moto posts to HTTP subscriptions; no SQS client is installed).
  await new Promise<void>((r) => topicEndpoint.listen(0, '127.0.0.1', () => r()));
  const endpoint = `http://127.0.0.1:${(topicEndpoint.address() as AddressInfo).port}/`;
  await clients.get(SNSClient).send(new SubscribeCommand({ TopicArn: fx.descriptor.topicArn, Protocol: 'http', Endpoint: endpoint }));
});
afterAll(() => new Promise<void>((r) => topicEndpoint.close(() => r())));

function config(overrides: Partial<QuarantineConfig> = {}): QuarantineConfig {
  return {
    serviceName: SERVICE,
    clients,
    descriptors: new DescriptorCache(SERVICE),
    autoScaling: autoScalingWithStandIns(clients, lifecycle),
    clock: { now: () => nowMs, sleep: async () => undefined },
    log: (line) => lines.push(line),
    requestId: 'req-1',
    ...overrides,
  };
}

async function instance(id: string): Promise<Instance> {
  const out = await clients.get(EC2Client).send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations![0].Instances![0];
}

const gone = (i: Instance) => ['shutting-down', 'terminated'].includes(i.State?.Name ?? '');

async function markUnhealthy(id: string): Promise<void> {
  await clients.get(AutoScalingClient).send(new SetInstanceHealthCommand({ InstanceId: id, HealthStatus: 'Unhealthy' }));
}

async function storedRecord(): Promise<QuarantineRecord> {
  const item = await clients.get(DynamoDBClient).send(new GetItemCommand({ TableName: fx.descriptor.releaseStateTable, Key: { service: { S: quarantineRecordKey(SERVICE) } } }));
  return JSON.parse(item.Item!.record.S!);
}

async function gaugeMaximum(colour: string): Promise<number[]> {
  const out = await clients.get(CloudWatchClient).send(
    new GetMetricStatisticsCommand({
      Namespace: HEALING_METRIC.NAMESPACE,
      MetricName: HEALING_METRIC.RECENT_REPLACEMENTS,
      Dimensions: [
        { Name: HEALING_METRIC.SERVICE_DIMENSION, Value: SERVICE },
        { Name: HEALING_METRIC.COLOUR_DIMENSION, Value: colour },
      ],
      StartTime: new Date(Date.now() - 600_000),
      EndTime: new Date(Date.now() + 600_000),
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  return (out.Datapoints ?? []).map((d) => d.Maximum ?? -1);
}

async function putDescriptor(descriptor: ServiceDescriptor): Promise<void> {
  await clients.get(SSMClient).send(new PutParameterCommand({ Name: descriptorParameterName(SERVICE), Type: 'String', Value: JSON.stringify(descriptor), Overwrite: true }));
}

describe('quarantine handler against moto', () => {
  let kept = '';

  it('keeps blue\'s first unhealthy instance: isolated, tagged, out of its target group, evidence, notice, record, gauge', async () => {
    // GIVEN a blue instance the group found unhealthy (SetInstanceHealth) and is terminating under the hook
    [kept] = await fx.instanceIds('blue');
    await markUnhealthy(kept);
    const event = lifecycleActionEvent(lifecycle, 'qh-blue', kept);
    // WHEN
    const line = await runQuarantine(event, config());
    // THEN the decision is logged as one line
    expect(line).toMatchObject({ level: 'info', kind: 'hook', action: 'kept', instanceId: kept, colour: 'blue', service: SERVICE, requestId: 'req-1' });
    expect(lines.at(-1)).toBe(line);
    // AND the hook was abandoned (Retained: it keeps running)
    expect(lifecycle.completed.map((c) => [c.event.instanceId, c.result, c.ended])).toEqual([[kept, 'ABANDON', true]]);
    const i = await instance(kept);
    expect(i.State?.Name).toBe('running');
    // AND only the quarantine group is left on it
    expect(i.SecurityGroups?.map((g) => g.GroupId)).toEqual([fx.descriptor.healing!.quarantine!.securityGroupId]);
    // AND its tags say why, when, until when, which image and which groups it had
    const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags[QUARANTINE_TAGS.STATE]).toBe('kept');
    expect(tags[QUARANTINE_TAGS.REASONS]).toContain('in response to a user health-check');
    expect(tags[QUARANTINE_TAGS.IMAGE]).toBe(FIXTURE_AMI);
    expect(tags[QUARANTINE_TAGS.ORIGINAL_GROUPS]).toBe(fx.securityGroupId);
    expect(Date.parse(tags[QUARANTINE_TAGS.EXPIRES]!) - Date.parse(tags[QUARANTINE_TAGS.SINCE]!)).toBe(86_400_000);
    // AND it is out of blue's target group (checked now: moto re-registers a group's instances whenever it resizes)
    const targets = await clients.get(ElasticLoadBalancingV2Client).send(new DescribeTargetHealthCommand({ TargetGroupArn: fx.colours.blue.targetGroupArn }));
    expect(targets.TargetHealthDescriptions?.map((t) => t.Target?.Id)).not.toContain(kept);
    // AND the evidence is in the log bucket, console output included
    const key = `quarantine/${SERVICE}/${kept}/evidence.json`;
    const evidence = JSON.parse(await (await clients.get(S3Client).send(new GetObjectCommand({ Bucket: `${SERVICE}-access-logs`, Key: key }))).Body!.transformToString());
    expect(evidence).toMatchObject({ instanceId: kept, colour: 'blue', check: 'custom', imageId: FIXTURE_AMI, originalSecurityGroups: [fx.securityGroupId] });
    expect(evidence.consoleOutput).toContain('Linux version');
    // AND the topic carried a notice naming it
    expect(notices).toHaveLength(1);
    expect(notices[0].Subject.length).toBeLessThanOrEqual(100);
    expect(`${notices[0].Subject} ${notices[0].Message}`).toContain(kept);
    // AND the record holds it kept, with its evidence, and one replacement of blue
    const record = await storedRecord();
    expect(record.entries).toMatchObject([{ instanceId: kept, colour: 'blue', state: 'kept', evidence: `s3://${SERVICE}-access-logs/${key}` }]);
    expect(record.replacements.map((r) => [r.colour, r.instanceId])).toEqual([['blue', kept]]);
    // AND the flapping gauge says one recent replacement of blue
    expect(await gaugeMaximum('blue')).toEqual([1]);
  });

  it('lets blue\'s second unhealthy instance terminate: one per colour is the cap', async () => {
    // GIVEN another unhealthy blue instance
    const second = (await fx.instanceIds('blue')).find((id) => id !== kept)!;
    await markUnhealthy(second);
    // WHEN
    const line = await runQuarantine(lifecycleActionEvent(lifecycle, 'qh-blue', second), config());
    // THEN the hook continued and the group terminated it
    expect(line).toMatchObject({ kind: 'hook', action: 'terminated', instanceId: second, healthDriven: true });
    expect(line.reason).toMatch(/over a cap/);
    expect(lifecycle.completed.at(-1)).toMatchObject({ result: 'CONTINUE', ended: true });
    expect(gone(await instance(second))).toBe(true);
    // AND only the first is kept; both count for flapping
    const record = await storedRecord();
    expect(record.entries.map((e) => e.instanceId)).toEqual([kept]);
    expect(record.replacements).toHaveLength(2);
  });

  it('lets a scale-in termination go on, whatever the caps', async () => {
    // GIVEN a healthy green instance the group scales in
    const [id] = await fx.instanceIds('green');
    // WHEN
    const line = await runQuarantine(lifecycleActionEvent(lifecycle, 'qh-green', id), config());
    // THEN
    expect(line).toMatchObject({ kind: 'hook', action: 'terminated', instanceId: id, colour: 'green', healthDriven: false });
    expect(line.reason).toMatch(/scale-in/);
    expect(gone(await instance(id))).toBe(true);
    expect((await storedRecord()).entries.map((e) => e.instanceId)).toEqual([kept]);
  });

  it('lets the termination go on and keeps nothing when isolating fails part way (the log bucket is gone)', async () => {
    // GIVEN a deployed descriptor whose evidence bucket does not exist, and an unhealthy green instance
    const deployed = fx.descriptor;
    await putDescriptor({ ...deployed, healing: { quarantine: { ...deployed.healing!.quarantine!, evidenceBucket: `${SERVICE}-deleted-bucket` } } });
    const [id] = await fx.instanceIds('green');
    await markUnhealthy(id);
    try {
      // WHEN
      const line = await runQuarantine(lifecycleActionEvent(lifecycle, 'qh-green', id), config());
      // THEN it failed open: CONTINUE, terminated, no entry left, and a notice says so
      expect(line).toMatchObject({ level: 'error', kind: 'hook', action: 'failed-open', instanceId: id, colour: 'green' });
      expect(line.error).toMatch(/evidence/);
      expect(lifecycle.completed.at(-1)).toMatchObject({ event: { instanceId: id }, result: 'CONTINUE', ended: true });
      expect(gone(await instance(id))).toBe(true);
      expect((await storedRecord()).entries.map((e) => e.instanceId)).toEqual([kept]);
      expect(notices.at(-1)!.Message).toContain(id);
    } finally {
      await putDescriptor(deployed);
    }
  });

  it('continues our hook\'s action when the descriptor cannot be read, leaves another hook\'s alone, and never throws', async () => {
    // GIVEN a function whose service has no descriptor
    const broken = config({ serviceName: 'qh-missing', descriptors: new DescriptorCache('qh-missing') });
    const [id] = await fx.instanceIds('green');
    // WHEN our hook's action arrives
    const ours = await runQuarantine(lifecycleActionEvent(lifecycle, 'qh-green', id), broken);
    // THEN it is continued, logged as an error
    expect(ours).toMatchObject({ level: 'error', kind: 'hook', action: 'failed-open', instanceId: id });
    expect(ours.message).toMatch(/Unknown service 'qh-missing'.*completed with CONTINUE/);
    expect(lifecycle.completed.at(-1)).toMatchObject({ event: { instanceId: id }, result: 'CONTINUE', ended: true });
    // AND another hook's action is not completed
    const before = lifecycle.completed.length;
    const other = await runQuarantine(lifecycleActionEvent(lifecycle, 'qh-green', id, 'someone-elses-hook'), broken);
    expect(other).toMatchObject({ kind: 'ignored', lifecycleHookName: 'someone-elses-hook' });
    expect(lifecycle.completed).toHaveLength(before);
  });

  it('sweeps a day later: the kept instance\'s retention is over, so it is terminated and its entry dropped', async () => {
    // GIVEN the clock a day and an hour on
    nowMs += 25 * 3600_000;
    // WHEN
    const line = await runQuarantine({ source: QUARANTINE_SWEEP_SOURCE }, config());
    // THEN
    expect(line).toMatchObject({ level: 'info', kind: 'sweep', errors: [] });
    expect(line.terminated).toEqual([expect.objectContaining({ instanceId: kept, colour: 'blue' })]);
    expect(gone(await instance(kept))).toBe(true);
    expect(await storedRecord()).toMatchObject({ entries: [], replacements: [] });
    // AND the gauge went back to zero for both colours (marks older than the window are dropped)
    expect(line.recentReplacements).toEqual({ blue: 0, green: 0 });
  });

  it('throws from the sweep, after logging, when the service has no quarantine', async () => {
    // GIVEN a descriptor without the healing section
    const { healing: _none, ...replaceOnly } = fx.descriptor;
    await putDescriptor(replaceOnly);
    try {
      // WHEN / THEN
      await expect(runQuarantine({ source: QUARANTINE_SWEEP_SOURCE }, config())).rejects.toThrow(/does not quarantine .*Healing\.quarantine\(\)/);
      expect(lines.at(-1)).toMatchObject({ level: 'error', kind: 'sweep' });
    } finally {
      await putDescriptor(fx.descriptor);
    }
  });

  it('runs as the Lambda entry point: another transition is ignored with one JSON line on stdout', async () => {
    // GIVEN the function's environment
    process.env.BLUEGREEN_SERVICE = SERVICE;
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const event: QuarantineEvent = { 'detail-type': 'EC2 Instance-terminate Lifecycle Action', detail: { LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', EC2InstanceId: 'i-1' } };
    try {
      // WHEN
      const line = await handler(event, { awsRequestId: 'lambda-1' });
      // THEN
      expect(line).toMatchObject({ kind: 'ignored', service: SERVICE, requestId: 'lambda-1', instanceId: 'i-1' });
      expect(stdout.mock.calls.map((c) => JSON.parse(String(c[0])))).toEqual([line]);
    } finally {
      stdout.mockRestore();
      delete process.env.BLUEGREEN_SERVICE;
    }
  });

  it('sends only the actions the handler needs (its shipped bundle\'s SDK commands)', () => {
    expect([...actionsOfBundle('quarantine')].sort()).toEqual([
      'autoscaling:CompleteLifecycleAction',
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:DescribeScalingActivities',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'cloudwatch:PutMetricData',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'ec2:CreateSnapshots',
      'ec2:CreateTags',
      'ec2:DescribeInstances',
      'ec2:GetConsoleOutput',
      'ec2:ModifyInstanceAttribute',
      'elasticloadbalancing:DeregisterTargets',
      'elasticloadbalancing:DescribeTargetHealth',
      's3:PutObject',
      'sns:Publish',
      'ssm:GetParameter',
    ]);
  });
});
