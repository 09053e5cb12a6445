/**
 * What the engine reports through `Logger.event`. Every event has a one-line `message`; events about traffic carry
 * `weights`, and events about a step carry `step` (1-based) and `steps` (how many), for a progress bar.
 */
export enum ReleaseEventType {
  /** Every pre-flight check passed. */
  PREFLIGHT_PASSED = 'preflight-passed',
  /** A pre-flight check failed (one event per failed check); nothing was changed. */
  PREFLIGHT_FAILED = 'preflight-failed',
  /** The release record was written; weights are about to move. */
  RELEASE_STARTED = 'release-started',
  /** An interrupted release is being continued. */
  RESUMED = 'resumed',
  /** This process took over a release another owner left (heartbeat older than the lease). */
  TAKEN_OVER = 'taken-over',
  /** A step begins; `weights` are its target. */
  STEP_STARTED = 'step-started',
  /** `setWeights` returned. */
  WEIGHTS_SET = 'weights-set',
  /** The read-back did not match yet; reading again (ALB updates can lag). */
  WEIGHTS_LAGGING = 'weights-lagging',
  /** The read-back matched. */
  WEIGHTS_VERIFIED = 'weights-verified',
  /** The read-back still differed after the last re-read; `weights` are what was read. */
  WEIGHTS_MISMATCH = 'weights-mismatch',
  /** A gate poll passed during a bake; the message says how much of the bake is done. */
  GATE_PASSED = 'gate-passed',
  /** A gate poll failed: unhealthy candidate targets or a firing alarm. A rollback follows. */
  GATE_FAILED = 'gate-failed',
  /**
   * A gate poll could not read the gate (AWS did not answer, or answered with an error): this poll earns no bake
   * credit. The bake goes on polling; past the lease without a reading it rolls back.
   */
  GATE_UNREAD = 'gate-unread',
  /**
   * The gate was not read for longer than two poll intervals: the step's bake starts again from 0 (`bakedMs` 0), since
   * nothing is known of the time in between.
   */
  BAKE_RESTARTED = 'bake-restarted',
  /** A heartbeat (release-record write during a bake) failed with an AWS error; the next poll tries again. */
  HEARTBEAT_FAILED = 'heartbeat-failed',
  /** A step baked for its whole bake time. */
  STEP_COMPLETED = 'step-completed',
  /**
   * `rollback()` or `abort()` was called: emitted before its first AWS call, so that progress shows at once. The
   * message says the deadline within which it finishes or gives up.
   */
  ROLLBACK_REQUESTED = 'rollback-requested',
  /**
   * A rollback attempt failed with a transient AWS error (no answer, throttling, a 5xx); it tries again after a pause,
   * until its deadline.
   */
  ROLLBACK_RETRYING = 'rollback-retrying',
  /** A rollback begins; `weights` are its target (100 % on the last good colour). */
  ROLLBACK_STARTED = 'rollback-started',
  /** Rolled back and verified. */
  ROLLED_BACK = 'rolled-back',
  /** Aborted: rolled back on request, verified. */
  ABORTED = 'aborted',
  /** A rollback could not be verified, or a port failed during it. */
  ROLLBACK_FAILED = 'rollback-failed',
  /**
   * A re-read after a verified rollback found other weights (a late change from another process landed after the
   * verify); `weights` are what was read. The rollback weights are set again.
   */
  WEIGHTS_CHANGED = 'weights-changed',
  /** The test route was pointed at a colour (named in the message). */
  TEST_ROUTE_SET = 'test-route-set',
  /** Promotion begins (the `promote` command). */
  PROMOTION_STARTED = 'promotion-started',
  /** The candidate is live and recorded as such. */
  PROMOTED = 'promoted',
  /** When the old colour will go to standby. */
  SCALE_DOWN_SCHEDULED = 'scale-down-scheduled',
  /** The old colour was set to standby. */
  SCALED_DOWN = 'scaled-down',
  /** Someone else (abort, rollback, promote, a takeover) changed the release record; this process stopped. */
  PREEMPTED = 'preempted',
  /** The command did not apply (nothing in progress, checks failed); nothing was changed. */
  REFUSED = 'refused',
  /**
   * A compare-and-set reported a conflict, but the stored record is the one this process just wrote (a retried
   * write whose first attempt landed): the stored version is adopted and the command goes on.
   */
  WRITE_ADOPTED = 'write-adopted',
  /**
   * Not emitted by the engine: the AWS adapters' notice that the SDK is retrying a call (lib/aws `retryEvent`), in
   * the same stream as the engine's events, e.g. `AWS not answering: elbv2 DescribeTargetHealth, retry 2 of 3 (no
   * answer within 5s)`.
   */
  AWS_RETRY = 'aws-retry',
  /**
   * Not emitted by the engine: a command started, before its first AWS call (the CLI's rollback and abort, which
   * read the service descriptor before the engine runs).
   */
  COMMAND_STARTED = 'command-started',
  /**
   * The release manifest stages an image for the candidate that it does not run (the stage was not deployed), and the
   * release goes on because `allowUndeployedImage` was set.
   */
  UNDEPLOYED_IMAGE_ALLOWED = 'undeployed-image-allowed',
  /**
   * A release hook was called (after its run was recorded `running`); `hook`, `point`, `step` (step hooks) and
   * `attempt` say which.
   */
  HOOK_STARTED = 'hook-started',
  /** A hook attempt failed, threw or timed out; it is tried again (the message says why and how many are left). */
  HOOK_RETRYING = 'hook-retrying',
  /** A hook passed (recorded). */
  HOOK_PASSED = 'hook-passed',
  /**
   * A hook failed after all its attempts (recorded), or was inconclusive where that counts as failed. At pre-release
   * the release is aborted with nothing moved; at a step or pre-promotion, or post-promotion, it rolls back; at
   * on-rollback it is only recorded.
   */
  HOOK_FAILED = 'hook-failed',
  /**
   * A hook could not decide (recorded): at a step or pre-promotion the release awaits approval. At pre-release and
   * post-promotion (and at any point of a service with a standby Region) an inconclusive verdict is recorded as
   * failed instead (`hook-failed`).
   */
  HOOK_INCONCLUSIVE = 'hook-inconclusive',
  /**
   * A hook is about to run that may not finish in time: a post-promotion hook whose worst case (timeout × attempts)
   * runs past the old colour's scale-down time.
   */
  HOOK_WARNING = 'hook-warning',
  /**
   * A contract (destructive) hook is not run at a release point: recorded `deferred`, for `contract()` once the old
   * colour is in standby. The message says when.
   */
  HOOK_DEFERRED = 'hook-deferred',
  /**
   * A hook the release was started with could not be run by this process (a local command hook given to the CLI
   * that started the release, during a rollback by another process or the auto-rollback): the message says how to
   * run it.
   */
  HOOK_SKIPPED = 'hook-skipped',
  /**
   * The release waits at its current weight for `approve()` (a declared pause, or an inconclusive hook): still in
   * progress, guarded by its gate alarms and the auto-rollback.
   */
  AWAITING_APPROVAL = 'awaiting-approval',
  /** A release waiting for approval was approved (gate polled and passed); it goes on. */
  APPROVED = 'approved',
}
