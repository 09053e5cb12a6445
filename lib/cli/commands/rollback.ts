import type { Command } from '../command';
import { runEngineCommand } from '../engine-command';
import { REASON_FLAG, stringFlag } from '../flags';

/** What `rollback` (and `abort`) was asked to do. */
export interface RollbackOptions {
  /** `--reason`, recorded in the release record. */
  readonly reason?: string;
}

/** `rollback <service>`: 100 % back to the last good colour in one weight change, then verified. */
export const rollback: Command<RollbackOptions> = {
  name: 'rollback',
  summary: 'send 100 % back to the last good colour in one weight change (also after promotion, while it is warm)',
  flags: { reason: REASON_FLAG },
  parse: (values) => ({ reason: stringFlag(values, 'reason', { nonEmpty: true }) }),
  run: (ctx, { reason }) => runEngineCommand(ctx, { name: 'rollback', emergency: true, invoke: (engine) => engine.rollback({ reason }) }),
};
