/** The commands, in the order help lists them. */
export const COMMANDS = ['status', 'stage', 'release', 'resume', 'promote', 'rollback', 'abort', 'scale-down', 'sync-manifest'] as const;

/** A command name. */
export type CommandName = (typeof COMMANDS)[number];

/** One flag, for parsing and help. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** One-letter alias. */
  readonly short?: string;
  /** An example value, for help and for "needs a value" messages. */
  readonly example?: string;
  readonly help: string;
}

/** Flags every command takes. */
const GLOBAL_FLAGS: Readonly<Record<string, FlagSpec>> = {
  json: { type: 'boolean', help: 'JSON lines on stdout: one object per event, then a result object (status: one object)' },
  'dry-run': { type: 'boolean', help: 'print what the command would do; change nothing in AWS or in the manifest' },
  region: { type: 'string', example: 'eu-west-1', help: "AWS Region (default: AWS_REGION, then the profile's Region)" },
  profile: { type: 'string', example: 'prod', help: 'AWS named profile (default: AWS_PROFILE, then default)' },
  manifest: { type: 'string', example: 'releases/web.json', help: 'release manifest to keep in step (default: releases/<service>.json)' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

const POLL: FlagSpec = { type: 'string', example: '10s', help: 'how often a bake polls target health and gate alarms, 100ms to 20s (default 10s)' };
const SCALE_DOWN_DELAY: FlagSpec = {
  type: 'string',
  example: '15m',
  help: 'how long the old colour stays ready for an instant rollback after promotion, up to 48h (default 15m)',
};
const REASON: FlagSpec = { type: 'string', example: '"5xx on checkout"', help: 'why, recorded in the release record' };

/** Flags of each command, besides the global ones. */
const COMMAND_FLAGS: Readonly<Record<CommandName, Readonly<Record<string, FlagSpec>>>> = {
  status: {},
  stage: {
    image: { type: 'string', example: 'baked:web', help: 'image for the idle colour: ami-<hex>, ssm:<parameter name> or baked:<image name> (required)' },
    colour: { type: 'string', example: 'green', help: 'colour to stage onto; must be idle (default: the idle colour)' },
  },
  release: {
    strategy: { type: 'string', example: 'canary', help: 'steps | canary | linear | all-at-once (default: steps, or as implied by --canary, --linear or --interval)' },
    steps: { type: 'string', example: '10,25,50,100', help: "the candidate's share at each step, ending at 100 (default 10,25,50,75,100)" },
    bake: { type: 'string', example: '5m', help: 'how long each step bakes, up to 24h (default 5m; all-at-once 0s)' },
    canary: { type: 'string', example: '10', help: "canary share, 1 to 99 (default 10): canary, bake, 100 %, bake" },
    linear: { type: 'string', example: '25', help: 'linear increment, 1 to 100 (default 25): 25, 50, 75, 100 %' },
    interval: { type: 'string', example: '2m', help: 'bake time of each linear step (default 5m)' },
    poll: POLL,
    'scale-down-delay': SCALE_DOWN_DELAY,
  },
  resume: { poll: POLL, 'scale-down-delay': SCALE_DOWN_DELAY },
  promote: {
    colour: { type: 'string', example: 'green', help: 'with no release in progress: the colour to send all traffic to (settles split weights)' },
    'scale-down-delay': SCALE_DOWN_DELAY,
  },
  rollback: { reason: REASON },
  abort: { reason: REASON },
  'scale-down': { force: { type: 'boolean', help: 'scale the idle colour down now, before its scale-down time, or after a rollback' } },
  'sync-manifest': {},
};

/** What each command does, one line. */
const SUMMARIES: Readonly<Record<CommandName, string>> = {
  status: 'live colour, weights, images, target health, firing alarms, the release in progress, scale-down due',
  stage: "write an image onto the idle colour in the release manifest (mode ready), for the next 'cdk deploy'",
  release: 'shift traffic to the idle colour step by step, gated on health and alarms; roll back on failure',
  resume: 'continue an interrupted release from its last verified step',
  promote: 'send 100 % to the candidate now, skipping the remaining steps',
  rollback: 'send 100 % back to the last good colour in one weight change (also after promotion, while it is warm)',
  abort: 'stop the release in progress and roll it back',
  'scale-down': 'put the old colour in standby once its scale-down time has passed',
  'sync-manifest': 'rewrite the manifest from AWS: live colour active (pinned to its AMI), idle colour ready or standby',
};

/** Whether `name` is a command. */
export function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

/** Global and command flags of `command`. */
export function flagsOf(command: CommandName): Readonly<Record<string, FlagSpec>> {
  return { ...COMMAND_FLAGS[command], ...GLOBAL_FLAGS };
}

/** `bluegreen --help`. */
export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.length));
  return [
    'bluegreen: release blue/green services built with cdk-bluegreen',
    '',
    'Usage: bluegreen <command> <service> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.padEnd(width)}  ${SUMMARIES[c]}`),
    '',
    'Global flags:',
    ...flagLines(GLOBAL_FLAGS),
    '',
    'Exit codes: 0 success, 1 failed, rolled back or refused, 2 bad input (nothing was changed).',
    "Run 'bluegreen <command> --help' for a command's flags; docs/RELEASING.md has the runbooks.",
    '',
  ].join('\n');
}

/** `bluegreen <command> --help`. */
export function commandHelp(command: CommandName): string {
  const own = COMMAND_FLAGS[command];
  return [
    `Usage: bluegreen ${command} <service> [flags]`,
    '',
    SUMMARIES[command],
    '',
    ...(Object.keys(own).length ? ['Flags:', ...flagLines(own), ''] : []),
    'Global flags:',
    ...flagLines(GLOBAL_FLAGS),
    '',
  ].join('\n');
}

function flagLines(flags: Readonly<Record<string, FlagSpec>>): string[] {
  const label = (name: string, spec: FlagSpec) => `--${name}${spec.type === 'string' ? ` <${spec.example ?? 'value'}>` : ''}`;
  const width = Math.max(...Object.entries(flags).map(([n, s]) => label(n, s).length));
  return Object.entries(flags).map(([n, s]) => `  ${label(n, s).padEnd(width)}  ${s.help}`);
}
