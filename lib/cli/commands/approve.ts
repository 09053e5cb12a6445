import type { Command } from '../command';
import { runEngineCommand } from '../engine-command';
import { POLL_FLAG, pollFlag, SCALE_DOWN_DELAY_FLAG, scaleDownDelayFlag } from '../flags';
import { HookFlags, hookFlags, parseHookFlags, RELEASE_HOOK_POINTS } from '../hook-flags';

/** What `approve` was asked to do. */
export interface ApproveOptions {
  /** `--poll`. */
  readonly pollIntervalMs?: number;
  /** `--scale-down-delay`. */
  readonly scaleDownDelayMs?: number;
  /** `--pre-release-cmd` ... `--on-rollback-cmd`, `--hook-timeout`: the release's command hooks, given again. */
  readonly hooks: HookFlags;
}

/**
 * `approve <service>`: continue a release that waits for approval (a declared pause, or an inconclusive hook): the
 * gate is polled, and the release goes on from the next step as `resume` would. Exit codes as `release`: 0 promoted
 * (or nothing awaits approval), 1 rolled back, 3 refused (the gate fails now, nothing changed), 8 paused again.
 */
export const approve: Command<ApproveOptions> = {
  name: 'approve',
  summary: 'continue a release that waits for approval (a pause in its steps, or an inconclusive hook) from its next step; exit codes as release',
  flags: {
    poll: POLL_FLAG,
    'scale-down-delay': SCALE_DOWN_DELAY_FLAG,
    ...hookFlags(RELEASE_HOOK_POINTS),
  },
  details: [
    "Give the release's command hooks again (--step-cmd ...): their text is never stored in AWS, and a release whose",
    'command hook has not run yet is refused without it.',
    'Exit codes: 0 promoted, or nothing awaits approval; 1 rolled back (a gate or a hook failed); 3 refused (the gate',
    'fails now: wait or roll back; a command hook not given); 8 paused again at a later pause.',
  ],
  parse: (values) => ({ pollIntervalMs: pollFlag(values), scaleDownDelayMs: scaleDownDelayFlag(values), hooks: parseHookFlags(values, RELEASE_HOOK_POINTS) }),
  run: (ctx, { pollIntervalMs, scaleDownDelayMs, hooks }) =>
    runEngineCommand(ctx, { name: 'approve', engine: { pollIntervalMs, scaleDownDelayMs }, hooks, invoke: (engine) => engine.approve() }),
};
