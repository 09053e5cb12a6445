/**
 * The feature-flag adapters (lib/aws/feature-flags) against moto and the AppConfig stand-in
 * (./appconfig-stand-in.ts): one fixture service, and a fresh set of feature-flag resources per test.
 *
 * moto's own: the application, profile and hosted versions, the monitor alarm and its state, the change record
 * (DynamoDB). The stand-in's: the environment, the strategies, every deployment (states, 409, stop, monitors) and
 * Disable/EnableAlarmActions. The stand-in's clock is frozen; tests move it with `advance`, so nothing sleeps.
 */
import {
  AppConfigClient,
  CreateConfigurationProfileCommand,
  CreateHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  StartDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients, createAwsClients } from '../../lib/aws';
import {
  AppConfigFeatureFlagConfig,
  CloudWatchFeatureFlagMonitor,
  createFeatureFlagPorts,
  DynamoFeatureFlagRecordStore,
  FLAG_DEPLOYMENTS_MAX_PAGES,
  FlagDeploymentHistoryTooLongError,
  FeatureFlagMonitorNotFoundError,
  FeatureFlagsNotConfiguredError,
  InvalidFeatureFlagRecordError,
  rollbackReason,
} from '../../lib/aws/feature-flags';
import {
  declaredFeatureFlagProfile,
  FEATURE_FLAG_RECORD_MAX_CHANGES,
  FeatureFlagChange,
  FeatureFlagDeclaration,
  featureFlagRecordKey,
  readFeatureFlagProfile,
  renderFeatureFlagProfile,
  ServiceDescriptor,
} from '../../lib/contract';
import { ConcurrentFeatureFlagRecordError, FeatureFlagPorts, FlagDeploymentConflictError } from '../../lib/release/feature-flags/ports';
import { useAppConfigStandIn } from './appconfig-stand-in-server';
import { createFeatureFlagResources, createServiceFixture, featureFlagsSection, FIXTURE_GRADUAL_STRATEGY, FixtureFeatureFlags, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';

const moto = useMotoServer();
const standIn = useAppConfigStandIn(moto);

const FLAGS: FeatureFlagDeclaration[] = [
  { name: 'release-new-checkout', description: 'New checkout flow', owner: 'team-payments', created: '2026-01-10', expiry: '2026-03-31', default: false },
  { name: 'ops-recommendations', description: 'Show recommendations', owner: 'team-shop', created: '2026-01-10', expiry: '2026-12-31', default: true },
];

const MINUTE = 60_000;
let clients: AwsClients;
let fx: ServiceFixture;
/** This test's service: the fixture's, renamed, with a fresh set of feature-flag resources. */
let descriptor: ServiceDescriptor;
let ff: FixtureFeatureFlags;
let ports: FeatureFlagPorts;
let services = 0;

beforeAll(async () => {
  clients = createAwsClients();
  fx = await createServiceFixture({ service: 'ff', clients, featureFlags: { flags: FLAGS } });
});

beforeEach(async () => {
  // A service of its own per test (its AppConfig application, environment, alarm and record) beside the one fixture:
  // building a whole fixture per test would take most of the suite's time.
  const service = `ff${++services}`;
  ff = await createFeatureFlagResources(clients, service, FLAGS);
  descriptor = { ...fx.descriptor, service, featureFlags: featureFlagsSection(ff) };
  ports = createFeatureFlagPorts(descriptor, clients);
  // Count only the calls of the code under test.
  clients.counter.reset();
});

/** A flag change as the engine records it. */
function change(i: number): FeatureFlagChange {
  return { at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), by: 'ops@host', reason: `change ${i}`, kind: 'set', flag: 'release-new-checkout', enabled: i % 2 === 0, outcome: 'complete' };
}

describe('AppConfigFeatureFlagConfig: hosted versions', () => {
  it('reads the declared version the fixture created, and creates the next one as JSON with its description cut to 1024 characters', async () => {
    // GIVEN the declared version (the flags at their defaults)
    // WHEN it is read, and a version with one flag on is created
    const declared = await ports.config.readVersion(ff.declaredVersion);
    const next = renderFeatureFlagProfile({ flags: declaredFeatureFlagProfile({ flags: FLAGS }).flags.map((f) => ({ ...f, enabled: true })) });
    const created = await ports.config.createVersion(next, 'x'.repeat(2000));

    // THEN the declared content reads back as the declaration, the new version is the profile's second, with its content
    expect(readFeatureFlagProfile(declared)).toEqual(declaredFeatureFlagProfile({ flags: FLAGS }));
    expect(created).toBe('2');
    expect(await ports.config.readVersion(created)).toBe(next);
    const raw = await clients.get(AppConfigClient).send(
      new GetHostedConfigurationVersionCommand({ ApplicationId: ff.applicationId, ConfigurationProfileId: ff.profileId, VersionNumber: 2 }),
    );
    expect(raw.ContentType).toBe('application/json');
    expect(raw.Description).toHaveLength(1024);
    // Read, create, read, plus the test's own GetHostedConfigurationVersion.
    expect(clients.counter.count('appconfig')).toBe(4);
  });

  it('refuses a version that is not a number before calling AppConfig', async () => {
    await expect(ports.config.readVersion('latest')).rejects.toThrow(/not a hosted configuration version number/);
  });
});

describe('AppConfigFeatureFlagConfig: deployments', () => {
  it('starts a kill-strategy deployment that completes at once, and lists deployments newest first', async () => {
    // GIVEN two versions
    const v2 = await ports.config.createVersion(renderFeatureFlagProfile(declaredFeatureFlagProfile({ flags: FLAGS })), 'v2');

    // WHEN both are deployed with the kill strategy (0 minutes, no bake)
    const first = await ports.config.startDeployment(ff.declaredVersion, ff.killStrategyId, 'ops@host: first');
    const second = await ports.config.startDeployment(v2, ff.killStrategyId, 'ops@host: second');

    // THEN numbered from 1, COMPLETE, newest first, the second served
    expect([first, second]).toEqual([1, 2]);
    const got = await ports.config.getDeployment(2);
    expect(got).toMatchObject({ deploymentNumber: 2, state: 'COMPLETE', configurationVersion: v2, percentageComplete: 100, description: 'ops@host: second' });
    expect(got.deploymentDurationMinutes).toBe(0);
    expect(got.finalBakeTimeMinutes).toBe(0);
    expect(got.startedAt).toBeTypeOf('number');
    expect(got.completedAt).toBeTypeOf('number');
    expect(got.rollbackReason).toBeUndefined();
    const list = await ports.config.listDeployments();
    expect(list.map((d) => [d.deploymentNumber, d.state, d.configurationVersion])).toEqual([
      [2, 'COMPLETE', v2],
      [1, 'COMPLETE', ff.declaredVersion],
    ]);
    expect(standIn().served(ff.applicationId, ff.environmentId)).toEqual({ profileId: ff.profileId, version: v2 });
  });

  it('answers a second StartDeployment while one runs with FlagDeploymentConflictError (the 409 ConflictException)', async () => {
    // GIVEN a gradual deployment running
    await ports.config.startDeployment(ff.declaredVersion, ff.gradualStrategyId, 'gradual');

    // WHEN another starts
    const second = ports.config.startDeployment(ff.declaredVersion, ff.killStrategyId, 'kill');

    // THEN it is refused as a conflict, and nothing new was started
    await expect(second).rejects.toBeInstanceOf(FlagDeploymentConflictError);
    await expect(second).rejects.toThrow(/Another deployment holds AppConfig environment/);
    expect((await ports.config.listDeployments()).map((d) => d.deploymentNumber)).toEqual([1]);
  });

  it('follows a gradual deployment through DEPLOYING and BAKING to COMPLETE on the stand-in clock', async () => {
    // GIVEN a gradual deployment (linear 20 %, 10 minutes, 5 minutes' bake)
    const n = await ports.config.startDeployment(ff.declaredVersion, ff.gradualStrategyId, 'gradual');

    // WHEN time passes
    const at = async (minutes: number) => {
      await standIn().advance(minutes * MINUTE);
      return ports.config.getDeployment(n);
    };
    const start = await ports.config.getDeployment(n);
    const mid = await at(4);
    const baking = await at(7);
    const done = await at(5);

    // THEN its states and percentages follow the strategy
    expect(start).toMatchObject({ state: 'DEPLOYING', percentageComplete: 20, deploymentDurationMinutes: FIXTURE_GRADUAL_STRATEGY.durationMinutes, finalBakeTimeMinutes: FIXTURE_GRADUAL_STRATEGY.bakeMinutes });
    expect(mid).toMatchObject({ state: 'DEPLOYING', percentageComplete: 60 });
    expect(baking).toMatchObject({ state: 'BAKING', percentageComplete: 100 });
    expect(done).toMatchObject({ state: 'COMPLETE', percentageComplete: 100 });
  });

  it("keeps AppConfig.AllAtOnce BAKING for its 10 minutes' bake", async () => {
    const n = await ports.config.startDeployment(ff.declaredVersion, 'AppConfig.AllAtOnce', 'set');
    expect((await ports.config.getDeployment(n)).state).toBe('BAKING');
    await standIn().advance(10 * MINUTE);
    expect((await ports.config.getDeployment(n)).state).toBe('COMPLETE');
  });

  it('stops a running deployment: ROLLED_BACK, the previous version served again, the reason from the event log', async () => {
    // GIVEN version 1 live, and version 2 deploying gradually
    await ports.config.startDeployment(ff.declaredVersion, ff.killStrategyId, 'first');
    const v2 = await ports.config.createVersion(renderFeatureFlagProfile({ flags: [] }), 'v2');
    const n = await ports.config.startDeployment(v2, ff.gradualStrategyId, 'gradual');

    // WHEN it is stopped
    await ports.config.stopDeployment(n);

    // THEN
    const got = await ports.config.getDeployment(n);
    expect(got.state).toBe('ROLLED_BACK');
    expect(got.rollbackReason).toMatch(/user/i);
    expect(standIn().served(ff.applicationId, ff.environmentId)?.version).toBe(ff.declaredVersion);
  });

  it('stops a deployment that already ended without error and without changing it (AppConfig answers BadRequestException)', async () => {
    // GIVEN one COMPLETE deployment and one already ROLLED_BACK
    const complete = await ports.config.startDeployment(ff.declaredVersion, ff.killStrategyId, 'kill');
    const stopped = await ports.config.startDeployment(ff.declaredVersion, ff.gradualStrategyId, 'gradual');
    expect(await ports.config.stopDeployment(stopped)).toBe('stopped');

    // WHEN both are stopped (again)
    const results = [await ports.config.stopDeployment(complete), await ports.config.stopDeployment(stopped)];

    // THEN nothing changed: never a revert of the COMPLETE one
    expect(results).toEqual(['ended', 'ended']);
    expect((await ports.config.getDeployment(complete)).state).toBe('COMPLETE');
    expect((await ports.config.getDeployment(stopped)).state).toBe('ROLLED_BACK');
    expect(clients.counter.count('appconfig', 'StopDeployment')).toBe(3);
  });

  it('stops a BAKING deployment (AppConfig refuses a plain stop with 400) with AllowRevert: ROLLED_BACK (in progress), the previous version served again', async () => {
    // GIVEN version 1 live, and a plain set (AppConfig.AllAtOnce) of version 2 at 100 %, BAKING
    await ports.config.startDeployment(ff.declaredVersion, ff.killStrategyId, 'first');
    const v2 = await ports.config.createVersion(renderFeatureFlagProfile({ flags: [] }), 'v2');
    const n = await ports.config.startDeployment(v2, 'AppConfig.AllAtOnce', 'set');
    expect((await ports.config.getDeployment(n)).state).toBe('BAKING');
    clients.counter.reset();

    // WHEN it is stopped
    const result = await ports.config.stopDeployment(n);

    // THEN a plain stop, refused, then a stop with AllowRevert
    expect(result).toBe('reverted');
    expect(clients.counter.count('appconfig', 'StopDeployment')).toBe(2);
    expect((await ports.config.getDeployment(n)).state).toBe('ROLLED_BACK');
    expect(standIn().served(ff.applicationId, ff.environmentId)?.version).toBe(ff.declaredVersion);
  });

  it.each([
    ['VALIDATING', 'busy'],
    ['ROLLING_BACK', 'busy'],
    ['DEPLOYING', 'busy'],
    ['COMPLETE', 'ended'],
    ['REVERTED', 'ended'],
  ])('answers %s to a refused plain stop with %s, never with AllowRevert', async (state, expected) => {
    // GIVEN an AppConfig that refuses a plain stop, and the deployment in `state`
    const refusal = Object.assign(new Error('cannot stop'), { name: 'BadRequestException', $metadata: { httpStatusCode: 400 } });
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        if (command.constructor.name === 'StopDeploymentCommand') throw refusal;
        return { DeploymentNumber: 3, State: state, ConfigurationVersion: '2', PercentageComplete: 100 };
      },
    } as unknown as AppConfigClient;
    const config = new AppConfigFeatureFlagConfig(client, ff);

    // WHEN / THEN
    expect(await config.stopDeployment(3)).toBe(expected);
    expect(sent.filter((c) => c.name === 'StopDeploymentCommand').map((c) => c.input.AllowRevert)).toEqual([undefined]);
  });

  it('reads the strategy id, description and growth of a deployment (how a kill recognises another kill\'s)', async () => {
    const n = await ports.config.startDeployment(ff.declaredVersion, ff.killStrategyId, 'flags kill release-x by me: why');
    const got = await ports.config.getDeployment(n);
    expect(got).toMatchObject({ strategyId: ff.killStrategyId, description: 'flags kill release-x by me: why', growthFactor: 100, deploymentDurationMinutes: 0, finalBakeTimeMinutes: 0 });
    expect((await ports.config.listDeployments()).find((d) => d.deploymentNumber === n)).toMatchObject({ growthFactor: 100, deploymentDurationMinutes: 0, finalBakeTimeMinutes: 0 });
  });

  it('pages ListDeployments until a COMPLETE deployment of the flags profile, marking deployments of other profiles', async () => {
    // GIVEN one deployment of the flags, then 55 of another profile of the environment (more than a page)
    await ports.config.startDeployment(ff.declaredVersion, ff.killStrategyId, 'flags');
    const appconfig = clients.get(AppConfigClient);
    const other = await appconfig.send(new CreateConfigurationProfileCommand({ ApplicationId: ff.applicationId, Name: 'other', LocationUri: 'hosted' }));
    const otherVersion = await appconfig.send(
      new CreateHostedConfigurationVersionCommand({ ApplicationId: ff.applicationId, ConfigurationProfileId: other.Id!, Content: new TextEncoder().encode('{}'), ContentType: 'application/json' }),
    );
    for (let i = 0; i < 55; i++) {
      await appconfig.send(
        new StartDeploymentCommand({
          ApplicationId: ff.applicationId,
          EnvironmentId: ff.environmentId,
          ConfigurationProfileId: other.Id!,
          ConfigurationVersion: String(otherVersion.VersionNumber),
          DeploymentStrategyId: ff.killStrategyId,
        }),
      );
    }
    clients.counter.reset();

    // WHEN listed
    const list = await ports.config.listDeployments();

    // THEN two pages read; the flags' COMPLETE deployment found; the others marked
    expect(clients.counter.count('appconfig', 'ListDeployments')).toBe(2);
    expect(list).toHaveLength(56);
    expect(list.filter((d) => !d.otherProfile).map((d) => [d.deploymentNumber, d.state])).toEqual([[1, 'COMPLETE']]);
    expect(list[0]).toMatchObject({ deploymentNumber: 56, otherProfile: true });
  });

  it(`fails closed after ${FLAG_DEPLOYMENTS_MAX_PAGES} pages without a COMPLETE deployment of the flags profile`, async () => {
    let page = 0;
    const client = {
      send: async () => {
        page += 1;
        const items = Array.from({ length: 50 }, (_, i) => ({ DeploymentNumber: 100_000 - page * 50 - i, State: 'COMPLETE', ConfigurationProfileId: 'other', ConfigurationVersion: '1' }));
        return { Items: items, NextToken: `t${page}` };
      },
    } as unknown as AppConfigClient;
    await expect(new AppConfigFeatureFlagConfig(client, ff).listDeployments()).rejects.toBeInstanceOf(FlagDeploymentHistoryTooLongError);
    expect(page).toBe(FLAG_DEPLOYMENTS_MAX_PAGES);
  });

  it('rolls a running deployment back when the monitor is in ALARM, and says which alarm', async () => {
    // GIVEN a gradual deployment running
    const n = await ports.config.startDeployment(ff.declaredVersion, ff.gradualStrategyId, 'gradual');

    // WHEN the monitor alarms
    await fx.setAlarmState(ff.monitorAlarmName, 'ALARM');

    // THEN AppConfig (the stand-in) rolls it back, and the reason names the alarm
    const got = await ports.config.getDeployment(n);
    expect(got.state).toBe('ROLLED_BACK');
    expect(got.rollbackReason).toContain(ff.monitorAlarmArn);
    expect(standIn().served(ff.applicationId, ff.environmentId)).toBeUndefined();
  });

  it('rolls back on INSUFFICIENT_DATA too (as AWS documents)', async () => {
    const n = await ports.config.startDeployment(ff.declaredVersion, 'AppConfig.AllAtOnce', 'set');
    await fx.setAlarmState(ff.monitorAlarmName, 'INSUFFICIENT_DATA');
    expect((await ports.config.getDeployment(n)).state).toBe('ROLLED_BACK');
  });

  it('does not roll back while the monitor alarms with its actions disabled, and completes', async () => {
    // GIVEN the monitor suspended, then alarming
    await ports.monitor.suspend();
    await fx.setAlarmState(ff.monitorAlarmName, 'ALARM');

    // WHEN a gradual deployment runs its course
    const n = await ports.config.startDeployment(ff.declaredVersion, ff.gradualStrategyId, 'gradual');
    await standIn().advance(5 * MINUTE);
    await standIn().advance(11 * MINUTE);

    // THEN it completes
    expect((await ports.config.getDeployment(n)).state).toBe('COMPLETE');
  });
});

describe('rollbackReason', () => {
  it('is the ROLLBACK_STARTED description, else who triggered it; none without a rollback', () => {
    const at = new Date();
    expect(
      rollbackReason({ State: 'ROLLED_BACK', EventLog: [{ EventType: 'ROLLBACK_STARTED', TriggeredBy: 'CLOUDWATCH_ALARM', Description: 'Alarm arn:x fired', OccurredAt: at }] }),
    ).toBe('Alarm arn:x fired');
    expect(rollbackReason({ State: 'ROLLED_BACK', EventLog: [{ EventType: 'ROLLBACK_STARTED', TriggeredBy: 'INTERNAL_ERROR', OccurredAt: at }] })).toBe(
      'rolled back, triggered by INTERNAL_ERROR',
    );
    expect(rollbackReason({ State: 'COMPLETE', EventLog: [{ EventType: 'DEPLOYMENT_COMPLETED', TriggeredBy: 'APPCONFIG', OccurredAt: at }] })).toBeUndefined();
  });
});

describe('CloudWatchFeatureFlagMonitor', () => {
  it('reads the state and actions, suspends and resumes them, visible in DescribeAlarms, the state kept', async () => {
    // GIVEN the monitor in ALARM
    await fx.setAlarmState(ff.monitorAlarmName, 'ALARM', 'gate blue');
    const before = await ports.monitor.read();

    // WHEN suspended, then resumed
    await ports.monitor.suspend();
    const suspended = await ports.monitor.read();
    const raw = await clients.get(CloudWatchClient).send(new DescribeAlarmsCommand({ AlarmNames: [ff.monitorAlarmName] }));
    await ports.monitor.resume();
    const resumed = await ports.monitor.read();

    // THEN
    expect(before).toEqual({ state: 'ALARM', actionsEnabled: true });
    expect(suspended).toEqual({ state: 'ALARM', actionsEnabled: false });
    expect(raw.MetricAlarms?.[0]).toMatchObject({ ActionsEnabled: false, StateValue: 'ALARM', StateReason: 'gate blue', Namespace: 'AWS/ApplicationELB', Threshold: 5 });
    expect(resumed).toEqual({ state: 'ALARM', actionsEnabled: true });
    expect(clients.counter.count('cloudwatch', 'DisableAlarmActions')).toBe(1);
    expect(clients.counter.count('cloudwatch', 'EnableAlarmActions')).toBe(1);
  });

  it('names the missing alarm', async () => {
    const monitor = CloudWatchFeatureFlagMonitor.fromClients(clients, 'nope-feature-flags-monitor');
    await expect(monitor.read()).rejects.toBeInstanceOf(FeatureFlagMonitorNotFoundError);
  });
});

describe('DynamoFeatureFlagRecordStore', () => {
  it('writes with compare-and-set: a first write, an update, and a concurrent writer refused', async () => {
    // GIVEN no record
    expect(await ports.records.read()).toBeUndefined();

    // WHEN written, then two writers both read version 1 and write
    const v1 = await ports.records.write({ changes: [change(0)] }, undefined);
    const read = await ports.records.read();
    const v2 = await ports.records.write({ changes: [...read!.record.changes, change(1)], monitorSuspensions: [{ by: 'ops@host', since: change(1).at, flag: 'release-new-checkout' }] }, read!.version);
    // (settled together: a rejection left unawaited while the other is awaited is an unhandled rejection)
    const [racer, firstAgain] = await Promise.allSettled([
      ports.records.write({ changes: [...read!.record.changes, change(2)] }, read!.version),
      ports.records.write({ changes: [] }, undefined),
    ]);

    // THEN the loser and a second "first" write are refused; the record is the winner's
    expect([v1, v2]).toEqual([1, 2]);
    for (const refused of [racer, firstAgain]) {
      expect(refused.status).toBe('rejected');
      expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrentFeatureFlagRecordError);
    }
    const final = await ports.records.read();
    expect(final).toEqual({ record: { changes: [change(0), change(1)], monitorSuspensions: [{ by: 'ops@host', since: change(1).at, flag: 'release-new-checkout' }] }, version: 2 });
    const item = await clients.get(DynamoDBClient).send(
      new GetItemCommand({ TableName: fx.descriptor.releaseStateTable, Key: { service: { S: featureFlagRecordKey(descriptor.service) } } }),
    );
    expect(item.Item).toMatchObject({ version: { N: '2' }, changes: { N: '2' }, monitorSuspensions: { N: '1' } });
  });

  it(`keeps only the newest ${FEATURE_FLAG_RECORD_MAX_CHANGES} changes`, async () => {
    const changes = Array.from({ length: FEATURE_FLAG_RECORD_MAX_CHANGES + 10 }, (_, i) => change(i));
    await ports.records.write({ changes }, undefined);
    const read = await ports.records.read();
    expect(read?.record.changes).toHaveLength(FEATURE_FLAG_RECORD_MAX_CHANGES);
    expect(read?.record.changes[0]).toEqual(change(10));
    expect(read?.record.changes.at(-1)).toEqual(change(FEATURE_FLAG_RECORD_MAX_CHANGES + 9));
  });

  it('refuses a malformed record, naming the item', async () => {
    await clients.get(DynamoDBClient).send(
      new PutItemCommand({
        TableName: fx.descriptor.releaseStateTable,
        Item: { service: { S: featureFlagRecordKey(descriptor.service) }, version: { N: '1' }, record: { S: '{"changes": 3}' } },
      }),
    );
    const store = DynamoFeatureFlagRecordStore.fromClients(clients, descriptor.releaseStateTable, descriptor.service);
    await expect(store.read()).rejects.toBeInstanceOf(InvalidFeatureFlagRecordError);
    await expect(store.read()).rejects.toThrow(featureFlagRecordKey(descriptor.service));
  });
});

describe('createFeatureFlagPorts', () => {
  it("loads AppConfig's and CloudWatch's clients only when their ports are first called", async () => {
    const fresh = createAwsClients();
    const p = createFeatureFlagPorts(descriptor, fresh);
    expect(fresh.created()).toEqual(['dynamodb']);
    await p.config.listDeployments();
    await p.monitor.read();
    expect(fresh.created()).toEqual(['dynamodb', 'appconfig', 'cloudwatch']);
    expect(p.clock.now()).toBeGreaterThan(0);
  });

  it('refuses a service without feature flags, saying how to add them', () => {
    const { featureFlags: _none, ...without } = descriptor;
    expect(() => createFeatureFlagPorts(without, clients)).toThrow(FeatureFlagsNotConfiguredError);
    expect(() => createFeatureFlagPorts(without, clients)).toThrow(/no featureFlags section.*cdk deploy/);
  });
});
