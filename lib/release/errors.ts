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

/**
 * A command's deadline passed: the caller stopped calling AWS (lib/aws `AwsDeadlineError` extends it). The engine
 * reports it as a rollback that could not finish in time, not as a fault to retry.
 */
export class DeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineError';
  }
}

/** Error codes of a connection that failed or never answered. */
const NETWORK_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'];

/** Error names of AWS throttling and server-side faults. */
const TRANSIENT_NAMES = /^(TimeoutError|RequestTimeout.*)$|Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded|ServiceUnavailable|InternalError|InternalFailure/;

/**
 * Whether an error a port threw looks transient: AWS not answering (a timeout, a refused or reset connection),
 * throttling, or a 5xx. Retrying later may then work; an access denial or a missing resource will not. Duck-typed on
 * the shape AWS SDK errors have, so the engine imports no SDK.
 */
export function isTransientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || error instanceof DeadlineError) return false;
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (TRANSIENT_NAMES.test(e.name ?? '') || NETWORK_CODES.includes(e.code ?? '')) return true;
  const status = e.$metadata?.httpStatusCode;
  return (status !== undefined && (status >= 500 || status === 429)) || e.$retryable !== undefined;
}
