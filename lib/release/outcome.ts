import { ReleaseState, Weights } from './ports';

/**
 * How a command ended.
 *
 * - `succeeded`: promoted (release, resume, promote).
 * - `rolled-back`: 100 % back on the last good colour, verified.
 * - `aborted`: an in-progress release was stopped and rolled back, verified.
 * - `refused`: a check failed or the command does not apply; nothing was changed.
 * - `preempted`: someone else (abort, rollback, promote, a takeover) changed the release record; this process stopped.
 * - `failed`: the command could not finish (a rollback that did not verify, a promotion that could not be recorded).
 * - `noop`: nothing to do.
 * - `scaled-down`: the idle colour went to standby.
 * - `not-due`: the scale-down is scheduled for later.
 * - `awaiting-approval`: the release waits at its current weight for `approve()` (a declared pause, or an
 *   inconclusive pre-release, step or pre-promotion hook); still in progress and guarded. Exit code 1 (the release
 *   has not finished); the CLI maps the status to its own code.
 */
export type OutcomeStatus =
  | 'succeeded'
  | 'rolled-back'
  | 'aborted'
  | 'refused'
  | 'preempted'
  | 'failed'
  | 'noop'
  | 'scaled-down'
  | 'not-due'
  | 'awaiting-approval';

/** One pre-flight check and its verdict. */
export interface PreflightCheck {
  /**
   * Stable id: `no-release-in-progress`, `weights-settled`, `candidate-idle`, `candidate-capacity`,
   * `candidate-healthy`, `live-healthy`, `candidate-alarms`, `live-alarms`, and `candidate-image` when the engine was
   * given the manifest's staged images.
   */
  readonly name: string;
  /** Whether it passed. */
  readonly ok: boolean;
  /** One line: what was seen and, when failed, the fix. */
  readonly detail: string;
}

/** What a command returns; the CLI prints `message` and exits with `exitCode`. */
export interface ReleaseOutcome {
  /** How it ended. */
  readonly status: OutcomeStatus;
  /**
   * 0 when the command did what was asked, else 1. Relative to the command: a `release` that was rolled back
   * exits 1, a `rollback` that rolled back exits 0. `awaiting-approval` is always 1 (`release`, `approve`): the
   * release has not finished, so a caller that only looks at the code never takes it for released. (Thrown
   * `UsageError`s map to 2: see `exitCodeForError`.)
   */
  readonly exitCode: number;
  /** One line for humans. */
  readonly message: string;
  /** The release concerned, when there is one. */
  readonly releaseId?: string;
  /** The release record as last written or read, when there is one. */
  readonly state?: ReleaseState;
  /** The weights at the end, when known: verified after a change, or as read when nothing changed. */
  readonly weights?: Weights;
  /** 1-based step whose gate or read-back failed, for a release that rolled back. */
  readonly failedStep?: number;
  /** Pre-flight checks, for a refused release. */
  readonly checks?: PreflightCheck[];
}

/**
 * What `reconcile()` did.
 *
 * - `none`: nothing needed (or nothing safe to do: see the outcome's status and message).
 * - `restored`: traffic or the test route disagreed with an ended release's record (a late weight change): 100 %
 *   was set again, verified, on the colour the record makes live (the stable colour of a rolled-back or aborted
 *   release, the candidate of a promoted one).
 * - `rolled-back`: an interrupted release (heartbeat older than its lease), or a release awaiting approval, whose
 *   candidate's gate fails was rolled back.
 * - `scaled-down`: the old colour of a promoted release, past `scaleDownAt`, was put in standby.
 */
export type ReconcileAction = 'none' | 'restored' | 'rolled-back' | 'scaled-down';

/** What `reconcile()` returns: an outcome, and which repair it made. */
export interface ReconcileOutcome extends ReleaseOutcome {
  /** The repair made, if any. */
  readonly action: ReconcileAction;
}
