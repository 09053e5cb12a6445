import type { ColourName } from '../../contract';
import { allTo, formatWeights, ReleasePorts, sameWeights } from '../../release';
import type { Command, CommandContext } from '../command';
import { runEngineCommand } from '../engine-command';
import { colourFlag, colourFlagValue, SCALE_DOWN_DELAY_FLAG, scaleDownDelayFlag } from '../flags';
import { HookFlags, hookFlags, parseHookFlags, PROMOTE_HOOK_POINTS } from '../hook-flags';

/** What `promote` was asked to do. */
export interface PromoteOptions {
  /** `--colour`: with no release in progress, the colour to settle split weights on. */
  readonly colour?: ColourName;
  /** `--scale-down-delay`. */
  readonly scaleDownDelayMs?: number;
  /** `--yes`: no question before moving all traffic at once with no release in progress. */
  readonly yes?: boolean;
  /** `--post-promotion-cmd`, `--on-rollback-cmd`, `--hook-timeout`. */
  readonly hooks?: HookFlags;
}

/** `promote <service>`: 100 % to the candidate now, skipping the remaining steps. */
export const promote: Command<PromoteOptions> = {
  name: 'promote',
  summary: 'send 100 % to the candidate now, skipping the remaining steps',
  flags: {
    colour: colourFlag('with no release in progress: the colour to send all traffic to (settles split weights); asks first on a terminal'),
    'scale-down-delay': SCALE_DOWN_DELAY_FLAG,
    yes: { type: 'boolean', short: 'y', help: 'with --colour and no release in progress: do not ask (required off a terminal)' },
    ...hookFlags(PROMOTE_HOOK_POINTS),
  },
  parse: (values) => ({
    colour: colourFlagValue(values),
    scaleDownDelayMs: scaleDownDelayFlag(values),
    yes: values.yes === true,
    hooks: parseHookFlags(values, PROMOTE_HOOK_POINTS),
  }),
  run: (ctx, { colour, scaleDownDelayMs, yes, hooks }) =>
    runEngineCommand(ctx, {
      name: 'promote',
      engine: { scaleDownDelayMs },
      hooks,
      confirm: colour !== undefined && !yes ? (ports) => confirmAllAtOnce(ctx, ports, colour) : undefined,
      invoke: (engine) => engine.promote({ colour }),
    }),
};

/**
 * `promote --colour` with no release in progress moves every request to `colour` in one weight change, with no steps
 * and no bake: ask first. Off a terminal no one can answer, so `--yes` is required. A release in progress (whose
 * candidate the engine promotes) and a colour that already has all traffic need no question.
 *
 * @returns the refusal, or undefined to go on
 */
async function confirmAllAtOnce(ctx: CommandContext, ports: ReleasePorts, colour: ColourName): Promise<string | undefined> {
  const [record, weights] = await Promise.all([ports.state.read(), ports.traffic.getWeights()]);
  if (record?.state.status === 'in-progress' || sameWeights(weights, allTo(colour))) return undefined;
  const service = ctx.global.service;
  const move = `${formatWeights(weights)} -> ${formatWeights(allTo(colour))}`;
  if (!ctx.io.confirm) {
    return (
      `Not promoted: with no release in progress, promote --colour ${colour} moves all traffic of ${service} at once (${move}), ` +
      `with no steps and no bake. Off a terminal no one can confirm: add --yes (bluegreen promote ${service} --colour ${colour} --yes). Nothing changed.`
    );
  }
  const yes = await ctx.io.confirm(`No release of ${service} is in progress. Move all traffic to ${colour} now, in one step with no bake (${move})?`);
  return yes ? undefined : `Not promoted: not confirmed. Nothing changed.`;
}
