import { parseArgs } from 'util';
import { SERVICE_NAME, SERVICE_NAME_RULE } from '../contract';
import { UsageError, usageError } from '../release';
import type { Command, FlagSpecs, FlagValues, GlobalOptions } from './command';
import { negativeValue } from './flags';
import { GLOBAL_FLAGS, parseGlobalFlags } from './global-flags';
import { commandHelp, overview } from './help';
import { COMMANDS, findCommand } from './registry';

/** A command line, parsed and validated: nothing about it can fail later for a reason the user typed. */
export interface ParsedCommand<O = unknown> {
  readonly command: Command<O>;
  /** The service and the global flags. */
  readonly global: GlobalOptions;
  /** The command's own options, as its `parse` made them. */
  readonly options: O;
}

/** What the command line asks for: run a command, print help, or print the version. */
export type CommandLine =
  | { readonly kind: 'run'; readonly parsed: ParsedCommand }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' };

/**
 * Parse `bluegreen <command> <service> [flags]`.
 *
 * @throws UsageError naming the argument, the problem and the fix, before anything is read from AWS
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { globals, command: first, rest } = splitLeadingGlobals(argv);
  const names = COMMANDS.map((c) => c.name).join(', ');
  if (first === undefined) {
    throw new UsageError(`give a command: bluegreen <command> <service> [flags]. Commands: ${names}. Run 'bluegreen --help'.`);
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0] !== undefined ? findCommand(rest[0]) : undefined;
    return { kind: 'help', text: topic ? commandHelp(topic) : overview() };
  }
  if (first === '--version') return { kind: 'version' };
  const command = findCommand(first);
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(first)}. Commands: ${names}. Run 'bluegreen --help'.`);
  const { values, positionals } = parseFlags(command, [...rest, ...globals]);
  if (values.help === true) return { kind: 'help', text: commandHelp(command) };
  const { action, rest: named } = actionOf(command, positionals);
  const { service, operands } = serviceOf(command, named, action);
  const global = parseGlobalFlags(service, values);
  return { kind: 'run', parsed: { command, global, options: command.parse(values, action, operands) } };
}

/**
 * Global flags may come before the command (`bluegreen --json status web`), as in the AWS CLI: they are taken off
 * the front and parsed with the command's flags. Any other flag there is refused: it belongs after the command.
 */
function splitLeadingGlobals(argv: readonly string[]): { globals: string[]; command?: string; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '--help' || arg === '-h' || arg === '--version') break;
    const name = arg.replace(/^--/, '').split('=')[0];
    const spec = arg.startsWith('--') && name !== 'help' ? GLOBAL_FLAGS[name] : undefined;
    if (!spec) {
      const allowed = Object.keys(GLOBAL_FLAGS)
        .filter((f) => f !== 'help')
        .map((f) => `--${f}`)
        .join(', ');
      throw new UsageError(`give the command first, e.g. 'bluegreen status web'. Got ${JSON.stringify(arg)} before any command; only ${allowed} may come before it.`);
    }
    globals.push(arg);
    if (spec.type === 'string' && !arg.includes('=') && i + 1 < argv.length) globals.push(argv[++i]);
  }
  return { globals, command: argv[i], rest: argv.slice(i + 1) };
}

/** The command's own flags and the global ones, own first (as help and error messages list them). */
function flagsOf(command: Command<unknown>): FlagSpecs {
  return { ...command.flags, ...GLOBAL_FLAGS };
}

function parseFlags(command: Command<unknown>, args: string[]): { values: FlagValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(flagsOf(command))) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}) };
    if (spec.alias) options[spec.alias] = { type: spec.type };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw flagError(command, e, args);
  }
  return { values: foldAliases(command, parsed.values as Record<string, string | boolean | undefined>), positionals: parsed.positionals };
}

/**
 * Each alias's value under its flag's name (`--color green` is `--colour green`). The alias stays too, so a message
 * can name the flag as it was typed. Both spellings with different values is a mistake worth stopping for.
 */
function foldAliases(command: Command<unknown>, values: Record<string, string | boolean | undefined>): FlagValues {
  for (const [name, spec] of Object.entries(flagsOf(command))) {
    const aliased = spec.alias !== undefined ? values[spec.alias] : undefined;
    if (aliased === undefined) continue;
    if (values[name] !== undefined && values[name] !== aliased) {
      throw usageError(`--${spec.alias}`, `is another spelling of --${name}, which says ${JSON.stringify(values[name])}; give one of them.`, aliased);
    }
    values[name] = aliased;
  }
  return values;
}

/** node's parseArgs messages are long and generic; say which flag, what is wrong, and where the list is. */
function flagError(command: Command<unknown>, e: unknown, args: readonly string[]): UsageError {
  const error = e as { code?: string; message?: string };
  const flag = /'(-[^' ]+)/.exec(error.message ?? '')?.[1] ?? '';
  const help = `Run 'bluegreen ${command.name} --help'.`;
  const flags = flagsOf(command);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const known = Object.keys(flags)
      .map((f) => `--${f}`)
      .join(', ');
    return new UsageError(`unknown flag ${flag} for '${command.name}'. Its flags: ${known}. ${help}`);
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = flag.replace(/^--?/, '');
    const spec = flags[name] ?? Object.values(flags).find((s) => s.alias === name || s.short === name);
    if (spec?.type === 'boolean') return new UsageError(`${flag} takes no value. ${help}`);
    // `--bake -5m`: the value looks like a flag to parseArgs.
    const value = args[args.indexOf(flag) + 1];
    if (value !== undefined && /^-\d/.test(value)) return negativeValue(flag, value);
    return new UsageError(`${flag} needs a value, e.g. ${flag} ${spec?.example ?? '<value>'}. ${help}`);
  }
  return new UsageError(`${error.message ?? String(e)}. ${help}`);
}

/**
 * The action word of a command that has them (`dr failover web`): the first positional, which must be one of them,
 * unless the command has a default action (`quarantine web`), which runs when the first word is not an action.
 */
function actionOf(command: Command<unknown>, positionals: string[]): { action?: string; rest: string[] } {
  if (!command.actions) return { rest: positionals };
  const [action, ...rest] = positionals;
  if (command.defaultAction !== undefined && (action === undefined || !command.actions.includes(action))) {
    return { action: command.defaultAction, rest: positionals };
  }
  const usage = `bluegreen ${command.name} <${command.actions.join('|')}> <service>`;
  if (action === undefined) throw new UsageError(`missing action: ${usage} [flags], e.g. bluegreen ${command.name} ${command.actions[0]} web.`);
  if (!command.actions.includes(action)) throw usageError(command.name, `takes an action first: ${usage}.`, action);
  return { action, rest };
}

/** The service, and the words after it that the action takes (`quarantine terminate web i-0abc...`). */
function serviceOf(command: Command<unknown>, positionals: string[], action?: string): { service: string; operands: string[] } {
  const names = (action !== undefined ? command.operands?.[action] : undefined) ?? [];
  // How usage messages name the command: `dr <action>`, `quarantine` (its default action), `quarantine terminate`.
  const named = command.defaultAction !== undefined && action !== command.defaultAction ? `${command.name} ${action}` : command.name;
  const label = command.actions && command.defaultAction === undefined ? `${command.name} <action>` : named;
  const example = command.actions && command.defaultAction === undefined ? `${command.name} ${command.actions[0]}` : named;
  const usage = [label, '<service>', ...names.map((n) => `<${n}>`)].join(' ');
  const e = [example, 'web', ...names.map(exampleOperand)].join(' ');
  if (positionals.length === 0) throw new UsageError(`missing <service>: bluegreen ${usage} [flags], e.g. bluegreen ${e}.`);
  if (positionals.length <= names.length) throw new UsageError(`missing <${names[positionals.length - 1]}>: bluegreen ${usage} [flags], e.g. bluegreen ${e}.`);
  if (positionals.length > names.length + 1) {
    const takes = names.length ? `takes a service and ${names.map((n) => `<${n}>`).join(' ')}` : 'takes one service';
    throw usageError(named, `${takes}; unexpected argument ${JSON.stringify(positionals[names.length + 1])}.`, positionals);
  }
  const service = positionals[0];
  if (!SERVICE_NAME.test(service)) throw usageError('service', `${SERVICE_NAME_RULE}.`, service);
  return { service, operands: positionals.slice(1) };
}

/** An example value of an operand, for usage messages. */
function exampleOperand(name: string): string {
  return name === 'instance' ? 'i-0123456789abcdef0' : `<${name}>`;
}
