/**
 * CommandHookRunner with a real `sh`: exit codes, the environment, output, and the kill at the timeout.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandHookRunner, HookOutputLine } from '../../lib/aws/hooks';
import { HOOK_COMMAND_ENV } from '../../lib/contract';
import { eventOf, hookOf } from './events';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hook-cmd-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const hook = hookOf('cmd-step', 'command');
const event = eventOf(hook);

function run(command: string, timeoutMs = 3_000, options: ConstructorParameters<typeof CommandHookRunner>[1] = {}) {
  return new CommandHookRunner({ 'cmd-step': command }, options).run(hook, event, timeoutMs);
}

/** Whether `pid` is gone (or a zombie waiting to be reaped: it runs nothing any more). */
function gone(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

async function eventually(check: () => boolean, ms = 2_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('CommandHookRunner', () => {
  it('passes on exit 0; the detail is the exit only', async () => {
    expect(await run('echo migrated 3 tables')).toEqual({ verdict: 'passed', detail: 'exit 0' });
  });

  it(`is inconclusive on exit 3 and fails on exit 1`, async () => {
    expect(await run('echo borderline; exit 3')).toEqual({ verdict: 'inconclusive', detail: 'exit 3 (inconclusive)' });
    expect(await run('echo "no such column" >&2; exit 1')).toEqual({ verdict: 'failed', detail: 'exit 1' });
  });

  it('never puts output in the detail, which the release record keeps and status readers can read', async () => {
    // WHEN the command prints what migration tools often print
    const result = await run('echo "connecting to postgres://app:s3cret@db:5432/shop"; exit 1');

    // THEN the detail is the exit only
    expect(result).toEqual({ verdict: 'failed', detail: 'exit 1' });
  });

  it('streams each line to the output callback as it comes, a last line without a line break included', async () => {
    const seen: HookOutputLine[] = [];
    await run('echo one; echo two >&2; printf three', 3_000, { onOutput: (l) => seen.push(l) });
    expect(seen).toEqual(
      expect.arrayContaining([
        { hook: 'cmd-step', stream: 'stdout', line: 'one' },
        { hook: 'cmd-step', stream: 'stderr', line: 'two' },
        { hook: 'cmd-step', stream: 'stdout', line: 'three' },
      ]),
    );
    expect(seen).toHaveLength(3);
  });

  it("gives the command the event's fields as environment variables, and no stale ones of the parent", async () => {
    // GIVEN a pre-release event (no step), run from a process whose environment has a BLUEGREEN_STEP of its own
    const pre = hookOf('cmd-pre-release', 'command', { point: 'pre-release' });
    const preEvent = eventOf(pre);
    const out = path.join(tmp, 'env.json');
    const runner = new CommandHookRunner(
      { 'cmd-pre-release': `node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.env))' ${out}` },
      { env: { ...process.env, [HOOK_COMMAND_ENV.STEP]: '7', KEPT: 'yes' } },
    );

    // WHEN it runs
    expect((await runner.run(pre, preEvent, 5_000)).verdict).toBe('passed');

    // THEN every field is there, the JSON event too, the parent's own variables are kept, and STEP is absent
    const env = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, string>;
    const E = HOOK_COMMAND_ENV;
    expect(env).toMatchObject({
      [E.SERVICE]: 'web',
      [E.RELEASE_ID]: 'r-1',
      [E.POINT]: 'pre-release',
      [E.HOOK]: 'cmd-pre-release',
      [E.IDEMPOTENCY_KEY]: 'r-1:cmd-pre-release:pre-release',
      [E.ATTEMPT]: '1',
      [E.STEPS]: '3',
      [E.WEIGHT_BLUE]: '50',
      [E.WEIGHT_GREEN]: '50',
      [E.STABLE]: 'blue',
      [E.CANDIDATE]: 'green',
      [E.STABLE_IMAGE]: 'ami-blue',
      [E.CANDIDATE_IMAGE]: 'ami-green',
      [E.CONTRACT]: 'false',
      KEPT: 'yes',
    });
    expect(JSON.parse(env[E.EVENT])).toEqual(preEvent);
    expect(env[E.STEP]).toBeUndefined();
  });

  it('gives a step hook its step', async () => {
    // The command passes only when it sees step 2 of 3
    expect(await run(`test "$${HOOK_COMMAND_ENV.STEP} of $${HOOK_COMMAND_ENV.STEPS}" = "2 of 3"`)).toEqual({ verdict: 'passed', detail: 'exit 0' });
  });

  it('kills the whole process group at the timeout and fails the attempt', async () => {
    // GIVEN a command whose own child (a background sleep) would outlive it
    const pidFile = path.join(tmp, 'sleep.pid');
    const started = Date.now();

    // WHEN it runs past its timeout
    const result = await run(`echo starting; sleep 30 & echo $! > ${pidFile}; wait`, 300);

    // THEN the attempt failed at the timeout, and the background sleep is gone too
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toEqual({ verdict: 'failed', detail: 'timed out after 0.3s: its process group was killed' });
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(await eventually(() => gone(pid))).toBe(true);
  });

  it('sends SIGKILL after the grace when the command ignores SIGTERM', async () => {
    const started = Date.now();
    const result = await run("trap '' TERM; sleep 30", 200, { killGraceMs: 200 });
    expect(result.verdict).toBe('failed');
    expect(result.detail).toMatch(/^timed out after 0\.2s/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails on a signal, and refuses a hook it was given no command for, naming the flag', async () => {
    expect(await run('kill -KILL $$')).toEqual({ verdict: 'failed', detail: 'killed by SIGKILL' });
    await expect(new CommandHookRunner({}).run(hook, event, 1_000)).rejects.toThrow(/cmd-step has no command: .*--step-cmd/);
  });

  it("kills a running command's process group when this process exits", async () => {
    // GIVEN a process that starts a long command hook and exits while it runs
    const pidFile = path.join(tmp, 'orphan.pid');
    const script = [
      "const { CommandHookRunner } = require('./lib/aws/hooks/command-hook-runner');",
      `const hook = { name: 'cmd-step', point: 'step', kind: 'command', timeoutMs: 60000, retries: 0, contract: false };`,
      `const event = ${JSON.stringify(event)};`,
      `new CommandHookRunner({ 'cmd-step': 'echo $$ > ${pidFile}; sleep 30' }).run(hook, event, 60000);`,
      `const wait = () => require('fs').existsSync('${pidFile}') && require('fs').readFileSync('${pidFile}', 'utf8').endsWith('\\n') ? process.exit(0) : setTimeout(wait, 20);`,
      'wait();',
    ].join('\n');
    execFileSync(path.join('node_modules', '.bin', 'tsx'), ['-e', script], { cwd: path.join(__dirname, '..', '..'), timeout: 10_000 });

    // THEN the command's shell is gone with it
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(await eventually(() => gone(pid))).toBe(true);
  });

  it('rejects when sh cannot start', async () => {
    const runner = new CommandHookRunner({ 'cmd-step': 'true' }, { cwd: path.join(tmp, 'no-such-dir') });
    await expect(runner.run(hook, event, 1_000)).rejects.toThrow(/could not start sh/);
  });
});
