import type { Command } from '../command';
import { runEngineCommand } from '../engine-command';
import { REASON_FLAG, stringFlag } from '../flags';
import type { RollbackOptions } from './rollback';

/** `abort <service>`: the rollback of a release in progress only, recorded as `aborted`. */
export const abort: Command<RollbackOptions> = {
  name: 'abort',
  summary: 'stop the release in progress and roll it back',
  flags: { reason: REASON_FLAG },
  parse: (values) => ({ reason: stringFlag(values, 'reason', { nonEmpty: true }) }),
  run: (ctx, { reason }) => runEngineCommand(ctx, { name: 'abort', emergency: true, invoke: (engine) => engine.abort({ reason }) }),
};
