import { parsePercent, ReleaseStrategy, UsageError, usageError } from '../../release';
import type { Command, FlagValues } from '../command';
import { releaseWithStandby } from '../dr-release';
import { runEngineCommand } from '../engine-command';
import { durationFlag, POLL_FLAG, pollFlag, SCALE_DOWN_DELAY_FLAG, scaleDownDelayFlag, stringFlag } from '../flags';
import { hasCommands, HookFlags, hookFlags, parseHookFlags, RELEASE_HOOK_POINTS } from '../hook-flags';
import { mergePauses, parsePauseBefore, parseStepsWithPauses, PAUSE_TOKEN } from '../pauses';

/** What `release` was asked to do. */
export interface ReleaseOptions {
  /** How traffic moves. */
  readonly strategy: ReleaseStrategy;
  /** `--poll`. */
  readonly pollIntervalMs?: number;
  /** `--scale-down-delay`. */
  readonly scaleDownDelayMs?: number;
  /** `--allow-undeployed-image`: release what the candidate runs even when the manifest stages another image. */
  readonly allowUndeployedImage?: boolean;
  /** `--region-only`: with a standby Region, release the command's Region alone. */
  readonly regionOnly?: boolean;
  /**
   * 0-based indices of the steps to pause before for approval: `pause` tokens in `--steps` and `--pause-before`.
   * Undefined when none.
   */
  readonly pauseBefore?: readonly number[];
  /** `--pre-release-cmd` ... `--on-rollback-cmd`, `--hook-timeout`. */
  readonly hooks?: HookFlags;
}

/** `release <service>`: pre-flight, steps with read-back and bakes, promotion; rollback on a failed gate. */
export const release: Command<ReleaseOptions> = {
  name: 'release',
  summary: 'shift traffic to the idle colour step by step, gated on health and alarms; roll back on failure',
  flags: {
    strategy: { type: 'string', example: 'canary', help: 'steps | canary | linear | all-at-once (default: steps, or as implied by --canary, --linear or --interval)' },
    steps: {
      type: 'string',
      example: '10,25,50,100',
      help: `the candidate's share at each step, ending at 100 (default 10,25,50,75,100); '${PAUSE_TOKEN}' before a step waits there for 'bluegreen approve', e.g. 10,25,50,${PAUSE_TOKEN},100`,
    },
    'pause-before': {
      type: 'string',
      example: '100',
      help: "step weights to pause before, e.g. 100 or 50,100 (any strategy): the release waits at the previous step's weight, still guarded, and exits 8 until 'bluegreen approve'",
    },
    bake: { type: 'string', example: '5m', help: 'how long each step bakes, up to 24h (default 5m; all-at-once 0s). The default release takes about 25m' },
    canary: { type: 'string', example: '10', help: 'canary share, 1 to 99 (default 10): canary, bake, 100 %, bake' },
    linear: { type: 'string', example: '25', help: 'linear increment, 1 to 100 (default 25): 25, 50, 75, 100 %' },
    interval: { type: 'string', example: '2m', help: 'bake time of each linear step (default 5m)' },
    poll: POLL_FLAG,
    'scale-down-delay': SCALE_DOWN_DELAY_FLAG,
    'allow-undeployed-image': {
      type: 'boolean',
      help: 'release even when the candidate does not run the image the manifest stages for it (the stage was not deployed), or a standby whose idle colour runs another image than the primary serves: it releases what the candidate runs now',
    },
    'region-only': {
      type: 'boolean',
      help: 'a service with a standby Region: release only the Region of --region (default: the primary, then the standby, each gated on its own health)',
    },
    ...hookFlags(RELEASE_HOOK_POINTS),
  },
  parse: (values) => {
    const { strategy, pauseBefore: inSteps } = strategyOf(values);
    const flag = stringFlag(values, 'pause-before');
    const pauseBefore = mergePauses(inSteps, flag !== undefined ? parsePauseBefore(flag, strategy.steps) : undefined);
    return {
      strategy,
      pollIntervalMs: pollFlag(values),
      scaleDownDelayMs: scaleDownDelayFlag(values),
      allowUndeployedImage: values['allow-undeployed-image'] === true,
      regionOnly: values['region-only'] === true,
      ...(pauseBefore ? { pauseBefore } : {}),
      hooks: parseHookFlags(values, RELEASE_HOOK_POINTS),
    };
  },
  run: (ctx, { strategy, pollIntervalMs, scaleDownDelayMs, allowUndeployedImage, regionOnly, pauseBefore, hooks }) =>
    runEngineCommand(ctx, {
      name: 'release',
      engine: { pollIntervalMs, scaleDownDelayMs, allowUndeployedImage },
      expect: { steps: strategy.steps.length, bakeMs: strategy.bakeMs, pauseBefore },
      hooks,
      invoke: (engine) => engine.release({ strategy, pauseBefore }),
      plan: (engine) => engine.plan({ strategy, pauseBefore }),
      confirm: regionOnly
        ? async () => `--region-only applies to a service with a standby Region; ${ctx.global.service} has none in its descriptor. Release it without --region-only.`
        : undefined,
      withStandby: (descriptor, options, manifestUsable) => {
        // A staggered release drives one engine per Region: which of them would pause, or run a migration? Not yet.
        if (pauseBefore || hasCommands(hooks)) {
          const what = pauseBefore ? `a pause ('${PAUSE_TOKEN}' in --steps, --pause-before)` : 'a command hook (--*-cmd)';
          throw new UsageError(
            `${ctx.global.service} has a standby Region (${descriptor.disasterRecovery?.role} in ${descriptor.region}): a release of it cannot take ${what} yet. Release it without, and run the command around it.`,
          );
        }
        // The construct refuses hooks on a DR pair; a descriptor that has them anyway is refused rather than released
        // without running them.
        if (descriptor.releaseHooks?.length) {
          throw new UsageError(
            `${ctx.global.service} has a standby Region and declares release hooks (${descriptor.releaseHooks.map((h) => h.name).join(', ')}), which a release of a DR pair does not run yet: remove them from the service, or release with a pipeline step around the migration.`,
          );
        }
        return releaseWithStandby(ctx, descriptor, options, { strategy, regionOnly: regionOnly === true, allowUndeployedImage: allowUndeployedImage === true, manifestUsable });
      },
    }),
};

/** The flags each strategy takes; any other strategy's flag is refused rather than ignored. */
const STRATEGY_FLAGS: Readonly<Record<string, readonly string[]>> = {
  steps: ['steps', 'bake'],
  canary: ['canary', 'bake'],
  linear: ['linear', 'interval'],
  'all-at-once': ['bake'],
};

/**
 * The release strategy from `--strategy`, or implied by the flags given: `--canary` means canary, `--linear` linear,
 * otherwise explicit steps (`--steps`, default 10,25,50,75,100). A flag of another strategy is refused rather than
 * ignored, so a typo never releases faster than intended. `pause` tokens in `--steps` come back as `pauseBefore`.
 */
function strategyOf(v: FlagValues): { strategy: ReleaseStrategy; pauseBefore?: number[] } {
  const given = (f: string) => v[f] !== undefined;
  const kind = stringFlag(v, 'strategy') ?? (given('canary') ? 'canary' : given('linear') || given('interval') ? 'linear' : 'steps');
  const allowed = STRATEGY_FLAGS[kind];
  if (!allowed) throw usageError('--strategy', "must be 'steps', 'canary', 'linear' or 'all-at-once'.", kind);
  for (const f of ['steps', 'bake', 'canary', 'linear', 'interval']) {
    if (given(f) && !allowed.includes(f)) {
      const hint = f === 'bake' && kind === 'linear' ? ' Linear steps bake for --interval.' : '';
      throw usageError(`--${f}`, `does not apply to the ${kind} strategy, which takes ${allowed.map((a) => `--${a}`).join(', ')}.${hint}`, stringFlag(v, f));
    }
  }
  const bake = durationFlag(v, 'bake', 0, ReleaseStrategy.MAX_BAKE_MS);
  switch (kind) {
    case 'canary':
      return { strategy: ReleaseStrategy.canary(parsePercent(stringFlag(v, 'canary') ?? '10', '--canary', 1, 99), bake ?? ReleaseStrategy.DEFAULT_BAKE_MS) };
    case 'linear': {
      const percent = parsePercent(stringFlag(v, 'linear') ?? '25', '--linear', 1, 100);
      return { strategy: ReleaseStrategy.linear(percent, durationFlag(v, 'interval', 0, ReleaseStrategy.MAX_BAKE_MS) ?? ReleaseStrategy.DEFAULT_BAKE_MS) };
    }
    case 'all-at-once':
      return { strategy: ReleaseStrategy.allAtOnce(bake ?? 0) };
    default: {
      const parsed = given('steps') ? parseStepsWithPauses(stringFlag(v, 'steps') ?? '', '--steps') : undefined;
      const strategy = ReleaseStrategy.explicitSteps(parsed?.steps, bake ?? ReleaseStrategy.DEFAULT_BAKE_MS);
      return parsed?.pauseBefore.length ? { strategy, pauseBefore: parsed.pauseBefore } : { strategy };
    }
  }
}
