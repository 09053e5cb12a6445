/**
 * Release hooks, approval and the expand/contract guard from the operator's side: the real CLI (`main`, in this
 * process) with the real engine and hook runners, against moto. Each test has a service of its own and runs
 * concurrently with the others.
 *
 * - Webhooks are served by this test on loopback over HTTP (`http://127.0.0.1:<port>/<verdict>`), which the
 *   webhook runner allows only with its test option: the CLI gets it through `CliIo.hookRunnerOptions`.
 * - Command hooks are a small sh script that appends its BLUEGREEN_* variables to a file and prints a line.
 * - moto cannot run Lambda functions without Docker: a loopback server stands in for exactly the Lambda Invoke call
 *   (AWS_ENDPOINT_URL_LAMBDA; everything else goes to moto), answering as the function would.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { AwsClients, createAwsClients } from '../../lib/aws';
import { hookIdempotencyKey, ReleaseHookDescriptor } from '../../lib/contract';
import { FAST, jsonLines, releaseState, removeWorkspaces, runMain, workspace } from '../cli/harness';
import { createServiceFixture, ServiceFixture } from './fixture';
import { MOTO_REGION, useMotoServer } from './moto-server';

useMotoServer();
afterAll(removeWorkspaces);

/** One request a loopback server got. */
interface Seen {
  readonly path: string;
  readonly key?: string;
  readonly body: Record<string, unknown>;
  /** Production weights of the service while the hook ran (read by the server before it answers). */
  readonly weights?: { blue: number; green: number };
}

let webhook: http.Server;
let webhookUrl = '';
const webhookSeen: Seen[] = [];
let lambda: http.Server;
const lambdaSeen: Seen[] = [];
/** What the stand-in Lambda function returns, by function name (the last part of its ARN). */
const lambdaAnswers = new Map<string, unknown>();
const fixtures = new Map<string, ServiceFixture>();
let savedLambdaEndpoint: string | undefined;
let scripts = '';
/** The command hook: records its BLUEGREEN_* variables (one JSON line per run) in $HOOK_LOG, prints a line, exits $1. */
let recorder = '';

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** Read a request's body, and the weights of the service it names, then answer. */
function serve(seen: Seen[], answer: (req: http.IncomingMessage, body: Record<string, unknown>) => { status: number; body: unknown }): http.Server {
  return http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      void (async () => {
        const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        const fx = fixtures.get(String(body.service));
        seen.push({ path: decodeURIComponent(req.url ?? ''), key: req.headers['idempotency-key'] as string | undefined, body, weights: fx ? await fx.weights() : undefined });
        const { status, body: out } = answer(req, body);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      })();
    });
  });
}

beforeAll(async () => {
  webhook = serve(webhookSeen, (req) => {
    const verdict = (req.url ?? '').split('/').pop();
    if (verdict === 'fail') return { status: 500, body: { error: 'smoke test failed: /checkout answered 502' } };
    if (verdict === 'inconclusive') return { status: 200, body: { verdict: 'inconclusive', detail: 'not enough traffic to judge' } };
    return { status: 200, body: {} };
  });
  lambda = serve(lambdaSeen, (req) => {
    const fn = /functions\/([^/]+)\/invocations/.exec(decodeURIComponent(req.url ?? ''))?.[1]?.split(':').pop() ?? '';
    return { status: 200, body: lambdaAnswers.get(fn) ?? null };
  });
  [webhookUrl] = await Promise.all([listen(webhook), listen(lambda).then((url) => {
    savedLambdaEndpoint = process.env.AWS_ENDPOINT_URL_LAMBDA;
    process.env.AWS_ENDPOINT_URL_LAMBDA = url;
  })]);
  scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'bluegreen-hooks-'));
  recorder = path.join(scripts, 'record.sh');
  fs.writeFileSync(
    recorder,
    [
      '#!/bin/sh',
      'node -e \'const e={};for(const[k,v]of Object.entries(process.env))if(k.startsWith("BLUEGREEN_")&&k!=="BLUEGREEN_EVENT")e[k]=v;console.log(JSON.stringify(e))\' >> "$HOOK_LOG"',
      'echo "hook $BLUEGREEN_HOOK at $BLUEGREEN_HOOK_POINT: key $BLUEGREEN_IDEMPOTENCY_KEY"',
      'exit "${1:-0}"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  // moto imports each service on first use: pay that once here.
  await createServiceFixture({ service: 'hk-warmup' });
});

afterAll(async () => {
  if (savedLambdaEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
  else process.env.AWS_ENDPOINT_URL_LAMBDA = savedLambdaEndpoint;
  for (const server of [webhook, lambda]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  fs.rmSync(scripts, { recursive: true, force: true });
});

const hook = (name: string, point: ReleaseHookDescriptor['point'], kind: ReleaseHookDescriptor['kind'], target: string, more: Partial<ReleaseHookDescriptor> = {}): ReleaseHookDescriptor => ({
  name,
  point,
  kind,
  target,
  timeoutSeconds: 5,
  retries: 0,
  contract: false,
  ...more,
});

/** A service of its own, with `releaseHooks` in its descriptor; a working directory with its manifest. */
async function service(name: string, releaseHooks?: ReleaseHookDescriptor[]) {
  const fx = await createServiceFixture({ service: name, releaseHooks });
  fixtures.set(name, fx);
  const ws = workspace(name);
  const log = path.join(ws.dir, 'hook-log.jsonl');
  /** The shell command of a command hook that records its run in this service's log and exits `code`. */
  const cmd = (code = 0) => `HOOK_LOG='${log}' '${recorder}' ${code}`;
  const runs = (): Array<Record<string, string>> => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>) : []);
  /** The CLI in this process, with fresh clients, allowing the loopback webhook. */
  const cli = async (...args: string[]) => {
    const clients: AwsClients = createAwsClients();
    try {
      const run = await runMain(args, ws.dir, clients, { hookRunnerOptions: { webhook: { allowInsecureLoopback: true } } });
      return { ...run, lines: args.includes('--json') ? jsonLines(run.stdout) : [] };
    } finally {
      clients.destroy();
    }
  };
  return { fx, ws, cmd, runs, cli };
}

describe.concurrent('bluegreen release with hooks', () => {
  it('runs a --pre-release-cmd once, before any weight moves, with the idempotency key and the release in its env; its output and the hook events are printed', async ({ expect }) => {
    // GIVEN
    const { fx, cmd, runs, cli } = await service('hk-pre');

    // WHEN
    const run = await cli('release', fx.service, '--steps', '50,100', ...FAST, '--pre-release-cmd', cmd());

    // THEN released
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await fx.weights()).toEqual({ blue: 0, green: 100 });
    const state = (await releaseState(fx))!;
    const key = hookIdempotencyKey(state.releaseId, 'cmd-pre-release', 'pre-release');
    // AND the command ran once, with the release's fields as variables, while blue had all traffic
    expect(runs()).toEqual([
      expect.objectContaining({
        BLUEGREEN_SERVICE: fx.service,
        BLUEGREEN_RELEASE_ID: state.releaseId,
        BLUEGREEN_HOOK: 'cmd-pre-release',
        BLUEGREEN_HOOK_POINT: 'pre-release',
        BLUEGREEN_IDEMPOTENCY_KEY: key,
        BLUEGREEN_ATTEMPT: '1',
        BLUEGREEN_STEPS: '2',
        BLUEGREEN_WEIGHT_BLUE: '100',
        BLUEGREEN_WEIGHT_GREEN: '0',
        BLUEGREEN_STABLE: 'blue',
        BLUEGREEN_CANDIDATE: 'green',
        BLUEGREEN_CONTRACT: 'false',
      }),
    ]);
    // AND the release record has its run, the command's text nowhere
    expect(state.hooks).toEqual([expect.objectContaining({ key, hook: 'cmd-pre-release', point: 'pre-release', kind: 'command', status: 'passed', attempts: 1 })]);
    expect(JSON.stringify(state)).not.toContain('record.sh');
    // AND the progress shows the hook, its output line with its prefix, and its verdict, before the first step
    const lines = run.stdout.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/Running pre-release hook cmd-pre-release \(command, key /)).toBeGreaterThan(-1);
    expect(lines).toContain(`  [cmd-pre-release] hook cmd-pre-release at pre-release: key ${key}`);
    expect(at(/pre-release hook cmd-pre-release passed/i)).toBeGreaterThan(at(/Running pre-release hook/));
    // AND the verdict does not repeat the output printed above it (nor does the record keep it)
    expect(lines.find((l) => /hook cmd-pre-release passed/i.test(l))).toMatch(/ pre-release hook cmd-pre-release passed: exit 0$/i);
    expect(state.hooks?.[0].detail).toBe('exit 0');
    expect(at(/Step 1\/2: green to 50 %/)).toBeGreaterThan(at(/pre-release hook cmd-pre-release passed/i));
  });

  it('aborts with nothing moved when a pre-release webhook fails after its retries: exit 1, the same idempotency key on every attempt', async ({ expect }) => {
    // GIVEN a webhook that answers 500, with one retry
    const { fx, cli } = await service('hk-prefail', [hook('smoke', 'pre-release', 'webhook', `${webhookUrl}/hk-prefail/fail`, { retries: 1 })]);

    // WHEN
    const run = await cli('release', fx.service, '--steps', '50,100', ...FAST);

    // THEN aborted: exit 1 (rolled back), nothing ever moved
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/pre-release hook smoke failed/i);
    expect(run.stderr).toMatch(/HTTP 500/);
    expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
    const state = (await releaseState(fx))!;
    expect(state).toMatchObject({ status: 'aborted', stepIndex: -1, reason: expect.stringMatching(/pre-release hook smoke failed/i) });
    expect(state.hooks).toEqual([expect.objectContaining({ hook: 'smoke', kind: 'webhook', status: 'failed', attempts: 2 })]);
    // AND the webhook got both attempts, with one key, while blue had all traffic
    const seen = webhookSeen.filter((s) => s.body.service === fx.service);
    expect(seen.map((s) => [s.path, s.key, s.body.attempt, s.weights])).toEqual([
      ['/hk-prefail/fail', hookIdempotencyKey(state.releaseId, 'smoke', 'pre-release'), 1, { blue: 100, green: 0 }],
      ['/hk-prefail/fail', hookIdempotencyKey(state.releaseId, 'smoke', 'pre-release'), 2, { blue: 100, green: 0 }],
    ]);
    expect(run.stdout).not.toMatch(/Step 1\/2/);
  });

  it('rolls back when a post-promotion webhook fails: exit 1, 100 % back on blue, and the --on-rollback-cmd runs after the rollback', async ({ expect }) => {
    // GIVEN
    const { fx, cmd, runs, cli } = await service('hk-post', [hook('smoke', 'post-promotion', 'webhook', `${webhookUrl}/hk-post/fail`)]);

    // WHEN
    const run = await cli('release', fx.service, '--steps', '50,100', ...FAST, '--on-rollback-cmd', cmd());

    // THEN rolled back to blue while it was warm
    expect(run.code).toBe(1);
    expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
    const state = (await releaseState(fx))!;
    expect(state).toMatchObject({ status: 'rolled-back', reason: expect.stringMatching(/post-promotion hook smoke failed/i) });
    // AND the webhook was called once green had all traffic
    expect(webhookSeen.filter((s) => s.body.service === fx.service).map((s) => [s.body.point, s.weights])).toEqual([['post-promotion', { blue: 0, green: 100 }]]);
    // AND the on-rollback command ran after it, once, with the weights of the rollback
    expect(runs()).toEqual([expect.objectContaining({ BLUEGREEN_HOOK: 'cmd-on-rollback', BLUEGREEN_HOOK_POINT: 'on-rollback', BLUEGREEN_WEIGHT_BLUE: '100', BLUEGREEN_WEIGHT_GREEN: '0' })]);
    expect(state.hooks?.map((h) => [h.hook, h.status])).toEqual([
      ['smoke', 'failed'],
      ['cmd-on-rollback', 'passed'],
    ]);
  });
});

describe.concurrent('approval', () => {
  it("--steps 10,pause,100 exits 8 at 10 %; status and wait show the pause; approve without the release's --step-cmd is refused, with it finishes", async ({ expect }) => {
    // GIVEN
    const { fx, cmd, runs, cli } = await service('hk-pause');

    // WHEN released with a pause before 100 % and a step hook
    const run = await cli('release', fx.service, '--steps', '10,pause,100', ...FAST, '--step-cmd', cmd());

    // THEN it waits at 10 %, exit 8, saying what to run
    expect(run.code).toBe(8);
    expect(run.stderr).toMatch(/awaits approval before step 2\/2 \(100 %\) at blue 90 % \/ green 10 %/);
    expect(run.stderr).toContain(`Next: bluegreen approve ${fx.service}, or bluegreen rollback ${fx.service}`);
    expect(await fx.weights()).toEqual({ blue: 90, green: 10 });
    expect(await releaseState(fx)).toMatchObject({ status: 'in-progress', stepIndex: 0, awaitingApproval: { beforeStep: 1, reason: 'pause' } });
    expect(runs().map((r) => [r.BLUEGREEN_HOOK, r.BLUEGREEN_STEP])).toEqual([['cmd-step', '1']]);

    // AND status shows the pause, the hook run; --json carries them
    const status = await cli('status', fx.service);
    expect(status.code).toBe(0);
    const state = (await releaseState(fx))!;
    expect(status.stdout).toMatch(new RegExp(`^${fx.service} \\(${MOTO_REGION}\\): AWAITING APPROVAL: green at step 1/2 \\(10 %\\), paused before step 2/2 \\(100 %\\) for \\d+s; gate passing`));
    expect(status.stdout).toMatch(
      new RegExp(`  release      ${state.releaseId} paused before step 2/2 \\(100 %\\) for \\d+s: approve with 'bluegreen approve ${fx.service}' or roll back \\('bluegreen rollback ${fx.service}'\\)`),
    );
    expect(status.stdout).toContain('  hook         cmd-step (command) at step 1/2: passed after 1 attempt: exit 0');
    expect(status.stdout).not.toMatch(/STALE|INTERRUPTED|warning/);
    const json = (await cli('status', fx.service, '--json')).lines.at(-1)!;
    expect(json.release).toMatchObject({
      awaitingApproval: { beforeStep: 2, percent: 100, reason: 'pause', waitingMs: expect.any(Number) },
      hooks: [{ hook: 'cmd-step', point: 'step', kind: 'command', step: 1, status: 'passed', attempts: 1 }],
      contracts: [],
      stale: false,
    });
    // AND wait does not wait for a person
    const waited = await cli('wait', fx.service);
    expect(waited.code).toBe(8);
    expect(waited.stderr).toMatch(/awaits approval at step 1\/2 \(10 %\)/);

    // WHEN approved without the step command the release was started with
    const refused = await cli('approve', fx.service, ...FAST.slice(2));
    // THEN refused, nothing changed, naming the flag
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/--step-cmd/);
    expect(await fx.weights()).toEqual({ blue: 90, green: 10 });

    // WHEN approved with it (--json: events, the hook's output as events, the result)
    const approved = await cli('approve', fx.service, ...FAST.slice(2), '--step-cmd', cmd(), '--json');
    // THEN it went on to 100 % and promoted: exit 0
    expect(approved.code).toBe(0);
    expect(await fx.weights()).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(fx)).toMatchObject({ status: 'succeeded', releaseId: state.releaseId });
    expect(approved.lines.at(-1)).toMatchObject({ kind: 'result', command: 'approve', status: 'succeeded', exitCode: 0, outcome: 'done' });
    const events = approved.lines.filter((l) => l.kind === 'event');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['approved', 'hook-started', 'hook-output', 'hook-passed', 'promoted']));
    expect(events.find((e) => e.type === 'hook-output')).toMatchObject({ hook: 'cmd-step', stream: 'stdout', line: expect.stringMatching(/^hook cmd-step at step: key /) });
    expect(events.find((e) => e.type === 'hook-passed')).toMatchObject({ hook: 'cmd-step', point: 'step', step: 2, attempt: 1 });
    expect(runs().map((r) => [r.BLUEGREEN_HOOK, r.BLUEGREEN_STEP])).toEqual([
      ['cmd-step', '1'],
      ['cmd-step', '2'],
    ]);
  });

  it('--pause-before with the canary strategy: the dry run lists the pause and the hooks, running none; the release pauses before 100 %; rollback ends the wait and runs its --on-rollback-cmd', async ({ expect }) => {
    // GIVEN
    const { fx, cmd, runs, cli } = await service('hk-canary');
    const dry = await cli('release', fx.service, '--canary', '20', ...FAST, '--pause-before', '100', '--pre-release-cmd', cmd(), '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/\d+\. run the pre-release hooks cmd-pre-release \(command, 30m timeout\): failed or inconclusive aborts the release with nothing moved/);
    expect(dry.stdout).toMatch(/\d+\. pause before step 2\/2: wait for approval at the current weight/);
    expect(dry.stdout).toMatch(/Shortest time to promotion: 2s, plus the wait for approval/);
    expect(runs()).toEqual([]);

    // WHEN
    const run = await cli('release', fx.service, '--canary', '20', ...FAST, '--pause-before', '100');

    // THEN
    expect(run.code).toBe(8);
    expect(await fx.weights()).toEqual({ blue: 80, green: 20 });
    const rolled = await cli('rollback', fx.service, '--on-rollback-cmd', cmd());
    expect(rolled.code).toBe(0);
    expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
    const state = (await releaseState(fx))!;
    expect(state).toMatchObject({ status: 'rolled-back' });
    expect(state.awaitingApproval).toBeUndefined();
    expect(runs().map((r) => [r.BLUEGREEN_HOOK, r.BLUEGREEN_WEIGHT_BLUE])).toEqual([['cmd-on-rollback', '100']]);
    expect(state.hooks?.map((h) => [h.hook, h.status])).toEqual([['cmd-on-rollback', 'passed']]);
  });

  it('a Lambda pre-promotion hook that answers inconclusive pauses before promotion (exit 8); approve promotes', async ({ expect }) => {
    // GIVEN a Lambda hook (its Invoke answered by the stand-in)
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:hk-lambda-analysis';
    lambdaAnswers.set('hk-lambda-analysis', { verdict: 'inconclusive', detail: 'p99 within 5 % of the baseline: judge it yourself' });
    const { fx, cli } = await service('hk-lambda', [hook('analysis', 'pre-promotion', 'lambda', fn)]);

    // WHEN
    const run = await cli('release', fx.service, '--steps', '50,100', ...FAST);

    // THEN it waits before promotion: pre-promotion hooks run before the step that makes green 100 %
    expect(run.code).toBe(8);
    expect(await fx.weights()).toEqual({ blue: 50, green: 50 });
    expect(run.stdout).toMatch(/pre-promotion hook analysis inconclusive: p99 within 5 % of the baseline/i);
    const state = (await releaseState(fx))!;
    expect(state).toMatchObject({ status: 'in-progress', stepIndex: 0, awaitingApproval: { beforeStep: 1, reason: 'inconclusive' } });
    // AND the function was invoked once with the hook event
    const invoked = lambdaSeen.filter((s) => s.body.service === fx.service);
    expect(invoked).toHaveLength(1);
    expect(invoked[0].path).toBe(`/2015-03-31/functions/${fn}/invocations`);
    expect(invoked[0].body).toMatchObject({
      releaseId: state.releaseId,
      point: 'pre-promotion',
      hook: 'analysis',
      idempotencyKey: hookIdempotencyKey(state.releaseId, 'analysis', 'pre-promotion'),
      attempt: 1,
      colours: { stable: 'blue', candidate: 'green' },
      contract: false,
    });
    const status = await cli('status', fx.service);
    expect(status.stdout).toMatch(/paused before step 2\/2 \(100 %\) for \d+s \(pre-promotion hook analysis was inconclusive \(p99 within 5 %.*\): approve with/);
    expect(status.stdout).toContain('  hook         analysis (lambda) at pre-promotion: inconclusive after 1 attempt: p99 within 5 % of the baseline: judge it yourself');

    // WHEN approved
    const approved = await cli('approve', fx.service);

    // THEN promoted, without calling the function again (the person judged it)
    expect(approved.code).toBe(0);
    expect(await fx.weights()).toEqual({ blue: 0, green: 100 });
    expect(await releaseState(fx)).toMatchObject({ status: 'succeeded' });
    expect(lambdaSeen.filter((s) => s.body.service === fx.service)).toHaveLength(1);
  });
});

describe.concurrent('bluegreen contract', () => {
  it('is refused right after promotion (exit 3, saying when), allowed once the old colour is in standby (scale-down --force): runs the contract webhook and --contract-cmd once', async ({ expect }) => {
    // GIVEN a release whose service declares a contract webhook
    const { fx, cmd, runs, cli } = await service('hk-contract', [hook('drop-name', 'post-promotion', 'webhook', `${webhookUrl}/hk-contract/ok`, { contract: true })]);
    // AND a contract command declared with the release (a command hook is never stored, so the release names it)
    const released = await cli('release', fx.service, '--steps', '100', ...FAST, '--contract-cmd', cmd());
    expect(released.code).toBe(0);
    // AND the release deferred both, without calling them
    expect(released.stdout).toMatch(/Contract hook drop-name deferred/);
    expect(released.stdout).toMatch(/Contract hook cmd-contract deferred/);
    expect(runs()).toEqual([]);
    expect(webhookSeen.filter((s) => s.body.service === fx.service)).toEqual([]);
    const state = (await releaseState(fx))!;
    const status = await cli('status', fx.service);
    expect(status.stdout).toMatch(
      new RegExp(`  contract     drop-name \\(webhook\\): deferred: allowed after ${state.scaleDownAt ? new Date(state.scaleDownAt).toISOString() : '?'} \\(in \\d+m\\d*s?\\), once 'bluegreen scale-down hk-contract'`),
    );

    // WHEN contract right away
    const early = await cli('contract', fx.service, '--contract-cmd', cmd());
    // THEN refused, nothing run, saying when it will be allowed
    expect(early.code).toBe(3);
    expect(early.stderr).toMatch(/Contract refused, nothing run: blue .* can still take traffic back until it is in standby\. Allowed after .* \(in \d+m/);
    expect(runs()).toEqual([]);

    // WHEN blue goes to standby, and a dry run first
    expect((await cli('scale-down', fx.service, '--force')).code).toBe(0);
    const dry = await cli('contract', fx.service, '--contract-cmd', cmd(), '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would run the contract hooks drop-name \(webhook\), cmd-contract \(command\)/);
    expect(runs()).toEqual([]);
    const allowed = await cli('status', fx.service, '--json');
    expect((allowed.lines.at(-1)!.release as { contracts: unknown[] }).contracts).toEqual([
      expect.objectContaining({ hook: 'drop-name', status: 'deferred', allowed: true }),
      expect.objectContaining({ hook: 'cmd-contract', status: 'deferred', allowed: true }),
    ]);

    // THEN contract runs both, once
    const done = await cli('contract', fx.service, '--contract-cmd', cmd());
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/Running contract hook cmd-contract \(command, key /);
    expect(webhookSeen.filter((s) => s.body.service === fx.service).map((s) => [s.body.hook, s.body.contract])).toEqual([['drop-name', true]]);
    expect(runs().map((r) => [r.BLUEGREEN_HOOK, r.BLUEGREEN_CONTRACT])).toEqual([['cmd-contract', 'true']]);
    expect((await releaseState(fx))?.contracts?.map((c) => [c.hook, c.status])).toEqual([
      ['drop-name', 'passed'],
      ['cmd-contract', 'passed'],
    ]);
    // AND again: nothing to run
    const again = await cli('contract', fx.service, '--contract-cmd', cmd());
    expect(again.code).toBe(0);
    expect(runs()).toHaveLength(1);
  });
});
