import { Duration, Token, Tokenization } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { checkIntRange, propError } from '../private/validate';
import { HookPoint } from './hook-point';
import { HOOK_NAME, HookPointName, ReleaseHookDescriptor } from '../../lib/contract';

/** Options of a release hook. */
export interface ReleaseHookOptions {
  /**
   * Name of the hook, unique within the service: a lower-case letter, then lower-case letters, digits and hyphens,
   * at most 40 characters. It is part of the idempotency key the hook receives and names the hook in the release
   * record and `bluegreen status`.
   */
  readonly name: string;
  /** Where in a release the hook runs. A contract hook must use `HookPoint.POST_PROMOTION`. */
  readonly point: HookPoint;
  /**
   * Time one attempt may take, a whole number of seconds from 1 second to 15 minutes. The release stops waiting
   * then and counts a failed attempt (a Lambda function may still be running: give it a timeout no longer than
   * this, so a retry never overlaps it).
   *
   * @default - Duration.minutes(5) for a Lambda function, Duration.seconds(30) for a webhook
   */
  readonly timeout?: Duration;
  /**
   * Attempts after the first when one fails, throws or times out (0 to 5). Every attempt gets the same idempotency
   * key, so make the hook idempotent.
   *
   * @default 1
   */
  readonly retries?: number;
  /**
   * Whether this is a contract (destructive) migration, such as dropping the column the previous version still
   * reads. A contract hook is never run during a release: the release records it `deferred`, and
   * `bluegreen contract <service>` runs it once the previous colour is in standby and can no longer take traffic
   * back. It must be declared at `HookPoint.POST_PROMOTION`.
   *
   * @default false
   */
  readonly contract?: boolean;
}

/** Time an attempt may take at most: Lambda's own limit for a synchronous invocation. */
const MAX_TIMEOUT_SECONDS = 900;
const DEFAULT_RETRIES = 1;
const MAX_RETRIES = 5;

/**
 * A hook declared on a service that runs once per release at its point: a Lambda function (invoked synchronously
 * with the hook event as JSON) or an HTTPS webhook (POSTed the same JSON; 2xx passes). Add it with
 * `BlueGreenService.addReleaseHook()`, which puts it in the service descriptor; `grantRelease()` lets the
 * `bluegreen` CLI invoke its function, and `AutoRollback` lets its own function invoke `ON_ROLLBACK` functions.
 *
 * A Lambda function answers `{ "verdict": "passed" | "failed" | "inconclusive", "detail": "..." }` (no verdict
 * passes; a function error fails the attempt); a webhook's 2xx body may carry the same.
 *
 * @example
 * service.addReleaseHook(ReleaseHook.lambdaFunction(expand, { name: 'expand-schema', point: HookPoint.PRE_RELEASE }));
 * service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/smoke', { name: 'smoke', point: HookPoint.POST_PROMOTION }));
 */
export class ReleaseHook {
  /**
   * A Lambda function, invoked synchronously (RequestResponse) with the hook event. Its ARN goes into the service
   * descriptor.
   *
   * @throws when an option is out of range
   */
  public static lambdaFunction(fn: lambda.IFunction, options: ReleaseHookOptions): ReleaseHook {
    return new ReleaseHook('lambda', fn.functionArn, options, Duration.minutes(5), fn, undefined);
  }

  /**
   * An HTTPS webhook, POSTed the hook event as JSON. A 2xx answer passes unless its body carries a verdict; anything
   * else fails the attempt. The URL is stored in the service descriptor (an SSM parameter that status readers can
   * read): do not put secrets in it.
   *
   * @throws when the URL is not `https://` or carries credentials, or an option is out of range
   */
  public static webhook(url: string, options: ReleaseHookOptions): ReleaseHook {
    checkWebhookUrl(url);
    return new ReleaseHook('webhook', url, options, Duration.seconds(30), undefined, url);
  }

  /** Name of the hook, unique within the service. */
  public readonly name: string;
  /** Where in a release the hook runs. */
  public readonly point: HookPoint;
  /** How the hook is run: `lambda` or `webhook`. */
  public readonly kind: string;
  /** The function's ARN (lambda) or the URL (webhook), as the descriptor lists it. */
  public readonly target: string;
  /** Time one attempt may take. */
  public readonly timeout: Duration;
  /** Attempts after the first. */
  public readonly retries: number;
  /** Whether this is a contract migration, run by `bluegreen contract` instead of during a release. */
  public readonly contract: boolean;
  /**
   * The function of a Lambda hook.
   *
   * @default - none: a webhook
   */
  public readonly function?: lambda.IFunction;
  /**
   * The URL of a webhook.
   *
   * @default - none: a Lambda hook
   */
  public readonly url?: string;

  private constructor(
    kind: 'lambda' | 'webhook',
    target: string,
    options: ReleaseHookOptions,
    defaultTimeout: Duration,
    fn: lambda.IFunction | undefined,
    url: string | undefined,
  ) {
    const factory = `ReleaseHook.${kind === 'lambda' ? 'lambdaFunction' : 'webhook'}`;
    if (!Token.isUnresolved(options.name) && !HOOK_NAME.test(options.name)) {
      throw propError(
        `${factory} name`,
        options.name,
        'must start with a lower-case letter, then lower-case letters, digits and hyphens, at most 40 characters (e.g. expand-schema).',
      );
    }
    const prop = (p: string) => `${factory} '${options.name}' ${p}`;
    const timeout = options.timeout ?? defaultTimeout;
    checkTimeout(prop('timeout'), timeout);
    const retries = options.retries ?? DEFAULT_RETRIES;
    checkIntRange(prop('retries'), retries, 0, MAX_RETRIES);
    const contract = options.contract ?? false;
    if (contract && options.point !== HookPoint.POST_PROMOTION) {
      throw propError(
        prop('point'),
        options.point.name,
        'a contract hook must be declared at HookPoint.POST_PROMOTION: it runs after a release was promoted, once `bluegreen contract <service>` finds the previous colour in standby.',
      );
    }
    this.kind = kind;
    this.name = options.name;
    this.point = options.point;
    this.target = target;
    this.timeout = timeout;
    this.retries = retries;
    this.contract = contract;
    this.function = fn;
    this.url = url;
  }

  public toString(): string {
    return `${this.kind} hook ${this.name} (${this.point.name}${this.contract ? ', contract' : ''})`;
  }

  /**
   * The hook as the descriptor's `releaseHooks` lists it (tokens resolve at deploy).
   *
   * @internal
   */
  public _descriptor(): ReleaseHookDescriptor {
    return {
      name: this.name,
      point: this.point.name as HookPointName,
      kind: this.kind as 'lambda' | 'webhook',
      target: this.target,
      timeoutSeconds: this.timeout.toSeconds(),
      retries: this.retries,
      contract: this.contract,
    };
  }
}

/** Throw unless the timeout (when resolved) is a whole number of seconds from 1 to 900. */
function checkTimeout(prop: string, timeout: Duration): void {
  if (timeout.isUnresolved()) return;
  const ms = timeout.toMilliseconds();
  if (ms % 1000 !== 0 || ms < 1000 || ms > MAX_TIMEOUT_SECONDS * 1000) {
    throw propError(prop, ms % 1000 === 0 ? timeout : `${ms / 1000} seconds`, `must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (15 minutes).`);
  }
}

/**
 * Throw unless the URL is `https://` with a host and no credentials. With tokens, only a literal start of the URL
 * is checked (for example `https://${api.domain}/smoke` passes, `http://${host}` does not).
 */
function checkWebhookUrl(url: string): void {
  const prop = 'ReleaseHook.webhook url';
  if (Token.isUnresolved(url)) {
    const head = Tokenization.reverseString(url).firstValue;
    if (typeof head === 'string' && !Token.isUnresolved(head)) {
      const start = head.slice(0, 'https://'.length).toLowerCase();
      if (!'https://'.startsWith(start)) {
        throw propError(prop, url, 'must be an https:// URL: the hook event is sent over HTTPS only.');
      }
    }
    return;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw propError(prop, url, 'must be an absolute https:// URL, e.g. https://ci.example.com/hooks/smoke.');
  }
  if (parsed.protocol !== 'https:') {
    throw propError(prop, url, 'must be an https:// URL: the hook event is sent over HTTPS only.');
  }
  if (parsed.username || parsed.password) {
    throw propError(prop, `${parsed.protocol}//***@${parsed.host}${parsed.pathname}`, 'must not carry credentials: the URL is stored in the service descriptor, which status readers can read.');
  }
}
