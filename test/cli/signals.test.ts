/**
 * A cancelled pipeline job or Ctrl-C: the real CLI process (from source) gets SIGTERM or SIGINT mid-release and
 * prints a final result saying where the release stands and what to run next, in text and in JSON, with exit 4
 * (paused); then the release is still there to roll back.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createServiceFixture } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { jsonLines, releaseState, removeWorkspaces, runCli, startCli, waitFor, workspace } from './harness';

const server = useMotoServer();
const cli = (cwd: string) => ({ env: server().childEnv(), cwd });

afterAll(removeWorkspaces);
beforeAll(async () => {
  await createServiceFixture({ service: 'sig-warmup' });
});

describe.concurrent('a signal mid-release', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} with --json prints a JSON result line: interrupted, paused (exit 4), where it stands and what to run next`, async ({ expect }) => {
      // GIVEN a release baking step 1
      const f = await createServiceFixture({ service: `sig-json-${signal.toLowerCase()}` });
      const ws = workspace(f.service);
      const running = startCli(['release', f.service, '--steps', '50,100', '--bake', '30s', '--poll', '200ms', '--json'], cli(ws.dir));
      await waitFor('a gate poll at step 1', async () => (running.stdout().includes('"type":"gate-passed"') ? true : undefined));

      // WHEN
      running.child.kill(signal);
      const run = await running.done;

      // THEN
      expect(run.code).toBe(4);
      const lines = jsonLines(run.stdout);
      const result = lines.at(-1);
      expect(lines.filter((l) => l.kind === 'result')).toHaveLength(1);
      const record = await releaseState(f);
      expect(result).toEqual({
        kind: 'result',
        command: 'release',
        service: f.service,
        status: 'interrupted',
        exitCode: 4,
        outcome: 'paused',
        signal,
        message:
          `Interrupted (${signal}): release ${record?.releaseId} stays in progress at step 1/2 (blue 50 % / green 50 %, verified); ` +
          'its traffic stays there until someone resumes it, or rolls it back (100 % back to blue).',
        next: [`bluegreen resume ${f.service}`, `bluegreen rollback ${f.service}`],
        releaseId: record?.releaseId,
        step: 1,
        steps: 2,
        weights: { blue: 50, green: 50 },
        warnings: [],
      });
      expect(run.stderr).toBe(`bluegreen: ${result?.message as string}\nNext: bluegreen resume ${f.service}, or bluegreen rollback ${f.service}\n`);
      // AND the release is where it said, and the suggested rollback works
      expect(record).toMatchObject({ status: 'in-progress', stepIndex: 0 });
      expect(await f.weights()).toEqual({ blue: 50, green: 50 });
      const back = await runCli(['rollback', f.service], cli(ws.dir));
      expect(back.code).toBe(0);
      expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    });
  }

  it('SIGINT in text mode says the same on stderr, once', async ({ expect }) => {
    const f = await createServiceFixture({ service: 'sig-text' });
    const ws = workspace(f.service);
    const running = startCli(['release', f.service, '--steps', '50,100', '--bake', '30s', '--poll', '200ms'], cli(ws.dir));
    await waitFor('a gate poll at step 1', async () => (running.stdout().includes('Gate passed at step 1/2') ? true : undefined));
    running.child.kill('SIGINT');
    const run = await running.done;
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(
      new RegExp(`^bluegreen: Interrupted \\(SIGINT\\): release \\S+ stays in progress at step 1/2 \\(blue 50 % / green 50 %, verified\\); .*\\nNext: bluegreen resume sig-text, or bluegreen rollback sig-text\\n$`),
    );
    expect(run.stdout).toMatch(/Takes about 1m \(2 steps, each baking 30s\); ETA \d\d:\d\d:\d\dZ\. Follow it from elsewhere: bluegreen status sig-text --watch\n/);
    await runCli(['rollback', f.service], cli(ws.dir));
  });

  it('SIGTERM while waiting: exit 143, the release goes on, nothing changed', async ({ expect }) => {
    const f = await createServiceFixture({ service: 'sig-wait' });
    const ws = workspace(f.service);
    const release = startCli(['release', f.service, '--steps', '50,100', '--bake', '30s', '--poll', '200ms'], cli(ws.dir));
    await waitFor('the release at step 1', async () => (release.stdout().includes('Gate passed at step 1/2') ? true : undefined));
    const waiting = startCli(['wait', f.service, '--json', '--interval', '200ms'], cli(ws.dir));
    await waitFor('a progress line', async () => (waiting.stdout().includes('"kind":"progress"') ? true : undefined));
    waiting.child.kill('SIGTERM');
    const run = await waiting.done;
    expect(run.code).toBe(143);
    expect(jsonLines(run.stdout).at(-1)).toMatchObject({
      kind: 'result',
      command: 'wait',
      status: 'interrupted',
      exitCode: 143,
      outcome: 'interrupted',
      signal: 'SIGTERM',
      message: expect.stringMatching(/^Stopped waiting \(SIGTERM\): release \S+ of sig-wait is still in progress at step 1\/2 \(50 %\); nothing changed\.$/),
      next: ['bluegreen wait sig-wait'],
    });
    expect(await releaseState(f)).toMatchObject({ status: 'in-progress' });
    await runCli(['abort', f.service], cli(ws.dir));
    release.child.kill('SIGKILL');
    await release.done;
  });
});
