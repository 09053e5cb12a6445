/**
 * What an operator sees of AWS faults: every retry the SDK makes reported on a line of its own, and a deadline after
 * which a command stops calling AWS. Loads no SDK: the middleware is attached by `createAwsClients` to each client.
 */
import { CallContext, CountableClient } from './api-call-counter';
import { DeadlineError } from '../release/errors';
import { ReleaseEventType } from '../release/events';
import { ReleaseEvent } from '../release/ports';

/** One retry the SDK is about to send, after an attempt that failed with a retryable error. */
export interface AwsRetryNotice {
  /** Service id, as in the AWS CLI: `elbv2`, `dynamodb`... */
  readonly service: string;
  /** Operation, e.g. `DescribeTargetHealth`. */
  readonly operation: string;
  /** 1 for the first retry. */
  readonly retry: number;
  /** Retries allowed in all (attempts per call - 1). */
  readonly retries: number;
  /** What the previous attempt failed with: `TimeoutError`, `ECONNREFUSED`, `ThrottlingException`... */
  readonly cause: string;
  /** Why, for humans: `no answer within 5s`, `connection refused`, `throttled`... */
  readonly detail: string;
  /** `not-answering` (timeouts, refused or reset connections), `throttled`, or `error` (5xx and other transient). */
  readonly kind: 'not-answering' | 'throttled' | 'error';
  /** Epoch ms. */
  readonly at: number;
}

/** Receives retry notices. */
export type AwsRetryListener = (notice: AwsRetryNotice) => void;

/**
 * The one-line text of a retry: `AWS not answering: elbv2 DescribeTargetHealth, retry 2 of 3 (no answer within 5s)`.
 */
export function retryMessage(n: AwsRetryNotice): string {
  const head = n.kind === 'throttled' ? 'AWS throttling' : n.kind === 'error' ? 'AWS error' : 'AWS not answering';
  return `${head}: ${n.service} ${n.operation}, retry ${n.retry} of ${n.retries} (${n.detail})`;
}

/** A retry notice as an engine event (type `aws-retry`), for the same output as the engine's own events. */
export function retryEvent(n: AwsRetryNotice): ReleaseEvent {
  return { type: ReleaseEventType.AWS_RETRY, message: retryMessage(n), at: n.at };
}

/**
 * A call that was still unanswered when the command's deadline passed, or that would have started after it. Not
 * retried. Its message names the call, the deadline and what to do.
 */
export class AwsDeadlineError extends DeadlineError {
  constructor(
    public readonly service: string,
    public readonly operation: string,
    /** What the deadline bounds, e.g. `the rollback's 30s deadline`. */
    public readonly deadline: string,
  ) {
    super(
      `AWS did not answer ${service} ${operation} within ${deadline}, so bluegreen stopped calling AWS. ` +
        'Traffic is where the last verified change left it: run the same command again once AWS answers ' +
        '(bluegreen status shows the weights; https://health.aws.amazon.com shows AWS incidents).',
    );
    this.name = 'AwsDeadlineError';
  }
}

/** The deadline set on a set of clients. */
export interface AwsDeadline {
  /** Epoch ms. */
  readonly at: number;
  /** What it bounds, for messages: `the rollback's 30s deadline`. */
  readonly label: string;
}

/** Mutable state the middleware of all the clients of one `AwsClients` share. */
export class AwsFaultState {
  public deadline?: AwsDeadline;
  private readonly listeners = new Set<AwsRetryListener>();

  /** Subscribe; returns the unsubscribe function. */
  public onRetry(listener: AwsRetryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  public notify(notice: AwsRetryNotice): void {
    for (const l of [...this.listeners]) {
      try {
        l(notice);
      } catch {
        // A listener's failure must not fail the AWS call.
      }
    }
  }
}

/** A client the fault handling attaches to: the same middleware-stack shape the call counter uses. */
export type FaultHandledClient = CountableClient;

/** Header the SDK's retry middleware sets on every attempt: `attempt=2; max=4`. */
const ATTEMPT_HEADER = 'amz-sdk-request';

/**
 * Attach retry reporting and the deadline to `client`:
 *
 * - right after the SDK's retry middleware (once per HTTP attempt): an attempt numbered 2 or more is a retry, reported
 *   with what the attempt before it failed with; past the deadline no attempt is sent, and an attempt still unanswered
 *   at the deadline is abandoned with `AwsDeadlineError`, which the SDK does not retry;
 * - at the initialize step (once per call): the whole call, retries and back-off included, ends at the deadline.
 */
export function attachFaultHandling(client: FaultHandledClient, service: string, state: AwsFaultState): void {
  const failures = new WeakMap<object, unknown>();
  client.middlewareStack.add(
    (next, context) => (args) => withDeadline(next(args), state.deadline, service, operationOf(context)),
    { step: 'initialize', name: 'bluegreenDeadline', override: true },
  );
  client.middlewareStack.addRelativeTo(
    (next, context) => async (args) => {
      const operation = operationOf(context);
      const deadline = state.deadline;
      if (deadline && Date.now() >= deadline.at) throw new AwsDeadlineError(service, operation, deadline.label);
      const request = (args as { readonly request?: { readonly headers?: Record<string, string> } }).request;
      const attempt = /attempt=(\d+); max=(\d+)/.exec(request?.headers?.[ATTEMPT_HEADER] ?? '');
      if (attempt && Number(attempt[1]) > 1) {
        const previous = request ? failures.get(request) : undefined;
        state.notify({ service, operation, retry: Number(attempt[1]) - 1, retries: Number(attempt[2]) - 1, ...describeFailure(previous), at: Date.now() });
      }
      try {
        return await withDeadline(next(args), deadline, service, operation);
      } catch (e) {
        if (request) failures.set(request, e);
        throw e;
      }
    },
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'bluegreenRetryReporter', override: true },
  );
}

function operationOf(context: CallContext): string {
  return (context.commandName ?? 'Unknown').replace(/Command$/, '');
}

/** `call`, or `AwsDeadlineError` at the deadline, whichever comes first. */
function withDeadline<R>(call: Promise<R>, deadline: AwsDeadline | undefined, service: string, operation: string): Promise<R> {
  if (!deadline) return call;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AwsDeadlineError(service, operation, deadline.label)), Math.max(0, deadline.at - Date.now()));
  });
  // The call may still settle after the deadline won: that outcome is nobody's any more.
  call.catch(() => undefined);
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}

/** Error codes of a connection that never answered. */
const NOT_ANSWERING: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'endpoint name not found',
  EAI_AGAIN: 'endpoint name not resolved',
};

const THROTTLING = /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|ProvisionedThroughputExceeded|RequestThrottled|BandwidthLimitExceeded/;

function describeFailure(error: unknown): Pick<AwsRetryNotice, 'cause' | 'detail' | 'kind'> {
  const e = (error ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.code ?? '';
  if (e.name === 'TimeoutError') {
    const ms = /(\d+) ?ms/.exec(e.message ?? '');
    const within = ms ? ` within ${Number(ms[1]) / 1000}s` : ' in time';
    const connecting = /connection/i.test(e.message ?? '') && !/requestTimeout/.test(e.message ?? '');
    return { cause: 'TimeoutError', detail: connecting ? `no connection${within}` : `no answer${within}`, kind: 'not-answering' };
  }
  if (code in NOT_ANSWERING) return { cause: code, detail: NOT_ANSWERING[code], kind: 'not-answering' };
  const status = e.$metadata?.httpStatusCode;
  if (status === 429 || THROTTLING.test(e.name ?? '')) return { cause: e.name ?? 'Throttling', detail: 'throttled, backing off', kind: 'throttled' };
  const name = e.name && e.name !== 'Error' ? e.name : code || 'Error';
  return { cause: name, detail: status ? `HTTP ${status} ${name}` : name, kind: 'error' };
}
