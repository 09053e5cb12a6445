import type { Command } from '../command';
import { runEngineCommand } from '../engine-command';
import { REASON_FLAG } from '../flags';
import { hookFlags, ROLLBACK_HOOK_POINTS } from '../hook-flags';
import { parseRollback, RollbackOptions, TAKE_OVER_FLAG } from './rollback';

/** `abort <service>`: the rollback of a release in progress only, recorded as `aborted`. */
export const abort: Command<RollbackOptions> = {
  name: 'abort',
  summary: 'stop the release in progress and roll it back',
  flags: { reason: REASON_FLAG, 'take-over': TAKE_OVER_FLAG, ...hookFlags(ROLLBACK_HOOK_POINTS) },
  parse: (values) => parseRollback(values),
  run: (ctx, { reason, takeOver, hooks }) =>
    runEngineCommand(ctx, { name: 'abort', emergency: true, engine: { takeOver }, hooks, invoke: (engine) => engine.abort({ reason }) }),
};
