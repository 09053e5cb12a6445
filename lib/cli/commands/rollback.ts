import type { Command, FlagValues } from '../command';
import { runEngineCommand } from '../engine-command';
import { REASON_FLAG, stringFlag } from '../flags';
import { HookFlags, hookFlags, parseHookFlags, ROLLBACK_HOOK_POINTS } from '../hook-flags';

/** What `rollback` (and `abort`) was asked to do. */
export interface RollbackOptions {
  /** `--reason`, recorded in the release record. */
  readonly reason?: string;
  /** `--take-over`: accepted for symmetry with resume; rollback and abort always take over, naming the holder. */
  readonly takeOver?: boolean;
  /** `--on-rollback-cmd`, `--hook-timeout`. */
  readonly hooks?: HookFlags;
}

/** `--take-over` of rollback and abort, which never wait for a lease. */
export const TAKE_OVER_FLAG = {
  type: 'boolean',
  help: 'take over the release from whoever holds it (always done: rollback never waits; the holder is named)',
} as const;

/** `rollback <service>`: 100 % back to the last good colour in one weight change, then verified. */
export const rollback: Command<RollbackOptions> = {
  name: 'rollback',
  summary: 'send 100 % back to the last good colour in one weight change (also after promotion, while it is warm)',
  flags: { reason: REASON_FLAG, 'take-over': TAKE_OVER_FLAG, ...hookFlags(ROLLBACK_HOOK_POINTS) },
  parse: (values) => parseRollback(values),
  run: (ctx, { reason, takeOver, hooks }) =>
    runEngineCommand(ctx, { name: 'rollback', emergency: true, engine: { takeOver }, hooks, invoke: (engine) => engine.rollback({ reason }) }),
};

/** The options of `rollback` and `abort`. */
export function parseRollback(values: FlagValues): RollbackOptions {
  return { reason: stringFlag(values, 'reason', { nonEmpty: true }), takeOver: values['take-over'] === true, hooks: parseHookFlags(values, ROLLBACK_HOOK_POINTS) };
}
