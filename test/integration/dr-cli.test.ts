/**
 * `bluegreen dr` end to end: the real CLI (in-process, `main`), the real DrEngine and SDK adapters, against one moto
 * server holding both Regions of a pair: the primary in eu-west-1, a pilot-light standby in eu-central-1.
 *
 * Stood in for, each in test/integration/dr-pair.ts and reading moto's state (see its header): CloudWatch
 * evaluating the switch alarm (`SwitchAlarmEvaluator`), Route 53 answering the records (`route53Resolver`, given to
 * the CLI through `CliIo.drPortsOptions`), the load balancers answering the health path (`AlbStandIns` on
 * 127.0.0.1 and 127.0.0.2), and ALB deregistering terminated instances. A dead primary Region is
 * AWS_ENDPOINT_URL pointed at a closed port for the primary's clients (the command's own, the standby's, keep moto)
 * and its load balancer dropping connections.
 *
 * The scenarios of the first pair run in order, as an on-call engineer would: status, planned failover, a failback
 * refused, failback, a drill, an outage failover from the standby alone, and failback once the primary is back.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, createAwsClients } from '../../lib/aws';
import { DynamoDrRecordCopy } from '../../lib/aws/dr';
import { drSwitchAlarmName } from '../../lib/contract';
import type { DrRecord } from '../../lib/release/dr/ports';
import { jsonLines, manifestText, removeWorkspaces, runMain, workspace } from '../cli/harness';
import { createDrPair, DrPair, PRIMARY_ADDRESS, PRIMARY_REGION, STANDBY_REGION } from './dr-pair';
import { ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';

const moto = useMotoServer();
/** Waits poll every 100 ms (the engine's default is 5 s). */
const FAST = ['--poll', '100ms'];
const pairs: DrPair[] = [];

afterAll(async () => {
  await Promise.all(pairs.map((p) => p.close()));
  removeWorkspaces();
});

async function newPair(service: string): Promise<DrPair> {
  const pair = await createDrPair({ service, endpoint: moto().endpoint });
  pairs.push(pair);
  return pair;
}

/** The CLI in this process, in `region` (its clients go to moto whatever AWS_ENDPOINT_URL says). */
async function dr(pair: DrPair, args: string[], options: { region?: string; cwd?: string } = {}) {
  const region = options.region ?? PRIMARY_REGION;
  const clients: AwsClients = createAwsClients({ region, endpoint: moto().endpoint });
  try {
    const run = await runMain(['dr', ...args, '--region', region], options.cwd ?? workspace(pair.service, null).dir, clients, { drPortsOptions: pair.drPortsOptions });
    const lines = args.includes('--json') ? jsonLines(run.stdout) : [];
    return { ...run, lines, result: lines.find((l) => l.kind === 'result'), calls: clients.counter.count(), route53Calls: clients.counter.count('route53') };
  } finally {
    clients.destroy();
  }
}

/** Both copies of the DR record. */
async function records(pair: DrPair): Promise<{ primary?: DrRecord; standby?: DrRecord }> {
  const copy = (f: ServiceFixture) => DynamoDrRecordCopy.fromClients(f.clients, f.descriptor.releaseStateTable, pair.service).read();
  const [primary, standby] = await Promise.all([copy(pair.primary), copy(pair.standby)]);
  return { primary: primary?.record, standby: standby?.record };
}

async function groupSizes(f: ServiceFixture, colour: 'blue' | 'green' = 'blue') {
  const out = await f.clients.get(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [f.colours[colour].autoScalingGroupName] }));
  const g = out.AutoScalingGroups?.[0];
  return { min: g?.MinSize, max: g?.MaxSize, desired: g?.DesiredCapacity };
}

const switchState = (pair: DrPair) => pair.alarmState(STANDBY_REGION, drSwitchAlarmName(pair.service));

describe('a pilot-light pair through status, failover, failback, drill and an outage', () => {
  let pair: DrPair;
  beforeAll(async () => {
    pair = await newPair('web');
  });

  it('dr status: both Regions read, switch not set, Route 53 answering the primary', async () => {
    // WHEN
    const run = await dr(pair, ['status', 'web', '--json']);
    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`no DR record yet in ${PRIMARY_REGION}, ${STANDBY_REGION} (never failed over): normal`);
    const status = run.lines.find((l) => l.kind === 'status');
    expect(status).toMatchObject({
      phase: 'normal',
      activeRegion: PRIMARY_REGION,
      // moto creates alarms in OK (CloudWatch: INSUFFICIENT_DATA); either reads as not switched
      switchState: 'OK',
      dnsAnswering: 'primary',
      dnsAnsweringRegion: PRIMARY_REGION,
      ttlSeconds: 60,
      worstCaseFailoverSeconds: 150,
      versionSkew: false,
      record: null,
      operation: null,
      lastDrill: null,
      regions: [
        { region: PRIMARY_REGION, side: 'primary', reachable: true, liveColour: 'blue', desired: 2, healthy: 2, firingAlarms: [], answering: true },
        { region: STANDBY_REGION, side: 'standby', reachable: true, liveColour: 'blue', desired: 0, healthy: 0, firingAlarms: [], answering: false },
      ],
      // Route 53 was asked (through the standby's clients) but moto has no zone Z0DRPAIR and no TestDNSAnswer: unknown,
      // and no health check (the pair's descriptors name none), without failing the status
      route53Answer: 'unknown',
    });
    expect(run.route53Calls).toBeGreaterThan(0);
    expect((status?.regions as object[]).filter((r) => 'healthCheck' in r)).toEqual([]);
  });

  it('dr failover: the standby scaled up and healthy, the switch written, Route 53 answering it, the record failed-over in both Regions', async () => {
    // WHEN a planned failover runs from the primary's Region
    const run = await dr(pair, ['failover', 'web', '--json', ...FAST]);
    // THEN it is done
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ status: 'done', phase: 'failed-over', operation: 'failover' });
    const marks = (run.result?.timeline as { mark: string }[]).map((e) => e.mark);
    expect(marks).toEqual(['decision', 'capacity-requested', 'standby-healthy', 'dns-moved', 'dns-answering-standby', 'first-success-standby']);
    // AND the standby's live colour is at the primary's size, the switch alarm in ALARM, Route 53 answers the standby
    expect(await groupSizes(pair.standby)).toEqual({ min: 2, max: 4, desired: 2 });
    expect(await switchState(pair)).toBe('ALARM');
    expect(await pair.answering()).toBe('standby');
    // AND both copies of the record say failed-over, at the same generation
    const { primary, standby } = await records(pair);
    expect(primary).toMatchObject({ phase: 'failed-over', activeRegion: STANDBY_REGION, primaryDesired: 2 });
    expect(standby).toEqual(primary);
    expect(primary?.operation).toBeUndefined();
    // AND Route 53's API is status's alone: a failover never calls it
    expect(run.route53Calls).toBe(0);
  });

  it('dr failback is refused while the primary is unhealthy, and nothing changes', async () => {
    // GIVEN the primary's instances stopped (targets unused: 0 healthy of 2)
    await pair.primary.makeUnhealthy('blue');
    const before = await records(pair);
    try {
      // WHEN
      const run = await dr(pair, ['failback', 'web']);
      // THEN exit 3 with one line naming the reason and the fix
      expect(run.code).toBe(3);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^bluegreen: .*0 healthy of 2 desired: failback needs it at serving size and fully healthy/);
      // AND nothing changed: record, switch, DNS, standby capacity
      expect(await records(pair)).toEqual(before);
      expect(await switchState(pair)).toBe('ALARM');
      expect(await pair.answering()).toBe('standby');
      expect((await groupSizes(pair.standby)).desired).toBe(2);
    } finally {
      await pair.primary.makeHealthy('blue');
    }
  });

  it('dr failback: DNS back on the primary, the record normal in both Regions, the pilot light back at 0', async () => {
    // WHEN
    const run = await dr(pair, ['failback', 'web', '--json', ...FAST]);
    // THEN
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ status: 'done', phase: 'normal', operation: 'failback' });
    expect(await switchState(pair)).toBe('OK');
    expect(await pair.answering()).toBe('primary');
    expect(await groupSizes(pair.standby)).toEqual({ min: 0, max: 4, desired: 0 });
    const { primary, standby } = await records(pair);
    expect(primary).toMatchObject({ phase: 'normal', activeRegion: PRIMARY_REGION });
    expect(standby).toEqual(primary);
  });

  it('dr drill --hold 2s: report files with the recovery time, and nothing left running', async () => {
    // GIVEN a working directory for the reports
    const ws = workspace('web', null);
    // WHEN
    const started = Date.now();
    const run = await dr(pair, ['drill', 'web', '--hold', '2s', '--json', ...FAST], { cwd: ws.dir });
    // THEN it passed, back on the primary
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ status: 'passed', phase: 'normal', worstCaseDnsSeconds: 150 });
    expect(Date.now() - started).toBeLessThan(20_000);
    // AND the JSON report has every phase, the recovery time and what was left running
    const files = run.result?.reports as { json: string; markdown: string };
    const report = JSON.parse(fs.readFileSync(path.resolve(ws.dir, files.json), 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({ outcome: 'passed', primaryRegion: PRIMARY_REGION, standbyRegion: STANDBY_REGION, standbyMode: 'pilot-light' });
    expect(report.recoveryMs).toEqual(expect.any(Number));
    expect(report.failbackMs).toEqual(expect.any(Number));
    expect((report.timeline as { mark: string }[]).map((e) => e.mark)).toEqual([
      'decision', 'capacity-requested', 'standby-healthy', 'dns-moved', 'dns-answering-standby', 'first-success-standby',
      'failback-decision', 'dns-moved-back', 'dns-answering-primary', 'first-success-primary', 'standby-restored',
    ]);
    expect(report.holdChecks).toEqual({ total: 2, ok: 2 });
    expect(report.versions).toEqual({ primary: pair.primary.descriptor.colours.blue.image, standby: pair.standby.descriptor.colours.blue.image });
    expect(report.leftRunning).toMatch(/pilot light/);
    // AND the Markdown says the same for people
    const markdown = fs.readFileSync(path.resolve(ws.dir, files.markdown), 'utf8');
    expect(markdown).toMatch(/recovery/i);
    expect(markdown).toContain('first-success-standby');
    // AND its progress never tells the operator to run a failback the drill does itself
    expect(run.stdout).toContain('the drill holds there, then fails back');
    expect(run.stdout).not.toContain('to return run bluegreen dr failback');
    // AND nothing is left running: the standby at 0, the switch OK, DNS on the primary, the drill in the record
    expect(await groupSizes(pair.standby)).toEqual({ min: 0, max: 4, desired: 0 });
    expect(await switchState(pair)).toBe('OK');
    expect(await pair.answering()).toBe('primary');
    const { primary, standby } = await records(pair);
    expect(primary).toMatchObject({ phase: 'normal', lastDrill: { id: run.result?.drillId, outcome: 'passed', recoveryMs: report.recoveryMs } });
    expect(standby).toEqual(primary);
  });

  it('dr failover pointed at a dark primary Region: exit 5, and the way on (the standby\'s Region, --outage)', async () => {
    // GIVEN the primary Region's API not answering (a closed port; one attempt)
    const clients = createAwsClients({ region: PRIMARY_REGION, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    try {
      // WHEN the operator runs the failover against the primary, as a habit
      const run = await runMain(['dr', 'failover', 'web', '--region', PRIMARY_REGION], workspace('web', null).dir, clients, { drPortsOptions: pair.drPortsOptions });
      // THEN one line naming the way on, and nothing changed
      expect(run.code).toBe(5);
      expect(run.stderr).toMatch(/If eu-west-1 is down, run bluegreen dr from the standby's Region/);
      expect(run.stderr).toContain("Next: bluegreen dr failover web --outage --region <the standby's Region>");
      expect(await switchState(pair)).not.toBe('ALARM');
    } finally {
      clients.destroy();
    }
  });

  it('dr failover --outage --region eu-central-1: with the primary Region dark, fails over on the standby\'s record copy alone', async () => {
    // GIVEN the primary Region unreachable: its API endpoint a closed port, its load balancer dropping connections
    const saved = process.env.AWS_ENDPOINT_URL;
    const before = await records(pair);
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    pair.albs.setDark(PRIMARY_ADDRESS, true);
    let run;
    const started = Date.now();
    try {
      // WHEN an outage failover runs from the standby's Region
      run = await dr(pair, ['failover', 'web', '--outage', '--json', ...FAST], { region: STANDBY_REGION });
    } finally {
      process.env.AWS_ENDPOINT_URL = saved;
    }
    // THEN it is done, within seconds (no wait on the primary beyond one failed call)
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ status: 'done', phase: 'failed-over' });
    expect(Date.now() - started).toBeLessThan(15_000);
    // AND the standby serves at the primary's last known size, DNS answers it, the switch is latched
    expect((await groupSizes(pair.standby)).desired).toBe(2);
    expect(await switchState(pair)).toBe('ALARM');
    expect(await pair.answering()).toBe('standby');
    // AND only the standby's copy of the record moved; the primary's is as the outage found it
    const after = await records(pair);
    expect(after.standby).toMatchObject({ phase: 'failed-over', activeRegion: STANDBY_REGION });
    expect(after.standby?.operation).toBeUndefined();
    expect(after.primary).toEqual(before.primary);
  });

  it('dr failback once the primary is back: both copies of the record agree again', async () => {
    // GIVEN the primary Region answering again
    pair.albs.setDark(PRIMARY_ADDRESS, false);
    // WHEN
    const status = await dr(pair, ['status', 'web', '--json']);
    const run = await dr(pair, ['failback', 'web', '--json', ...FAST]);
    // THEN status read the newer standby copy, and failback wrote both
    expect(status.lines.find((l) => l.kind === 'status')).toMatchObject({ phase: 'failed-over', dnsAnswering: 'standby' });
    expect(run.code).toBe(0);
    const { primary, standby } = await records(pair);
    expect(primary).toMatchObject({ phase: 'normal' });
    expect(standby).toEqual(primary);
    expect(await pair.answering()).toBe('primary');
    expect((await groupSizes(pair.standby)).desired).toBe(0);
  });
});

describe('a failover whose standby never becomes healthy', () => {
  it('is undone: exit 1, DNS and the switch untouched, the standby back to 0, one line', async () => {
    // GIVEN a pair whose standby's colour fires its gate alarm (its new instances would serve errors), so it never
    // counts as healthy (set once, with SetAlarmState: moto does not evaluate alarms)
    const pair = await newPair('webfail');
    await pair.standby.setGateState('blue', 'ALARM');
    const switchBefore = await switchState(pair);
    // WHEN a failover runs with the shortest healthy timeout
    const run = await dr(pair, ['failover', 'webfail', '--timeout', '10s', ...FAST]);
    // THEN it was undone, in one line on stderr
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/did not reach 2 healthy targets .* within 10 s; the failover was undone: DNS answers the primary and the standby is back to its deployed capacity/);
    // AND the switch was never written, DNS stays on the primary, the standby is back at 0, the record normal
    expect(pair.switchAlarm.transitions).toEqual([]);
    expect(await switchState(pair)).toBe(switchBefore);
    expect(await pair.answering()).toBe('primary');
    expect(await groupSizes(pair.standby)).toEqual({ min: 0, max: 4, desired: 0 });
    const { primary, standby } = await records(pair);
    expect(primary).toMatchObject({ phase: 'normal' });
    expect(standby).toEqual(primary);
  });
});

describe('a release of a service with a standby Region', () => {
  it('releases the primary, then the pilot-light standby, and reports the version each Region serves', async () => {
    // GIVEN a fresh pair and the release manifest (green follows the bake `web`, staged on green in both Regions)
    const pair = await newPair('webrel');
    const ws = workspace('webrel', manifestText('webrel'));
    const clients = createAwsClients({ region: PRIMARY_REGION, endpoint: moto().endpoint });
    // WHEN a release runs from the primary's Region
    const run = await runMain(['release', 'webrel', '--strategy', 'all-at-once', '--poll', '200ms', '--bake', '1s', '--json'], ws.dir, clients, { drPortsOptions: pair.drPortsOptions });
    clients.destroy();
    // THEN both Regions serve green, the primary's first
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    const image = pair.primary.descriptor.colours.green.image;
    expect(lines.at(-1)).toMatchObject({ kind: 'result', status: 'released', skew: false, versions: { [PRIMARY_REGION]: image, [STANDBY_REGION]: image } });
    expect(await pair.primary.weights()).toEqual({ blue: 0, green: 100 });
    expect(await pair.standby.weights()).toEqual({ blue: 0, green: 100 });
    const regions = lines.filter((l) => l.kind === 'event').map((l) => String(l.message).split(':')[0]);
    expect(regions.lastIndexOf(PRIMARY_REGION)).toBeLessThan(regions.indexOf(STANDBY_REGION));
    // AND dr status sees the same version on both sides
    const status = (await dr(pair, ['status', 'webrel', '--json'])).lines.find((l) => l.kind === 'status');
    expect(status).toMatchObject({ versionSkew: false, regions: [{ liveColour: 'green', image }, { liveColour: 'green', image }] });
  });
});
