/**
 * Bad input, `--dry-run`, `status` and `stage`, end to end against moto; the dry-run API-call count also in-process
 * through `main` with an injected ApiCallCounter.
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createAwsClients, createAwsPorts } from '../../lib/aws';
import { ReleaseEngine } from '../../lib/release';
import { createServiceFixture, FIXTURE_AMI, FIXTURE_GREEN_IMAGE } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { FAST, jsonLines, manifestText, releaseState, removeWorkspaces, runCli, runMain, stateStore, workspace } from './harness';

const server = useMotoServer();
const cli = (cwd: string) => ({ env: server().childEnv(), cwd });

afterAll(removeWorkspaces);

beforeAll(async () => {
  await createServiceFixture({ service: 'cmd-warmup' });
});

/** Run `main` in this process with the given clients; collect the output and the clients' call counter. */
async function inProcess(argv: string[], cwd: string, clients = createAwsClients()) {
  return { ...(await runMain(argv, cwd, clients)), counter: clients.counter };
}

describe.concurrent('bad input', () => {
  /** Each case: arguments and the one line expected on stderr. `{svc}` is the fixture's service. */
  const SUBPROCESS_CASES: [string[], RegExp][] = [
    [['status', 'nosuch'], /^bluegreen: Unknown service 'nosuch': no SSM parameter \/bluegreen\/nosuch\/descriptor in eu-west-1\. Deploy the service first \(cdk deploy\) or check --region\.$/],
    [['release', '{svc}', '--steps', '50,25,100'], /^bluegreen: --steps: must be strictly increasing\. Got "50,25,100"\.$/],
    [['release', '{svc}', '--steps', '10,50'], /^bluegreen: --steps: must end at 100, where the candidate takes all traffic\. Got "10,50"\.$/],
    [['release', '{svc}', '--steps', '0,50,100'], /^bluegreen: --steps: each step must be a whole number from 1 to 100\. Got "0,50,100"\.$/],
    [['release', '{svc}', '--bake', '5'], /^bluegreen: --bake: needs a unit \(ms, s, m, h or d\), e\.g\. 90s or 2m\. Got "5"\.$/],
    [['release', '{svc}', '--frobnicate'], /^bluegreen: unknown flag --frobnicate for 'release'\. Its flags: --strategy, --steps, /],
    [['stage', '{svc}', '--image', FIXTURE_AMI, '--colour', 'blue'], /^bluegreen: --colour: blue is live \(blue 100 % \/ green 0 %\); stage onto the idle colour green\. Nothing was written\. Got "blue"\.$/],
  ];
  const IN_PROCESS_CASES: [string[], RegExp][] = [
    [['release', 'nosuch', ...FAST], /^bluegreen: Unknown service 'nosuch'/],
    [['release', '{svc}', '--steps', '50,150'], /^bluegreen: --steps: each step must be a whole number from 1 to 100\. Got "50,150"\.$/],
    [['release', '{svc}', '--bake', '2 minutes'], /^bluegreen: --bake: must be whole numbers with units ms, s, m, h or d/],
    [['release', '{svc}', '--poll', '30s'], /^bluegreen: --poll: must be from 100ms to 20s\. Got "30s"\.$/],
    [['stage', '{svc}', '--image', 'docker:web'], /^bluegreen: --image: unrecognised image reference; use an AMI id/],
    [['stage', '{svc}', '--image', 'ami-0123456789abcdef0'], /^bluegreen: --image: no such AMI in eu-west-1\. Nothing was written\. Got "ami-0123456789abcdef0"\.$/],
    [['stage', '{svc}', '--image', 'ssm:/nope/latest'], /^bluegreen: --image: no such SSM parameter in eu-west-1\. Nothing was written\. Got "ssm:\/nope\/latest"\.$/],
    [['stage', '{svc}', '--image', FIXTURE_AMI, '--manifest', 'missing.json'], /^bluegreen: --manifest: no release manifest at missing\.json; stage writes into it\./],
    [['release', '{svc}', ...FAST, '--manifest', 'missing.json'], /^bluegreen: --manifest: no file at missing\.json\. Fix the path, or leave --manifest out to use releases\/cmd-bad-inproc\.json\.$/],
    [['release', '{svc}', ...FAST, '--manifest', 'releases/other.json'], /^bluegreen: --manifest: releases\/other\.json is the manifest of service 'other', not 'cmd-bad-inproc'\. Pass --manifest releases\/cmd-bad-inproc\.json\.$/],
  ];

  for (const [mode, cases] of [['the CLI process', SUBPROCESS_CASES], ['main in-process', IN_PROCESS_CASES]] as const) {
    it(`gets a one-line message and exit 2 from ${mode}, and changes nothing: weights, record, manifest bytes`, async ({ expect }) => {
      // GIVEN
      const f = await createServiceFixture({ service: mode === 'the CLI process' ? 'cmd-bad' : 'cmd-bad-inproc' });
      const ws = workspace(f.service);
      fs.writeFileSync(path.join(ws.dir, 'releases', 'other.json'), manifestText('other'));
      const before = ws.manifest();
      const argsOf = (args: string[]) => args.map((a) => a.replace('{svc}', f.service));

      // WHEN
      const runs = await Promise.all(
        cases.map(([args]) => (mode === 'the CLI process' ? runCli(argsOf(args), cli(ws.dir)) : inProcess(argsOf(args), ws.dir))),
      );

      // THEN
      runs.forEach((run, i) => {
        const [args, message] = cases[i];
        expect({ args, code: run.code }).toEqual({ args, code: 2 });
        expect(run.stderr.endsWith('\n') && run.stderr.split('\n').length === 2, `one line for ${args.join(' ')}: ${run.stderr}`).toBe(true);
        expect(run.stderr.trimEnd()).toMatch(message);
        expect(run.stdout).toBe('');
      });
      expect(await f.weights()).toEqual({ blue: 100, green: 0 });
      expect(await f.weights('test')).toEqual({ blue: 0, green: 100 });
      expect(await releaseState(f)).toBeUndefined();
      expect(ws.manifest()).toBe(before);
    });
  }

  it('answers in JSON with --json: a result object with status error and exit code 2', async ({ expect }) => {
    const ws = workspace('cmd-badjson', null);
    const run = await runCli(['release', 'cmd-badjson', '--steps', '10,50', '--json'], cli(ws.dir));
    expect(run.code).toBe(2);
    expect(jsonLines(run.stdout)).toEqual([
      {
        kind: 'result',
        command: 'release',
        status: 'error',
        exitCode: 2,
        outcome: 'usage',
        error: 'UsageError',
        message: '--steps: must end at 100, where the candidate takes all traffic. Got "10,50".',
        warnings: [],
      },
    ]);
  });
});

describe.concurrent('--dry-run', () => {
  it('of release prints the plan and changes nothing; --json gives the plan and zero mutating calls', async ({ expect }) => {
    // GIVEN
    const f = await createServiceFixture({ service: 'cmd-dry' });
    const ws = workspace(f.service);
    const before = ws.manifest();

    // WHEN
    const [text, json] = await Promise.all([
      runCli(['release', f.service, '--steps', '25,100', '--bake', '1m', '--dry-run'], cli(ws.dir)),
      runCli(['release', f.service, '--steps', '25,100', '--bake', '1m', '--dry-run', '--json'], cli(ws.dir)),
    ]);

    // THEN
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Dry run, nothing was changed\. Plan to release cmd-dry: steps 25, 100 %, bake 1m per step\n/);
    expect(text.stdout).toMatch(/step 1\/2: record, set blue 75 % \/ green 25 %, read back/);
    expect(text.stdout).toMatch(/Would update releases\/cmd-dry\.json: green: image baked:web -> ami-12c6146b; green: mode ready -> active; blue: mode active -> ready\./);
    expect(text.stdout).toMatch(/Dry run: release would start, moving green from 0 to 100 % in 2 step\(s\)\.\n$/);
    const lines = jsonLines(json.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      kind: 'result',
      status: 'dry-run',
      dryRun: true,
      exitCode: 0,
      plan: { ready: true, stable: 'blue', candidate: 'green', minimumDurationMs: 120_000, steps: [{ step: 1, weights: { blue: 75, green: 25 } }, { step: 2 }] },
      manifest: { action: 'would-write' },
      apiCalls: { mutating: 0 },
    });
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await f.weights('test')).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toBeUndefined();
    expect(ws.manifest()).toBe(before);
  });

  it('makes no ModifyRule, UpdateAutoScalingGroup or PutItem call, for release and for rollback, scale-down, promote (counted in-process)', async ({ expect }) => {
    // GIVEN green released, blue kept ready
    const f = await createServiceFixture({ service: 'cmd-count' });
    const ws = workspace(f.service);
    const released = await inProcess(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], ws.dir);
    expect(released.code).toBe(0);
    const state = await releaseState(f);
    const manifest = ws.manifest();

    for (const args of [['release'], ['rollback'], ['scale-down', '--force'], ['promote', '--colour', 'blue'], ['abort'], ['resume']]) {
      // WHEN
      const run = await inProcess([args[0], f.service, ...args.slice(1), '--dry-run'], ws.dir);
      // THEN
      for (const [service, operation] of [['elbv2', 'ModifyRule'], ['autoscaling', 'UpdateAutoScalingGroup'], ['dynamodb', 'PutItem']]) {
        expect({ args, operation, calls: run.counter.count(service, operation) }).toEqual({ args, operation, calls: 0 });
      }
      expect(run.counter.count()).toBeGreaterThan(0);
    }
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toEqual(state);
    expect(ws.manifest()).toBe(manifest);
  });

  it('of rollback lists what it would do, as the engine would do it', async ({ expect }) => {
    // GIVEN
    const f = await createServiceFixture({ service: 'cmd-dryback' });
    const ws = workspace(f.service);
    expect((await runCli(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], cli(ws.dir))).code).toBe(0);

    // WHEN
    const run = await runCli(['rollback', f.service, '--dry-run'], cli(ws.dir));

    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /rollback cmd-dryback would:\n {2}1\. record release .* as rolled-back at step 1\/1 \(PutItem\)\n {2}2\. set the production weights to blue 100 % \/ green 0 % \(ModifyRule\), then read them back\n {2}3\. point the test route at green \(ModifyRule\)\n/,
    );
    expect(run.stdout).toMatch(/Would update releases\/cmd-dryback\.json: blue: mode ready -> active; green: mode active -> ready\./);
    expect(run.stdout).toMatch(/Dry run: rollback would end rolled-back \(exit 0\)/);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(f)).toMatchObject({ status: 'succeeded' });
  });
});

describe.concurrent('status', () => {
  it('shows the live colour, weights, healthy/total per colour, images and firing alarms, as text and as one JSON object', async ({ expect }) => {
    // GIVEN green's gate alarm fires
    const f = await createServiceFixture({ service: 'cmd-status' });
    await f.setGateState('green', 'ALARM');
    const ws = workspace(f.service);

    // WHEN
    const [text, json] = await Promise.all([runCli(['status', f.service], cli(ws.dir)), runCli(['status', f.service, '--json'], cli(ws.dir))]);

    // THEN
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout.split('\n').slice(0, 6)).toEqual([
      'cmd-status (eu-west-1): blue is live',
      '  production   blue 100 % / green 0 %; test route -> green',
      `  blue  live    100 %  2/2 healthy, desired 2  image ${FIXTURE_AMI}, deployed active  no alarm firing`,
      `  green idle      0 %  2/2 healthy, desired 2  image ${FIXTURE_GREEN_IMAGE} (${FIXTURE_AMI}), deployed ready  ALARM: cmd-status-green-gate`,
      '  release      none yet',
      `  manifest     releases/cmd-status.json: blue ${FIXTURE_AMI} active, green baked:web ready`,
    ]);
    const lines = jsonLines(json.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      kind: 'status',
      service: 'cmd-status',
      live: 'blue',
      weights: { blue: 100, green: 0 },
      testTarget: 'green',
      colours: {
        blue: { role: 'live', healthy: 2, total: 2, firingAlarms: [], image: FIXTURE_AMI, imageId: FIXTURE_AMI, manifest: { image: FIXTURE_AMI, mode: 'active' } },
        green: { role: 'idle', healthy: 2, total: 2, firingAlarms: ['cmd-status-green-gate'] },
      },
      release: null,
      scaleDownDue: false,
      warnings: [],
    });
  });

  it('shows a release in progress with its step, bake, ETA and gate verdict in the headline, and its owner and heartbeat', async ({ expect }) => {
    // GIVEN a release record at step 1 of 2, weights as it left them
    const f = await createServiceFixture({ service: 'cmd-inprog' });
    const now = Date.now();
    await stateStore(f).write(
      { releaseId: 'r-1', service: f.service, status: 'in-progress', stable: 'blue', candidate: 'green', steps: [50, 100], bakeMs: 60_000, stepIndex: 0, owner: 'ci:42', startedAt: now - 5_000, updatedAt: now - 3_000 },
      undefined,
    );
    await f.setWeights('production', { blue: 50, green: 50 });
    const ws = workspace(f.service);
    const before = ws.manifest();

    // WHEN
    const [text, json, stage] = await Promise.all([
      runCli(['status', f.service], cli(ws.dir)),
      runCli(['status', f.service, '--json'], cli(ws.dir)),
      runCli(['stage', f.service, '--image', FIXTURE_AMI], cli(ws.dir)),
    ]);

    // THEN
    expect(text.stdout).toMatch(
      /^cmd-inprog \(eu-west-1\): RELEASING green: step 1\/2 \(50 %\), baked ~\d+s of 1m, ETA ~\d\d:\d\d:\d\dZ; gate passing \(green 2\/2 healthy, no alarm firing\)\n/,
    );
    expect(text.stdout).toMatch(/ {2}release {6}r-1 IN PROGRESS: green at step 1\/2 \(50 %\), driven by ci:42, heartbeat \d+s ago \(lease 2m\)\n/);
    expect(jsonLines(json.stdout)[0]).toMatchObject({
      live: null,
      release: {
        releaseId: 'r-1',
        status: 'in-progress',
        inProgress: true,
        stale: false,
        owner: 'ci:42',
        progress: 'step 1/2 (50 %)',
        leaseMs: 120_000,
        live: { bakeMs: 60_000, bakedMs: expect.any(Number), etaUpperBound: false, gate: { passing: true } },
      },
    });
    // AND stage is refused while it runs (exit 3: the input is fine, the moment is not)
    expect(stage.code).toBe(3);
    expect(stage.stderr).toMatch(/^bluegreen: Not staged: release r-1 is in progress \(green at step 1\/2 \(50 %\)\)/);
    expect(ws.manifest()).toBe(before);
  });
});

describe.concurrent('stage', () => {
  it('writes the image onto the idle colour with mode ready, and nothing in AWS', async ({ expect }) => {
    // GIVEN green in standby in the manifest
    const f = await createServiceFixture({ service: 'cmd-stage' });
    const ws = workspace(f.service, `${JSON.stringify({ schemaVersion: 1, service: f.service, blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: 'baked:web', mode: 'standby' } })}\n`);

    // WHEN
    const run = await runCli(['stage', f.service, '--image', FIXTURE_AMI], cli(ws.dir));
    const again = await runCli(['stage', f.service, '--image', FIXTURE_AMI], cli(ws.dir));

    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Staged ami-12c6146b on green in releases\/cmd-stage\.json \(green: image baked:web -> ami-12c6146b; green: mode standby -> ready\)\. Next: commit it, cdk deploy/);
    expect(JSON.parse(ws.manifest())).toEqual({ schemaVersion: 1, service: f.service, blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: FIXTURE_AMI, mode: 'ready' } });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already staged on green/);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await releaseState(f)).toBeUndefined();
  });

  it('--dry-run prints the change and writes nothing', async ({ expect }) => {
    const f = await createServiceFixture({ service: 'cmd-stage2' });
    const ws = workspace(f.service);
    const before = ws.manifest();
    const dry = await runCli(['stage', f.service, '--image', 'baked:web2', '--dry-run'], cli(ws.dir));
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('Dry run: would write releases/cmd-stage2.json: green: image baked:web -> baked:web2.\n');
    expect(ws.manifest()).toBe(before);
  });
});

describe.concurrent('the manifest', () => {
  it('never holds up a rollback: a broken manifest gets a warning, the rollback goes ahead', async ({ expect }) => {
    // GIVEN green released, then the manifest broken by a bad merge
    const f = await createServiceFixture({ service: 'cmd-broken' });
    const ws = workspace(f.service);
    expect((await inProcess(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], ws.dir)).code).toBe(0);
    fs.writeFileSync(ws.manifestPath, '<<<<<<< HEAD\n');

    // WHEN
    const run = await inProcess(['rollback', f.service], ws.dir);

    // THEN
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^bluegreen: warning: --manifest: release manifest releases\/cmd-broken\.json: not valid JSON .* Rolling back anyway; the manifest will not be updated\.\n$/);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(ws.manifest()).toBe('<<<<<<< HEAD\n');
  });

  it('is refused before anything changes when a release would otherwise start', async ({ expect }) => {
    const f = await createServiceFixture({ service: 'cmd-broken2' });
    const ws = workspace(f.service, '{"schemaVersion": 1}\n');
    const run = await inProcess(['release', f.service, ...FAST], ws.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("bluegreen: --manifest: release manifest releases/cmd-broken2.json: 'service' must be the service name (a non-empty string), got undefined.\n");
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await releaseState(f)).toBeUndefined();
  });

  it('brings the manifest in step after a rollback the CLI did not make (the auto-rollback)', async ({ expect }) => {
    // GIVEN green released and recorded in the manifest
    const f = await createServiceFixture({ service: 'cmd-sync' });
    const ws = workspace(f.service);
    expect((await inProcess(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], ws.dir)).code).toBe(0);
    // AND the auto-rollback function (the same engine, owner auto-rollback) rolled it back
    const lambda = new ReleaseEngine(createAwsPorts(f.descriptor, createAwsClients(), { event: () => undefined }), { service: f.service, owner: 'auto-rollback' });
    expect((await lambda.rollback({ reason: 'gate cmd-sync-green-gate in ALARM' })).status).toBe('rolled-back');

    // WHEN
    const status = await runCli(['status', f.service], cli(ws.dir));
    const sync = await runCli(['sync-manifest', f.service], cli(ws.dir));
    const again = await inProcess(['sync-manifest', f.service], ws.dir);

    // THEN status says the manifest is stale, and sync-manifest fixes it once
    expect(status.stdout).toMatch(/rolled-back \(green over blue, \d+s ago by auto-rollback\): gate cmd-sync-green-gate in ALARM/);
    expect(status.stdout).toMatch(/warning: releases\/cmd-sync\.json puts the live colour blue in ready: it is out of step with AWS; run 'bluegreen sync-manifest cmd-sync'/);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/Updated releases\/cmd-sync\.json: blue: mode ready -> active; green: mode active -> ready\./);
    expect(JSON.parse(ws.manifest())).toMatchObject({ blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: FIXTURE_AMI, mode: 'ready' } });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('releases/cmd-sync.json is in step with AWS (blue active, green ready).\n');
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
  });
});
