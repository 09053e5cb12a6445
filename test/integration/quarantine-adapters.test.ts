/**
 * The quarantine adapters (lib/aws/quarantine) against moto, one fixture service deployed with quarantine.
 *
 * What moto 5.2 lacks, and how these tests cover the adapter there instead (each with a client stub answering as
 * AWS documents, since moto cannot):
 * - DescribeScalingActivities always answers an empty list: `terminationActivity` is undefined against moto; the
 *   search for the newest "Terminating EC2 instance: <id>" across pages runs against a stub.
 * - No CompleteLifecycleAction (moto answers an HTML 500): the call and its "No active Lifecycle Action found"
 *   answer run against a stub.
 * - TerminateInstanceInAutoScalingGroup of an instance no group has: moto fails with a 500 (an uncaught
 *   StopIteration) instead of AWS's ValidationError "Instance Id not found": a stub answers that one.
 * - No `Terminating:Retained` state and no `Status: Delete in progress`: a stub lists them.
 * - CreateSnapshots ignores CopyTagsFromSource (moto says so): only the given tags are checked.
 * - ModifyInstanceAttribute accepts a security group id that does not exist (the instance then has none).
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, DescribeSnapshotsCommand, DescribeTagsCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import * as http from 'http';
import { AddressInfo } from 'net';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, createAwsClients } from '../../lib/aws';
import {
  AutoScalingQuarantine,
  CloudWatchReplacementGauge,
  createQuarantinePorts,
  DynamoQuarantineRecordStore,
  Ec2InstanceQuarantine,
  isRetained,
  quarantinePolicy,
  QuarantineNotConfiguredError,
  S3EvidenceStore,
  SnsQuarantineNotifier,
} from '../../lib/aws/quarantine';
import { emptyQuarantineRecord, HEALING_METRIC, InvalidQuarantineRecordError, QuarantineRecord, quarantineRecordKey } from '../../lib/contract';
import { ConcurrentQuarantineUpdateError, TerminationEvent } from '../../lib/release/quarantine';
import { createServiceFixture, FIXTURE_AMI, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';

useMotoServer();

let clients: AwsClients;
let fx: ServiceFixture;
let services = 0;

beforeAll(async () => {
  clients = createAwsClients();
  fx = await createServiceFixture({ service: 'qa', quarantine: { snapshots: true } });
});

const q = () => fx.descriptor.healing!.quarantine!;

/** An AutoScalingClient whose `send` answers from `answer` (for what moto cannot answer). */
function stubAutoScaling(answer: (command: { constructor: { name: string }; input: Record<string, unknown> }) => unknown): AutoScalingClient {
  return { send: async (command: never) => answer(command) } as unknown as AutoScalingClient;
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

const event = (instanceId = 'i-0123456789abcdef0'): TerminationEvent => ({ autoScalingGroupName: 'qa-blue', instanceId, lifecycleHookName: 'bluegreen-quarantine', lifecycleActionToken: 'token-1' });

describe('DynamoQuarantineRecordStore', () => {
  const record = (service: string, ids: string[]): QuarantineRecord => ({
    ...emptyQuarantineRecord(service),
    entries: ids.map((instanceId) => ({
      instanceId,
      colour: 'blue',
      autoScalingGroupName: 'qa-blue',
      state: 'kept',
      claimedAt: '2030-01-01T00:00:00.000Z',
      lifecycleActionToken: 't',
      expiresAt: '2030-01-02T00:00:00.000Z',
      reasons: ['user health-check'],
    })),
  });

  it('writes the <service>#quarantine item with compare-and-set versions and reads it back parsed', async () => {
    // GIVEN a service with no record yet
    const service = `svc${++services}`;
    const store = DynamoQuarantineRecordStore.fromClients(clients, fx.descriptor.releaseStateTable, service);
    expect(await store.read()).toBeUndefined();
    // WHEN it is written twice, each from the version before
    const v1 = await store.write(record(service, ['i-1']), undefined);
    const v2 = await store.write(record(service, ['i-1', 'i-2']), v1);
    // THEN the item holds the last record as JSON in `record`, and its entry count beside it
    expect([v1, v2]).toEqual([1, 2]);
    expect(await store.read()).toEqual({ record: record(service, ['i-1', 'i-2']), version: 2 });
    const item = await clients.get(DynamoDBClient).send(new GetItemCommand({ TableName: fx.descriptor.releaseStateTable, Key: { service: { S: quarantineRecordKey(service) } } }));
    expect(JSON.parse(item.Item!.record.S!)).toEqual(record(service, ['i-1', 'i-2']));
    expect(item.Item!.kept.N).toBe('2');
  });

  it('refuses a stale write, or a first write over an existing record, with ConcurrentQuarantineUpdateError', async () => {
    // GIVEN a record at version 2
    const service = `svc${++services}`;
    const store = DynamoQuarantineRecordStore.fromClients(clients, fx.descriptor.releaseStateTable, service);
    await store.write(record(service, []), await store.write(record(service, []), undefined));
    // WHEN / THEN
    await expect(store.write(record(service, ['i-1']), 1)).rejects.toThrow(ConcurrentQuarantineUpdateError);
    await expect(store.write(record(service, ['i-1']), undefined)).rejects.toThrow(/changed since it was read \(expected no quarantine record\)/);
    expect((await store.read())?.version).toBe(2);
  });

  it('rejects a record it cannot read, naming the item, and a record of another service', async () => {
    // GIVEN an item whose record is not schema 1
    const service = `svc${++services}`;
    await clients.get(DynamoDBClient).send(
      new PutItemCommand({ TableName: fx.descriptor.releaseStateTable, Item: { service: { S: quarantineRecordKey(service) }, version: { N: '1' }, record: { S: '{"schemaVersion":2}' } } }),
    );
    const store = DynamoQuarantineRecordStore.fromClients(clients, fx.descriptor.releaseStateTable, service);
    // WHEN / THEN
    await expect(store.read()).rejects.toThrow(InvalidQuarantineRecordError);
    await expect(store.read()).rejects.toThrow(`${service}#quarantine`);
    await expect(store.write(record('other', []), 1)).rejects.toThrow(/cannot be written/);
  });
});

describe('AutoScalingQuarantine', () => {
  it('finds no activity in moto, whose scaling activities are always empty', async () => {
    const [id] = await fx.instanceIds('blue');
    expect(await AutoScalingQuarantine.fromClients(clients).terminationActivity('qa-blue', id)).toBeUndefined();
  });

  it('takes the newest "Terminating EC2 instance: <id>" activity, with its cause, status, start and details, reading pages until one has it, at most three', async () => {
    // GIVEN activities newest first over pages, the instance's termination on page 2 (twice), another's on page 1
    const asked: Array<string | undefined> = [];
    const pages = [
      { Activities: [{ Description: 'Terminating EC2 instance: i-other', Cause: 'scale-in', StartTime: new Date(5000) }], NextToken: 'p2' },
      {
        Activities: [
          {
            Description: 'Terminating EC2 instance: i-sick',
            Cause: 'newer: user health-check',
            StartTime: new Date(4000),
            StatusCode: 'WaitingForTerminateLifecycleAction',
            StatusMessage: 'Waiting for the lifecycle hook',
            Details: '{"Subnet ID":"subnet-1","Availability Zone":"eu-west-1a"}',
          },
          { Description: 'Terminating EC2 instance: i-sick', Cause: 'older', StartTime: new Date(1000) },
        ],
        NextToken: 'p3',
      },
    ];
    const port = new AutoScalingQuarantine(
      stubAutoScaling((c) => {
        asked.push(c.input.NextToken as string | undefined);
        return pages[asked.length - 1] ?? { Activities: [], NextToken: 'more' };
      }),
    );
    // WHEN / THEN
    expect(await port.terminationActivity('qa-blue', 'i-sick')).toEqual({
      cause: 'newer: user health-check',
      description: 'Terminating EC2 instance: i-sick',
      startTime: new Date(4000).toISOString(),
      statusCode: 'WaitingForTerminateLifecycleAction',
      statusMessage: 'Waiting for the lifecycle hook',
      details: '{"Subnet ID":"subnet-1","Availability Zone":"eu-west-1a"}',
    });
    expect(asked).toEqual([undefined, 'p2']);
    // AND an instance never found stops after three pages
    asked.length = 0;
    expect(await port.terminationActivity('qa-blue', 'i-never')).toBeUndefined();
    expect(asked).toHaveLength(3);
  });

  it('tells a group being deleted (gone in moto; `Delete in progress` from a stub) from one that is not', async () => {
    const port = AutoScalingQuarantine.fromClients(clients);
    expect(await port.groupDeleting('qa-blue')).toBe(false);
    expect(await port.groupDeleting('qa-no-such-group')).toBe(true);
    const deleting = new AutoScalingQuarantine(stubAutoScaling(() => ({ AutoScalingGroups: [{ AutoScalingGroupName: 'qa-blue', Status: 'Delete in progress' }] })));
    expect(await deleting.groupDeleting('qa-blue')).toBe(true);
  });

  it('completes a lifecycle action (moto has no CompleteLifecycleAction: a stub), false when none is waiting', async () => {
    // GIVEN a stub that ends the first call and then answers as AWS does for an action no longer waiting
    const sent: Array<Record<string, unknown>> = [];
    const port = new AutoScalingQuarantine(
      stubAutoScaling((c) => {
        sent.push({ command: c.constructor.name, ...c.input });
        if (sent.length > 1) throw awsError('ValidationError', 'No active Lifecycle Action found with token token-1');
        return {};
      }),
    );
    // WHEN / THEN
    expect(await port.completeLifecycleAction(event('i-1'), 'ABANDON')).toBe(true);
    expect(await port.completeLifecycleAction(event('i-1'), 'CONTINUE')).toBe(false);
    expect(sent[0]).toEqual({
      command: 'CompleteLifecycleActionCommand',
      AutoScalingGroupName: 'qa-blue',
      LifecycleHookName: 'bluegreen-quarantine',
      LifecycleActionToken: 'token-1',
      InstanceId: 'i-1',
      LifecycleActionResult: 'ABANDON',
    });
    // AND any other error is thrown
    const failing = new AutoScalingQuarantine(stubAutoScaling(() => Promise.reject(awsError('AccessDenied', 'not allowed'))));
    await expect(failing.completeLifecycleAction(event(), 'CONTINUE')).rejects.toThrow('not allowed');
  });

  it('terminates an instance in moto without lowering desired capacity; one the group no longer has is no error', async () => {
    // GIVEN a running instance of green
    const [id] = await fx.instanceIds('green');
    const port = AutoScalingQuarantine.fromClients(clients);
    // WHEN
    await port.terminateInstance('qa-green', id);
    // THEN EC2 terminates it, and the group keeps its desired capacity (a Retained instance is outside it)
    const state = (await clients.get(EC2Client).send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0].State!.Name;
    expect(['shutting-down', 'terminated']).toContain(state);
    const group = (await clients.get(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['qa-green'] }))).AutoScalingGroups![0];
    expect(group.DesiredCapacity).toBe(2);
    // AND (moto fails with a 500 there, so a stub answers as AWS does) an instance the group no longer has is no error
    const gone = new AutoScalingQuarantine(stubAutoScaling(() => Promise.reject(awsError('ValidationError', `Instance Id not found - No managed instance found for instance ID ${id}`))));
    await expect(gone.terminateInstance('qa-green', id)).resolves.toBeUndefined();
    const denied = new AutoScalingQuarantine(stubAutoScaling(() => Promise.reject(awsError('AccessDenied', 'not allowed'))));
    await expect(denied.terminateInstance('qa-green', id)).rejects.toThrow('not allowed');
  });

  it('lists Retained instances: none in moto (no such state), those in `Terminating:Retained` from a stub', async () => {
    expect(await AutoScalingQuarantine.fromClients(clients).retainedInstances('qa-blue')).toEqual([]);
    expect(await AutoScalingQuarantine.fromClients(clients).retainedInstances('qa-no-such-group')).toEqual([]);
    const port = new AutoScalingQuarantine(
      stubAutoScaling(() => ({
        AutoScalingGroups: [
          {
            AutoScalingGroupName: 'qa-blue',
            Instances: [
              { InstanceId: 'i-kept', LifecycleState: 'Terminating:Retained' },
              { InstanceId: 'i-serving', LifecycleState: 'InService' },
              { InstanceId: 'i-waiting', LifecycleState: 'Terminating:Wait' },
            ],
          },
        ],
      })),
    );
    expect(await port.retainedInstances('qa-blue')).toEqual(['i-kept']);
    expect(['Terminating:Retained', 'Warmed:Terminating:Retained', 'Warmed:Pending:Retained'].every(isRetained)).toBe(true);
    expect(['Terminating', 'Terminating:Wait', 'InService', undefined].some(isRetained)).toBe(false);
  });
});

describe('Ec2InstanceQuarantine', () => {
  let blue: string[];
  let port: Ec2InstanceQuarantine;
  beforeAll(async () => {
    blue = await fx.instanceIds('blue');
    port = Ec2InstanceQuarantine.fromClients(clients);
  });

  it('describes an instance: state, image, security groups; `gone` for one EC2 does not know', async () => {
    expect(await port.describe(blue[0])).toEqual({ instanceId: blue[0], state: 'running', imageId: FIXTURE_AMI, securityGroupIds: [fx.securityGroupId] });
    expect(await port.describe('i-0000000000000dead')).toEqual({ instanceId: 'i-0000000000000dead', state: 'gone', securityGroupIds: [] });
  });

  it('gives the load balancer\'s health of a target (state, reason, description), and takes it out of the group', async () => {
    // GIVEN a healthy target, then a stopped instance, which moto reports `unused` with a reason
    const tg = fx.colours.blue.targetGroupArn;
    const id = blue[1];
    expect(await port.targetHealth(tg, id)).toEqual({ state: 'healthy' });
    await clients.get(EC2Client).send(new StopInstancesCommand({ InstanceIds: [id] }));
    // WHEN / THEN
    expect(await port.targetHealth(tg, id)).toEqual({ state: 'unused', reason: 'Target.InvalidState', description: expect.any(String) });
    await port.deregister(tg, id);
    const targets = await clients.get(ElasticLoadBalancingV2Client).send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));
    expect((targets.TargetHealthDescriptions ?? []).map((t) => t.Target?.Id)).not.toContain(id);
    // AND again is no error, and a target no longer registered has no health
    await port.deregister(tg, id);
    expect(await port.targetHealth(tg, id)).toBeUndefined();
  });

  it('replaces the security groups, tags (values cut to 256 characters), and reads the console output', async () => {
    // GIVEN
    const id = blue[0];
    // WHEN
    await port.replaceSecurityGroups(id, [q().securityGroupId]);
    await port.tag(id, { 'bluegreen:quarantine': 'kept', 'bluegreen:quarantine-reasons': 'x'.repeat(300) });
    const output = await port.consoleOutput(id);
    // THEN
    expect((await port.describe(id)).securityGroupIds).toEqual([q().securityGroupId]);
    const tags = await clients.get(EC2Client).send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }));
    const byKey = Object.fromEntries((tags.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(byKey['bluegreen:quarantine']).toBe('kept');
    expect(byKey['bluegreen:quarantine-reasons']).toBe('x'.repeat(256));
    // moto's canned console output, decoded from base64
    expect(output).toContain('Linux version');
  });

  it('snapshots the instance\'s volumes with the given tags', async () => {
    const ids = await port.snapshot(blue[0], { 'bluegreen:service': 'qa', 'bluegreen:quarantine': 'kept' });
    expect(ids.length).toBeGreaterThan(0);
    const snaps = await clients.get(EC2Client).send(new DescribeSnapshotsCommand({ SnapshotIds: ids }));
    for (const s of snaps.Snapshots ?? []) {
      expect(Object.fromEntries((s.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ 'bluegreen:service': 'qa', 'bluegreen:quarantine': 'kept' });
    }
  });
});

describe('S3EvidenceStore, SnsQuarantineNotifier, CloudWatchReplacementGauge', () => {
  it('puts evidence as JSON with SSE-S3 and answers its s3:// URI', async () => {
    // WHEN
    const uri = await S3EvidenceStore.fromClients(clients, q().evidenceBucket).put('quarantine/qa/i-1/evidence.json', '{"instanceId":"i-1"}');
    // THEN
    expect(uri).toBe(`s3://${q().evidenceBucket}/quarantine/qa/i-1/evidence.json`);
    const object = await clients.get(S3Client).send(new GetObjectCommand({ Bucket: q().evidenceBucket, Key: 'quarantine/qa/i-1/evidence.json' }));
    expect(await object.Body!.transformToString()).toBe('{"instanceId":"i-1"}');
    expect(object.ContentType).toBe('application/json');
    expect(object.ServerSideEncryption).toBe('AES256');
  });

  it('publishes a notice whose subject is one line of at most 100 characters', async () => {
    // GIVEN an HTTP endpoint subscribed to the topic (moto posts notifications to it)
    const received: Array<{ Subject?: string; Message?: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      await clients.get(SNSClient).send(new SubscribeCommand({ TopicArn: fx.descriptor.topicArn, Protocol: 'http', Endpoint: endpoint }));
      // WHEN
      await SnsQuarantineNotifier.fromClients(clients, fx.descriptor.topicArn).notify(`qa: kept i-1\n${'y'.repeat(200)}`, 'the details');
      // THEN
      expect(received).toHaveLength(1);
      expect(received[0].Subject).toBe(`qa: kept i-1 ${'y'.repeat(200)}`.slice(0, 100));
      expect(received[0].Message).toBe('the details');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('publishes the gauge per colour with the Service and Colour dimensions', async () => {
    // WHEN
    await CloudWatchReplacementGauge.fromClients(clients, 'qa-gauge').publish({ blue: 2, green: 0 });
    // THEN
    const max = async (colour: string) => {
      const out = await clients.get(CloudWatchClient).send(
        new GetMetricStatisticsCommand({
          Namespace: HEALING_METRIC.NAMESPACE,
          MetricName: HEALING_METRIC.RECENT_REPLACEMENTS,
          Dimensions: [
            { Name: HEALING_METRIC.SERVICE_DIMENSION, Value: 'qa-gauge' },
            { Name: HEALING_METRIC.COLOUR_DIMENSION, Value: colour },
          ],
          StartTime: new Date(Date.now() - 600_000),
          EndTime: new Date(Date.now() + 600_000),
          Period: 60,
          Statistics: ['Maximum'],
        }),
      );
      return (out.Datapoints ?? []).map((d) => d.Maximum);
    };
    expect(await max('blue')).toEqual([2]);
    expect(await max('green')).toEqual([0]);
  });
});

describe('quarantinePolicy and createQuarantinePorts', () => {
  it('builds the controller\'s policy from the descriptor\'s healing.quarantine and colours', () => {
    expect(quarantinePolicy(fx.descriptor)).toEqual({
      service: 'qa',
      region: 'eu-west-1',
      keepPerColour: 1,
      keepPerService: 2,
      retentionSeconds: 86_400,
      snapshots: true,
      flappingReplacements: 3,
      flappingWindowSeconds: 900,
      hookName: 'bluegreen-quarantine',
      hookTimeoutSeconds: 300,
      securityGroupId: q().securityGroupId,
      evidencePrefix: 'quarantine/qa/',
      colours: [
        { colour: 'blue', autoScalingGroupName: 'qa-blue', targetGroupArn: fx.colours.blue.targetGroupArn },
        { colour: 'green', autoScalingGroupName: 'qa-green', targetGroupArn: fx.colours.green.targetGroupArn },
      ],
    });
  });

  it('refuses a service without quarantine, naming it and the fix', () => {
    const { healing: _none, ...replaceOnly } = fx.descriptor;
    expect(() => quarantinePolicy(replaceOnly)).toThrow(QuarantineNotConfiguredError);
    expect(() => createQuarantinePorts(clients, replaceOnly)).toThrow(/Service qa does not quarantine .*Set `healing: Healing\.quarantine\(\)` on its BlueGreenService and deploy/);
  });

  it('creates every port without a call, each loading its adapter on first use', async () => {
    // GIVEN fresh clients, so what is created is this test's
    const own = createAwsClients();
    const ports = createQuarantinePorts(own, fx.descriptor);
    expect(own.created()).toEqual(['dynamodb']);
    // WHEN ports are used
    const [id] = await fx.instanceIds('blue');
    expect((await ports.instances.describe(id)).state).toBe('running');
    expect(await ports.autoScaling.groupDeleting('qa-blue')).toBe(false);
    // THEN only their clients were created
    expect(own.created()).toEqual(['dynamodb', 'ec2', 'elbv2', 'autoscaling']);
    expect(own.counter.count()).toBe(2);
    own.destroy();
  });
});
