/**
 * `bluegreen dr`, in-process through `main`, with a fake DR engine and fake descriptors (test/cli/dr-fakes.ts): what it
 * prints, its exit codes, --json, --dry-run, and the drill's report files. The DR engine's behaviour is tested with
 * the engine (lib/release/dr); here only the CLI's part.
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli';
import type { DrResult } from '../../lib/release/dr/types';
import { descriptorOf, drillReport, drSection, drStatus, fakePair, NEW, OLD, PRIMARY, removeTempDirs, runDr, STANDBY, tempDir } from './dr-fakes';
import { jsonLines } from './harness';

afterAll(removeTempDirs);

const primaryHere = () => ({ region: PRIMARY, descriptor: descriptorOf(PRIMARY, drSection('primary')) });
const standbyHere = () => ({ region: STANDBY, descriptor: descriptorOf(STANDBY, drSection('standby')) });

/** A pair whose standby descriptor is readable from the primary. */
function pairWithStandby() {
  const pair = fakePair();
  pair.descriptors[STANDBY] = descriptorOf(STANDBY, drSection('standby'));
  return pair;
}

async function helpText(argv: string[]): Promise<string> {
  let out = '';
  await main(argv, { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => undefined }, isTTY: false, env: {}, cwd: '/' });
  return out;
}

describe('dr: command line', () => {
  it('lists the actions and each flag in help, and dr in the overview', async () => {
    const help = await helpText(['dr', '--help']);
    expect(help).toMatch(/^Usage: bluegreen dr <status\|failover\|failback\|drill\|resume> <service> \[flags\]/);
    for (const flag of ['--outage', '--allow-skew', '--timeout <10m>', '--poll <1s>', '--hold <10m>', '--report-dir <dr-reports>', '--undo']) expect(help).toContain(flag);
    expect(await helpText(['--help'])).toMatch(/\n {2}dr +disaster recovery across two Regions/);
    expect(await helpText(['--help'])).toContain('7  skewed: released in the primary Region only');
  });

  const BAD: [string[], string][] = [
    [['dr', 'web'], 'bluegreen: dr: takes an action first: bluegreen dr <status|failover|failback|drill|resume> <service>. Got "web".'],
    [['dr'], 'bluegreen: missing action: bluegreen dr <status|failover|failback|drill|resume> <service> [flags], e.g. bluegreen dr status web.'],
    [['dr', 'failover'], 'bluegreen: missing <service>: bluegreen dr <action> <service> [flags], e.g. bluegreen dr status web.'],
    [['dr', 'failback', 'web', '--outage'], 'bluegreen: --outage: does not apply to dr failback; it is for dr failover.'],
    [['dr', 'status', 'web', '--hold', '5m'], 'bluegreen: --hold: does not apply to dr status; it is for dr drill. Got "5m".'],
    [['dr', 'drill', 'web', '--hold', '5 minutes'], 'bluegreen: --hold: must be whole numbers with units ms, s, m, h or d'],
    [['dr', 'failover', 'web', '--timeout', '1s'], 'bluegreen: --timeout: must be from 10s to 1h. Got "1s".'],
    [['dr', 'drill', 'web', '--poll', '50ms'], 'bluegreen: --poll: must be from 100ms to 20s. Got "50ms".'],
    [['dr', 'status', 'web', '--poll', '1s'], 'bluegreen: --poll: does not apply to dr status; it is for dr failover, failback, drill, resume. Got "1s".'],
    [['dr', 'drill', 'web', '--hold', '25h'], 'bluegreen: --hold: must be from 0s to 24h. Got "25h".'],
    [['dr', 'failover', 'web', '--take-over'], 'bluegreen: --take-over: does not apply to dr failover; it is for dr resume.'],
    [['dr', 'resume', 'web', '--dry-run'], "bluegreen: --dry-run: does not apply to dr resume: run 'bluegreen dr status <service>' to see the operation it would continue."],
  ];
  it.each(BAD)('refuses %j with exit 2 and one line, before any AWS call', async (argv, message) => {
    // GIVEN
    const pair = pairWithStandby();

    // WHEN
    const run = await runDr(argv, primaryHere(), pair);

    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').length, run.stderr).toBe(2);
    expect(run.stderr.trimEnd().startsWith(message), run.stderr).toBe(true);
    expect(pair.engine.calls).toEqual([]);
  });
});

describe('dr status', () => {
  it('shows each Region (role, live colour, image, capacity, alarms, release), switch, DNS answer, TTL, worst case, versions, last drill', async () => {
    // GIVEN a normal pair with a drill behind it and a release running in the standby
    const pair = pairWithStandby();
    pair.engine.statusValue = drStatus({
      record: {
        service: 'web',
        generation: 7,
        phase: 'normal',
        activeRegion: PRIMARY,
        since: Date.UTC(2026, 0, 2),
        lastDrill: { id: 'drill-1', finishedAt: Date.UTC(2026, 0, 2), outcome: 'passed', recoveryMs: 83_000, report: 'dr-reports/web-drill-1.md' },
      },
      standby: { region: STANDBY, side: 'standby', reachable: true, liveColour: 'blue', image: NEW, desired: 0, healthy: 0, firingAlarms: ['web-blue-gate'], release: 'r-9 at step 1/2' },
    });

    // WHEN
    const run = await runDr(['dr', 'status', 'web'], primaryHere(), pair);

    // THEN
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('web: NORMAL; Route 53 answers primary eu-west-1');
    expect(lines[1]).toMatch(/^ {2}eu-west-1 +primary \(answering\) +green live, image baked:web@2\.0\.0, desired 3, 3 healthy; no alarm firing; no release in progress$/);
    expect(lines[2]).toMatch(/^ {2}eu-central-1 +standby +blue live, image baked:web@2\.0\.0, desired 0, 0 healthy; ALARM: web-blue-gate; release r-9 at step 1\/2$/);
    expect(run.stdout).toMatch(/switch +OK: DNS follows the primary's health/);
    expect(run.stdout).toMatch(/dns +TTL 60s; worst case 2m30s from a primary failure/);
    expect(run.stdout).toMatch(/versions +both Regions serve baked:web@2\.0\.0/);
    expect(run.stdout).toMatch(/record +generation 7, read from eu-west-1, eu-central-1; normal since 2026-01-02T00:00:00\.000Z; active eu-west-1/);
    expect(run.stdout).toMatch(/last drill +drill-1 passed at 2026-01-02T00:00:00\.000Z, recovery 1m23s, report dr-reports\/web-drill-1\.md/);
    // AND the engine got the standby's section, both descriptors already read
    expect(pair.log).toContain('drEngine dr=standby timeout=- poll=1000 read=primary,standby');
    expect(pair.log.at(-1)).toBe('close');
    // AND without Route 53's view (DrPorts.route53) no health-check or TestDNSAnswer line
    expect(run.stdout).not.toMatch(/health check|TestDNSAnswer/);
  });

  it("shows Route 53's view when read: each Region's health check, and TestDNSAnswer's side beside the resolver's, in text and --json", async () => {
    // GIVEN the primary's calculated check unhealthy, the standby's endpoint check healthy, TestDNSAnswer the standby
    const pair = pairWithStandby();
    pair.engine.statusValue = drStatus({
      primary: { region: PRIMARY, side: 'primary', reachable: false, error: 'connect ETIMEDOUT', healthCheck: { id: 'hc-primary', status: 'unhealthy' } },
      standby: { region: STANDBY, side: 'standby', reachable: true, liveColour: 'blue', image: NEW, desired: 3, healthy: 3, firingAlarms: [], healthCheck: { id: 'hc-standby', status: 'healthy' } },
      dnsAnswering: 'primary',
      route53Answer: 'standby',
    });

    // WHEN
    const text = await runDr(['dr', 'status', 'web'], primaryHere(), pair);
    const json = await runDr(['dr', 'status', 'web', '--json'], primaryHere(), pair);

    // THEN each check under its Region's line, and both answers on one line
    const lines = text.stdout.split('\n');
    const primaryAt = lines.findIndex((l) => / {2}eu-west-1 +primary/.test(l));
    const standbyAt = lines.findIndex((l) => / {2}eu-central-1 +standby/.test(l));
    expect(lines[primaryAt + 1]).toMatch(/^ {2} +health check hc-primary: unhealthy$/);
    expect(lines[standbyAt + 1]).toMatch(/^ {2} +health check hc-standby: healthy$/);
    expect(text.stdout).toMatch(/route 53 +resolver: primary; Route 53 \(TestDNSAnswer\): standby\n/);
    // AND --json carries them
    const [status] = jsonLines(json.stdout);
    expect(status).toMatchObject({ dnsAnswering: 'primary', route53Answer: 'standby' });
    expect((status.regions as { healthCheck?: unknown }[]).map((r) => r.healthCheck)).toEqual([
      { id: 'hc-primary', status: 'unhealthy' },
      { id: 'hc-standby', status: 'healthy' },
    ]);
  });

  it('marks an unreachable Region and a version skew, and answers with one status object in --json', async () => {
    // GIVEN an outage: the primary cannot be read, the standby answers and serves an older version
    const pair = fakePair();
    pair.engine.statusValue = drStatus({
      primary: { region: PRIMARY, side: 'primary', reachable: false, error: 'connect ETIMEDOUT' },
      standby: { region: STANDBY, side: 'standby', reachable: true, liveColour: 'blue', image: OLD, desired: 3, healthy: 3, firingAlarms: [] },
      versionSkew: true,
      dnsAnswering: 'standby',
      switchState: 'ALARM',
    });

    // WHEN run against the standby Region
    const text = await runDr(['dr', 'status', 'web'], standbyHere(), pair);
    const json = await runDr(['dr', 'status', 'web', '--json'], standbyHere(), pair);

    // THEN
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/eu-west-1 +primary +UNREACHABLE: connect ETIMEDOUT/);
    expect(text.stdout).toMatch(/versions +SKEW: eu-west-1 serves \?, eu-central-1 serves baked:web@1\.0\.0/);
    expect(text.stdout).toMatch(/switch +ALARM: failover latched/);
    expect(text.stdout).toContain('warning: eu-west-1 (primary) could not be read: connect ETIMEDOUT');
    // AND nothing of the primary was read by the command itself
    expect(pair.log).not.toContain(`descriptor ${PRIMARY}`);
    const [status] = jsonLines(json.stdout);
    expect(jsonLines(json.stdout)).toHaveLength(1);
    expect(status).toMatchObject({ kind: 'status', service: 'web', phase: 'normal', dnsAnswering: 'standby', dnsAnsweringRegion: STANDBY, versionSkew: true, worstCaseFailoverSeconds: 150 });
    expect((status.regions as { region: string; reachable: boolean }[]).map((r) => [r.region, r.reachable])).toEqual([
      [PRIMARY, false],
      [STANDBY, true],
    ]);
  });

  it('refuses a service without disasterRecovery with exit 3 and a one-line fix, touching no engine', async () => {
    // GIVEN
    const pair = fakePair();

    // WHEN
    const run = await runDr(['dr', 'failover', 'web'], { region: PRIMARY, descriptor: descriptorOf(PRIMARY) }, pair);

    // THEN
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      "bluegreen: web has no disaster recovery in eu-west-1: its descriptor has no disasterRecovery section. Give it a standby Region (BlueGreenService disasterRecovery: RegionRole, and a RegionalFailover in each Region's stack; docs/DISASTER-RECOVERY.md), deploy both, then run this again.\n",
    );
    expect(run.stdout).toBe('');
    expect(pair.engine.calls).toEqual([]);
  });
});

describe('dr failover and failback', () => {
  const RESULTS: [DrResult, number][] = [
    ['done', 0],
    ['undone', 1],
    ['refused', 3],
    ['suspended', 4],
    ['failed', 6],
  ];
  it.each(RESULTS)('exits for an outcome %s with %i, printing its one-line message', async (result, code) => {
    // GIVEN
    const pair = pairWithStandby();
    pair.engine.outcome = { kind: 'failover', result, phase: 'failing-over', message: `failover ${result}.`, timeline: [] };

    // WHEN
    const run = await runDr(['dr', 'failover', 'web', '--json'], primaryHere(), pair);

    // THEN
    expect(run.code).toBe(code);
    const last = jsonLines(run.stdout).at(-1);
    expect(last).toMatchObject({ kind: 'result', command: 'dr', status: result, exitCode: code, message: `failover ${result}.` });
    if (result === 'failed') expect(last?.next).toEqual(['bluegreen dr status web', 'bluegreen dr resume web', 'bluegreen dr resume web --undo']);
    if (code !== 0) expect(run.stderr).toContain(`bluegreen: failover ${result}.`);
  });

  it('passes --outage, --allow-skew, --timeout and --poll to the engine, and prints the timeline', async () => {
    // GIVEN run against the standby during an outage
    const pair = fakePair();
    const t0 = Date.UTC(2026, 0, 1, 12);
    pair.engine.outcome = {
      kind: 'failover',
      result: 'done',
      phase: 'failed-over',
      message: 'Failed over web to eu-central-1.',
      timeline: [
        { mark: 'decision', at: t0 },
        { mark: 'dns-moved', at: t0 + 61_000, detail: 'switch ALARM' },
      ],
    };

    // WHEN
    const run = await runDr(['dr', 'failover', 'web', '--outage', '--allow-skew', '--timeout', '3m', '--poll', '2s'], standbyHere(), pair);

    // THEN
    expect(run.code).toBe(0);
    expect(pair.engine.calls).toEqual(['failover {"trigger":"cli","outage":true,"allowSkew":true}']);
    expect(pair.log[0]).toBe('drEngine dr=standby timeout=180000 poll=2000 read=standby');
    expect(run.stdout).toBe('Timeline:\n  +0s      decision\n  +1m1s    dns-moved  switch ALARM\nFailed over web to eu-central-1.\n');  });

  it('shows people the engine\'s news, not its record bookkeeping; --json keeps every event', async () => {
    // GIVEN an engine that writes its record and takes a mark
    const events = [
      { type: 'record-written', message: 'DR record generation 1 (failing-over, step decision) written to eu-west-1', at: 0 },
      { type: 'mark', message: 'decision: planned failover by cli', at: 0 },
    ];
    const text = fakePair();
    text.engine.failoverEvents = events;
    const json = fakePair();
    json.engine.failoverEvents = events;
    // WHEN
    const shown = await runDr(['dr', 'failover', 'web', '--outage'], standbyHere(), text);
    const all = await runDr(['dr', 'failover', 'web', '--outage', '--json'], standbyHere(), json);
    // THEN
    expect(shown.stdout + shown.stderr).toContain('decision: planned failover by cli');
    expect(shown.stdout + shown.stderr).not.toContain('DR record generation');
    expect(all.stdout).toContain('"type":"record-written"');
  });

  it('refuses --outage given the primary Region: an outage failover runs against the standby', async () => {
    const pair = pairWithStandby();
    const run = await runDr(['dr', 'failover', 'web', '--outage'], primaryHere(), pair);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('bluegreen: --outage: eu-west-1 is the primary of web; an outage failover runs against the standby alone. Run it with --region eu-central-1.\n');
    expect(pair.engine.calls).toEqual([]);
  });

  it('--dry-run prints the plan, calls only the planner, and exits 0 (3 when the plan is refused)', async () => {
    // GIVEN
    const pair = pairWithStandby();

    // WHEN
    const run = await runDr(['dr', 'failover', 'web', '--dry-run'], primaryHere(), pair);

    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'Dry run, nothing was changed. Plan to failover web:\n  1. scale: green in eu-central-1 to 3\n  2. switch: write 1\nDry run: failover would take the 2 step(s) above.\n',
    );
    expect(pair.engine.calls).toEqual(['planFailover {"trigger":"cli","outage":false,"allowSkew":false}']);

    // AND a refused plan exits 3 with the reason
    pair.engine.plan = { kind: 'failback', refused: 'the primary serves baked:web@1.0.0, the standby baked:web@2.0.0: pass --allow-skew', steps: [] };
    const refused = await runDr(['dr', 'failback', 'web', '--dry-run'], primaryHere(), pair);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe('bluegreen: Dry run: failback would be refused: the primary serves baked:web@1.0.0, the standby baked:web@2.0.0: pass --allow-skew\n');
    expect(pair.engine.calls.at(-1)).toBe('planFailback {"allowSkew":false}');
  });

  it('resume --undo asks the engine to undo; --take-over to take over a live holder', async () => {
    const pair = pairWithStandby();
    const run = await runDr(['dr', 'resume', 'web', '--undo'], primaryHere(), pair);
    expect(run.code).toBe(0);
    expect(pair.engine.calls).toEqual(['resume {"undo":true,"takeOver":false}']);
    const taken = await runDr(['dr', 'resume', 'web', '--take-over'], primaryHere(), pair);
    expect(taken.code).toBe(0);
    expect(pair.engine.calls.at(-1)).toBe('resume {"undo":false,"takeOver":true}');
  });

  it('says what it cannot do when the standby was not deployed as a standby', async () => {
    // GIVEN the standby Region's descriptor has no disasterRecovery
    const pair = fakePair();
    pair.descriptors[STANDBY] = descriptorOf(STANDBY);

    // WHEN
    const run = await runDr(['dr', 'failover', 'web'], primaryHere(), pair);

    // THEN
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^bluegreen: web's descriptor in eu-central-1 has no disasterRecovery section, but eu-west-1 names eu-central-1 as its standby\./);
    expect(pair.engine.calls).toEqual([]);
  });
});

describe('dr drill', () => {
  it('writes <service>-<drillId>.json and .md, prints their paths, and the Markdown has the recovery time', async () => {
    // GIVEN
    const pair = pairWithStandby();
    const cwd = tempDir();

    // WHEN
    const run = await runDr(['dr', 'drill', 'web', '--hold', '10m', '--report-dir', 'reports/dr'], primaryHere(), pair, cwd);

    // THEN
    expect(run.code).toBe(0);
    expect(pair.engine.calls).toEqual(['drill {"holdMs":600000,"allowSkew":false}']);
    const json = path.join(cwd, 'reports/dr/web-drill-20260101T120000Z.json');
    const md = path.join(cwd, 'reports/dr/web-drill-20260101T120000Z.md');
    expect(JSON.parse(fs.readFileSync(json, 'utf8'))).toEqual(drillReport('passed'));
    expect(fs.readFileSync(md, 'utf8')).toContain('Client-observed recovery time: 83000 ms');
    expect(run.stdout).toContain('Report: reports/dr/web-drill-20260101T120000Z.md and reports/dr/web-drill-20260101T120000Z.json\n');
    expect(run.stdout).toContain('  +1m23s   first-success-standby  HTTP 200 from eu-central-1\n');
    expect(run.stdout).toMatch(/Drill drill-20260101T120000Z of web passed: client-observed recovery 1m23s \(DNS worst case 2m30s\); back on eu-west-1\. Left running: the warm standby at 50 %\.\n$/);
  });

  it('defaults to a 5 minute hold and ./dr-reports', async () => {
    const pair = pairWithStandby();
    const cwd = tempDir();
    const run = await runDr(['dr', 'drill', 'web', '--json'], primaryHere(), pair, cwd);
    expect(run.code).toBe(0);
    expect(pair.engine.calls).toEqual(['drill {"holdMs":300000,"allowSkew":false}']);
    expect(jsonLines(run.stdout).at(-1)).toMatchObject({ status: 'passed', recoveryMs: 83_000, reports: { json: 'dr-reports/web-drill-20260101T120000Z.json' } });
    expect(fs.existsSync(path.join(cwd, 'dr-reports/web-drill-20260101T120000Z.md'))).toBe(true);
  });

  it('exits 1 for a failed drill that left the pair normal, 6 for one that did not, reports written either way', async () => {
    // GIVEN a drill whose failover was undone
    const pair = pairWithStandby();
    pair.engine.report = drillReport('failed: the standby did not become healthy within 10m');
    const undone = await runDr(['dr', 'drill', 'web'], primaryHere(), pair);
    expect(undone.code).toBe(1);
    expect(undone.stderr).toBe('bluegreen: Drill drill-20260101T120000Z of web failed: the standby did not become healthy within 10m; recovery not reached; the pair is normal.\n');

    // AND one that stopped failed over
    pair.engine.statusValue = drStatus({ record: { service: 'web', generation: 9, phase: 'failed-over', activeRegion: STANDBY, since: 0 } });
    const stuck = await runDr(['dr', 'drill', 'web'], primaryHere(), pair);
    expect(stuck.code).toBe(6);
    expect(stuck.stderr).toContain('the pair is failed-over.\nNext: bluegreen dr status web, or bluegreen dr resume web\n');
    expect(stuck.stdout).toContain('Report: dr-reports/web-drill-20260101T120000Z.md');
  });

  it('refuses an unwritable --report-dir before the drill starts', async () => {
    // GIVEN a file where the directory should be
    const pair = pairWithStandby();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'taken'), '');

    // WHEN
    const run = await runDr(['dr', 'drill', 'web', '--report-dir', 'taken/x'], primaryHere(), pair, cwd);

    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('bluegreen: --report-dir: cannot write the drill report there (ENOTDIR); give a writable directory. Got "taken/x".\n');
    expect(pair.engine.calls).toEqual([]);
  });

  it('--dry-run prints the failover plan, the hold and the failback, and writes nothing', async () => {
    const pair = pairWithStandby();
    const cwd = tempDir();
    const run = await runDr(['dr', 'drill', 'web', '--dry-run', '--hold', '2m'], primaryHere(), pair, cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Dry run, nothing was changed. Plan to drill web:\n  1. scale: green in eu-central-1 to 3\n  2. switch: write 1\n  3. hold: stay failed over for 2m,');
    expect(run.stdout).toContain('  4. failback: fail back to the primary, then write the report into dr-reports\n');
    expect(pair.engine.calls).toEqual(['planFailover {"trigger":"cli","outage":false,"allowSkew":false}']);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
