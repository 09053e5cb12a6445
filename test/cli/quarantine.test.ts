/**
 * `bluegreen quarantine` without AWS: its command line (actions, the instance after the service, --for), its help,
 * and the views it and `status` print. The commands against moto are in test/integration/quarantine-cli.test.ts; the
 * controller's behaviour with the controller (test/release/quarantine).
 */
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws';
import { main } from '../../lib/cli';
import { parseCommandLine } from '../../lib/cli/args';
import { QuarantineOptions } from '../../lib/cli/commands/quarantine';
import { buildQuarantineView, countsLine, quarantineCounts, renderQuarantine } from '../../lib/cli/quarantine-view';
import { QuarantineDescriptor, QuarantineEntry } from '../../lib/contract';
import type { QuarantineListing } from '../../lib/release/quarantine/controller';
import { runMain } from './harness';

/** Clients that fail the test if the CLI touches AWS at all. */
const NO_AWS = new Proxy({} as AwsClients, {
  get(_, prop) {
    throw new Error(`AWS touched: clients.${String(prop)}`);
  },
});

const ID = 'i-0123456789abcdef0';

function parsed(...argv: string[]): { service: string; options: QuarantineOptions } {
  const line = parseCommandLine(argv);
  if (line.kind !== 'run') throw new Error('expected a command');
  return { service: line.parsed.global.service, options: line.parsed.options as QuarantineOptions };
}

async function helpText(argv: string[]): Promise<string> {
  let out = '';
  await main(argv, { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => undefined }, isTTY: false, env: {}, cwd: '/' });
  return out;
}

describe('quarantine: command line', () => {
  it('lists with no action, or with list (for a service named like an action)', () => {
    expect(parsed('quarantine', 'web')).toEqual({ service: 'web', options: { action: 'list' } });
    expect(parsed('quarantine', 'list', 'web')).toEqual({ service: 'web', options: { action: 'list' } });
    expect(parsed('quarantine', 'list', 'extend')).toEqual({ service: 'extend', options: { action: 'list' } });
    expect(parsed('--json', 'quarantine', 'web')).toEqual({ service: 'web', options: { action: 'list' } });
  });

  it('takes the instance after the service, and --for for extend', () => {
    expect(parsed('quarantine', 'terminate', 'web', ID, '--dry-run')).toEqual({ service: 'web', options: { action: 'terminate', instanceId: ID } });
    expect(parsed('quarantine', 'extend', 'web', '--for', '1h30m', 'i-0123abcd')).toEqual({ service: 'web', options: { action: 'extend', instanceId: 'i-0123abcd', forMs: 5_400_000 } });
  });

  const BAD: [string[], string][] = [
    [['quarantine'], 'bluegreen: missing <service>: bluegreen quarantine <service> [flags], e.g. bluegreen quarantine web.'],
    [['quarantine', 'terminate'], 'bluegreen: missing <service>: bluegreen quarantine terminate <service> <instance> [flags], e.g. bluegreen quarantine terminate web i-0123456789abcdef0.'],
    [['quarantine', 'extend', 'web', '--for', '1h'], 'bluegreen: missing <instance>: bluegreen quarantine extend <service> <instance> [flags], e.g. bluegreen quarantine extend web i-0123456789abcdef0.'],
    [['quarantine', 'web', 'extra'], 'bluegreen: quarantine: takes one service; unexpected argument "extra". Got ["web","extra"].'],
    [['quarantine', 'terminate', 'web', ID, ID], `bluegreen: quarantine terminate: takes a service and <instance>; unexpected argument "${ID}". Got ["web","${ID}","${ID}"].`],
    [['quarantine', 'terminate', 'web', 'I-0123456789ABCDEF0'], 'bluegreen: <instance>: malformed instance id: expected \'i-\' and 8 or 17 lower-case hex digits, e.g. i-0123456789abcdef0; \'bluegreen quarantine <service>\' lists the kept ones. Got "I-0123456789ABCDEF0".'],
    [['quarantine', 'terminate', 'Web', ID], 'bluegreen: service: must be lower-case letters, digits and hyphens, start with a letter, and be at most 32 characters. Got "Web".'],
    [['quarantine', 'web', '--for', '1h'], 'bluegreen: --for: applies only to quarantine extend, e.g. bluegreen quarantine extend web i-0123456789abcdef0 --for 24h. Got "1h".'],
    [['quarantine', 'extend', 'web', ID, '--for', '30s'], 'bluegreen: --for: must be from 1m to 168h. Got "30s".'],
    [['quarantine', 'extend', 'web', ID, '--for', '24'], 'bluegreen: --for: needs a unit (ms, s, m, h or d), e.g. 90s or 2m. Got "24".'],
    [['quarantine', 'extend', 'web', ID, '--for'], "bluegreen: --for needs a value, e.g. --for 24h. Run 'bluegreen quarantine --help'."],
    [['quarantine', 'web', '--watch'], "bluegreen: unknown flag --watch for 'quarantine'. Its flags: --for, --json, --dry-run, --region, --profile, --manifest, --help. Run 'bluegreen quarantine --help'."],
  ];
  it.each(BAD)('refuses %j with exit 2 and one line, before any AWS call', async (argv, message) => {
    expect(await runMain(argv, '/nonexistent', NO_AWS)).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });

  it('documents its actions, --for and exit codes in help, and is in the overview', async () => {
    const help = await helpText(['quarantine', '--help']);
    expect(help).toMatch(
      /^Usage: bluegreen quarantine <service> \[flags\]\n {7}bluegreen quarantine terminate <service> <instance> \[--dry-run\] \[flags\]\n {7}bluegreen quarantine extend <service> <instance> --for <24h> \[--dry-run\] \[flags\]\n/,
    );
    expect(help).toContain('--for <24h>  extend: how much later the retention ends, 1m to 168h');
    for (const line of ['Actions:', '  terminate ', '  extend ', 'Exit codes:', '  2  usage:', '  3  refused, nothing changed:', 'Healing.quarantine()', '  5  AWS error']) expect(help).toContain(line);
    expect(await helpText(['help', 'quarantine'])).toBe(help);
    expect(await helpText(['quarantine', 'terminate', 'web', ID, '--help'])).toBe(help);
    expect(await helpText(['--help'])).toMatch(/\n {2}quarantine +sick instances kept for investigation/);
  });
});

const SECTION: QuarantineDescriptor = {
  keepPerColour: 1,
  keepPerService: 2,
  retentionSeconds: 86_400,
  snapshots: true,
  flappingReplacements: 3,
  flappingWindowSeconds: 900,
  hookName: 'bluegreen-quarantine',
  hookTimeoutSeconds: 300,
  securityGroupId: 'sg-0q',
  evidenceBucket: 'web-logs',
  evidencePrefix: 'quarantine/web/',
};
const NOW = Date.parse('2030-01-02T12:00:00.000Z');

function entry(overrides: Partial<QuarantineEntry> = {}): QuarantineEntry {
  return {
    instanceId: ID,
    colour: 'green',
    autoScalingGroupName: 'web-green',
    state: 'kept',
    claimedAt: '2030-01-02T09:29:50.000Z',
    lifecycleActionToken: 't-1',
    since: '2030-01-02T09:30:00.000Z',
    expiresAt: '2030-01-03T09:30:00.000Z',
    reasons: ['At 2030-01-02T09:29:45Z an instance was taken out of service in response to an ELB system health check failure.', 'Target.ResponseCodeMismatch: Health checks failed with these codes: [500]'],
    imageId: 'ami-0abc',
    originalSecurityGroups: ['sg-0app'],
    evidence: `s3://web-logs/quarantine/web/${ID}/evidence.json`,
    snapshots: ['snap-01', 'snap-02'],
    ...overrides,
  };
}

function listing(entries: QuarantineEntry[]): QuarantineListing {
  const perColour = { blue: 0, green: 0 };
  for (const e of entries) perColour[e.colour] += 1;
  return { entries, perColour, keepPerColour: 1, keepPerService: 2, recentReplacements: { blue: 0, green: 2 } };
}

describe('quarantine: views', () => {
  it('renders each instance with its age, time left, reasons, evidence, snapshots and the Session Manager command', () => {
    // GIVEN a kept green instance and a blue one still being isolated
    const isolating = entry({ instanceId: 'i-0fedcba9876543210', colour: 'blue', autoScalingGroupName: 'web-blue', state: 'isolating', since: undefined, claimedAt: '2030-01-02T11:59:30.000Z', expiresAt: '2030-01-03T11:59:30.000Z', reasons: [], imageId: undefined, evidence: undefined, snapshots: undefined, originalSecurityGroups: undefined });
    const view = buildQuarantineView('web', 'eu-west-1', listing([entry({ extended: { by: 'ops:42', at: '2030-01-02T11:00:00.000Z' } }), isolating]), SECTION, NOW);
    // WHEN / THEN blue first
    expect(renderQuarantine(view)).toEqual([
      'web (eu-west-1): 2 instances in quarantine',
      '  kept          blue 1 of 1, green 1 of 1; 2 of 2 for the service',
      "  replacements  blue 0, green 2 in the last 15m; 3 raise the colour's flapping alarm",
      '  retention     24h, extendable to 168h after it was kept (bluegreen quarantine extend web <instance> --for 24h)',
      '',
      '  i-0fedcba9876543210  blue  isolating',
      '    claimed    2030-01-02T11:59:30.000Z (30s ago), still being isolated',
      '    expires    2030-01-03T11:59:30.000Z (in 23h59m)',
      '    reasons    (none recorded)',
      '    image      unknown',
      '    evidence   not captured',
      '    snapshots  none',
      '    connect    aws ssm start-session --target i-0fedcba9876543210 --region eu-west-1',
      '',
      `  ${ID}  green  kept`,
      '    since      2030-01-02T09:30:00.000Z (2h30m ago)',
      '    expires    2030-01-03T09:30:00.000Z (in 21h30m; extended by ops:42 at 2030-01-02T11:00:00.000Z)',
      '    reasons    At 2030-01-02T09:29:45Z an instance was taken out of service in response to an ELB system health check failure.',
      '               Target.ResponseCodeMismatch: Health checks failed with these codes: [500]',
      '    image      ami-0abc',
      `    evidence   s3://web-logs/quarantine/web/${ID}/evidence.json`,
      '    snapshots  snap-01 snap-02',
      '    groups     sg-0app before isolation',
      `    connect    aws ssm start-session --target ${ID} --region eu-west-1`,
    ]);
    expect(view.instances.map((i) => [i.instanceId, i.ageMs, i.expiresInMs])).toEqual([
      ['i-0fedcba9876543210', 30_000, 86_370_000],
      [ID, 9_000_000, 77_400_000],
    ]);
  });

  it('says when an expiry is due, and an empty quarantine in one line with the counts', () => {
    const due = buildQuarantineView('web', 'eu-west-1', listing([entry({ expiresAt: '2030-01-02T11:59:00.000Z' })]), SECTION, NOW);
    expect(renderQuarantine(due)).toContain('    expires    2030-01-02T11:59:00.000Z (due: the sweep terminates it within a minute)');
    expect(renderQuarantine(buildQuarantineView('web', 'eu-west-1', listing([]), SECTION, NOW)).slice(0, 2)).toEqual([
      'web (eu-west-1): no instance in quarantine',
      '  kept          blue 0 of 1, green 0 of 1; 0 of 2 for the service',
    ]);
  });

  it("status's line: kept per colour against the caps, replacements against the flapping threshold", () => {
    expect(countsLine(quarantineCounts(listing([entry()]), SECTION))).toBe('blue 0 kept, green 1 (cap 1 per colour, 2 per service); replacements in 15m: blue 0/3, green 2/3');
    // AND at the threshold the line says the colour is flapping
    const flapping = { ...quarantineCounts(listing([entry()]), SECTION), recentReplacements: { blue: 3, green: 0 } };
    expect(countsLine(flapping)).toContain('blue 3/3 (flapping: its gate fires), green 0/3');
  });
});
