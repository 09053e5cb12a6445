import { ConcurrentReleaseError, ReleaseState } from './ports';

/**
 * Bad input from the caller: a flag, an option, a strategy. Nothing was read or changed.
 *
 * The CLI maps it to exit code 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Another release of the service is in progress (heartbeat fresh), or was interrupted and must be resumed or rolled
 * back before a new one starts.
 */
export class ReleaseInProgressError extends ConcurrentReleaseError {
  constructor(
    message: string,
    /** The release that is in the way. */
    public readonly state: ReleaseState,
  ) {
    super(message);
    this.name = 'ReleaseInProgressError';
  }
}

/** A `UsageError` naming the input, the problem and the value: `steps: must end at 100. Got "10,50".` */
export function usageError(name: string, problem: string, value: unknown): UsageError {
  return new UsageError(`${name}: ${problem} Got ${JSON.stringify(value)}.`);
}

/** Exit code for an error a command threw: 2 for a `UsageError`, 1 for anything else. */
export function exitCodeForError(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}
