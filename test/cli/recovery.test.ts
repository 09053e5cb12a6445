/**
 * Interrupted and concurrent releases, end to end: the real CLI killed with SIGKILL mid-release, then resumed (taken
 * over at once: its process on this host is gone) or rolled back from a fresh process; a holder on another host, and
 * --take-over; two operators at once; abort and promote of a release another process drives.
 */
import * as os from 'os';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createServiceFixture, FIXTURE_AMI } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { FAST, releaseState, removeWorkspaces, runCli, startCli, stateStore, waitForGreen, workspace } from './harness';

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
  const pid = running.child.pid;
  running.child.kill('SIGKILL');
  const killed = await running.done;
  return { f, killed: { ...killed, pid } };
}

describe.concurrent('an interrupted release', () => {
  it('is taken over at once by resume on the same host (its process is gone), and resumed to 100 %', async ({ expect }) => {
    // GIVEN a release killed at step 2
    const ws = workspace('rec-resume');
    const { f, killed } = await killAtStep2('rec-resume', ws.dir);
    expect(killed.signal).toBe('SIGKILL');
    const stuck = await releaseState(f);
    expect(stuck).toMatchObject({ status: 'in-progress', candidate: 'green', ownerProcess: { host: os.hostname(), pid: killed.pid } });
    expect(stuck?.ownerProcess?.startedAt).toBeGreaterThan(Date.now() - 120_000);
    expect(await f.weights()).toEqual({ blue: 50, green: 50 });

    // WHEN another process on this host resumes at once, well inside the lease (max(2 × 2s, 60s))
    const resumed = await runCli(['resume', f.service, '--poll', '200ms'], cli(ws.dir));

    // THEN it takes over without waiting: the holder's process is not running
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`Took over release ${stuck?.releaseId} from ${stuck?.owner} \\(process ${killed.pid} on this host is not running; last heartbeat \\d[^)]* ago\\)`));
    expect(resumed.stdout).toMatch(/Released green/);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    const done = await releaseState(f);
    expect(done).toMatchObject({ status: 'succeeded', releaseId: stuck?.releaseId, stepIndex: 2 });
    expect(done?.owner).not.toBe(stuck?.owner);
    expect(JSON.parse(ws.manifest())).toMatchObject({ blue: { mode: 'ready' }, green: { image: FIXTURE_AMI, mode: 'active' } });
  });

  it('held by a process on another host is refused with when its lease expires, and taken over with --take-over', async ({ expect }) => {
    // GIVEN a release killed at step 2, whose record says it runs on another host (as a pipeline runner's would)
    const ws = workspace('rec-other-host');
    const { f } = await killAtStep2('rec-other-host', ws.dir);
    const store = stateStore(f);
    const current = await store.read();
    const elsewhere = { host: 'ci-runner-9', pid: 4242, startedAt: Date.now() - 60_000 };
    await store.write({ ...current!.state, owner: 'ci-runner-9:4242', ownerProcess: elsewhere, updatedAt: Date.now() }, current!.version);

    // WHEN resumed from this host
    const refused = await runCli(['resume', f.service, '--poll', '200ms'], cli(ws.dir));

    // THEN refused, naming the holder, when its lease expires, and the fix; nothing moved
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /^bluegreen: rec-other-host release \S+ \(green at step [12]\/3 \((25|50) %\), blue \d+ % \/ green \d+ %\) is in progress, driven by ci-runner-9:4242 \(on host ci-runner-9, heartbeat \d[^;]* ago; its lease expires at \d\d:\d\d:\d\dZ, in \d[^)]*\)\. Wait for it, stop it with abort, or take it over now with resume --take-over/,
    );
    expect(await f.weights()).toEqual({ blue: 50, green: 50 });

    // WHEN resumed with --take-over
    const taken = await runCli(['resume', f.service, '--poll', '200ms', '--take-over'], cli(ws.dir));

    // THEN it names what it took over, and finishes the release
    expect(taken.code).toBe(0);
    expect(taken.stdout).toMatch(/Took over release \S+ from ci-runner-9:4242 \(on host ci-runner-9, heartbeat .*\) as asked \(take-over\); it stops at its next record write/);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toMatchObject({ status: 'succeeded', ownerProcess: { host: os.hostname() } });
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
