import type { ColourName } from '../../contract';
import type { Command } from '../command';
import { runEngineCommand } from '../engine-command';
import { colourFlag, colourFlagValue, SCALE_DOWN_DELAY_FLAG, scaleDownDelayFlag } from '../flags';

/** What `promote` was asked to do. */
export interface PromoteOptions {
  /** `--colour`: with no release in progress, the colour to settle split weights on. */
  readonly colour?: ColourName;
  /** `--scale-down-delay`. */
  readonly scaleDownDelayMs?: number;
}

/** `promote <service>`: 100 % to the candidate now, skipping the remaining steps. */
export const promote: Command<PromoteOptions> = {
  name: 'promote',
  summary: 'send 100 % to the candidate now, skipping the remaining steps',
  flags: {
    colour: colourFlag('with no release in progress: the colour to send all traffic to (settles split weights)'),
    'scale-down-delay': SCALE_DOWN_DELAY_FLAG,
  },
  parse: (values) => ({ colour: colourFlagValue(values), scaleDownDelayMs: scaleDownDelayFlag(values) }),
  run: (ctx, { colour, scaleDownDelayMs }) =>
    runEngineCommand(ctx, { name: 'promote', engine: { scaleDownDelayMs }, invoke: (engine) => engine.promote({ colour }) }),
};
