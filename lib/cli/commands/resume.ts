import type { Command } from '../command';
import { runEngineCommand } from '../engine-command';
import { POLL_FLAG, pollFlag, SCALE_DOWN_DELAY_FLAG, scaleDownDelayFlag } from '../flags';
import { HookFlags, hookFlags, parseHookFlags, RELEASE_HOOK_POINTS } from '../hook-flags';

/** What `resume` was asked to do. */
export interface ResumeOptions {
  /** `--poll`. */
  readonly pollIntervalMs?: number;
  /** `--scale-down-delay`. */
  readonly scaleDownDelayMs?: number;
  /** `--take-over`: take over a release whose holder may be alive (another host), without waiting for its lease. */
  readonly takeOver?: boolean;
  /** `--pre-release-cmd` ... `--on-rollback-cmd`, `--hook-timeout`: the release's command hooks, given again. */
  readonly hooks?: HookFlags;
}

/** `resume <service>`: continue an interrupted release from its last verified step, which bakes again in full. */
export const resume: Command<ResumeOptions> = {
  name: 'resume',
  summary: 'continue an interrupted release from its last verified step',
  flags: {
    poll: POLL_FLAG,
    'scale-down-delay': SCALE_DOWN_DELAY_FLAG,
    'take-over': {
      type: 'boolean',
      help: 'take over now a release whose holder may still run (on another host, or alive here); it stops at its next record write',
    },
    ...hookFlags(RELEASE_HOOK_POINTS),
  },
  details: [
    "Give the release's command hooks again (--pre-release-cmd ...): their text is never stored in AWS, and a release",
    "whose command hook has not finished is refused without it. A release that awaits approval is refused: run 'approve'.",
  ],
  parse: (values) => ({
    pollIntervalMs: pollFlag(values),
    scaleDownDelayMs: scaleDownDelayFlag(values),
    takeOver: values['take-over'] === true,
    hooks: parseHookFlags(values, RELEASE_HOOK_POINTS),
  }),
  run: (ctx, { hooks, ...engine }) => runEngineCommand(ctx, { name: 'resume', engine, hooks, invoke: (e) => e.resume() }),
};
