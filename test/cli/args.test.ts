/**
 * Argument parsing, in-process and without AWS: every bad command line exits 2 with one line, before any client
 * is touched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws';
import { main } from '../../lib/cli';
import { parseCommandLine } from '../../lib/cli/args';
import { GlobalOptions } from '../../lib/cli/command';
import { ReleaseOptions } from '../../lib/cli/commands/release';
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

/** A `release` command line's global flags and options, side by side. */
function parsed(...argv: string[]): GlobalOptions & ReleaseOptions {
  const line = parseCommandLine(argv);
  if (line.kind !== 'run') throw new Error('expected a command');
  return { ...line.parsed.global, ...(line.parsed.options as ReleaseOptions) };
}

describe('bad command lines exit 2 with one line on stderr and no AWS call', () => {
  const cases: [string[], string][] = [
    [[], "bluegreen: give a command: bluegreen <command> <service> [flags]. Commands: status, wait, stage, release, approve, resume, promote, rollback, abort, scale-down, contract, sync-manifest, dr, quarantine, flags. Run 'bluegreen --help'."],
    [['deploy', 'web'], 'bluegreen: unknown command "deploy". Commands: status, wait, stage, release, approve, resume, promote, rollback, abort, scale-down, contract, sync-manifest, dr, quarantine, flags. Run \'bluegreen --help\'.'],
    [['--force', 'status', 'web'], 'bluegreen: give the command first, e.g. \'bluegreen status web\'. Got "--force" before any command; only --json, --dry-run, --region, --profile, --manifest may come before it.'],
    [['status'], 'bluegreen: missing <service>: bluegreen status <service> [flags], e.g. bluegreen status web.'],
    [['status', 'web', 'shop'], 'bluegreen: status: takes one service; unexpected argument "shop". Got ["web","shop"].'],
    [['status', 'Web_1'], 'bluegreen: service: must be lower-case letters, digits and hyphens, start with a letter, and be at most 32 characters. Got "Web_1".'],
    [['status', 'web', '--force'], "bluegreen: unknown flag --force for 'status'. Its flags: --watch, --interval, --json, --dry-run, --region, --profile, --manifest, --help. Run 'bluegreen status --help'."],
    [['status', 'web', '-x'], "bluegreen: unknown flag -x for 'status'. Its flags: --watch, --interval, --json, --dry-run, --region, --profile, --manifest, --help. Run 'bluegreen status --help'."],
    [['release', 'web', '--steps'], "bluegreen: --steps needs a value, e.g. --steps 10,25,50,100. Run 'bluegreen release --help'."],
    [['release', 'web', '--json=yes'], "bluegreen: --json takes no value. Run 'bluegreen release --help'."],
    [['release', 'web', '--steps', ''], 'bluegreen: --steps: give comma-separated percentages ending at 100, e.g. 10,25,50,100. Got "".'],
    [['release', 'web', '--steps', '10,x,100'], "bluegreen: --steps: 'x' is not a whole number; give comma-separated percentages, e.g. 10,25,50,100. Got \"10,x,100\"."],
    [['release', 'web', '--steps', '10,10,100'], 'bluegreen: --steps: must be strictly increasing. Got "10,10,100".'],
    [['release', 'web', '--steps', '10,50,101'], 'bluegreen: --steps: each step must be a whole number from 1 to 100. Got "10,50,101".'],
    [['release', 'web', '--bake', '25h'], 'bluegreen: --bake: must be from 0s to 24h. Got "25h".'],
    [['release', 'web', '--bake', '1m1h'], 'bluegreen: --bake: must give each unit once, largest first, e.g. 1h30m. Got "1m1h".'],
    [['release', 'web', '--poll', '50ms'], 'bluegreen: --poll: must be from 100ms to 20s. Got "50ms".'],
    [['release', 'web', '--scale-down-delay', '3w'], 'bluegreen: --scale-down-delay: must be whole numbers with units ms, s, m, h or d, e.g. 500ms, 90s, 2m, 1h30m, 2d. Got "3w".'],
    [['release', 'web', '--strategy', 'bluegreen'], "bluegreen: --strategy: must be 'steps', 'canary', 'linear' or 'all-at-once'. Got \"bluegreen\"."],
    [['release', 'web', '--canary', '100'], 'bluegreen: --canary: must be a whole number from 1 to 99. Got "100".'],
    [['release', 'web', '--linear', '0'], 'bluegreen: --linear: must be a whole number from 1 to 100. Got "0".'],
    [['release', 'web', '--strategy', 'canary', '--steps', '10,100'], 'bluegreen: --steps: does not apply to the canary strategy, which takes --canary, --bake. Got "10,100".'],
    [['release', 'web', '--linear', '20', '--bake', '1m'], 'bluegreen: --bake: does not apply to the linear strategy, which takes --linear, --interval. Linear steps bake for --interval. Got "1m".'],
    [['release', 'web', '--interval', '1m', '--steps', '10,100'], 'bluegreen: --steps: does not apply to the linear strategy, which takes --linear, --interval. Got "10,100".'],
    [['release', 'web', '--region', 'Europe'], 'bluegreen: --region: must be a Region name such as eu-west-1. Got "Europe".'],
    [['promote', 'web', '--colour', 'red'], "bluegreen: --colour: must be 'blue' or 'green'. Got \"red\"."],
    [['stage', 'web'], 'bluegreen: stage needs --image <ami-...|ssm:<parameter>|baked:<image name>>, e.g. --image baked:web.'],
    [['stage', 'web', '--image', 'ami-XYZ'], 'bluegreen: --image: malformed AMI id: expected \'ami-\' and 8 or 17 lower-case hex digits, e.g. ami-0123456789abcdef0. Got "ami-XYZ".'],
    [['stage', 'web', '--image', 'baked:Web'], 'bluegreen: --image: malformed baked image name: lower-case letters, digits and hyphens, starting with a letter, e.g. baked:web. Got "baked:Web".'],
    [['stage', 'web', '--image', 'ssm:'], 'bluegreen: --image: malformed SSM parameter name: use a path such as ssm:/images/web/latest. Got "ssm:".'],
    [['rollback', 'web', '--reason', ''], 'bluegreen: --reason: must not be empty. Got "".'],
    [['promote', 'web', '--color', 'red'], "bluegreen: --color: must be 'blue' or 'green'. Got \"red\"."],
    [['promote', 'web', '--color'], "bluegreen: --color needs a value, e.g. --color green. Run 'bluegreen promote --help'."],
    [['stage', 'web', '--image', 'baked:web', '--colour', 'blue', '--color', 'green'], 'bluegreen: --color: is another spelling of --colour, which says "blue"; give one of them. Got "green".'],
    [['status', 'web', '--interval', '10s'], 'bluegreen: --interval: applies only with --watch, e.g. status web --watch --interval 10s. Got "10s".'],
    [['release', 'web', '--bake', '-5m'], 'bluegreen: --bake: is a negative duration; give a positive value, e.g. --bake 5m. Got "-5m".'],
    [['release', 'web', '--bake=-5m'], 'bluegreen: --bake: is a negative duration; give a positive value, e.g. --bake 5m. Got "-5m".'],
    [['release', 'web', '--canary', '-5'], 'bluegreen: --canary: is a negative number; give a positive value, e.g. --canary 5. Got "-5".'],
    [['wait', 'web', '--timeout', '-30m'], 'bluegreen: --timeout: is a negative duration; give a positive value, e.g. --timeout 30m. Got "-30m".'],
    [['status', 'web', '--watch', '--interval', '500ms'], 'bluegreen: --interval: must be from 1s to 5m. Got "500ms".'],
    [['status', 'web', '--watch', '--interval', '10m'], 'bluegreen: --interval: must be from 1s to 5m. Got "10m".'],
    [['wait', 'web', '--timeout', '0s'], 'bluegreen: --timeout: must be from 1s to 48h. Got "0s".'],
    [['wait', 'web', '--timeout', '49h'], 'bluegreen: --timeout: must be from 1s to 48h. Got "49h".'],
    [['wait', 'web', '--interval', '50ms'], 'bluegreen: --interval: must be from 100ms to 5m. Got "50ms".'],
    [['wait', 'web', '--interval', '2h'], 'bluegreen: --interval: must be from 100ms to 5m. Got "2h".'],
    [['--dry-run', '--bogus', 'status', 'web'], 'bluegreen: give the command first, e.g. \'bluegreen status web\'. Got "--bogus" before any command; only --json, --dry-run, --region, --profile, --manifest may come before it.'],
    [['status', 'web', '--color', 'blue'], "bluegreen: unknown flag --color for 'status'. Its flags: --watch, --interval, --json, --dry-run, --region, --profile, --manifest, --help. Run 'bluegreen status --help'."],
  ];
  it.each(cases)('%j', async (argv, message) => {
    // WHEN
    const result = await run(...argv);
    // THEN
    expect(result).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });

  it('answers with a JSON result object when --json is anywhere on the line', async () => {
    const result = await run('release', 'web', '--steps', '10,50', '--json');
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      kind: 'result',
      command: 'release',
      status: 'error',
      exitCode: 2,
      outcome: 'usage',
      error: 'UsageError',
      message: '--steps: must end at 100, where the candidate takes all traffic. Got "10,50".',
      warnings: [],
    });
  });

  it('reports any other error in one line with exit 6 (failed), and a stack trace only with BLUEGREEN_DEBUG=1', async () => {
    // GIVEN clients whose first call fails with an error that is not AWS's
    const ssm = { config: { region: async () => 'eu-west-1' }, send: async () => Promise.reject(new TypeError('undefined is not a function\n  (in the descriptor)')) };
    const failing = { get: () => ssm, created: () => [], destroy: () => undefined, onRetry: () => () => undefined } as unknown as AwsClients;
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, isTTY: false, cwd: '/', clients: failing };
    // WHEN / THEN
    expect(await main(['status', 'web'], { ...io, env: {} })).toBe(6);
    expect(stderr).toBe('bluegreen: undefined is not a function (in the descriptor)\n');
    stderr = '';
    expect(await main(['status', 'web'], { ...io, env: { BLUEGREEN_DEBUG: '1' } })).toBe(6);
    expect(stderr).toMatch(/^bluegreen: undefined is not a function \(in the descriptor\)\nTypeError: undefined is not a function\n {2}\(in the descriptor\)\n {4}at /);
  });

  it('reports a missing Region as bad input (exit 2)', async () => {
    const noRegion = { get: () => ({ config: { region: async () => Promise.reject(new Error('Region is missing')) } }) } as unknown as AwsClients;
    let stderr = '';
    const code = await main(['status', 'web'], { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, isTTY: false, cwd: '/', env: {}, clients: noRegion });
    expect(code).toBe(2);
    expect(stderr).toBe('bluegreen: No AWS region configured. Pass --region or set AWS_REGION (or a region in your AWS profile).\n');
  });
});

describe('help', () => {
  it.each([['--help'], ['-h'], ['help'], ['help', 'release'], ['release', '--help'], ['status', 'web', '-h']])('%j exits 0 with usage on stdout', async (...argv) => {
    const result = await run(...argv);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^(bluegreen: release blue\/green|Usage: bluegreen (release|status) <service> \[flags\])/);
  });

  it('shows --color beside --colour', async () => {
    const { stdout } = await run('promote', '--help');
    expect(stdout).toMatch(/^ {2}--colour, --color <green> +with no release in progress/m);
  });

  it('lists every flag of a command with its default', async () => {
    const { stdout } = await run('release', '--help');
    for (const flag of ['--strategy', '--steps', '--bake', '--canary', '--linear', '--interval', '--poll', '--scale-down-delay', '--json', '--dry-run', '--region', '--manifest']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('(default 10,25,50,75,100)');
  });
});

describe('--version', () => {
  it("prints package.json's version from source (the bundle has it built in)", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(await run('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('--color', () => {
  it.each([
    [['promote', 'web', '--color', 'green']],
    [['promote', 'web', '--colour', 'green']],
    [['promote', 'web', '--colour', 'green', '--color', 'green']],
  ])('%j is --colour green', (argv) => {
    const line = parseCommandLine(argv);
    expect(line.kind === 'run' && line.parsed.options).toEqual({ colour: 'green', scaleDownDelayMs: undefined, yes: false, hooks: { commands: {} } });
  });
});

describe('strategies from flags', () => {
  it('defaults to steps 10,25,50,75,100 baking 5 minutes', () => {
    const s = parsed('release', 'web').strategy!;
    expect([s.kind, s.steps, s.bakeMs]).toEqual(['steps', [10, 25, 50, 75, 100], 300_000]);
  });

  it('takes --steps and --bake', () => {
    const s = parsed('release', 'web', '--steps', '10%,50,100', '--bake', '1m30s').strategy!;
    expect([s.kind, s.steps, s.bakeMs]).toEqual(['steps', [10, 50, 100], 90_000]);
  });

  it('infers canary from --canary, and defaults the canary to 10 %', () => {
    expect(parsed('release', 'web', '--canary', '5', '--bake', '2m').strategy!.describe()).toBe('canary 5 % then 100 %, bake 2m per step');
    expect(parsed('release', 'web', '--strategy', 'canary').strategy!.steps).toEqual([10, 100]);
  });

  it('infers linear from --linear, with --interval as the bake', () => {
    const s = parsed('release', 'web', '--linear', '30', '--interval', '2m').strategy!;
    expect([s.kind, s.steps, s.bakeMs]).toEqual(['linear', [30, 60, 90, 100], 120_000]);
  });

  it('runs all at once with no bake unless --bake', () => {
    expect(parsed('release', 'web', '--strategy', 'all-at-once').strategy!.describe()).toBe('all at once, bake 0s');
    expect(parsed('release', 'web', '--strategy', 'all-at-once', '--bake', '30s').strategy!.bakeMs).toBe(30_000);
  });

  it('takes global flags before the command too', () => {
    expect(parsed('--json', '--region', 'eu-central-1', 'release', 'web', '--steps', '50,100')).toMatchObject({ json: true, region: 'eu-central-1', service: 'web' });
    expect(parsed('--profile=prod', '--dry-run', 'release', 'web')).toMatchObject({ profile: 'prod', dryRun: true });
  });

  it('reads the global and engine flags', () => {
    const c = parsed('release', 'web', '--json', '--dry-run', '--region', 'eu-central-1', '--manifest', 'x.json', '--poll', '2s', '--scale-down-delay', '0s');
    expect(c).toMatchObject({ json: true, dryRun: true, region: 'eu-central-1', manifest: 'x.json', pollIntervalMs: 2_000, scaleDownDelayMs: 0 });
  });
});
