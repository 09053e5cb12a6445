import type { Command } from '../command';
import { runEngineCommand } from '../engine-command';
import { REASON_FLAG, stringFlag } from '../flags';
import { RollbackOptions, TAKE_OVER_FLAG } from './rollback';

/** `abort <service>`: the rollback of a release in progress only, recorded as `aborted`. */
export const abort: Command<RollbackOptions> = {
  name: 'abort',
  summary: 'stop the release in progress and roll it back',
  flags: { reason: REASON_FLAG, 'take-over': TAKE_OVER_FLAG },
  parse: (values) => ({ reason: stringFlag(values, 'reason', { nonEmpty: true }), takeOver: values['take-over'] === true }),
  run: (ctx, { reason, takeOver }) => runEngineCommand(ctx, { name: 'abort', emergency: true, engine: { takeOver }, invoke: (engine) => engine.abort({ reason }) }),
};
