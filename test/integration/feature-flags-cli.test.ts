/**
 * `bluegreen flags` end to end: the real CLI (in-process, `main`), the real flag engine and SDK adapters, against moto
 * and the AppConfig stand-in (./appconfig-stand-in.ts) for what moto 5.2 lacks: the environment, the strategies,
 * deployments (DEPLOYING, BAKING, COMPLETE on a clock this file moves; 409 on a second one; StopDeployment to
 * ROLLED_BACK; a monitor alarm with actions enabled in ALARM rolls a running deployment back) and CloudWatch's
 * Disable/EnableAlarmActions. moto's own: the application, the profile, every hosted version and its content, the
 * monitor alarm and its state, the change record, the descriptor. Every assertion reads that state, not the CLI's
 * words alone.
 *
 * The tests run in order on one service, as a pipeline and an on-call engineer would: list before anything is
 * deployed, a gradual rollout, a refused second change, a kill during the rollout while the monitor is in ALARM, a
 * plain set rolled back by the monitor, a gradual set waited to COMPLETE, dry runs and usage errors.
 */
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AppConfigClient, GetHostedConfigurationVersionCommand } from '@aws-sdk/client-appconfig';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, createAwsClients } from '../../lib/aws';
import { FeatureFlagDeclaration, FeatureFlagRecord, featureFlagRecordKey, readFeatureFlagProfile } from '../../lib/contract';
import { jsonLines, removeWorkspaces, runMain, workspace } from '../cli/harness';
import { useAppConfigStandIn } from './appconfig-stand-in-server';
import { createServiceFixture, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';

const moto = useMotoServer();
const standIn = useAppConfigStandIn(moto);
afterAll(removeWorkspaces);

const FLAGS: FeatureFlagDeclaration[] = [
  { name: 'release-new-checkout', description: 'New checkout flow', owner: 'team-payments', created: '2026-11-01', expiry: '2099-01-31', default: false },
  { name: 'ops-recommendations', description: 'Show recommendations', owner: 'team-shop', created: '2026-01-10', expiry: '2026-06-30', default: true },
];
const MINUTE = 60_000;

let clients: AwsClients;
let fx: ServiceFixture;

beforeAll(async () => {
  clients = createAwsClients();
  [fx] = await Promise.all([createServiceFixture({ service: 'fc', clients, featureFlags: { flags: FLAGS } }), createServiceFixture({ service: 'fn', clients })]);
});

/** The CLI in this process with fresh clients (their counter counts only its calls). */
async function cli(...args: string[]) {
  const own = createAwsClients();
  try {
    const run = await runMain(args, workspace(args.includes('fn') ? 'fn' : 'fc', null).dir, own);
    const operations = own.counter.snapshot().map((o) => `${o.service}:${o.operation}`);
    return { ...run, json: args.includes('--json') ? (jsonLines(run.stdout).at(-1) as Record<string, unknown>) : undefined, operations, calls: own.counter.count() };
  } finally {
    own.destroy();
  }
}

const ff = () => fx.featureFlags!;
const environment = () => standIn().environment(ff().applicationId, ff().environmentId)!;
const deployments = () => environment().deployments.map((d) => [d.number, d.state, d.version, d.strategy.Id]);

/** The flag values in what the environment serves (moto's hosted version of the newest COMPLETE deployment). */
async function served(): Promise<Record<string, boolean> | undefined> {
  const live = standIn().served(ff().applicationId, ff().environmentId);
  if (!live) return undefined;
  const out = await clients
    .get(AppConfigClient)
    .send(new GetHostedConfigurationVersionCommand({ ApplicationId: ff().applicationId, ConfigurationProfileId: live.profileId, VersionNumber: Number(live.version) }));
  return Object.fromEntries(readFeatureFlagProfile(new TextDecoder().decode(out.Content)).flags.map((f) => [f.name, f.enabled]));
}

async function record(): Promise<FeatureFlagRecord> {
  const item = await clients.get(DynamoDBClient).send(new GetItemCommand({ TableName: fx.descriptor.releaseStateTable, Key: { service: { S: featureFlagRecordKey('fc') } } }));
  return JSON.parse(item.Item!.record.S!);
}

async function monitor(): Promise<{ state?: string; actionsEnabled?: boolean }> {
  const out = await clients.get(CloudWatchClient).send(new DescribeAlarmsCommand({ AlarmNames: [ff().monitorAlarmName] }));
  const alarm = out.MetricAlarms![0];
  return { state: alarm.StateValue, actionsEnabled: alarm.ActionsEnabled };
}

async function setMonitor(state: 'OK' | 'ALARM'): Promise<void> {
  await clients.get(CloudWatchClient).send(new SetAlarmStateCommand({ AlarmName: ff().monitorAlarmName, StateValue: state, StateReason: `test: ${state}` }));
}

describe('bluegreen flags, in the order an on-call engineer meets them', () => {
  it('lists the declared flags before anything is deployed: defaults, owners, ages, expiry, and the debt', async () => {
    // WHEN
    const run = await cli('flags', 'fc');
    // THEN
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`fc (${fx.descriptor.region}): 2 feature flags; nothing deployed yet, apps use their defaults; declared version ${ff().declaredVersion}`);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}release-new-checkout +- +off +team-payments +\d+d +2099-01-31 \(in \d+d\) +not-live$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}ops-recommendations +- +on +team-shop +\d+d +2026-06-30 \(\d+d ago\) +debt$/));
    expect(lines).toContain('Debt: 1 flag past expiry');
    expect(lines).toContain('  ops-recommendations (owner team-shop), expired 2026-06-30');
    expect(lines).toContainEqual(expect.stringMatching(/remove it from flags\/fc\.json, then cdk deploy/));
    // AND it only read: the descriptor, deployments, the declared version, the monitor, the record
    expect(run.operations.sort()).toEqual(['appconfig:GetHostedConfigurationVersion', 'appconfig:ListDeployments', 'cloudwatch:DescribeAlarms', 'dynamodb:GetItem', 'ssm:GetParameter']);
    expect(deployments()).toEqual([]);
  });

  it('set --gradual --no-wait starts a deployment with the gradual strategy and records who and why', async () => {
    // WHEN
    const run = await cli('flags', 'set', 'fc', 'release-new-checkout', 'on', '--gradual', '--reason', 'rollout JIRA-1', '--no-wait');
    // THEN AppConfig deploys a new version with the gradual strategy
    expect(run.code).toBe(0);
    expect(deployments()).toEqual([[1, 'DEPLOYING', '2', ff().gradualStrategyId]]);
    expect(run.stdout).toMatch(/Started deployment 1 of version 2 \(release-new-checkout on, gradually\)/);
    // AND the change is recorded as deploying, with who and why
    const change = (await record()).changes.at(-1)!;
    expect(change).toMatchObject({ kind: 'gradual', flag: 'release-new-checkout', enabled: true, reason: 'rollout JIRA-1', outcome: 'deploying', deploymentNumber: 1, version: '2' });
    expect(change.by).not.toBe('');
    // AND nothing is served yet
    expect(await served()).toBeUndefined();
  });

  it('refuses a second change while the rollout runs (exit 3), changing nothing', async () => {
    // WHEN
    const run = await cli('flags', 'set', 'fc', 'ops-recommendations', 'off');
    // THEN
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/deployment 1 DEPLOYING 20 % \(version 2\) holds the flags of fc; AppConfig runs one deployment at a time/);
    expect(deployments()).toEqual([[1, 'DEPLOYING', '2', ff().gradualStrategyId]]);
    expect(run.operations.filter((o) => /Create|Start|Stop|Put|Disable|Enable/.test(o))).toEqual([]);
  });

  it('kill during the rollout: stops it, deploys the flag off at once, monitor restored; the incident\'s ALARM then does not roll the kill back', async () => {
    // GIVEN the rollout running (an alarm with actions enabled would have AppConfig roll it back by itself: the kill
    // answers what the gates do not see)
    // WHEN
    const run = await cli('flags', 'kill', 'fc', 'release-new-checkout', '--reason', 'INC-42 checkout 5xx');
    // AND the incident's gates (so the monitor composite) go into ALARM
    await setMonitor('ALARM');
    // THEN the rollout was stopped and the kill deployed with the kill strategy, COMPLETE
    expect(run.code).toBe(0);
    expect(deployments()).toEqual([
      [1, 'ROLLED_BACK', '2', ff().gradualStrategyId],
      [2, 'COMPLETE', '3', ff().killStrategyId],
    ]);
    expect(await served()).toEqual({ 'release-new-checkout': false, 'ops-recommendations': true });
    // AND a later look by the stand-in's monitor does not roll it back: it completed
    await standIn().advance(MINUTE);
    expect(environment().deployments[1].state).toBe('COMPLETE');
    // AND the monitor's actions are enabled again, its state untouched
    expect(await monitor()).toEqual({ state: 'ALARM', actionsEnabled: true });
    // AND the record says who, why, what it stopped and what it deployed, with no suspension left
    const rec = await record();
    expect(rec.monitorSuspensions).toBeUndefined();
    expect(rec.changes.at(-1)).toMatchObject({ kind: 'kill', flag: 'release-new-checkout', enabled: false, reason: 'INC-42 checkout 5xx', outcome: 'complete', stoppedDeployment: 1, deploymentNumber: 2, version: '3' });
    // AND the rollout's change is settled: stopped by the kill
    expect(rec.changes.at(-2)).toMatchObject({ kind: 'gradual', deploymentNumber: 1, outcome: 'stopped', detail: expect.stringMatching(/^stopped by the kill of release-new-checkout by .+@.+ at /) });
    expect(run.stdout).toMatch(/Killed release-new-checkout of fc: off in version 3, deployment 2 COMPLETE in \d+ms \(stopped deployment 1 first\)/);
    expect(run.operations).toEqual(expect.arrayContaining(['cloudwatch:DisableAlarmActions', 'cloudwatch:EnableAlarmActions', 'appconfig:StopDeployment']));
  });

  it('a plain set during the incident is rolled back by the monitor (exit 1), naming the alarm', async () => {
    // GIVEN the monitor still in ALARM; the stand-in's clock moves while the CLI waits
    const running = cli('flags', 'set', 'fc', 'release-new-checkout', 'on', '--reason', 'try again');
    await waitForDeployment(3);
    await standIn().advance(MINUTE);
    // WHEN it sees the rollback
    const run = await running;
    // THEN
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).toContain(ff().monitorAlarmArn);
    expect(environment().deployments[2]).toMatchObject({ state: 'ROLLED_BACK', strategy: expect.objectContaining({ Id: 'AppConfig.AllAtOnce' }) });
    expect(await served()).toEqual({ 'release-new-checkout': false, 'ops-recommendations': true });
    expect((await record()).changes.at(-1)).toMatchObject({ kind: 'set', outcome: 'rolled-back', deploymentNumber: 3 });
  });

  it('set --gradual waits until AppConfig completes it (exit 0), keeping the other flags as they are live', async () => {
    // GIVEN the incident is over
    await setMonitor('OK');
    const running = cli('flags', 'set', 'fc', 'ops-recommendations', 'off', '--gradual', '--reason', 'JIRA-2');
    await waitForDeployment(4);
    // WHEN the strategy's 10 minutes and 5-minute bake pass
    await standIn().advance(16 * MINUTE);
    const run = await running;
    // THEN
    expect(run.code).toBe(0);
    expect(environment().deployments[3]).toMatchObject({ state: 'COMPLETE', strategy: expect.objectContaining({ Id: ff().gradualStrategyId }) });
    expect(await served()).toEqual({ 'release-new-checkout': false, 'ops-recommendations': false });
    expect((await record()).changes.at(-1)).toMatchObject({ kind: 'gradual', flag: 'ops-recommendations', outcome: 'complete' });
  });

  it('set to the value already live does nothing (exit 0, no deployment)', async () => {
    const run = await cli('flags', 'set', 'fc', 'ops-recommendations', 'off');
    expect(run.code).toBe(0);
    expect(environment().deployments).toHaveLength(4);
    expect(run.operations.filter((o) => /Create|Start|Stop|Put|Disable|Enable/.test(o))).toEqual([]);
  });

  it('kill --dry-run says what it would do and changes nothing', async () => {
    const before = await record();
    const run = await cli('flags', 'kill', 'fc', 'ops-recommendations', '--reason', 'drill', '--dry-run');
    expect(run.code).toBe(0);
    expect(environment().deployments).toHaveLength(4);
    expect(await record()).toEqual(before);
    expect(await monitor()).toEqual({ state: 'OK', actionsEnabled: true });
    expect(run.operations.filter((o) => /Create|Start|Stop|Put|Disable|Enable/.test(o))).toEqual([]);
  });

  it('lists the live values and the latest changes after all that, in text and --json', async () => {
    const run = await cli('flags', 'fc', '--json');
    expect(run.code).toBe(0);
    const region = (run.json!.regions as Array<Record<string, unknown>>)[0];
    expect(region.liveVersion).toBe(environment().deployments[3].version);
    expect((region.flags as Array<Record<string, unknown>>).map((f) => [f.name, f.live, f.status])).toEqual([
      ['release-new-checkout', false, 'ok'],
      ['ops-recommendations', false, 'debt'],
    ]);
    expect((region.changes as Array<Record<string, unknown>>).map((c) => [c.kind, c.flag, c.outcome])).toEqual([
      ['gradual', 'ops-recommendations', 'complete'],
      ['set', 'release-new-checkout', 'rolled-back'],
      ['kill', 'release-new-checkout', 'complete'],
      ['gradual', 'release-new-checkout', 'stopped'],
    ]);
  });
});

describe('bluegreen flags: a kill during a plain set\'s bake, and two kills one after the other', () => {
  it('a plain set BAKES at 100 %: the listing says so; a kill stops it with AllowRevert (AppConfig refuses a plain stop of BAKING) and the flag is off again', async () => {
    // GIVEN a plain set (AppConfig.AllAtOnce: every instance at once, then 10 minutes BAKING)
    const set = await cli('flags', 'set', 'fc', 'release-new-checkout', 'on', '--reason', 'launch', '--no-wait');
    expect(set.code).toBe(0);
    expect(environment().deployments.at(-1)).toMatchObject({ state: 'BAKING', percentage: 100 });
    const baking = environment().deployments.at(-1)!;
    // WHEN listed: LIVE is the COMPLETE version's, and the BAKING version is named as served to 100 %
    const listed = await cli('flags', 'fc');
    expect(listed.stdout).toMatch(/^ {2}release-new-checkout +off /m);
    expect(listed.stdout).toContain(`deployment ${baking.number} BAKING: serving version ${baking.version} (release-new-checkout on) to 100 %`);
    // WHEN killed
    const run = await cli('flags', 'kill', 'fc', 'release-new-checkout', '--reason', 'INC-43');
    // THEN the bake is stopped (a plain stop, refused 400, then AllowRevert: in progress, so ROLLED_BACK), and the
    // previous version is served
    expect(run.code).toBe(0);
    expect(baking.events.map((e) => e.EventType)).toContain('ROLLBACK_STARTED');
    expect(environment().deployments.find((d) => d.number === baking.number)?.state).toBe('ROLLED_BACK');
    expect(await served()).toEqual({ 'release-new-checkout': false, 'ops-recommendations': false });
    expect(run.stdout).toMatch(/was already off in version \d+ \(stopped deployment \d+ first: it was BAKING, so stopped with AllowRevert\)/);
    // AND the set's change is recorded stopped by the kill, the monitor restored
    const rec = await record();
    expect(rec.changes.find((c) => c.deploymentNumber === baking.number)).toMatchObject({ kind: 'set', outcome: 'stopped' });
    expect(rec.monitorSuspensions).toBeUndefined();
    expect((await monitor()).actionsEnabled).toBe(true);
  });

  // Two kills at once (their races: the check before the start, another kill's deployment, the release of the
  // monitor) are the engine's tests, with fakes that interleave them deterministically
  // (test/release/feature-flags/kill.test.ts); here they run one after the other, so CI cannot flake on timing.
  it('two kills of two flags one after the other: both flags off in what is served (the second builds on the first), the monitor enabled after each', async () => {
    // GIVEN both flags on (two plain sets, each baked)
    for (const flag of ['release-new-checkout', 'ops-recommendations']) {
      expect((await cli('flags', 'set', 'fc', flag, 'on', '--no-wait')).code).toBe(0);
      await standIn().advance(11 * MINUTE);
      await standIn().tick();
    }
    expect(await served()).toEqual({ 'release-new-checkout': true, 'ops-recommendations': true });
    // WHEN two responders kill one each
    const first = await cli('flags', 'kill', 'fc', 'release-new-checkout', '--reason', 'INC-44 a');
    expect(first.code).toBe(0);
    expect((await monitor()).actionsEnabled).toBe(true);
    const second = await cli('flags', 'kill', 'fc', 'ops-recommendations', '--reason', 'INC-44 b');
    // THEN both completed, and what is served has both off
    expect(second.code).toBe(0);
    expect(await served()).toEqual({ 'release-new-checkout': false, 'ops-recommendations': false });
    // AND no kill holds the monitor any more; its actions are enabled
    expect((await record()).monitorSuspensions).toBeUndefined();
    expect((await monitor()).actionsEnabled).toBe(true);
  });
});

describe('bluegreen flags: bad input and services without flags', () => {
  it.each([
    [['flags', 'set', 'fc', 'newCheckout', 'on'], /naming convention/],
    [['flags', 'set', 'fc', 'release-new-checkout', 'yes'], /on or off/],
    [['flags', 'kill', 'fc', 'release-new-checkout'], /--reason/],
  ])('%j exits 2 before any AWS call', async (args, message) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.calls).toBe(0);
  });

  it('a flag that is not declared exits 2 naming the declared ones, changing nothing', async () => {
    const run = await cli('flags', 'kill', 'fc', 'release-unknown', '--reason', 'x');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/'release-unknown' is not declared \(declared: release-new-checkout, ops-recommendations\)/);
    expect(run.operations.filter((o) => /Create|Start|Stop|Put|Disable|Enable/.test(o))).toEqual([]);
  });

  it('a service without feature flags is refused (exit 3) with how to declare them', async () => {
    const run = await cli('flags', 'fn');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/Declare them with FeatureFlags .*flags\/fn\.json.* and cdk deploy/);
  });
});

/** Wait until the stand-in has deployment `n` (the CLI running concurrently started it). */
async function waitForDeployment(n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (environment().deployments.length >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`deployment ${n} never started`);
}
