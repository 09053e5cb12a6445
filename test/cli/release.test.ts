/**
 * `bluegreen release`, `rollback` and `scale-down` end to end: the real CLI in a child process against moto.
 * Each test has a service of its own, so they run concurrently.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createServiceFixture, FIXTURE_AMI, ServiceFixture } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { FAST, jsonLines, manifestText, releaseState, removeWorkspaces, runCli, startCli, waitForGreen, workspace } from './harness';

const server = useMotoServer();
const cli = (cwd: string) => ({ env: server().childEnv(), cwd });

afterAll(removeWorkspaces);

beforeAll(async () => {
  // moto imports each service on first use: pay that once here, not in a test's budget.
  await createServiceFixture({ service: 'rel-warmup' });
});

async function desiredCapacity(f: ServiceFixture, colour: 'blue' | 'green'): Promise<number | undefined> {
  const out = await f.clients.get(AutoScalingClient).send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [f.colours[colour].autoScalingGroupName] }),
  );
  return out.AutoScalingGroups?.[0]?.DesiredCapacity;
}

describe.concurrent('bluegreen release', () => {
  it('releases to 100 %: exit 0, green holds all traffic, the record succeeded, the manifest follows', async ({ expect }) => {
    // GIVEN blue live, green ready on the next bake
    const f = await createServiceFixture({ service: 'rel-ok' });
    const ws = workspace(f.service);

    // WHEN
    const run = await runCli(['release', f.service, '--steps', '50,100', ...FAST], cli(ws.dir));

    // THEN
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Step 1\/2: green to 50 %/);
    expect(run.stdout).toMatch(/Verified blue 50 % \/ green 50 %/);
    expect(run.stdout).toMatch(/Released green \(.+\): 100 % verified and promoted; blue stays ready until/);
    // AND one line per event when stdout is not a terminal
    expect(run.stdout).not.toContain('\r');
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    expect(await f.weights('test')).toEqual({ blue: 100, green: 0 });
    expect(await releaseState(f)).toMatchObject({ status: 'succeeded', stable: 'blue', candidate: 'green', steps: [50, 100], stepIndex: 1 });
    // AND green is pinned to the AMI it runs, blue stays ready for a rollback
    expect(JSON.parse(ws.manifest())).toEqual({
      schemaVersion: 1,
      service: f.service,
      blue: { image: FIXTURE_AMI, mode: 'ready' },
      green: { image: FIXTURE_AMI, mode: 'active' },
    });
    expect(run.stdout).toContain(`Updated releases/${f.service}.json: green: image baked:web -> ${FIXTURE_AMI}; green: mode ready -> active; blue: mode active -> ready.`);
  });

  it('rolls back to 100 % blue when the candidate gate alarm fires at step 2: exit 1, JSON lines end in the result', async ({ expect }) => {
    // GIVEN
    const f = await createServiceFixture({ service: 'rel-alarm' });
    const ws = workspace(f.service);
    const before = ws.manifest();

    // WHEN the gate goes to ALARM once step 2's weights are live
    const running = startCli(['release', f.service, '--steps', '10,50,100', '--bake', '3s', '--poll', '200ms', '--json'], cli(ws.dir));
    await waitForGreen(f, 50);
    await f.setGateState('green', 'ALARM');
    const run = await running.done;

    // THEN
    expect(run.code).toBe(1);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await f.weights('test')).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toMatchObject({ status: 'rolled-back', stable: 'blue', candidate: 'green', reason: expect.stringMatching(/gate failed at step 2\/3/) });
    // AND stdout is JSON lines only: events, then one result
    const lines = jsonLines(run.stdout);
    expect(lines.slice(0, -1).every((l) => l.kind === 'event')).toBe(true);
    expect(lines.at(-1)).toMatchObject({
      kind: 'result',
      command: 'release',
      service: f.service,
      status: 'rolled-back',
      exitCode: 1,
      outcome: 'rolled-back',
      failedStep: 2,
      weights: { blue: 100, green: 0 },
      manifest: { action: 'unchanged' },
      apiCalls: { mutating: expect.any(Number) },
    });
    expect(lines.find((l) => l.type === 'gate-failed')).toMatchObject({ step: 2, steps: 3, message: expect.stringContaining(`${f.service}-green-gate`) });
    expect(lines.filter((l) => l.type === 'step-started').map((l) => l.weights)).toEqual([
      { blue: 90, green: 10 },
      { blue: 50, green: 50 },
    ]);
    // AND a one-line reason on stderr; the manifest already said blue active, green ready
    expect(run.stderr).toMatch(new RegExp(`^bluegreen: Rolled back .*: blue holds 100 % \\(verified\\)\\. Reason: gate failed at step 2/3 \\(50 %\\): alarms firing on green: ${f.service}-green-gate\\.\\n$`));
    expect(ws.manifest()).toBe(before);
  });

  it('refuses a candidate with no healthy targets before any weight moves: exit 3, says why', async ({ expect }) => {
    // GIVEN green's instances are stopped: moto reports their targets unused
    const f = await createServiceFixture({ service: 'rel-sick' });
    await f.makeUnhealthy('green');
    const ws = workspace(f.service);
    const before = ws.manifest();

    // WHEN
    const run = await runCli(['release', f.service, ...FAST], cli(ws.dir));

    // THEN
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^bluegreen: Release refused, nothing changed: green has 0\/2 healthy targets, 2 expected: a target group with no healthy target fails open/);
    expect(run.stdout).toMatch(/Pre-flight candidate-healthy: green has 0\/2 healthy targets/);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await f.weights('test')).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toBeUndefined();
    expect(ws.manifest()).toBe(before);
  });

  it('rolls back a promoted release while the old colour is warm: exit 0, blue holds 100 %', async ({ expect }) => {
    // GIVEN green released all at once
    const f = await createServiceFixture({ service: 'rel-back' });
    const ws = workspace(f.service);
    const released = await runCli(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], cli(ws.dir));
    expect(released.code).toBe(0);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });

    // WHEN
    const run = await runCli(['rollback', f.service, '--reason', 'checkout errors'], cli(ws.dir));

    // THEN
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Rolled back .*: blue holds 100 % \(verified\)\. Reason: checkout errors\./);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await f.weights('test')).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toMatchObject({ status: 'rolled-back', reason: 'checkout errors' });
    expect(JSON.parse(ws.manifest())).toMatchObject({ blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: FIXTURE_AMI, mode: 'ready' } });
  });

  it('scale-down waits for the scale-down time, --force puts the old colour in standby, the manifest says standby', async ({ expect }) => {
    // GIVEN green released, blue kept ready for the default 15 minutes
    const f = await createServiceFixture({ service: 'rel-scale' });
    const ws = workspace(f.service);
    expect((await runCli(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], cli(ws.dir))).code).toBe(0);

    // WHEN scale-down runs early
    const early = await runCli(['scale-down', f.service], cli(ws.dir));
    // THEN nothing changes
    expect(early.code).toBe(0);
    expect(early.stdout).toMatch(/blue stays ready until .+ for an instant rollback; force scales it down now\./);
    expect(await desiredCapacity(f, 'blue')).toBe(2);

    // WHEN forced
    const forced = await runCli(['scale-down', f.service, '--force'], cli(ws.dir));
    // THEN
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/blue is in standby \(0 instances\)/);
    expect(await desiredCapacity(f, 'blue')).toBe(0);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    expect(ws.manifest()).toBe(manifestText(f.service, { image: FIXTURE_AMI, mode: 'standby' }, { image: FIXTURE_AMI, mode: 'active' }));
    // AND a rollback now has nothing warm to go to
    const back = await runCli(['rollback', f.service], cli(ws.dir));
    expect(back.code).toBe(3);
    expect(back.stderr).toMatch(/blue has been scaled down: nothing warm to roll back to/);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
  });
});
