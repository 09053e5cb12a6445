/**
 * A stage that was never deployed is not released: `stage` then `release` with no `cdk deploy` in between is refused
 * before any change (weights, release record, manifest bytes untouched), with the words "nothing changed" and the fix.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createServiceFixture } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { jsonLines, releaseState, removeWorkspaces, runCli, workspace } from './harness';

const server = useMotoServer();
const cli = (cwd: string) => ({ env: server().childEnv(), cwd });

afterAll(removeWorkspaces);

beforeAll(async () => {
  await createServiceFixture({ service: 'und-warmup' });
});

describe.concurrent('release of a stage that was never deployed', () => {
  it.for([
    // An AMI moto ships, not the one green's last deploy put on it.
    ['ami-03cf127a', /the release manifest stages ami-03cf127a for green, but green runs ami-12c6146b \(its last deploy\): the stage was never deployed\. Run cdk deploy so that green runs it, then release again/],
    // Another baked image than the one green's last deploy put on it (baked:web@1.0.0).
    ['baked:shop2', /the release manifest stages baked:shop2 for green, but green's last deploy put baked:web@1\.0\.0 \(ami-12c6146b\) on it: the stage was never deployed\. Run cdk deploy/],
  ] as const)('stage %s, no deploy, release: refused before any change, saying nothing changed and to run cdk deploy', async ([image, why], { expect }) => {
    // GIVEN the image staged on green, and no deploy
    const f = await createServiceFixture({ service: `und-${image.startsWith('ami-') ? 'ami' : 'baked'}` });
    const ws = workspace(f.service);
    const stage = await runCli(['stage', f.service, '--image', image], cli(ws.dir));
    expect(stage.code).toBe(0);
    const staged = ws.manifest();
    expect(JSON.parse(staged)).toMatchObject({ green: { image, mode: 'ready' } });

    // WHEN
    const run = await runCli(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], cli(ws.dir));
    const json = await runCli(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms', '--json'], cli(ws.dir));

    // THEN refused, with the problem and the fix, on one line
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^bluegreen: Release refused, nothing changed: /);
    expect(run.stderr).toMatch(why);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const result = jsonLines(json.stdout).at(-1);
    expect(result).toMatchObject({ kind: 'result', status: 'refused' });
    expect((result?.checks as { name: string; ok: boolean }[]).find((c) => c.name === 'candidate-image')).toMatchObject({ ok: false });
    // AND nothing changed: weights, test route, no release record, the manifest's bytes (the staged image kept)
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await f.weights('test')).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toBeUndefined();
    expect(ws.manifest()).toBe(staged);
  });

  it('is released anyway with --allow-undeployed-image, which says so', async ({ expect }) => {
    const f = await createServiceFixture({ service: 'und-allow' });
    const ws = workspace(f.service);
    expect((await runCli(['stage', f.service, '--image', 'ami-03cf127a'], cli(ws.dir))).code).toBe(0);
    const run = await runCli(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms', '--allow-undeployed-image', '--json'], cli(ws.dir));
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.find((l) => l.type === 'undeployed-image-allowed')).toBeDefined();
    expect(lines.at(-1)).toMatchObject({ kind: 'result', status: 'succeeded', outcome: 'done' });
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
  });
});
