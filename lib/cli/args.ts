import { parseArgs } from 'util';
import { REGION } from '../contract';
import {
  checkColour,
  checkDurationMs,
  ColourName,
  parseDuration,
  parsePercent,
  parseSteps,
  ReleaseStrategy,
  UsageError,
  usageError,
} from '../release';
import { checkImageReference } from './image-reference';
import { commandHelp, COMMANDS, CommandName, flagsOf, isCommand, overview } from './usage';

/** A command line, parsed and validated: nothing about it can fail later for a reason the user typed. */
export interface ParsedCommand {
  readonly command: CommandName;
  readonly service: string;
  /** `--json`: JSON lines on stdout. */
  readonly json: boolean;
  /** `--dry-run`: change nothing. */
  readonly dryRun: boolean;
  readonly region?: string;
  readonly profile?: string;
  /** `--manifest`, as given (relative to the working directory). */
  readonly manifest?: string;
  /** release: how traffic moves. */
  readonly strategy?: ReleaseStrategy;
  /** release, resume: `--poll`. */
  readonly pollIntervalMs?: number;
  /** release, resume, promote: `--scale-down-delay`. */
  readonly scaleDownDelayMs?: number;
  /** stage: `--image`. */
  readonly image?: string;
  /** stage, promote: `--colour`. */
  readonly colour?: ColourName;
  /** rollback, abort: `--reason`. */
  readonly reason?: string;
  /** scale-down: `--force`. */
  readonly force: boolean;
}

/** What the command line asks for: run a command, or print help. */
export type CommandLine = { readonly kind: 'run'; readonly command: ParsedCommand } | { readonly kind: 'help'; readonly text: string };

/** Service names as `BlueGreenService` accepts them (constructs/fleet/blue-green-service.ts). */
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Longest scale-down delay the engine accepts. */
const MAX_SCALE_DOWN_DELAY_MS = 48 * 3_600_000;

type Values = Record<string, string | boolean | undefined>;

/**
 * Parse `bluegreen <command> <service> [flags]`.
 *
 * @throws UsageError naming the argument, the problem and the fix, before anything is read from AWS
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) {
    throw new UsageError(`give a command: bluegreen <command> <service> [flags]. Commands: ${COMMANDS.join(', ')}. Run 'bluegreen --help'.`);
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0];
    return { kind: 'help', text: topic !== undefined && isCommand(topic) ? commandHelp(topic) : overview() };
  }
  if (first.startsWith('-')) {
    throw new UsageError(`give the command first, e.g. 'bluegreen status web'. Got ${JSON.stringify(first)} before any command.`);
  }
  if (!isCommand(first)) {
    throw new UsageError(`unknown command ${JSON.stringify(first)}. Commands: ${COMMANDS.join(', ')}. Run 'bluegreen --help'.`);
  }
  const { values, positionals } = parseFlags(first, rest);
  if (values.help === true) return { kind: 'help', text: commandHelp(first) };
  return { kind: 'run', command: buildCommand(first, serviceOf(first, positionals), values) };
}

function parseFlags(command: CommandName, args: string[]): { values: Values; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(flagsOf(command))) options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}) };
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (e) {
    throw flagError(command, e);
  }
}

/** node's parseArgs messages are long and generic; say which flag, what is wrong, and where the list is. */
function flagError(command: CommandName, e: unknown): UsageError {
  const error = e as { code?: string; message?: string };
  const flag = /'(-[^' ]+)/.exec(error.message ?? '')?.[1] ?? '';
  const known = Object.keys(flagsOf(command))
    .map((f) => `--${f}`)
    .join(', ');
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return new UsageError(`unknown flag ${flag} for '${command}'. Its flags: ${known}. Run 'bluegreen ${command} --help'.`);
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const spec = flagsOf(command)[flag.replace(/^--?/, '')];
    if (spec?.type === 'boolean') return new UsageError(`${flag} takes no value. Run 'bluegreen ${command} --help'.`);
    return new UsageError(`${flag} needs a value, e.g. ${flag} ${spec?.example ?? '<value>'}. Run 'bluegreen ${command} --help'.`);
  }
  return new UsageError(`${error.message ?? String(e)}. Run 'bluegreen ${command} --help'.`);
}

function serviceOf(command: CommandName, positionals: string[]): string {
  if (positionals.length === 0) {
    throw new UsageError(`missing <service>: bluegreen ${command} <service> [flags], e.g. bluegreen ${command} web.`);
  }
  if (positionals.length > 1) {
    throw usageError(`${command}`, `takes one service; unexpected argument ${JSON.stringify(positionals[1])}.`, positionals);
  }
  const service = positionals[0];
  if (!SERVICE_NAME.test(service)) {
    throw usageError('service', 'must be lower-case letters, digits and hyphens, start with a letter, and be at most 32 characters.', service);
  }
  return service;
}

function buildCommand(command: CommandName, service: string, v: Values): ParsedCommand {
  const region = str(v, 'region');
  if (region !== undefined && !REGION.test(region)) throw usageError('--region', 'must be a Region name such as eu-west-1.', region);
  for (const flag of ['profile', 'manifest', 'reason']) {
    if (str(v, flag) === '') throw usageError(`--${flag}`, 'must not be empty.', '');
  }
  const colour = str(v, 'colour');
  checkColour(colour, '--colour');
  const image = str(v, 'image');
  if (command === 'stage') {
    if (image === undefined) throw new UsageError('stage needs --image <ami-...|ssm:<parameter>|baked:<image name>>, e.g. --image baked:web.');
    checkImageReference(image, '--image');
  }
  return {
    command,
    service,
    json: v.json === true,
    dryRun: v['dry-run'] === true,
    region,
    profile: str(v, 'profile'),
    manifest: str(v, 'manifest'),
    strategy: command === 'release' ? strategyOf(v) : undefined,
    pollIntervalMs: durationOf(v, 'poll', 100, 20_000),
    scaleDownDelayMs: durationOf(v, 'scale-down-delay', 0, MAX_SCALE_DOWN_DELAY_MS),
    image,
    colour: colour as ColourName | undefined,
    reason: str(v, 'reason'),
    force: v.force === true,
  };
}

/**
 * The release strategy from `--strategy`, or implied by the flags given: `--canary` means canary, `--linear` linear,
 * otherwise explicit steps (`--steps`, default 10,25,50,75,100). A flag of another strategy is refused rather than
 * ignored, so a typo never releases faster than intended.
 */
function strategyOf(v: Values): ReleaseStrategy {
  const given = (f: string) => v[f] !== undefined;
  const kind = str(v, 'strategy') ?? (given('canary') ? 'canary' : given('linear') || given('interval') ? 'linear' : 'steps');
  const allowed: Record<string, string[]> = {
    steps: ['steps', 'bake'],
    canary: ['canary', 'bake'],
    linear: ['linear', 'interval'],
    'all-at-once': ['bake'],
  };
  if (!(kind in allowed)) throw usageError('--strategy', "must be 'steps', 'canary', 'linear' or 'all-at-once'.", kind);
  for (const f of ['steps', 'bake', 'canary', 'linear', 'interval']) {
    if (given(f) && !allowed[kind].includes(f)) {
      const hint = f === 'bake' && kind === 'linear' ? ' Linear steps bake for --interval.' : '';
      throw usageError(`--${f}`, `does not apply to the ${kind} strategy, which takes ${allowed[kind].map((a) => `--${a}`).join(', ')}.${hint}`, str(v, f));
    }
  }
  const bake = durationOf(v, 'bake', 0, ReleaseStrategy.MAX_BAKE_MS);
  switch (kind) {
    case 'canary': {
      const percent = parsePercent(str(v, 'canary') ?? '10', '--canary', 1, 99);
      return ReleaseStrategy.canary(percent, bake ?? ReleaseStrategy.DEFAULT_BAKE_MS);
    }
    case 'linear': {
      const percent = parsePercent(str(v, 'linear') ?? '25', '--linear', 1, 100);
      const interval = durationOf(v, 'interval', 0, ReleaseStrategy.MAX_BAKE_MS) ?? ReleaseStrategy.DEFAULT_BAKE_MS;
      return ReleaseStrategy.linear(percent, interval);
    }
    case 'all-at-once':
      return ReleaseStrategy.allAtOnce(bake ?? 0);
    default: {
      const steps = given('steps') ? parseSteps(str(v, 'steps') ?? '', '--steps') : undefined;
      return ReleaseStrategy.explicitSteps(steps, bake ?? ReleaseStrategy.DEFAULT_BAKE_MS);
    }
  }
}

function durationOf(v: Values, flag: string, minMs: number, maxMs: number): number | undefined {
  const text = str(v, flag);
  if (text === undefined) return undefined;
  const ms = parseDuration(text, `--${flag}`);
  checkDurationMs(ms, `--${flag}`, minMs, maxMs);
  return ms;
}

function str(v: Values, flag: string): string | undefined {
  const value = v[flag];
  return typeof value === 'string' ? value : undefined;
}
