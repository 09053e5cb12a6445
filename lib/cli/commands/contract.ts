import type { Command } from '../command';
import { runEngineCommand } from '../engine-command';
import { CONTRACT_HOOK_POINTS, HookFlags, hookFlags, parseHookFlags } from '../hook-flags';

/** What `contract` was asked to do. */
export interface ContractCommandOptions {
  /** `--contract-cmd`, `--hook-timeout`. */
  readonly hooks: HookFlags;
}

/**
 * `contract <service>`: run the contract (destructive) migrations of the last succeeded release (hooks declared with
 * `contract: true`, and `--contract-cmd`) once its old colour is in standby and can no longer take traffic back.
 * Before that it is refused (exit 3) with when it will be allowed. `--dry-run` says what would run.
 */
export const contract: Command<ContractCommandOptions> = {
  name: 'contract',
  summary: 'run the contract (destructive) migrations of the last release once its old colour is in standby; refused before, saying when',
  flags: hookFlags(CONTRACT_HOOK_POINTS),
  details: [
    'A contract hook (drop a column, drop a table) breaks a rollback to the old version, which still reads what it',
    "drops: it runs only once the last succeeded release's old colour is in standby (bluegreen scale-down <service>",
    'when due, or --force). Hooks that passed are not run again.',
    'Exit codes: 0 done, or nothing to run; 3 refused, nothing run (the message says when it will be allowed);',
    '6 a contract hook failed or was inconclusive (fix it, run contract again).',
  ],
  parse: (values) => ({ hooks: parseHookFlags(values, CONTRACT_HOOK_POINTS) }),
  run: (ctx, { hooks }) => runEngineCommand(ctx, { name: 'contract', hooksOnly: true, hooks, invoke: (engine) => engine.contract({ dryRun: ctx.global.dryRun }) }),
};
