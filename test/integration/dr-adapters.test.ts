/**
 * The DR adapters against one moto server serving two Regions (moto keeps them apart by the Region in the request's
 * signature): the primary in MOTO_REGION, the standby in STANDBY_REGION.
 *
 * What moto does not do, and what stands in for it here:
 * - CloudWatch alarms are never evaluated: PutMetricData lands (ListMetrics, GetMetricStatistics show it) but the
 *   switch alarm does not move; SetAlarmState drives the states `CloudWatchDnsSwitch.state()` maps.
 * - No composite alarms: the fixture's gate is a metric alarm (see fixture.ts).
 * - Route 53: GetHealthCheckStatus always reports one checker with `Success` (it never checks anything), and on a
 *   calculated check too, which AWS refuses (the adapter does not call it for those). TestDNSAnswer is not modelled
 *   at all: a stand-in HTTP server in front of moto answers that one request with AWS's XML and passes every other
 *   request to moto (`testDnsAnswerStandIn`).
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeResourceRecordSetsCommand, CreateHealthCheckCommand, CreateHostedZoneCommand, HealthCheckConfig, Route53Client } from '@aws-sdk/client-route-53';
import * as http from 'http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DisasterRecoveryDescriptor,
  DR_SWITCH_DIMENSION,
  DR_SWITCH_METRIC,
  DR_SWITCH_NAMESPACE,
  drRecordKey,
  drRegionHealthAlarmName,
  drSwitchAlarmName,
  ServiceDescriptor,
} from '../../lib/contract';
import { AwsClients, createAwsClients, DynamoReleaseStateStore } from '../../lib/aws';
import { AwsRegionService, CloudWatchDnsSwitch, createDrPorts, DynamoDrRecordCopy, LazyRegionService, SnsDrNotifier } from '../../lib/aws/dr';
import { checkersState, Route53StatusView, thresholdState } from '../../lib/aws/dr/route53-status-view';
import { ConcurrentDrOperationError, DrRecord } from '../../lib/release/dr/ports';
import { ReleaseState } from '../../lib/release/ports';
import { createServiceFixture, FIXTURE_GREEN_IMAGE, ServiceFixture } from './fixture';
import { createHealthAlarm } from './dr-pair';
import { MOTO_REGION, useMotoServer } from './moto-server';
import { drSectionOf } from '../helpers/dr-section';

const STANDBY_REGION = 'eu-central-1';
const moto = useMotoServer();

let primary: AwsClients;
let standby: AwsClients;
let fixture: ServiceFixture;
let tests = 0;

beforeAll(async () => {
  primary = createAwsClients({ region: MOTO_REGION });
  standby = createAwsClients({ region: STANDBY_REGION });
  // One standby fixture for the file: each test works on its own colour or resource, or restores what it changes.
  fixture = await createServiceFixture({ service: 'shop', region: STANDBY_REGION, disasterRecovery: drSection('shop', 'standby'), clients: standby });
  await createHealthAlarm(standby, 'shop', STANDBY_REGION);
});

describe('DynamoDrRecordCopy', () => {
  it('writes the record with compare-and-set versions, one copy per Region', async () => {
    // GIVEN the standby's copy of a service that has none yet
    const service = `svc${++tests}`;
    const copy = DynamoDrRecordCopy.fromClients(standby, fixture.descriptor.releaseStateTable, service);
    expect(await copy.read()).toBeUndefined();
    // WHEN it is written, then written again from the version read
    const v1 = await copy.write(drRecord(service, 1, 'normal'), undefined);
    const v2 = await copy.write(drRecord(service, 2, 'failing-over'), v1);
    // THEN the copy holds the last write, and the item shows phase and generation beside the JSON
    expect([v1, v2]).toEqual([1, 2]);
    expect(await copy.read()).toEqual({ record: drRecord(service, 2, 'failing-over'), version: 2 });
    const item = await standby.get(DynamoDBClient).send(
      new GetItemCommand({ TableName: fixture.descriptor.releaseStateTable, Key: { service: { S: drRecordKey(service) } } }),
    );
    expect(item.Item?.phase?.S).toBe('failing-over');
    expect(item.Item?.generation?.N).toBe('2');
  });

  it('refuses a write from a stale version, or a first write over an existing copy, with ConcurrentDrOperationError', async () => {
    // GIVEN a copy at version 2
    const service = `svc${++tests}`;
    const copy = DynamoDrRecordCopy.fromClients(standby, fixture.descriptor.releaseStateTable, service);
    await copy.write(drRecord(service, 1, 'normal'), await copy.write(drRecord(service, 1, 'normal'), undefined));
    // WHEN another writer writes from version 1, or as if there were none
    // THEN both are refused and the copy is unchanged
    await expect(copy.write(drRecord(service, 3, 'failing-over'), 1)).rejects.toThrow(ConcurrentDrOperationError);
    await expect(copy.write(drRecord(service, 3, 'failing-over'), undefined)).rejects.toThrow(/changed since it was read \(expected no DR record\)/);
    expect((await copy.read())?.version).toBe(2);
  });

  it('keeps the release record apart and refuses another service\'s record', async () => {
    // GIVEN a service's release record and its DR record in the same table
    const service = `svc${++tests}`;
    const table = fixture.descriptor.releaseStateTable;
    await new DynamoReleaseStateStore(standby.get(DynamoDBClient), table, service).write(releaseState(service, Date.now()), undefined);
    const copy = DynamoDrRecordCopy.fromClients(standby, table, service);
    // WHEN the DR copy is read and another service's record is written to it
    // THEN there is no DR record yet, and the write is refused before any call
    expect(await copy.read()).toBeUndefined();
    await expect(copy.write(drRecord('other', 1, 'normal'), undefined)).rejects.toThrow(/'other' cannot be written to the DR record of '/);
  });
});

describe('AwsRegionService (standby Region)', () => {
  it('reads weights, images, capacity and target health of the Region', async () => {
    // GIVEN the standby service
    const service = AwsRegionService.fromClients(fixture.descriptor, standby);
    // WHEN / THEN it reads them from that Region
    expect(service.region).toBe(STANDBY_REGION);
    expect(await service.weights()).toEqual({ blue: 100, green: 0 });
    expect(await service.image('green')).toBe(FIXTURE_GREEN_IMAGE);
    expect(await service.capacity('blue')).toMatchObject({ min: 2, max: 4, desired: 2 });
    expect(await service.health('blue')).toEqual({ healthy: 2, total: 2 });
  });

  it('scales a colour to a size (max kept) and restores the deployed sizes afterwards', async () => {
    // GIVEN blue at its serving size 2 (max 4)
    const service = AwsRegionService.fromClients(fixture.descriptor, standby);
    // WHEN a failover scales it to 4
    await service.scaleTo('blue', 4);
    // THEN min and desired are 4, max stays
    expect(await groupSizes(fixture.colours.blue.autoScalingGroupName)).toEqual({ min: 4, max: 4, desired: 4 });
    // WHEN it is restored
    await service.restoreDeployedCapacity('blue');
    // THEN it is back at the descriptor's serving capacity (scaled in, unlike setMode)
    expect(await groupSizes(fixture.colours.blue.autoScalingGroupName)).toEqual({ min: 2, max: 4, desired: 2 });
  });

  it('restores a colour deployed in standby to zero', async () => {
    // GIVEN green deployed in standby mode but scaled up by a failover
    const descriptor: ServiceDescriptor = { ...fixture.descriptor, colours: { ...fixture.descriptor.colours, green: { ...fixture.descriptor.colours.green, mode: 'standby' } } };
    const service = AwsRegionService.fromClients(descriptor, standby);
    await service.scaleTo('green', 3);
    // WHEN it is restored
    await service.restoreDeployedCapacity('green');
    // THEN min, max and desired are 0
    expect(await groupSizes(fixture.colours.green.autoScalingGroupName)).toEqual({ min: 0, max: 0, desired: 0 });
    await standby.get(AutoScalingClient).send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: fixture.colours.green.autoScalingGroupName, MinSize: 2, MaxSize: 4, DesiredCapacity: 2 }),
    );
  });

  it('names the colour\'s gate and the Region\'s health alarm when they are in ALARM', async () => {
    // GIVEN nothing firing
    const service = AwsRegionService.fromClients(fixture.descriptor, standby);
    const health = drRegionHealthAlarmName('shop', STANDBY_REGION);
    expect(await service.firingAlarms('blue')).toEqual([]);
    // WHEN the Region's health alarm and blue's gate go to ALARM (SetAlarmState: moto does not evaluate alarms)
    await fixture.setAlarmState(health, 'ALARM');
    await fixture.setGateState('blue', 'ALARM');
    try {
      // THEN both are named for blue; green only sees the Region's
      expect((await service.firingAlarms('blue')).sort()).toEqual([fixture.colours.blue.gateAlarm, health].sort());
      expect(await service.firingAlarms('green')).toEqual([health]);
    } finally {
      await fixture.setAlarmState(health, 'OK');
      await fixture.setGateState('blue', 'OK');
    }
  });

  it('fails when the Region\'s health alarm is missing, naming it and the fix', async () => {
    // GIVEN a descriptor naming a health alarm that does not exist
    const descriptor: ServiceDescriptor = { ...fixture.descriptor, disasterRecovery: { ...drSection('shop', 'standby'), healthAlarmName: 'nope' } };
    // WHEN / THEN
    await expect(AwsRegionService.fromClients(descriptor, standby).firingAlarms('blue')).rejects.toThrow(/health alarm nope does not exist in eu-central-1.*cdk deploy/);
  });

  it('reports a release in progress only while its holder\'s lease is live', async () => {
    // GIVEN a release in progress with a fresh heartbeat, then the same one silent for longer than its lease
    const service = `svc${++tests}`;
    const descriptor = { ...fixture.descriptor, service };
    const store = new DynamoReleaseStateStore(standby.get(DynamoDBClient), descriptor.releaseStateTable, service);
    const region = AwsRegionService.fromClients(descriptor, standby);
    expect(await region.releaseActivity()).toEqual({ inProgress: false, detail: 'no release recorded' });
    const v = await store.write(releaseState(service, Date.now()), undefined);
    // WHEN / THEN
    expect(await region.releaseActivity()).toMatchObject({ inProgress: true, detail: expect.stringMatching(/release r-1 .*held by cli@host in eu-central-1/) });
    await store.write(releaseState(service, Date.now() - 10 * 60_000), v);
    expect(await region.releaseActivity()).toMatchObject({ inProgress: false, detail: expect.stringMatching(/interrupted: its lease ran out/) });
  });
});

describe('LazyRegionService and createDrPorts', () => {
  it('makes no call until used, and fails fast when the primary Region does not answer', async () => {
    // GIVEN ports whose primary Region's endpoint refuses connections
    const dead = createAwsClients({ region: MOTO_REGION, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const ports = createDrPorts({
      service: 'shop',
      dr: drSection('shop', 'standby'),
      clientsFor: (region) => (region === STANDBY_REGION ? standby : dead),
      logger: { event: () => undefined },
    });
    expect(dead.created()).toEqual([]);
    // WHEN the primary is read, and the standby
    const started = Date.now();
    await expect(ports.primary.weights()).rejects.toThrow();
    await expect(ports.primary.record.read()).rejects.toThrow();
    // THEN the primary fails within a second (nothing cached), and the standby answers from its own Region
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(ports.primary.region).toBe(MOTO_REGION);
    expect(await ports.standby.weights()).toEqual({ blue: 100, green: 0 });
  });

  it('refuses a descriptor from another Region than its clients reach', async () => {
    // GIVEN a lazy service for MOTO_REGION whose clients reach the standby Region
    const lazy = new LazyRegionService(MOTO_REGION, 'shop', standby);
    // WHEN / THEN
    await expect(lazy.weights()).rejects.toThrow(/read for eu-west-1 says its Region is eu-central-1/);
  });
});

describe('CloudWatchDnsSwitch', () => {
  it('writes the switch metric in the standby Region with PutMetricData', async () => {
    // GIVEN the switch of a service
    const service = `svc${++tests}`;
    const dnsSwitch = CloudWatchDnsSwitch.fromClients(standby, service);
    // WHEN it is set
    await dnsSwitch.set(true);
    // THEN the metric is there with its dimension and value 1, in the standby Region only
    const dimensions = [{ Name: DR_SWITCH_DIMENSION, Value: service }];
    const listed = await standby.get(CloudWatchClient).send(new ListMetricsCommand({ Namespace: DR_SWITCH_NAMESPACE, MetricName: DR_SWITCH_METRIC, Dimensions: dimensions }));
    expect(listed.Metrics?.length).toBe(1);
    const stats = await standby.get(CloudWatchClient).send(
      new GetMetricStatisticsCommand({
        Namespace: DR_SWITCH_NAMESPACE,
        MetricName: DR_SWITCH_METRIC,
        Dimensions: dimensions,
        StartTime: new Date(Date.now() - 600_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    expect(stats.Datapoints?.map((d) => d.Maximum)).toEqual([1]);
    const elsewhere = await primary.get(CloudWatchClient).send(new ListMetricsCommand({ Namespace: DR_SWITCH_NAMESPACE, Dimensions: dimensions }));
    expect(elsewhere.Metrics ?? []).toEqual([]);
  });

  it('maps the switch alarm\'s state (moto does not evaluate alarms: SetAlarmState stands in)', async () => {
    // GIVEN the switch alarm as the standby's stack creates it
    const service = `svc${++tests}`;
    const alarm = drSwitchAlarmName(service);
    await standby.get(CloudWatchClient).send(
      new PutMetricAlarmCommand({
        AlarmName: alarm,
        Namespace: DR_SWITCH_NAMESPACE,
        MetricName: DR_SWITCH_METRIC,
        Dimensions: [{ Name: DR_SWITCH_DIMENSION, Value: service }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'ignore',
      }),
    );
    const dnsSwitch = CloudWatchDnsSwitch.fromClients(standby, service);
    // WHEN / THEN no data yet, then ALARM, then OK
    await fixture.setAlarmState(alarm, 'INSUFFICIENT_DATA');
    expect(await dnsSwitch.state()).toBe('INSUFFICIENT_DATA');
    await fixture.setAlarmState(alarm, 'ALARM');
    expect(await dnsSwitch.state()).toBe('ALARM');
    await fixture.setAlarmState(alarm, 'OK');
    expect(await dnsSwitch.state()).toBe('OK');
  });

  it('fails when the switch alarm does not exist, naming it, the Region and the fix', async () => {
    // GIVEN no alarm for this service
    const dnsSwitch = CloudWatchDnsSwitch.fromClients(standby, `svc${++tests}`);
    // WHEN / THEN
    await expect(dnsSwitch.state()).rejects.toThrow(/alarm bluegreen-svc\d+-dr-switch does not exist in eu-central-1\. Deploy the standby's stack/);
  });
});

/** A `disasterRecovery` section for `role`'s descriptor. */
function drSection(service: string, role: 'primary' | 'standby'): DisasterRecoveryDescriptor {
  return drSectionOf({ primaryRegion: MOTO_REGION, standbyRegion: STANDBY_REGION, service, role, mode: 'warm-standby', zoneName: 'example.test' });
}

function drRecord(service: string, generation: number, phase: DrRecord['phase']): DrRecord {
  return { service, generation, phase, activeRegion: MOTO_REGION, since: 1_700_000_000_000 };
}

function releaseState(service: string, updatedAt: number): ReleaseState {
  return {
    releaseId: 'r-1',
    service,
    status: 'in-progress',
    stable: 'blue',
    candidate: 'green',
    steps: [10, 100],
    bakeMs: 1_000,
    stepIndex: 0,
    owner: 'cli@host',
    startedAt: updatedAt,
    updatedAt,
  };
}

async function groupSizes(name: string): Promise<{ min?: number; max?: number; desired?: number }> {
  const out = await standby.get(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  const g = out.AutoScalingGroups?.[0];
  return { min: g?.MinSize, max: g?.MaxSize, desired: g?.DesiredCapacity };
}

describe('SnsDrNotifier', () => {
  it('publishes one notice to the service topic through the Region\'s shared clients; a missing topic fails', async () => {
    // GIVEN a topic in the standby Region (moto stores published messages but exposes no read of them over HTTP:
    // what is checked is that SNS accepted the Publish, and refused one to a topic that does not exist)
    const { CreateTopicCommand, SNSClient } = await import('@aws-sdk/client-sns');
    const topic = await standby.get(SNSClient).send(new CreateTopicCommand({ Name: 'shop-dr-notices' }));
    const before = standby.counter.count('sns', 'Publish');
    // WHEN a notice with a long, multi-line subject is sent
    await new SnsDrNotifier(topic.TopicArn!, standby).notify(`shop: failover\n${'x'.repeat(200)}`, 'bluegreen DR: shop failed over');
    // THEN one counted Publish call
    expect(standby.counter.count('sns', 'Publish') - before).toBe(1);
    await expect(new SnsDrNotifier(`${topic.TopicArn!}-gone`, standby).notify('shop', 'lost')).rejects.toThrow(/NotFound|does not exist/i);
  });
});

describe('Route53StatusView', () => {
  const record = 'web.dr.example.com';
  let zone: string;
  let route53: Route53Client;
  let standIn: { readonly endpoint: string; readonly close: () => Promise<void> };
  const check = async (config: HealthCheckConfig): Promise<string> =>
    (await route53.send(new CreateHealthCheckCommand({ CallerReference: `hc-${++tests}`, HealthCheckConfig: config }))).HealthCheck!.Id!;
  const endpointCheck = (inverted = false) => check({ Type: 'HTTP', FullyQualifiedDomainName: `eu-west-1.${record}`, Port: 80, ResourcePath: '/health', Inverted: inverted });

  beforeAll(async () => {
    route53 = standby.get(Route53Client);
    zone = (await route53.send(new CreateHostedZoneCommand({ Name: 'dr.example.com', CallerReference: 'dr-zone' }))).HostedZone!.Id!.replace('/hostedzone/', '');
    standIn = await testDnsAnswerStandIn(moto().port, { [`${record}.`]: ['192.0.2.20'], [`eu-central-1.${record}.`]: ['192.0.2.20', '192.0.2.21'] });
  });
  afterAll(() => standIn?.close());

  it("reads the failover records' health checks by side from the zone, and none of a zone it cannot read", async () => {
    // GIVEN PRIMARY and SECONDARY failover records with their checks, and a Region record without one
    const [primaryCheck, standbyCheck] = [await endpointCheck(), await endpointCheck()];
    const a = (name: string, ip: string, extra: object) => ({ Action: 'CREATE' as const, ResourceRecordSet: { Name: name, Type: 'A' as const, TTL: 60, ResourceRecords: [{ Value: ip }], ...extra } });
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: {
          Changes: [
            a(record, '192.0.2.10', { SetIdentifier: 'bluegreen-web-eu-west-1', Failover: 'PRIMARY', HealthCheckId: primaryCheck }),
            a(record, '192.0.2.20', { SetIdentifier: 'bluegreen-web-eu-central-1', Failover: 'SECONDARY', HealthCheckId: standbyCheck }),
            a(`eu-west-1.${record}`, '192.0.2.10', {}),
          ],
        },
      }),
    );
    const view = Route53StatusView.fromClients(standby);

    // WHEN / THEN (the name as the descriptor writes it: no trailing dot)
    expect(await view.failoverHealthChecks(zone, record)).toEqual({ primary: primaryCheck, standby: standbyCheck });
    expect(await view.failoverHealthChecks('ZNOSUCHZONE', record)).toEqual({});
  });

  it("gives a check's state from its checkers, a calculated one's from its children against the threshold, unknown for no check", async () => {
    // GIVEN an endpoint check (moto: one checker, Success), an inverted one, and calculated checks over both
    const healthy = await endpointCheck();
    const inverted = await endpointCheck(true);
    const calculated = (threshold: number) => check({ Type: 'CALCULATED', ChildHealthChecks: [healthy, inverted], HealthThreshold: threshold });
    const view = Route53StatusView.fromClients(standby);

    // WHEN / THEN
    expect(await view.healthCheckStatus(healthy)).toBe('healthy');
    expect(await view.healthCheckStatus(inverted)).toBe('unhealthy');
    expect(await view.healthCheckStatus(await calculated(1))).toBe('healthy');
    expect(await view.healthCheckStatus(await calculated(2))).toBe('unhealthy');
    expect(await view.healthCheckStatus('00000000-0000-0000-0000-000000000000')).toBe('unknown');
  });

  it('applies the 18 % rule to the checkers, and a threshold to children that may be unknown', () => {
    const obs = (...ok: boolean[]) => ok.map((s) => ({ StatusReport: { Status: s ? 'Success: HTTP Status Code 200, OK' : 'Failure: Connection timed out.' } }));
    expect(checkersState(obs(true, false, false, false, false))).toBe('healthy'); // 20 %
    expect(checkersState(obs(true, ...Array<boolean>(5).fill(false)))).toBe('unhealthy'); // 16.7 %
    expect(checkersState([])).toBe('unknown');
    expect(thresholdState(['healthy', 'unknown', 'unhealthy'], 2)).toBe('unknown');
    expect(thresholdState(['healthy', 'unhealthy', 'unhealthy'], 2)).toBe('unhealthy');
    expect(thresholdState(['healthy', 'healthy', 'unknown'], 2)).toBe('healthy');
  });

  it("gives TestDNSAnswer's addresses (stand-in), [] for a name without records, undefined when the call fails (moto lacks it)", async () => {
    // GIVEN the stand-in in front of moto, and moto alone
    const viaStandIn = new Route53StatusView(new Route53Client({ region: STANDBY_REGION, endpoint: standIn.endpoint }));
    const motoAlone = Route53StatusView.fromClients(standby);

    // WHEN / THEN
    expect(await viaStandIn.testDnsAnswer(zone, `eu-central-1.${record}`)).toEqual(['192.0.2.20', '192.0.2.21']);
    expect(await viaStandIn.testDnsAnswer(zone, 'nothing.dr.example.com')).toEqual([]);
    expect(await motoAlone.testDnsAnswer(zone, record)).toBeUndefined();
    // AND the stand-in passed the other calls to moto
    expect(await viaStandIn.failoverHealthChecks(zone, record)).toHaveProperty('primary');
  });
});

/**
 * Stand-in for TestDNSAnswer, which moto 5.2 does not model: answers `GET /2013-04-01/testdnsanswer` with AWS's XML
 * (NOERROR and `answers[name]`, or NXDOMAIN) and forwards every other request to moto.
 */
async function testDnsAnswerStandIn(motoPort: number, answers: Readonly<Record<string, string[]>>): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname.endsWith('/testdnsanswer')) {
      const name = url.searchParams.get('recordname') ?? '';
      const data = answers[name.endsWith('.') ? name : `${name}.`];
      const entries = (data ?? []).map((d) => `<RecordDataEntry>${d}</RecordDataEntry>`).join('');
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<?xml version="1.0"?><TestDNSAnswerResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Nameserver>ns-1.awsdns-01.org</Nameserver>` +
          `<RecordName>${name}</RecordName><RecordType>A</RecordType><RecordData>${entries}</RecordData><ResponseCode>${data ? 'NOERROR' : 'NXDOMAIN'}</ResponseCode><Protocol>UDP</Protocol></TestDNSAnswerResponse>`,
      );
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port: motoPort, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
