import type { HookPointName } from '../contract';
import { usageError } from '../release';
import type { FlagSpec, FlagSpecs, FlagValues } from './command';
import { durationFlag, stringFlag } from './flags';

/**
 * Local command hooks (docs/RELEASE-HOOKS.md): `--<point>-cmd '<shell command>'` on the commands that can reach the
 * point, run by this process with `sh -c` and the release in `BLUEGREEN_*` variables. A command's text is never
 * written to AWS: a `resume` or `approve` of a release whose command hook has not finished must be given the flag again.
 */

/** Where a command hook runs: a release point, or `contract` (`bluegreen contract --contract-cmd`). */
export type CommandHookPoint = HookPointName | 'contract';

/** What the hook flags of a command asked for. */
export interface HookFlags {
  /** The shell command of each point given a `--<point>-cmd` flag. */
  readonly commands: Partial<Record<CommandHookPoint, string>>;
  /** `--hook-timeout`: time one attempt of a command hook may take. */
  readonly timeoutMs?: number;
}

/** Longest `--hook-timeout`: a migration may be slow, but a release must not wait on it for ever. */
export const MAX_HOOK_TIMEOUT_MS = 12 * 3_600_000;

/** What each point's flag does, for help. */
const HOOK_FLAG_HELP: Readonly<Record<CommandHookPoint, string>> = {
  'pre-release':
    'a local command (sh -c, the release in BLUEGREEN_* variables) run once before any weight moves, e.g. an expand migration: exit 0 passes, 3 (inconclusive) waits for approval, anything else aborts the release with nothing moved',
  step: "a local command run after each step's bake (a custom analysis): exit 0 passes, 3 (inconclusive) pauses for approval at the current weight, anything else rolls back",
  'pre-promotion': 'a local command run before the candidate is made live at 100 %: exit 0 passes, 3 pauses for approval, anything else rolls back',
  'post-promotion': 'a local command run after promotion, while the old colour is warm: exit 0 passes, 3 (inconclusive) leaves it promoted with a note, anything else rolls back to the old colour',
  'on-rollback': 'a local command run after a rollback (this one, or one this command makes): its result is recorded, it never changes the rollback',
  contract: "the contract (destructive) migration as a local command: a release records it as deferred, and 'bluegreen contract' runs it once that release's old colour is in standby (give it to both)",
};

/** An example command of each point, for help and "needs a value" messages. */
const HOOK_FLAG_EXAMPLE: Readonly<Record<CommandHookPoint, string>> = {
  'pre-release': "'./migrate.sh expand'",
  step: "'./analyse.sh'",
  'pre-promotion': "'./check.sh'",
  'post-promotion': "'./smoke.sh'",
  'on-rollback': "'./notify.sh'",
  contract: "'./migrate.sh contract'",
};

/** `--hook-timeout`. */
export const HOOK_TIMEOUT_FLAG: FlagSpec = {
  type: 'string',
  example: '10m',
  help: 'time one attempt of a --*-cmd command may take, 1s to 12h (default 30m); at the timeout its process group is killed and the hook fails',
};

/** The name of a point's flag: `pre-release-cmd`. */
export function hookFlagName(point: CommandHookPoint): string {
  return `${point}-cmd`;
}

/** The points whose command a command takes, in the order help lists them. */
export const RELEASE_HOOK_POINTS: readonly CommandHookPoint[] = ['pre-release', 'step', 'pre-promotion', 'post-promotion', 'on-rollback', 'contract'];
/** `promote`: the remaining steps are skipped; post-promotion hooks still run, and their failure rolls back. */
export const PROMOTE_HOOK_POINTS: readonly CommandHookPoint[] = ['post-promotion', 'on-rollback'];
/** `rollback`, `abort`. */
export const ROLLBACK_HOOK_POINTS: readonly CommandHookPoint[] = ['on-rollback'];
/** `contract`. */
export const CONTRACT_HOOK_POINTS: readonly CommandHookPoint[] = ['contract'];

/** The flags of `points`, and `--hook-timeout`. */
export function hookFlags(points: readonly CommandHookPoint[]): FlagSpecs {
  const flags: Record<string, FlagSpec> = {};
  for (const point of points) flags[hookFlagName(point)] = { type: 'string', example: HOOK_FLAG_EXAMPLE[point], help: HOOK_FLAG_HELP[point] };
  flags['hook-timeout'] = HOOK_TIMEOUT_FLAG;
  return flags;
}

/**
 * The hook flags of `points` from a command line.
 *
 * @throws UsageError for an empty command, a bad timeout, or `--hook-timeout` with no command to time
 */
export function parseHookFlags(values: FlagValues, points: readonly CommandHookPoint[]): HookFlags {
  const commands: Partial<Record<CommandHookPoint, string>> = {};
  for (const point of points) {
    const flag = hookFlagName(point);
    const command = stringFlag(values, flag);
    if (command === undefined) continue;
    if (command.trim() === '') throw usageError(`--${flag}`, `must be a shell command, e.g. --${flag} ${HOOK_FLAG_EXAMPLE[point]}.`, command);
    commands[point] = command;
  }
  const timeoutMs = durationFlag(values, 'hook-timeout', 1_000, MAX_HOOK_TIMEOUT_MS);
  if (timeoutMs !== undefined && Object.keys(commands).length === 0) {
    const flags = points.map((p) => `--${hookFlagName(p)}`).join(', ');
    throw usageError('--hook-timeout', `applies only to command hooks; give one (${flags}) or leave it out (declared hooks have their own timeout).`, stringFlag(values, 'hook-timeout'));
  }
  return { commands, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

/** Whether any command hook was given. */
export function hasCommands(hooks: HookFlags | undefined): boolean {
  return hooks !== undefined && Object.keys(hooks.commands).length > 0;
}
