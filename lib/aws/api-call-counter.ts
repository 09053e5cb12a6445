/**
 * Counts AWS API calls per service and operation, so the benchmark can report the cost of a step or a rollback.
 *
 * A call is one `client.send(command)`; an attempt is one HTTP request, so retries show as attempts > calls.
 */

/** Calls made to one operation. */
export interface ApiCallCount {
  /** Service id, as in the AWS CLI: `elbv2`, `ec2`, `autoscaling`, `cloudwatch`, `ssm`, `dynamodb`. */
  readonly service: string;
  /** Operation name, e.g. `DescribeRules`. */
  readonly operation: string;
  /** `send` calls. */
  readonly calls: number;
  /** HTTP requests, retries included. */
  readonly attempts: number;
}

/** What a middleware sees of the SDK's handler context. */
export interface CallContext {
  readonly commandName?: string;
}

/** A middleware that passes every request on unchanged; generic so it fits every client's stack. */
type PassThroughMiddleware = <A, R>(next: (args: A) => Promise<R>, context: CallContext) => (args: A) => Promise<R>;

/** The part of an SDK v3 client's middleware stack the counter uses. Every generated client satisfies it. */
export interface CountableClient {
  readonly middlewareStack: {
    add(middleware: PassThroughMiddleware, options: { step: 'initialize'; name: string; override?: boolean }): void;
    addRelativeTo(
      middleware: PassThroughMiddleware,
      options: { relation: 'after'; toMiddleware: string; name: string; override?: boolean },
    ): void;
  };
}

/** Counts the API calls of the clients it is attached to. */
export class ApiCallCounter {
  private readonly counts = new Map<string, { service: string; operation: string; calls: number; attempts: number }>();

  /**
   * Count every call `client` makes from now on under `service`.
   *
   * Calls are counted at the initialize step (once per send); attempts right after the retry middleware, which
   * runs its inner handlers once per HTTP request.
   */
  public attach(client: CountableClient, service: string): void {
    client.middlewareStack.add(
      (next, context) => (args) => {
        this.entry(service, context).calls++;
        return next(args);
      },
      { step: 'initialize', name: 'bluegreenApiCallCounter', override: true },
    );
    client.middlewareStack.addRelativeTo(
      (next, context) => (args) => {
        this.entry(service, context).attempts++;
        return next(args);
      },
      { relation: 'after', toMiddleware: 'retryMiddleware', name: 'bluegreenApiAttemptCounter', override: true },
    );
  }

  /** Calls so far: all of them, a service's, or one operation's. */
  public count(service?: string, operation?: string): number {
    let sum = 0;
    for (const c of this.counts.values()) {
      if ((service === undefined || c.service === service) && (operation === undefined || c.operation === operation)) sum += c.calls;
    }
    return sum;
  }

  /** HTTP requests so far, retries included. */
  public attempts(): number {
    let sum = 0;
    for (const c of this.counts.values()) sum += c.attempts;
    return sum;
  }

  /** Every operation called so far, sorted by service then operation. */
  public snapshot(): ApiCallCount[] {
    return [...this.counts.values()]
      .map((c) => ({ ...c }))
      .sort((a, b) => a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation));
  }

  /** Forget every count, e.g. between benchmark iterations. */
  public reset(): void {
    this.counts.clear();
  }

  private entry(service: string, context: CallContext) {
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    const key = `${service}:${operation}`;
    let found = this.counts.get(key);
    if (!found) {
      found = { service, operation, calls: 0, attempts: 0 };
      this.counts.set(key, found);
    }
    return found;
  }
}
