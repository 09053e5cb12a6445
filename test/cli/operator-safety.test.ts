/**
 * The smaller operator defects of issue 8, end to end against moto: promote --colour asks first (and needs --yes off
 * a terminal), sync-manifest --create, a rollback after scale-down --force that does not flip the manifest, and
 * --json before the command.
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createAwsClients } from '../../lib/aws';
import { createServiceFixture, FIXTURE_AMI } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { jsonLines, manifestText, releaseState, removeWorkspaces, runCli, runMain, workspace } from './harness';

const server = useMotoServer();
const cli = (cwd: string) => ({ env: server().childEnv(), cwd });

afterAll(removeWorkspaces);
beforeAll(async () => {
  await createServiceFixture({ service: 'ops-warmup' });
});

/** `main` in this process, with someone at the terminal who answers `answer`. */
async function withAnswer(argv: string[], cwd: string, answer: boolean) {
  const questions: string[] = [];
  const confirm = async (q: string) => {
    questions.push(q);
    return answer;
  };
  return { ...(await runMain(argv, cwd, createAwsClients(), { confirm })), questions };
}

describe.concurrent('promote --colour with no release in progress', () => {
  it('off a terminal is refused without --yes (exit 3, nothing changed), and moves all traffic with it', async ({ expect }) => {
    const f = await createServiceFixture({ service: 'ops-promote' });
    const ws = workspace(f.service);

    const refused = await runCli(['promote', f.service, '--colour', 'green'], cli(ws.dir));
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(
      `bluegreen: Not promoted: with no release in progress, promote --colour green moves all traffic of ${f.service} at once ` +
        '(blue 100 % / green 0 % -> blue 0 % / green 100 %), with no steps and no bake. Off a terminal no one can confirm: add --yes ' +
        `(bluegreen promote ${f.service} --colour green --yes). Nothing changed.\n`,
    );
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await releaseState(f)).toBeUndefined();

    const promoted = await runCli(['promote', f.service, '--colour', 'green', '--yes'], cli(ws.dir));
    expect(promoted.code).toBe(0);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
  });

  it('on a terminal asks, and does nothing unless the answer is yes', async ({ expect }) => {
    const f = await createServiceFixture({ service: 'ops-ask' });
    const ws = workspace(f.service);

    const no = await withAnswer(['promote', f.service, '--colour', 'green'], ws.dir, false);
    expect(no.questions).toEqual([
      `No release of ${f.service} is in progress. Move all traffic to green now, in one step with no bake (blue 100 % / green 0 % -> blue 0 % / green 100 %)?`,
    ]);
    expect(no.code).toBe(3);
    expect(no.stderr).toBe('bluegreen: Not promoted: not confirmed. Nothing changed.\n');
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });

    const yes = await withAnswer(['promote', f.service, '--colour', 'green'], ws.dir, true);
    expect(yes.code).toBe(0);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    // AND a colour that already has all traffic needs no question
    const again = await withAnswer(['promote', f.service, '--colour', 'green'], ws.dir, false);
    expect(again).toMatchObject({ code: 0, questions: [] });
  });
});

describe.concurrent('the manifest', () => {
  it('sync-manifest --create writes a manifest that does not exist, from AWS; without --create says so', async ({ expect }) => {
    const f = await createServiceFixture({ service: 'ops-create' });
    const ws = workspace(f.service, null);

    const without = await runCli(['sync-manifest', f.service], cli(ws.dir));
    expect(without.code).toBe(2);
    expect(without.stderr).toBe(
      `bluegreen: --manifest: no release manifest at releases/${f.service}.json. Pass --create to write it from AWS (bluegreen sync-manifest ${f.service} --create), or --manifest <path>.\n`,
    );

    const created = await runCli(['sync-manifest', f.service, '--create'], cli(ws.dir));
    // The live colour pinned to the AMI it runs; the idle colour with the image it was deployed with (a bake by name)
    const idleImage = f.descriptor.colours.green.image.replace(/^(baked:[^@]+)@.*$/, '$1');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^Created releases/${f.service}\\.json from AWS: blue ${FIXTURE_AMI} active, green ${idleImage} ready\\. Commit it`));
    expect(fs.readFileSync(ws.manifestPath, 'utf8')).toBe(manifestText(f.service, { image: FIXTURE_AMI, mode: 'active' }, { image: idleImage, mode: 'ready' }));

    const again = await runCli(['sync-manifest', f.service, '--create'], cli(ws.dir));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/is in step with AWS \(blue active, green ready\)\./);

    // AND --manifest to a new directory
    const elsewhere = await runCli(['sync-manifest', f.service, '--create', '--manifest', 'deploy/manifests/shop.json'], cli(ws.dir));
    expect(elsewhere.code).toBe(0);
    expect(fs.existsSync(path.join(ws.dir, 'deploy', 'manifests', 'shop.json'))).toBe(true);
  });

  it('a rollback after scale-down --force keeps the scaled-down colour in standby, and sync-manifest agrees', async ({ expect }) => {
    // GIVEN green released, then rolled back, then scaled down by force
    const f = await createServiceFixture({ service: 'ops-flip' });
    const ws = workspace(f.service);
    expect((await runCli(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], cli(ws.dir))).code).toBe(0);
    expect((await runCli(['rollback', f.service], cli(ws.dir))).code).toBe(0);
    const scaled = await runCli(['scale-down', f.service, '--force'], cli(ws.dir));
    expect(scaled.code).toBe(0);
    const standby = manifestText(f.service, { image: FIXTURE_AMI, mode: 'active' }, { image: FIXTURE_AMI, mode: 'standby' });
    expect(ws.manifest()).toBe(standby);

    // WHEN the rollback is run again (idempotent), then the manifest is synced
    const again = await runCli(['rollback', f.service], cli(ws.dir));
    const synced = await runCli(['sync-manifest', f.service], cli(ws.dir));

    // THEN neither flips green between standby and ready
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/standby -> ready/);
    expect(ws.manifest()).toBe(standby);
    expect(synced.code).toBe(0);
    expect(synced.stdout).toMatch(/is in step with AWS \(blue active, green standby\)\./);
  });
});

describe.concurrent('global flags', () => {
  it('--json before the command', async ({ expect }) => {
    const f = await createServiceFixture({ service: 'ops-json' });
    const ws = workspace(f.service);
    const run = await runCli(['--json', 'status', f.service], cli(ws.dir));
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ kind: 'status', service: f.service, live: 'blue' });
  });
});
