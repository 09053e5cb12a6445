/**
 * The flags of release hooks and approval, in-process and without AWS: pauses (`pause` in `--steps`,
 * `--pause-before`), command hooks (`--<point>-cmd`, `--hook-timeout`) on the commands that reach their point, and
 * `approve` / `contract`. Every bad value exits 2 with one line before any client is touched.
 */
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws';
import { parseCommandLine } from '../../lib/cli/args';
import { ReleaseOptions } from '../../lib/cli/commands/release';
import { EXIT_CODE_HELP, EXIT_CODES, exitCodeForOutcome, outcomeKind } from '../../lib/cli/exit-codes';
import { describePause, mergePauses, parsePauseBefore, parseStepsWithPauses } from '../../lib/cli/pauses';
import { runMain } from './harness';

/** Clients that fail the test if the CLI touches AWS at all. */
const NO_AWS = new Proxy({} as AwsClients, {
  get(_, prop) {
    throw new Error(`AWS touched: clients.${String(prop)}`);
  },
});

function run(...argv: string[]) {
  return runMain(argv, '/nonexistent', NO_AWS);
}

/** A command line's own options. */
function options<O>(...argv: string[]): O {
  const line = parseCommandLine(argv);
  if (line.kind !== 'run') throw new Error('expected a command');
  return line.parsed.options as O;
}

describe('pause in --steps', () => {
  it.each([
    ['10,25,50,pause,100', [10, 25, 50, 100], [3]],
    ['10, pause ,50,PAUSE,100%', [10, 50, 100], [1, 2]],
    ['pause,50,100', [50, 100], [0]],
    ['10,50,100', [10, 50, 100], []],
  ])('%s: steps %j, pauses before the steps at %j (0-based)', (text, steps, pauseBefore) => {
    expect(parseStepsWithPauses(text)).toEqual({ steps, pauseBefore });
  });

  it('fills ReleaseRequest.pauseBefore from release --steps, merged with --pause-before', () => {
    expect(options<ReleaseOptions>('release', 'web', '--steps', '10,pause,100').pauseBefore).toEqual([1]);
    expect(options<ReleaseOptions>('release', 'web', '--steps', '10,pause,50,100', '--pause-before', '100,50').pauseBefore).toEqual([1, 2]);
    expect(options<ReleaseOptions>('release', 'web', '--steps', '10,50,100').pauseBefore).toBeUndefined();
  });
});

describe('--pause-before', () => {
  it('takes step weights of any strategy', () => {
    expect(options<ReleaseOptions>('release', 'web', '--pause-before', '100').pauseBefore).toEqual([4]);
    expect(options<ReleaseOptions>('release', 'web', '--canary', '20', '--pause-before', '100%').pauseBefore).toEqual([1]);
    expect(options<ReleaseOptions>('release', 'web', '--linear', '25', '--pause-before', '50,100').pauseBefore).toEqual([1, 3]);
    expect(options<ReleaseOptions>('release', 'web', '--strategy', 'all-at-once', '--pause-before', '100').pauseBefore).toEqual([0]);
  });

  it('keeps each step once, in order', () => {
    expect(parsePauseBefore('100,50,100', [10, 50, 100])).toEqual([1, 2]);
    expect(mergePauses([2], [0, 2], undefined)).toEqual([0, 2]);
    expect(mergePauses(undefined, [])).toBeUndefined();
    expect(describePause(2, [10, 50, 100])).toBe('before step 3/3 (100 %)');
  });
});

describe('hook flags', () => {
  it('gives release, resume and approve every release point, promote post-promotion and on-rollback, rollback and abort on-rollback, contract --contract-cmd', () => {
    const all = ['--pre-release-cmd', 'a', '--step-cmd', 'b', '--pre-promotion-cmd', 'c', '--post-promotion-cmd', 'd', '--on-rollback-cmd', 'e', '--hook-timeout', '10m'];
    const commands = { 'pre-release': 'a', step: 'b', 'pre-promotion': 'c', 'post-promotion': 'd', 'on-rollback': 'e' };
    for (const command of ['release', 'resume', 'approve']) {
      expect(options<{ hooks: unknown }>(command, 'web', ...all).hooks).toEqual({ commands, timeoutMs: 600_000 });
    }
    expect(options<{ hooks: unknown }>('promote', 'web', '--post-promotion-cmd', 'd', '--on-rollback-cmd', 'e').hooks).toEqual({ commands: { 'post-promotion': 'd', 'on-rollback': 'e' } });
    for (const command of ['rollback', 'abort']) {
      expect(options<{ hooks: unknown }>(command, 'web', '--on-rollback-cmd', './undo.sh').hooks).toEqual({ commands: { 'on-rollback': './undo.sh' } });
    }
    expect(options<{ hooks: unknown }>('contract', 'web', '--contract-cmd', './drop.sh', '--hook-timeout', '2h').hooks).toEqual({ commands: { contract: './drop.sh' }, timeoutMs: 7_200_000 });
    expect(options<{ hooks: unknown }>('release', 'web').hooks).toEqual({ commands: {} });
  });

  it('lists the flags in help with what a failure does', async () => {
    const { stdout } = await run('release', '--help');
    expect(stdout).toMatch(/--pre-release-cmd <'\.\/migrate\.sh expand'>\s+a local command \(sh -c, the release in BLUEGREEN_\* variables\) run once before any weight moves/);
    expect(stdout).toMatch(/--pause-before <100>\s+step weights to pause before/);
    expect(stdout).toMatch(/--hook-timeout <10m>\s+time one attempt of a --\*-cmd command may take, 1s to 12h \(default 30m\)/);
    expect((await run('contract', '--help')).stdout).toMatch(/Exit codes: 0 done, or nothing to run; 3 refused, nothing run/);
  });
});

describe('bad hook and pause flags exit 2 with one line and no AWS call', () => {
  const cases: [string[], string][] = [
    [['release', 'web', '--steps', '10,50,100,pause'], `--steps: ends with 'pause', which has no step after it to wait before (the release is promoted at 100 %); put it before a step, e.g. 10,50,pause,100. Got "10,50,100,pause".`],
    [['release', 'web', '--steps', '10,pause,pause,100'], `--steps: has 'pause' twice in a row; one pause waits for one approval, so give it once, e.g. 10,50,pause,100. Got "10,pause,pause,100".`],
    [['release', 'web', '--steps', '10,wait,pause,100'], `--steps: 'wait' is neither a whole number nor 'pause'; give comma-separated percentages, e.g. 10,25,50,pause,100. Got "10,wait,pause,100".`],
    [['release', 'web', '--steps', '50,pause,20,100'], '--steps: must be strictly increasing. Got "50,pause,20,100".'],
    [['release', 'web', '--steps', 'pause'], `--steps: ends with 'pause', which has no step after it to wait before (the release is promoted at 100 %); put it before a step, e.g. 10,50,pause,100. Got "pause".`],
    [['release', 'web', '--steps', '10,50,100', '--pause-before', '75'], '--pause-before: 75 is not one of the release\'s steps (10, 50, 100); give the weight of the step to pause before, e.g. --pause-before 100. Got "75".'],
    [['release', 'web', '--canary', '20', '--pause-before', '50'], '--pause-before: 50 is not one of the release\'s steps (20, 100); give the weight of the step to pause before, e.g. --pause-before 100. Got "50".'],
    [['release', 'web', '--pause-before', 'last'], '--pause-before: \'last\' is not a whole number; give comma-separated step weights to pause before, among the steps (10, 25, 50, 75, 100), e.g. --pause-before 100. Got "last".'],
    [['release', 'web', '--pause-before', ''], '--pause-before: \'\' is not a whole number; give comma-separated step weights to pause before, among the steps (10, 25, 50, 75, 100), e.g. --pause-before 100. Got "".'],
    [['release', 'web', '--pre-release-cmd', ' '], '--pre-release-cmd: must be a shell command, e.g. --pre-release-cmd \'./migrate.sh expand\'. Got " ".'],
    [['release', 'web', '--step-cmd'], "--step-cmd needs a value, e.g. --step-cmd './analyse.sh'. Run 'bluegreen release --help'."],
    [['release', 'web', '--hook-timeout', '5m'], '--hook-timeout: applies only to command hooks; give one (--pre-release-cmd, --step-cmd, --pre-promotion-cmd, --post-promotion-cmd, --on-rollback-cmd, --contract-cmd) or leave it out (declared hooks have their own timeout). Got "5m".'],
    [['release', 'web', '--step-cmd', 'x', '--hook-timeout', '13h'], '--hook-timeout: must be from 1s to 12h. Got "13h".'],
    [['release', 'web', '--step-cmd', 'x', '--hook-timeout', '30'], '--hook-timeout: needs a unit (ms, s, m, h or d), e.g. 90s or 2m. Got "30".'],
    [['contract', 'web', '--hook-timeout', '5m'], '--hook-timeout: applies only to command hooks; give one (--contract-cmd) or leave it out (declared hooks have their own timeout). Got "5m".'],
    [['rollback', 'web', '--step-cmd', 'x'], "unknown flag --step-cmd for 'rollback'. Its flags: --reason, --take-over, --on-rollback-cmd, --hook-timeout, --json, --dry-run, --region, --profile, --manifest, --help. Run 'bluegreen rollback --help'."],
    [['promote', 'web', '--pre-release-cmd', 'x'], "unknown flag --pre-release-cmd for 'promote'. Its flags: --colour, --scale-down-delay, --yes, --post-promotion-cmd, --on-rollback-cmd, --hook-timeout, --json, --dry-run, --region, --profile, --manifest, --help. Run 'bluegreen promote --help'."],
    [['contract', 'web', '--pre-release-cmd', 'x'], "unknown flag --pre-release-cmd for 'contract'. Its flags: --contract-cmd, --hook-timeout, --json, --dry-run, --region, --profile, --manifest, --help. Run 'bluegreen contract --help'."],
    [['approve', 'web', '--pause-before', '100'], "unknown flag --pause-before for 'approve'. Its flags: --poll, --scale-down-delay, --pre-release-cmd, --step-cmd, --pre-promotion-cmd, --post-promotion-cmd, --on-rollback-cmd, --contract-cmd, --hook-timeout, --json, --dry-run, --region, --profile, --manifest, --help. Run 'bluegreen approve --help'."],
    [['approve'], 'missing <service>: bluegreen approve <service> [flags], e.g. bluegreen approve web.'],
  ];
  it.each(cases)('%j', async (argv, message) => {
    expect(await run(...argv)).toEqual({ code: 2, stdout: '', stderr: `bluegreen: ${message}\n` });
  });
});

describe('exit code 8', () => {
  it('is awaiting-approval, from the outcome of the same name, and in --help', () => {
    expect(EXIT_CODES['awaiting-approval']).toBe(8);
    expect(outcomeKind(8)).toBe('awaiting-approval');
    expect(exitCodeForOutcome({ status: 'awaiting-approval', exitCode: 1, message: '' })).toBe(8);
    expect(EXIT_CODE_HELP).toContain('  8  awaiting approval: the release paused at its current weight, still guarded: approve or rollback');
  });
});
