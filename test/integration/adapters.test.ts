/**
 * The AWS adapters against a local moto server, on a fixture shaped like a deployed BlueGreenService.
 *
 * moto 5.2.1 facts these tests rely on (checked here or in the fixture):
 * - ModifyRule persists a weighted ForwardConfig (weights, stickiness, Order) and DescribeRules returns it.
 * - DescribeTargetHealth lists ASG-attached instances (registered at launch) as `healthy`; stopped instances as
 *   `unused` / Target.InvalidState. Scale-in leaves terminated instances registered and `healthy` (real ALB drains
 *   and drops them): the fixture's `pruneTerminatedTargets` does what ALB would.
 * - No PutCompositeAlarm (404); DescribeAlarms ignores AlarmTypes and returns what AlarmNames match. No alarm
 *   evaluation: SetAlarmState is the only way to change a state.
 * - DynamoDB ConditionExpression (attribute_not_exists, =) is enforced and raises ConditionalCheckFailedException.
 */
import { AutoScalingClient, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRulesCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { descriptorParameterName, ServiceDescriptor } from '../../lib/contract';
import {
  AutoScalingFleetCapacity,
  AwsClients,
  CloudWatchAlarmGate,
  createAwsClients,
  createAwsPorts,
  DynamoReleaseStateStore,
  ElbTargetHealth,
  ElbTrafficRouter,
  loadDescriptor,
  SystemClock,
  UnknownServiceError,
} from '../../lib/aws';
import { InvalidDescriptorError } from '../../lib/contract';
import { ConcurrentReleaseError, ReleaseEvent, ReleaseState } from '../../lib/release/ports';
import { createServiceFixture, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';

useMotoServer();
let fixture: ServiceFixture;
let clients: AwsClients;
let svc: string;
let tests = 0;

beforeAll(async () => {
  // The first requests pay moto's lazy imports; pay them once here rather than in a test's budget.
  await createServiceFixture({ service: 'warmup' });
});

beforeEach(async () => {
  // A service of its own per test isolates tests at half the cost of a moto reset.
  svc = `shop${++tests}`;
  fixture = await createServiceFixture({ service: svc });
  clients = createAwsClients();
});

describe('loadDescriptor', () => {
  it('returns the descriptor the service published', async () => {
    // WHEN
    const descriptor = await loadDescriptor(svc, clients);
    // THEN
    expect(descriptor).toEqual(fixture.descriptor);
    expect(clients.counter.count('ssm', 'GetParameter')).toBe(1);
  });

  it('names the service, parameter, region and fix for an unknown service', async () => {
    // WHEN
    const error = await loadDescriptor('nope', clients).catch((e: unknown) => e);
    // THEN
    expect(error).toBeInstanceOf(UnknownServiceError);
    expect((error as Error).message).toBe(
      "Unknown service 'nope': no SSM parameter /bluegreen/nope/descriptor in eu-west-1. Deploy the service first (cdk deploy) or check --region.",
    );
  });

  it('refuses another schema version', async () => {
    // GIVEN
    await putDescriptor(svc, { ...fixture.descriptor, schemaVersion: 2 });
    // WHEN / THEN
    await expect(loadDescriptor(svc, clients)).rejects.toThrow(InvalidDescriptorError);
    await expect(loadDescriptor(svc, clients)).rejects.toThrow(/schemaVersion is 2, this bluegreen reads 1/);
  });

  it('lists every missing field', async () => {
    // GIVEN
    await putDescriptor(svc, { ...fixture.descriptor, production: undefined, releaseStateTable: '' });
    // WHEN / THEN
    await expect(loadDescriptor(svc, clients)).rejects.toThrow(
      /production\.listenerArn must be a non-empty string.*production\.ruleArn.*releaseStateTable must be a non-empty string, got ""/,
    );
  });

  it('refuses a descriptor of another service', async () => {
    // GIVEN
    await putDescriptor('other', fixture.descriptor);
    // WHEN / THEN
    await expect(loadDescriptor('other', clients)).rejects.toThrow(`service is '${svc}', expected 'other'`);
  });
});

describe('ElbTrafficRouter', () => {
  it('round-trips production weights through ModifyRule and DescribeRules', async () => {
    // GIVEN
    const router = new ElbTrafficRouter(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client));
    expect(await router.getWeights()).toEqual({ blue: 100, green: 0 });
    // WHEN
    await router.setWeights({ blue: 90, green: 10 });
    // THEN
    expect(await fixture.weights('production')).toEqual({ blue: 90, green: 10 });
    expect(await router.getWeights()).toEqual({ blue: 90, green: 10 });
    expect(await fixture.weights('test')).toEqual({ blue: 0, green: 100 });
  });

  it('reads weights set outside the tool', async () => {
    // GIVEN an interrupted release left 30/70
    await fixture.setWeights('production', { blue: 30, green: 70 });
    // WHEN / THEN
    expect(await new ElbTrafficRouter(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client)).getWeights()).toEqual({ blue: 30, green: 70 });
  });

  it('makes exactly one call per getWeights and per setWeights', async () => {
    // GIVEN
    const router = new ElbTrafficRouter(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client));
    // WHEN
    await router.getWeights();
    // THEN
    expect(clients.counter.snapshot()).toEqual([{ service: 'elbv2', operation: 'DescribeRules', calls: 1, attempts: 1 }]);
    // WHEN
    clients.counter.reset();
    await router.setWeights({ blue: 0, green: 100 });
    // THEN
    expect(clients.counter.snapshot()).toEqual([{ service: 'elbv2', operation: 'ModifyRule', calls: 1, attempts: 1 }]);
    clients.counter.reset();
    await router.setWeights({ blue: 100, green: 0 });
    expect(clients.counter.count()).toBe(1);
  });

  it('writes the rule as the construct defines it, in one call, when a fresh process writes before reading', async () => {
    // GIVEN
    const router = new ElbTrafficRouter(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client));
    // WHEN
    await router.setWeights({ blue: 50, green: 50 });
    // THEN
    expect(clients.counter.count('elbv2', 'DescribeRules')).toBe(0);
    expect(clients.counter.count('elbv2', 'ModifyRule')).toBe(1);
    expect(await fixture.weights()).toEqual({ blue: 50, green: 50 });
  });

  it('keeps the stickiness settings and action order as read', async () => {
    // GIVEN stickiness turned on outside the tool
    const { ruleArn } = fixture.descriptor.production;
    const groups = fixture.colours;
    await fixture.clients.get(ElasticLoadBalancingV2Client).send(
      new ModifyRuleCommand({
        RuleArn: ruleArn,
        Actions: [
          {
            Type: 'forward',
            Order: 1,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: groups.blue.targetGroupArn, Weight: 100 },
                { TargetGroupArn: groups.green.targetGroupArn, Weight: 0 },
              ],
              TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
            },
          },
        ],
      }),
    );
    const router = new ElbTrafficRouter(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client));
    await router.getWeights();
    // WHEN
    await router.setWeights({ blue: 80, green: 20 });
    // THEN
    const out = await fixture.clients.get(ElasticLoadBalancingV2Client).send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
    const forward = out.Rules?.[0]?.Actions?.[0];
    expect(forward?.Order).toBe(1);
    expect(forward?.ForwardConfig?.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 300 });
    expect(forward?.ForwardConfig?.TargetGroups?.map((t) => t.Weight)).toEqual([80, 20]);
  });

  it('points the test route at a colour without touching production', async () => {
    // GIVEN
    const router = new ElbTrafficRouter(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client));
    expect(await router.getTestTarget()).toBe('green');
    // WHEN
    await router.setTestTarget('blue');
    // THEN
    expect(await fixture.weights('test')).toEqual({ blue: 100, green: 0 });
    expect(await router.getTestTarget()).toBe('blue');
    expect(await fixture.weights('production')).toEqual({ blue: 100, green: 0 });
  });

  it.each([
    [{ blue: 1000, green: 0 }, /blue must be an integer from 0 to 999. Got 1000/],
    [{ blue: 50, green: -1 }, /green must be an integer from 0 to 999. Got -1/],
    [{ blue: 50.5, green: 49.5 }, /blue must be an integer/],
    [{ blue: 0, green: 0 }, /at least one colour needs a weight above 0/],
  ])('refuses weights %j without calling AWS', async (weights, message) => {
    // GIVEN
    const router = new ElbTrafficRouter(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client));
    // WHEN / THEN
    await expect(router.setWeights(weights)).rejects.toThrow(message);
    expect(clients.counter.count()).toBe(0);
  });

  it('names the rule when the descriptor points at a target group the rule does not use', async () => {
    // GIVEN a stale descriptor
    const stale: ServiceDescriptor = {
      ...fixture.descriptor,
      colours: { ...fixture.descriptor.colours, green: { ...fixture.descriptor.colours.green, targetGroupArn: 'arn:old-green' } },
    };
    // WHEN / THEN
    await expect(new ElbTrafficRouter(stale, clients.get(ElasticLoadBalancingV2Client)).getWeights()).rejects.toThrow(/production rule .* forwards to .*targetgroup.*-green.*redeploy/);
  });
});

describe('ElbTargetHealth', () => {
  it('counts the healthy targets of each colour', async () => {
    // WHEN
    const health = new ElbTargetHealth(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client));
    // THEN
    expect(await health.count('blue')).toEqual({ healthy: 2, total: 2 });
    expect(await health.count('green')).toEqual({ healthy: 2, total: 2 });
  });

  it('counts stopped instances as registered but not healthy', async () => {
    // GIVEN
    await fixture.makeUnhealthy('blue');
    // WHEN
    const health = new ElbTargetHealth(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client));
    // THEN
    expect(await health.count('blue')).toEqual({ healthy: 0, total: 2 });
    expect(await health.count('green')).toEqual({ healthy: 2, total: 2 });
    // AND recovers
    await fixture.makeHealthy('blue');
    expect(await health.count('blue')).toEqual({ healthy: 2, total: 2 });
  });

  it('reports no targets for a colour scaled to zero', async () => {
    // GIVEN
    await fixture.scaleToZero('green');
    // WHEN / THEN
    expect(await new ElbTargetHealth(fixture.descriptor, clients.get(ElasticLoadBalancingV2Client)).count('green')).toEqual({ healthy: 0, total: 0 });
  });
});

describe('CloudWatchAlarmGate', () => {
  it('fires nothing while the gate alarms are not in ALARM', async () => {
    // WHEN
    const gate = new CloudWatchAlarmGate(fixture.descriptor, clients.get(CloudWatchClient));
    // THEN
    expect(await gate.firing('blue')).toEqual([]);
    expect(await gate.firing('green')).toEqual([]);
  });

  it("returns the colour's gate alarm in ALARM, and its other alarms in ALARM", async () => {
    // GIVEN
    await fixture.setGateState('green', 'ALARM');
    await fixture.setAlarmState(fixture.colours.green.errorRateAlarm, 'ALARM');
    // WHEN
    const gate = new CloudWatchAlarmGate(fixture.descriptor, clients.get(CloudWatchClient));
    // THEN
    expect(await gate.firing('green')).toEqual([`${svc}-green-gate`, `${svc}-green-5xx`]);
    expect(await gate.firing('blue')).toEqual([]);
    expect(clients.counter.count('cloudwatch', 'DescribeAlarms')).toBe(2);
  });

  it('lets the composite decide: a child in ALARM alone does not fire', async () => {
    // GIVEN
    await fixture.setAlarmState(fixture.colours.blue.latencyAlarm, 'ALARM');
    await fixture.setGateState('blue', 'OK');
    // WHEN / THEN
    expect(await new CloudWatchAlarmGate(fixture.descriptor, clients.get(CloudWatchClient)).firing('blue')).toEqual([]);
  });

  it('fires on any alarm in ALARM when no composite is registered', async () => {
    // GIVEN
    const noComposite = withAlarms(fixture.descriptor, { errorRate: fixture.colours.blue.errorRateAlarm });
    await fixture.setAlarmState(fixture.colours.blue.errorRateAlarm, 'ALARM');
    // WHEN / THEN
    expect(await new CloudWatchAlarmGate(noComposite, clients.get(CloudWatchClient)).firing('blue')).toEqual([`${svc}-blue-5xx`]);
  });

  it('returns [] without a call for a colour with no registered alarms', async () => {
    // GIVEN
    const none = withAlarms(fixture.descriptor, {});
    // WHEN / THEN
    expect(await new CloudWatchAlarmGate(none, clients.get(CloudWatchClient)).firing('blue')).toEqual([]);
    expect(clients.counter.count()).toBe(0);
  });

  it('refuses to guess when the registered composite does not exist', async () => {
    // GIVEN
    const missing = withAlarms(fixture.descriptor, { gate: 'deleted-gate' });
    // WHEN / THEN
    await expect(new CloudWatchAlarmGate(missing, clients.get(CloudWatchClient)).firing('blue')).rejects.toThrow(
      /blue gate alarm deleted-gate does not exist/,
    );
  });

  it('asks for composite and metric alarms (AWS returns metric alarms only by default; moto ignores the filter)', async () => {
    // GIVEN
    const seen: unknown[] = [];
    clients.get(CloudWatchClient).middlewareStack.add(
      (next) => async (args) => {
        seen.push(args.input);
        return next(args);
      },
      { step: 'initialize', name: 'captureInput' },
    );
    // WHEN
    await new CloudWatchAlarmGate(fixture.descriptor, clients.get(CloudWatchClient)).firing('blue');
    // THEN
    expect(seen).toEqual([
      expect.objectContaining({
        AlarmNames: [`${svc}-blue-gate`, `${svc}-blue-5xx`, `${svc}-blue-p99`],
        AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
      }),
    ]);
    // AND the stand-in gate is a metric alarm in moto
    const raw = await fixture.clients.get(CloudWatchClient).send(new DescribeAlarmsCommand({ AlarmNames: [`${svc}-blue-gate`] }));
    expect(raw.MetricAlarms?.map((a) => a.AlarmName)).toEqual([`${svc}-blue-gate`]);
  });
});

describe('AutoScalingFleetCapacity', () => {
  it('describes a serving colour', async () => {
    // WHEN
    const state = await new AutoScalingFleetCapacity(fixture.descriptor, clients.get(AutoScalingClient)).describe('blue');
    // THEN
    expect(state).toEqual({ min: 2, max: 4, desired: 2, inService: 2 });
  });

  it('scales to standby (min, max and desired 0) and back to ready', async () => {
    // GIVEN
    const capacity = new AutoScalingFleetCapacity(fixture.descriptor, clients.get(AutoScalingClient));
    // WHEN
    await capacity.setMode('green', 'standby');
    // THEN
    expect(await capacity.describe('green')).toEqual({ min: 0, max: 0, desired: 0, inService: 0 });
    expect(clients.counter.count('autoscaling', 'UpdateAutoScalingGroup')).toBe(1);
    // WHEN
    await capacity.setMode('green', 'ready');
    // THEN
    expect(await capacity.describe('green')).toEqual({ min: 2, max: 4, desired: 2, inService: 2 });
    expect(await capacity.describe('blue')).toEqual({ min: 2, max: 4, desired: 2, inService: 2 });
  });

  it('keeps a scaled-out desired capacity when re-asserting active', async () => {
    // GIVEN blue scaled out to 3 by its scaling policy
    await fixture.clients.get(AutoScalingClient).send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: `${svc}-blue`, DesiredCapacity: 3 }));
    // WHEN
    const capacity = new AutoScalingFleetCapacity(fixture.descriptor, clients.get(AutoScalingClient));
    await capacity.setMode('blue', 'active');
    // THEN
    expect(await capacity.describe('blue')).toEqual({ min: 2, max: 4, desired: 3, inService: 3 });
  });
});

describe('DynamoReleaseStateStore', () => {
  it('reads nothing before the first release, then each written version', async () => {
    // GIVEN
    const store = new DynamoReleaseStateStore(clients.get(DynamoDBClient), fixture.descriptor.releaseStateTable, svc);
    expect(await store.read()).toBeUndefined();
    // WHEN
    const v1 = await store.write(releaseState(), undefined);
    const v2 = await store.write(releaseState({ stepIndex: 0 }), v1);
    // THEN
    expect([v1, v2]).toEqual([1, 2]);
    expect(await store.read()).toEqual({ state: releaseState({ stepIndex: 0 }), version: 2 });
  });

  it('refuses a second writer holding a stale version', async () => {
    // GIVEN two operators who read version 1
    const a = new DynamoReleaseStateStore(clients.get(DynamoDBClient), fixture.descriptor.releaseStateTable, svc);
    const b = new DynamoReleaseStateStore(createAwsClients().get(DynamoDBClient), fixture.descriptor.releaseStateTable, svc);
    await a.write(releaseState(), undefined);
    const seenByB = await b.read();
    // WHEN a moves on
    await a.write(releaseState({ stepIndex: 0 }), 1);
    // THEN b's write fails and changes nothing
    await expect(b.write(releaseState({ status: 'aborted' }), seenByB?.version)).rejects.toThrow(ConcurrentReleaseError);
    await expect(b.write(releaseState({ status: 'aborted' }), seenByB?.version)).rejects.toThrow(/expected version 1/);
    expect((await a.read())?.state.status).toBe('in-progress');
  });

  it('refuses a second first release', async () => {
    // GIVEN
    const store = new DynamoReleaseStateStore(clients.get(DynamoDBClient), fixture.descriptor.releaseStateTable, svc);
    await store.write(releaseState(), undefined);
    // WHEN / THEN
    await expect(store.write(releaseState({ releaseId: 'r-2' }), undefined)).rejects.toThrow(/expected no release state/);
  });

  it("refuses another service's state", async () => {
    // GIVEN
    const store = new DynamoReleaseStateStore(clients.get(DynamoDBClient), fixture.descriptor.releaseStateTable, svc);
    // WHEN / THEN
    await expect(store.write(releaseState({ service: 'cart' }), undefined)).rejects.toThrow(`of 'cart' cannot be written to the state of '${svc}'`);
  });
});

describe('createAwsPorts', () => {
  it('wires every port to the service and passes the logger through', async () => {
    // GIVEN
    const events: ReleaseEvent[] = [];
    const logger = { event: (e: ReleaseEvent) => events.push(e) };
    // WHEN
    const ports = createAwsPorts(await loadDescriptor(svc, clients), clients, logger);
    // THEN
    expect(await ports.traffic.getWeights()).toEqual({ blue: 100, green: 0 });
    expect(await ports.health.count('blue')).toEqual({ healthy: 2, total: 2 });
    expect(await ports.alarms.firing('blue')).toEqual([]);
    expect((await ports.capacity.describe('green')).desired).toBe(2);
    expect(await ports.state.read()).toBeUndefined();
    expect(ports.clock).toBeInstanceOf(SystemClock);
    expect(ports.logger).toBe(logger);
    expect(clients.counter.count()).toBe(6);
  });
});

function releaseState(overrides: Partial<ReleaseState> = {}): ReleaseState {
  return {
    releaseId: 'r-1',
    service: svc,
    status: 'in-progress',
    stable: 'blue',
    candidate: 'green',
    steps: [10, 50, 100],
    bakeMs: 60_000,
    stepIndex: -1,
    owner: 'host/123',
    startedAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}

function withAlarms(descriptor: ServiceDescriptor, alarms: ServiceDescriptor['colours']['blue']['alarms']): ServiceDescriptor {
  return { ...descriptor, colours: { ...descriptor.colours, blue: { ...descriptor.colours.blue, alarms } } };
}

async function putDescriptor(service: string, value: unknown): Promise<void> {
  await fixture.clients.get(SSMClient).send(
    new PutParameterCommand({ Name: descriptorParameterName(service), Type: 'String', Value: JSON.stringify(value), Overwrite: true }),
  );
}
