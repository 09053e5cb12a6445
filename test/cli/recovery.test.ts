/**
 * Interrupted and concurrent releases, end to end: the real CLI killed with SIGKILL mid-release, then resumed or
 * rolled back from a fresh process; two operators at once; abort and promote of a release another process drives.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createServiceFixture, FIXTURE_AMI } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { ageHeartbeat, FAST, releaseState, removeWorkspaces, runCli, startCli, waitForGreen, workspace } from './harness';

const server = useMotoServer();
const cli = (cwd: string) => ({ env: server().childEnv(), cwd });

afterAll(removeWorkspaces);

beforeAll(async () => {
  await createServiceFixture({ service: 'rec-warmup' });
});

/** Start a release and SIGKILL it once step 2 (50 %) is live. */
async function killAtStep2(service: string, dir: string) {
  const f = await createServiceFixture({ service });
  const running = startCli(['release', service, '--steps', '25,50,100', '--bake', '2s', '--poll', '200ms'], cli(dir));
  await waitForGreen(f, 50);
  running.child.kill('SIGKILL');
  const killed = await running.done;
  return { f, killed };
}

describe.concurrent('an interrupted release', () => {
  it('is refused to a fresh process while its lease lasts, then resumed to 100 % once the heartbeat is older than the lease', async ({ expect }) => {
    // GIVEN a release killed at step 2
    const ws = workspace('rec-resume');
    const { f, killed } = await killAtStep2('rec-resume', ws.dir);
    expect(killed.signal).toBe('SIGKILL');
    const stuck = await releaseState(f);
    expect(stuck).toMatchObject({ status: 'in-progress', candidate: 'green' });
    expect(await f.weights()).toEqual({ blue: 50, green: 50 });

    // WHEN another process resumes at once
    const early = await runCli(['resume', f.service, '--poll', '200ms'], cli(ws.dir));
    // THEN it is refused (exit 3, nothing changed): the owner may still be alive
    expect(early.code).toBe(3);
    expect(early.stderr).toMatch(/^bluegreen: rec-resume release .* is in progress, driven by .+:\d+ \(heartbeat \d.* ago\)\. Wait for it, or stop it with abort\.\nNext: bluegreen wait rec-resume, or bluegreen status rec-resume --watch, or bluegreen abort rec-resume\n$/);
    expect(await f.weights()).toEqual({ blue: 50, green: 50 });

    // WHEN the lease has passed (max(2 × 2s, 60s)): status says so, and resume takes over
    await ageHeartbeat(f, 2 * 60_000);
    const status = await runCli(['status', f.service], cli(ws.dir));
    expect(status.stdout).toMatch(/^rec-resume \(eu-west-1\): RELEASE INTERRUPTED: green at step [12]\/3 .*Run bluegreen resume rec-resume, or bluegreen rollback rec-resume\n/);
    expect(status.stdout).toMatch(/IN PROGRESS: green at step [12]\/3 .* STALE: interrupted, run bluegreen resume rec-resume or bluegreen rollback rec-resume/);
    const resumed = await runCli(['resume', f.service, '--poll', '200ms'], cli(ws.dir));

    // THEN
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`Took over release ${stuck?.releaseId} from ${stuck?.owner}`));
    expect(resumed.stdout).toMatch(/Released green/);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    const done = await releaseState(f);
    expect(done).toMatchObject({ status: 'succeeded', releaseId: stuck?.releaseId, stepIndex: 2 });
    expect(done?.owner).not.toBe(stuck?.owner);
    expect(JSON.parse(ws.manifest())).toMatchObject({ blue: { mode: 'ready' }, green: { image: FIXTURE_AMI, mode: 'active' } });
  });

  it('is rolled back by a fresh process at once, without waiting for the lease', async ({ expect }) => {
    // GIVEN
    const ws = workspace('rec-rollback');
    const before = ws.manifest();
    const { f } = await killAtStep2('rec-rollback', ws.dir);

    // WHEN
    const run = await runCli(['rollback', f.service], cli(ws.dir));

    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Rolled back .*: blue holds 100 % \(verified\)/);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await f.weights('test')).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toMatchObject({ status: 'rolled-back' });
    expect(ws.manifest()).toBe(before);
    // AND nothing is left to resume
    const resume = await runCli(['resume', f.service], cli(ws.dir));
    expect(resume.code).toBe(0);
    expect(resume.stdout).toMatch(/has no release in progress .*; nothing to resume\./);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
  });
});

describe.concurrent('a release driven by another process', () => {
  it('refuses a second release, is aborted by a third process, and the first stops without undoing the abort', async ({ expect }) => {
    // GIVEN a release baking step 1 for 12 s: long enough for two more CLI runs on a loaded machine
    const f = await createServiceFixture({ service: 'rec-busy' });
    const ws = workspace(f.service);
    const first = startCli(['release', f.service, '--steps', '50,100', '--bake', '12s', '--poll', '500ms'], cli(ws.dir));
    await waitForGreen(f, 50);

    // WHEN a second operator releases
    const second = await runCli(['release', f.service, ...FAST], cli(ws.dir));
    // THEN refused (exit 3), traffic untouched
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/^bluegreen: rec-busy release .* \(green at step 1\/2 \(50 %\), blue 50 % \/ green 50 %\) is in progress, driven by .+:\d+ .*Wait for it, or stop it with abort\.\nNext: bluegreen wait rec-busy, /);
    expect(await f.weights()).toEqual({ blue: 50, green: 50 });

    // WHEN a third aborts it
    const abort = await runCli(['abort', f.service, '--reason', 'wrong build'], cli(ws.dir));
    // THEN
    expect(abort.code).toBe(0);
    expect(abort.stdout).toMatch(/Aborted .*: blue holds 100 % \(verified\)\. Reason: wrong build\./);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });

    // AND the first process stops at its next record write, leaving the abort in place: exit 1, rolled back
    const firstRun = await first.done;
    expect(firstRun.code).toBe(1);
    expect(firstRun.stdout).toMatch(/is now aborted by .*\(wrong build\); this process stopped/);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await releaseState(f)).toMatchObject({ status: 'aborted', reason: 'wrong build' });
  });

  it('is promoted by another process: 100 % at once, and the driving process ends with exit 0', async ({ expect }) => {
    // GIVEN
    const f = await createServiceFixture({ service: 'rec-promote' });
    const ws = workspace(f.service);
    const first = startCli(['release', f.service, '--steps', '10,50,100', '--bake', '8s', '--poll', '500ms'], cli(ws.dir));
    await waitForGreen(f, 10);

    // WHEN
    const promote = await runCli(['promote', f.service], cli(ws.dir));

    // THEN
    expect(promote.code).toBe(0);
    expect(promote.stdout).toMatch(/Taking over release .* to promote it/);
    // AND the step numbers agree: the promotion is the plan's last step
    expect(promote.stdout).toMatch(/Promoting green from step \d\/3 .*\n.*Step 3\/3: green to 100 %/);
    expect(promote.stdout).not.toMatch(/Step \d\/2/);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toMatchObject({ status: 'succeeded', candidate: 'green' });
    expect(JSON.parse(ws.manifest())).toMatchObject({ blue: { mode: 'ready' }, green: { image: FIXTURE_AMI, mode: 'active' } });
    const firstRun = await first.done;
    expect(firstRun.code).toBe(0);
    expect(firstRun.stdout).toMatch(/is now succeeded by .*; this process stopped/);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
  });
});
