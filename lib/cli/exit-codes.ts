import { ConcurrentReleaseError, ReleaseOutcome, UsageError } from '../release';
import { UnknownServiceError } from '../aws/unknown-service-error';
import { isAwsError } from './aws-errors';

/**
 * How a command ended, for pipelines: each kind has its own exit code, and `--json` results carry the kind as
 * `outcome`. 0 and 2 keep their old meaning; docs/RELEASING.md ("Exit codes") and `bluegreen --help` list them.
 */
export type OutcomeKind =
  | 'done'
  | 'rolled-back'
  | 'usage'
  | 'refused'
  | 'paused'
  | 'aws-error'
  | 'failed'
  | 'skewed'
  | 'awaiting-approval'
  | 'interrupted';

/** The exit code of each kind (`interrupted` is 128 + the signal's number: see `interruptedExitCode`). */
export const EXIT_CODES = {
  /** Did what was asked: released, rolled back (rollback, abort), promoted, scaled down, nothing to do, staged. */
  done: 0,
  /**
   * The release did not go through: traffic is back on the stable colour (rolled back or aborted). For `dr`: the
   * failover or failback failed part way and was undone; DNS never left the side it started on.
   */
  'rolled-back': 1,
  /** Bad input, reported before anything changed. */
  usage: 2,
  /** Refused before any change: a pre-flight check, another release in the way, nothing to promote... */
  refused: 3,
  /** A release is left in progress: interrupted, taken over by another process, or still running when `wait` gave up. */
  paused: 4,
  /** AWS could not be reached or refused the call: credentials, endpoint, throttling, access denied. */
  'aws-error': 5,
  /** The command could not finish and traffic may be anywhere: an unverified rollback, an unexpected error. */
  failed: 6,
  /**
   * A release of a service with a standby Region went through in the primary only: the standby was refused or rolled
   * back, so the Regions serve different versions (the result says which). Release the standby with --region-only.
   */
  skewed: 7,
  /**
   * The release waits at its current weight for a person: a declared pause (`--steps 10,pause,100`,
   * `--pause-before`) or an inconclusive step or pre-promotion hook. Still in progress and guarded by its gate alarms
   * and the auto-rollback: `bluegreen approve <service>` continues it, `bluegreen rollback <service>` ends it.
   */
  'awaiting-approval': 8,
} as const satisfies Record<Exclude<OutcomeKind, 'interrupted'>, number>;

/** One line per exit code, for `bluegreen --help`. */
export const EXIT_CODE_HELP: readonly string[] = [
  '  0  done: released, rolled back (rollback, abort), promoted, scaled down, nothing to do, status shown',
  '  1  rolled back: the release did not go through; traffic is back on the stable colour (dr: undone, DNS where it was)',
  '  2  usage: bad input (a flag, an unknown service or profile, no Region), nothing changed',
  '  3  refused before any change: a pre-flight check, another release in the way, no confirmation',
  '  4  paused: a release is left in progress (interrupted, taken over, wait timed out): resume or rollback',
  '  5  AWS error: credentials, endpoint, throttling or access denied; the message says the fix',
  '  6  failed: could not finish, traffic may be split: run status, then rollback (dr: dr status, then dr resume)',
  '  7  skewed: released in the primary Region only; the standby serves the old version (release --region-only)',
  '  8  awaiting approval: the release paused at its current weight, still guarded: approve or rollback',
  '  130/143  interrupted (SIGINT/SIGTERM) with no release left in progress by this command',
];

/** The kind of an exit code, for `--json` results. */
export function outcomeKind(exitCode: number): OutcomeKind {
  const found = Object.entries(EXIT_CODES).find(([, code]) => code === exitCode);
  return found ? (found[0] as OutcomeKind) : 'interrupted';
}

/** 128 + the signal's number, as shells report a process a signal ended: 130 for SIGINT, 143 for SIGTERM. */
export function interruptedExitCode(signal: 'SIGINT' | 'SIGTERM'): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/**
 * The exit code of an engine outcome. The engine says 0 or 1 relative to the command (a rollback that rolled back is
 * 0); this tells the reasons for 1 apart.
 */
export function exitCodeForOutcome(outcome: ReleaseOutcome): number {
  switch (outcome.status) {
    case 'succeeded':
    case 'noop':
    case 'scaled-down':
    case 'not-due':
      return EXIT_CODES.done;
    case 'rolled-back':
    case 'aborted':
      return outcome.exitCode === 0 ? EXIT_CODES.done : EXIT_CODES['rolled-back'];
    case 'refused':
      return EXIT_CODES.refused;
    case 'preempted':
      // Someone else wrote the record: say how the release stands now.
      switch (outcome.state?.status) {
        case 'succeeded':
          return EXIT_CODES.done;
        case 'rolled-back':
        case 'aborted':
          return EXIT_CODES['rolled-back'];
        case 'in-progress':
          return EXIT_CODES.paused;
        default:
          return EXIT_CODES.failed;
      }
    case 'failed':
      return EXIT_CODES.failed;
    case 'awaiting-approval':
      return EXIT_CODES['awaiting-approval'];
    default:
      return outcome.exitCode === 0 ? EXIT_CODES.done : EXIT_CODES.failed;
  }
}

/** The exit code of an error a command threw. */
export function exitCodeForError(error: unknown): number {
  if (error instanceof UsageError || error instanceof UnknownServiceError) return EXIT_CODES.usage;
  // Another release in the way, or the record changed under a command before it changed anything.
  if (error instanceof ConcurrentReleaseError) return EXIT_CODES.refused;
  if (isAwsError(error)) return EXIT_CODES['aws-error'];
  return EXIT_CODES.failed;
}
