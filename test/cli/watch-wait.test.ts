/**
 * `status --watch` and `wait`: frames of the live view and each exit code of `wait`, in-process off a fake clock;
 * then both as processes against moto, with a release driven by another process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws';
import { CliIo } from '../../lib/cli';
import type { CommandContext } from '../../lib/cli/command';
import { waitForRelease } from '../../lib/cli/commands/wait';
import { Output } from '../../lib/cli/output';
import { buildView } from '../../lib/cli/status-view';
import { watchStatus } from '../../lib/cli/watch';
import { ServiceDescriptor } from '../../lib/contract';
import { ReleaseState, ReleaseStateStore, ServiceStatus } from '../../lib/release';
import { createServiceFixture } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { T0 } from '../release/fakes';
import { jsonLines, removeWorkspaces, runCli, startCli, waitForGreen, workspace } from './harness';

const server = useMotoServer();
afterAll(removeWorkspaces);
beforeAll(async () => {
  await createServiceFixture({ service: 'ww-warmup' });
});

/** A clock whose sleep moves time on at once. */
function fakeClock(start = T0) {
  let now = start;
  return { now: () => now, sleep: async (ms: number) => void (now += ms), set: (t: number) => void (now = t) };
}

/** A command context writing into buffers, on a fake clock. */
function context(options: { isTTY?: boolean; json?: boolean; clock?: ReturnType<typeof fakeClock> } = {}) {
  const buf = { stdout: '', stderr: '' };
  const clock = options.clock ?? fakeClock();
  const io: CliIo = {
    stdout: { write: (t: string) => (buf.stdout += t) },
    stderr: { write: (t: string) => (buf.stderr += t) },
    isTTY: options.isTTY ?? false,
    columns: 200,
    env: {},
    cwd: '/',
    clock,
  };
  const json = options.json ?? false;
  const out = new Output(io, json, { command: 'status', service: 'web' });
  const ctx = {
    global: { service: 'web', json, dryRun: false },
    io,
    out,
    clients: {} as AwsClients,
    manifest: { path: '/x', shown: 'x', explicit: false },
  } as CommandContext;
  return { ctx, buf, clock, out };
}

const RELEASE: ReleaseState = {
  releaseId: '20260101T115900Z-ab12',
  service: 'web',
  status: 'in-progress',
  stable: 'blue',
  candidate: 'green',
  steps: [10, 50, 100],
  bakeMs: 300_000,
  stepIndex: 0,
  owner: 'ci-runner:4242',
  startedAt: T0 - 60_000,
  updatedAt: T0 - 5_000,
};

const DESCRIPTOR = {
  region: 'eu-west-1',
  colours: {
    blue: { image: 'ami-12c6146b', imageId: 'ami-12c6146b', mode: 'active', alarms: {} },
    green: { image: 'ami-12c6146b', imageId: 'ami-12c6146b', mode: 'ready', alarms: {} },
  },
} as unknown as ServiceDescriptor;

/** The engine's status at `at` with `release` in progress at its step. */
function serviceStatus(at: number, release: ReleaseState): ServiceStatus {
  const green = release.steps[release.stepIndex];
  const colour = (c: 'blue' | 'green', weight: number) => ({ colour: c, weight, healthy: 2, total: 2, desired: 2, inService: 2, firingAlarms: [] });
  return {
    service: 'web',
    at,
    weights: { blue: 100 - green, green },
    testTarget: 'green',
    blue: colour('blue', 100 - green),
    green: colour('green', green),
    release,
    releaseInProgress: true,
    releaseStale: false,
    heartbeatAgeMs: at - release.updatedAt,
    leaseMs: 600_000,
    scaleDownDue: false,
    warnings: [],
  };
}

describe('status --watch', () => {
  it('on a terminal redraws the view in place every second, and reads AWS every interval', async () => {
    // GIVEN a release at step 1/3, then at step 2/3 at the second reading (2 s later)
    const { ctx, buf, clock } = context({ isTTY: true });
    const records = [RELEASE, { ...RELEASE, stepIndex: 1, updatedAt: T0 + 1_500 }];
    let reading = 0;
    const read = async () => {
      const status = serviceStatus(clock.now(), records[Math.min(reading++, 1)]);
      return (bakeStartedAt?: number) => buildView(status, DESCRIPTOR, undefined, null, bakeStartedAt);
    };

    // WHEN
    const code = await watchStatus(ctx, read, { intervalMs: 2_000, readings: 2 });

    // THEN three frames: the first reading, the same a second later, the second reading
    expect(code).toBe(0);
    const frames = buf.stdout
      .replace('\x1b[?25l', '')
      .split(/\x1b\[\d+A\r\x1b\[J/)
      .map((f) => f.replace(/\x1b\[\?25h[^]*$/, ''));
    expect(frames).toHaveLength(3);
    expect(frames[0]).toBe(
      [
        'web (eu-west-1) · read 12:00:00Z (0s ago) · every 2s · Ctrl-C to stop',
        'RELEASING green: step 1/3 (10 %), baked ~1m of 5m, ETA ~12:14:00Z; gate passing (green 2/2 healthy, no alarm firing)',
        '  weights   set blue 90 % / green 10 %, read back the same',
        '  bake      [####----------------] step 1/3: baked ~1m of 5m, ETA ~12:14:00Z',
        '  gate      passing (green 2/2 healthy, no alarm firing)',
        '  blue      stable     90 %  2/2 healthy, desired 2  no alarm firing',
        '  green     candidate  10 %  2/2 healthy, desired 2  no alarm firing',
        '  driver    ci-runner:4242, heartbeat 5s ago (lease 10m)',
        '  release   20260101T115900Z-ab12, started 11:59:00Z, steps 10, 50, 100 %',
        '',
      ].join('\n'),
    );
    expect(frames[1]).toMatch(/read 12:00:00Z \(1s ago\)[^]*baked ~1m1s of 5m, ETA ~12:14:00Z[^]*heartbeat 6s ago/);
    expect(frames[2]).toMatch(/read 12:00:02Z \(0s ago\)[^]*RELEASING green: step 2\/3 \(50 %\), baked ~0s of 5m, ETA ~12:10:02Z[^]*set blue 50 % \/ green 50 %/);
    expect(buf.stdout).toMatch(/\x1b\[\?25hStopped watching web after 2 readings\.\n$/);
  });

  it('off a terminal prints one line per reading; with --json one status object per reading', async () => {
    for (const json of [false, true]) {
      const { ctx, buf, clock } = context({ json });
      const read = async () => {
        const status = serviceStatus(clock.now(), RELEASE);
        return (bakeStartedAt?: number) => buildView(status, DESCRIPTOR, undefined, null, bakeStartedAt);
      };
      expect(await watchStatus(ctx, read, { intervalMs: 5_000, readings: 2 })).toBe(0);
      const lines = buf.stdout.trim().split('\n');
      if (json) {
        expect(lines.map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(['status', 'status', 'result']);
        expect(JSON.parse(lines[0])).toMatchObject({ release: { live: { bakedMs: 60_000, gate: { passing: true } } } });
      } else {
        expect(lines).toHaveLength(3);
        expect(lines[0]).toBe(
          '12:00:00Z web (eu-west-1): RELEASING green: step 1/3 (10 %), baked ~1m of 5m, ETA ~12:14:00Z; gate passing (green 2/2 healthy, no alarm firing); ' +
            'weights blue 90 % / green 10 % (step 1 sets blue 90 % / green 10 %); blue 2/2 healthy, green 2/2 healthy; driven by ci-runner:4242, heartbeat 5s ago',
        );
        expect(lines[1]).toMatch(/^12:00:05Z .* baked ~1m5s of 5m/);
      }
    }
  });

  it('stops on Ctrl-C with exit 0 and shows the cursor again', async () => {
    const { ctx, buf, clock, out } = context({ isTTY: true });
    const read = async () => {
      const status = serviceStatus(clock.now(), RELEASE);
      return () => buildView(status, DESCRIPTOR, undefined, null);
    };
    const watching = watchStatus(ctx, read, { intervalMs: 5_000, readings: 1 });
    expect(out.interrupt('SIGINT')).toBe(0);
    await watching;
    expect(buf.stdout).toContain('\x1b[?25h');
    expect(buf.stdout).toContain('Stopped watching web.');
  });
});

/** A release record that reads as `states`, one per read (the last repeats). */
function store(states: (ReleaseState | Error | undefined)[]): ReleaseStateStore {
  let i = 0;
  return {
    read: async () => {
      const s = states[Math.min(i++, states.length - 1)];
      if (s instanceof Error) throw s;
      return s ? { state: s, version: i } : undefined;
    },
    write: async () => 0,
  };
}

describe('wait', () => {
  const opts = { timeoutMs: 60_000, intervalMs: 10_000 };
  const ended = (status: ReleaseState['status'], extra: Partial<ReleaseState> = {}) => ({ ...RELEASE, status, stepIndex: 2, updatedAt: T0 + 25_000, ...extra });

  it.each([
    ['succeeded', [RELEASE, RELEASE, ended('succeeded', { scaleDownAt: T0 + 900_000 })], 0, 'succeeded', /^Release 20260101T115900Z-ab12 of web succeeded: green holds 100 % \(promoted by ci-runner:4242 at 12:00:25Z\); blue stays ready until/],
    ['rolled back', [RELEASE, ended('rolled-back', { reason: 'gate failed at step 3/3' })], 1, 'rolled-back', /was rolled back by ci-runner:4242 at 12:00:25Z: blue holds 100 %\. Reason: gate failed at step 3\/3\./],
    ['aborted', [RELEASE, ended('aborted', { reason: 'wrong build' })], 1, 'aborted', /was aborted by .*Reason: wrong build\./],
    ['no release in progress', [ended('succeeded')], 3, 'no-release', /^No release of web is in progress \(last: 20260101T115900Z-ab12, succeeded 12:00:25Z by ci-runner:4242\); nothing to wait for\.$/],
    ['no release ever', [undefined], 3, 'no-release', /^No release of web is in progress; nothing to wait for\.$/],
    ['timed out', [RELEASE, { ...RELEASE, updatedAt: T0 + 50_000 }], 4, 'timed-out', /^Timed out after 1m: release 20260101T115900Z-ab12 of web is still in progress \(green at step 1\/3 \(10 %\), .*\), driven by ci-runner:4242\.$/],
    ['stalled', [{ ...RELEASE, updatedAt: T0 - 700_000 }], 4, 'stalled', /has stalled at step 1\/3 \(10 %\) \(blue 90 % \/ green 10 %\): no heartbeat from ci-runner:4242 for 11m40s \(lease 10m\), so nobody drives it\.$/],
    ['AWS failing to the end', [RELEASE, Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} })], 5, 'error', /^Gave up waiting after 1m: AWS throttled/],
  ] as const)('%s: exit %s', async (_, states, code, status, message) => {
    const { ctx, buf } = context({ json: true });
    expect(await waitForRelease(ctx, store([...states]), opts)).toBe(code);
    const result = jsonLines(buf.stdout).at(-1);
    expect(result).toMatchObject({ kind: 'result', status, exitCode: code });
    expect(result?.message).toMatch(message);
  });

  it('shows progress: a line per step off a terminal, and what to run next when it stalls', async () => {
    const { ctx, buf } = context();
    const code = await waitForRelease(ctx, store([RELEASE, { ...RELEASE, stepIndex: 1, updatedAt: T0 + 5_000 }, { ...RELEASE, stepIndex: 1, updatedAt: T0 - 700_000 }]), opts);
    expect(code).toBe(4);
    expect(buf.stdout).toBe(
      '12:00:00Z 20260101T115900Z-ab12: green at step 1/3 (10 %), baked ~1m of 5m, ETA ~12:14:00Z, driven by ci-runner:4242\n' +
        '12:00:10Z 20260101T115900Z-ab12: green at step 2/3 (50 %), baked ~0s of 5m, ETA ~12:10:10Z, driven by ci-runner:4242\n',
    );
    expect(buf.stderr).toMatch(/has stalled at step 2\/3 .*\nNext: bluegreen resume web, or bluegreen rollback web\n$/);
  });
});

describe.concurrent('as processes against moto', () => {
  const cli = (cwd: string) => ({ env: server().childEnv(), cwd });

  it('wait follows a release another process drives to its end: exit 0; and 1 for one that rolls back', async () => {
    // GIVEN two releases: one that succeeds, one whose gate fires at step 2
    const [ok, bad] = await Promise.all([createServiceFixture({ service: 'ww-ok' }), createServiceFixture({ service: 'ww-bad' })]);
    const [wsOk, wsBad] = [workspace(ok.service), workspace(bad.service)];
    const releases = [
      startCli(['release', ok.service, '--steps', '50,100', '--bake', '2s', '--poll', '200ms'], cli(wsOk.dir)),
      startCli(['release', bad.service, '--steps', '50,100', '--bake', '4s', '--poll', '200ms'], cli(wsBad.dir)),
    ];
    await Promise.all([waitForGreen(ok, 50), waitForGreen(bad, 50)]);

    // WHEN pipelines wait for them, and bad's gate fires once its pipeline waits
    const waits = [startCli(['wait', ok.service, '--interval', '200ms', '--json'], cli(wsOk.dir)), startCli(['--json', 'wait', bad.service, '--interval', '200ms'], cli(wsBad.dir))];
    while (!waits[1].stdout().includes('"kind":"progress"')) await new Promise((r) => setTimeout(r, 50));
    await bad.setGateState('green', 'ALARM');
    const [waitedOk, waitedBad] = await Promise.all(waits.map((w) => w.done));
    await Promise.all(releases.map((r) => r.done));

    // THEN
    expect(waitedOk.code).toBe(0);
    expect(jsonLines(waitedOk.stdout).at(-1)).toMatchObject({ kind: 'result', command: 'wait', status: 'succeeded', outcome: 'done' });
    expect(jsonLines(waitedOk.stdout).filter((l) => l.kind === 'progress').length).toBeGreaterThanOrEqual(1);
    expect(waitedBad.code).toBe(1);
    expect(jsonLines(waitedBad.stdout).at(-1)).toMatchObject({ kind: 'result', status: 'rolled-back', outcome: 'rolled-back' });
    expect(waitedBad.stderr).toMatch(/^bluegreen: Release .* of ww-bad was rolled back by .*: blue holds 100 %\. Reason: gate failed at step/);
  });

  it('wait --timeout gives up with exit 4 while the release goes on; status --watch prints a line per reading and stops on SIGINT with exit 0', async () => {
    const f = await createServiceFixture({ service: 'ww-slow' });
    const ws = workspace(f.service);
    const release = startCli(['release', f.service, '--steps', '50,100', '--bake', '20s', '--poll', '500ms'], cli(ws.dir));
    await waitForGreen(f, 50);

    const [timedOut, watched] = await Promise.all([
      runCli(['wait', f.service, '--timeout', '2s', '--interval', '500ms'], cli(ws.dir)),
      (async () => {
        const watch = startCli(['status', f.service, '--watch', '--interval', '1s'], cli(ws.dir));
        while ((watch.stdout().match(/\n/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 100));
        watch.child.kill('SIGINT');
        return watch.done;
      })(),
    ]);
    expect(timedOut.code).toBe(4);
    expect(timedOut.stderr).toMatch(/^bluegreen: Timed out after 2s: release .* of ww-slow is still in progress \(green at step 1\/2 \(50 %\), .*\nNext: bluegreen wait ww-slow, or bluegreen status ww-slow --watch, or bluegreen abort ww-slow\n$/);
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trim().split('\n');
    expect(lines.slice(0, 2).every((l) => /^\d\d:\d\d:\d\dZ ww-slow \(eu-west-1\): RELEASING green: step 1\/2 \(50 %\), baked ~\d+s of 20s/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe('Stopped watching ww-slow.');

    // The driver would notice the abort at its next heartbeat (15 s): stop it now.
    expect((await runCli(['abort', f.service], cli(ws.dir))).code).toBe(0);
    release.child.kill('SIGKILL');
    await release.done;
  });
});
