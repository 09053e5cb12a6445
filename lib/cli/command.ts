import type { AwsClients } from '../aws/clients';
import type { CliIo } from './io';
import type { ManifestLocation } from './manifest-file';
import type { Output } from './output';

/** One flag, for parsing and help. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** One-letter alias. */
  readonly short?: string;
  /** Another long name that means the same flag, such as `color` for `colour`. Not listed on its own. */
  readonly alias?: string;
  /** An example value, for help and for "needs a value" messages. */
  readonly example?: string;
  readonly help: string;
}

/** Flags by name, without the leading `--`, in the order help lists them. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Flag values as node's `parseArgs` returns them, aliases folded into their flag's name. */
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

/** What every command takes besides its own flags (global-flags.ts), parsed once. */
export interface GlobalOptions {
  readonly service: string;
  /** `--json`: JSON lines on stdout. */
  readonly json: boolean;
  /** `--dry-run`: change nothing. */
  readonly dryRun: boolean;
  readonly region?: string;
  readonly profile?: string;
  /** `--manifest`, as given (relative to the working directory). */
  readonly manifest?: string;
}

/** What a command runs with. */
export interface CommandContext {
  readonly global: GlobalOptions;
  readonly io: CliIo;
  readonly out: Output;
  /**
   * AWS clients, each created when first asked for. Command modules reach lib/aws only through `aws-access.ts`, which
   * imports the adapters on first use, so that help and bad input load no SDK.
   */
  readonly clients: AwsClients;
  readonly manifest: ManifestLocation;
}

/**
 * One `bluegreen` command: its flags, help, parsing and run, all in `commands/<name>.ts`, listed in registry.ts.
 *
 * @typeParam O the command's own options, parsed and checked
 */
export interface Command<O> {
  /** The word users type, e.g. `scale-down`. */
  readonly name: string;
  /** What it does, one line, for `bluegreen --help` and the command's help. */
  readonly summary: string;
  /** Its own flags; the global ones (global-flags.ts) come on top. */
  readonly flags: FlagSpecs;
  /**
   * Words that come between the command and the service (`bluegreen dr failover web`), one of which must be given.
   *
   * @default - none: the service follows the command
   */
  readonly actions?: readonly string[];
  /**
   * The action run when the word after the command is not one of `actions`: `bluegreen quarantine web` lists, as
   * `bluegreen quarantine list web` does (which names a service called like an action).
   *
   * @default - an action must be given
   */
  readonly defaultAction?: string;
  /**
   * Words that follow the service, by action, each required: `{ terminate: ['instance'] }` makes
   * `bluegreen quarantine terminate web i-0abc...`. Their names show in usage and in "missing" messages.
   *
   * @default - none: the service is the last word
   */
  readonly operands?: Readonly<Record<string, readonly string[]>>;
  /**
   * Usage lines of the command's help, instead of the one made from its name and actions.
   *
   * @default - `Usage: bluegreen <name> [<actions>] <service> [flags]`
   */
  readonly usage?: readonly string[];
  /**
   * Lines of help after the flags: what each action does, its exit codes.
   *
   * @default - none
   */
  readonly details?: readonly string[];
  /**
   * Check the command's own flag values and turn them into its options.
   *
   * @param action the word given among `actions` (or the default action), for a command that has them
   * @param operands the words after the service, as many as `operands` names for the action
   * @throws UsageError naming the flag, the problem and the value, before anything is read from AWS
   */
  parse(values: FlagValues, action?: string, operands?: readonly string[]): O;
  /** Run it and return the exit code. */
  run(ctx: CommandContext, options: O): Promise<number>;
}

/** The options of a command with no flags of its own. */
export type NoOptions = Readonly<Record<string, never>>;
