import type { Command } from '../command';
import { runEngineCommand } from '../engine-command';

/** What `scale-down` was asked to do. */
export interface ScaleDownOptions {
  /** `--force`: now, before the scale-down time, or the idle candidate after a rollback. */
  readonly force: boolean;
}

/** `scale-down <service>`: the old colour to standby once its scale-down time has passed. */
export const scaleDown: Command<ScaleDownOptions> = {
  name: 'scale-down',
  summary: 'put the old colour in standby once its scale-down time has passed',
  flags: { force: { type: 'boolean', help: 'scale the idle colour down now, before its scale-down time, or after a rollback' } },
  parse: (values) => ({ force: values.force === true }),
  run: (ctx, { force }) => runEngineCommand(ctx, { name: 'scale-down', invoke: (engine) => engine.scaleDown({ force }) }),
};
