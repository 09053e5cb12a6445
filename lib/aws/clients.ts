import { ApiCallCounter, CountableClient } from './api-call-counter';
import { attachFaultHandling, AwsFaultState, AwsRetryListener, FaultHandledClient } from './aws-faults';

/**
 * Default attempts per call: 1 + 3 retries. Adaptive mode also rate-limits the client when throttled. With the
 * timeouts below, a call to an endpoint that accepts connections but never answers gives up after about 21 s
 * (4 × 5 s plus back-off), and every retry is reported (`AwsClients.onRetry`).
 */
export const DEFAULT_MAX_ATTEMPTS = 4;

/**
 * Default timeouts, per attempt: 3 s to connect, 5 s for the answer to start. AWS control-plane calls answer in well
 * under a second; waiting longer only hides an outage from the operator.
 */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/** Options of `createAwsClients`. */
export interface AwsClientOptions {
  /**
   * Region of every client.
   *
   * @default - the SDK's standard resolution (AWS_REGION, then the profile's region)
   */
  readonly region?: string;
  /**
   * Named profile for credentials and region.
   *
   * @default - the SDK's standard resolution (AWS_PROFILE, then `default`)
   */
  readonly profile?: string;
  /**
   * Endpoint of every client (a local emulator, a proxy).
   *
   * @default - the SDK's standard resolution (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, then AWS's)
   */
  readonly endpoint?: string;
  /**
   * Attempts per call, retries included.
   *
   * @default DEFAULT_MAX_ATTEMPTS
   */
  readonly maxAttempts?: number;
  /**
   * Time to establish a connection, per attempt.
   *
   * @default DEFAULT_CONNECTION_TIMEOUT_MS
   */
  readonly connectionTimeoutMs?: number;
  /**
   * Time for an answer to start once the request is sent (and the longest silence while it is read), per attempt.
   * An attempt that exceeds it fails with `TimeoutError`, which the SDK retries.
   *
   * @default DEFAULT_REQUEST_TIMEOUT_MS
   */
  readonly requestTimeoutMs?: number;
  /**
   * Counter the clients report their calls to.
   *
   * @default - a new counter, exposed as `AwsClients.counter`
   */
  readonly counter?: ApiCallCounter;
}

/** The configuration every client gets, whatever its service. */
export interface SharedClientConfig {
  readonly region?: string;
  readonly profile?: string;
  readonly endpoint?: string;
  readonly retryMode: string;
  readonly maxAttempts: number;
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    /** Idle socket timeout: a stalled answer body. */
    readonly socketTimeout: number;
    /** Without it the SDK only logs a warning when `requestTimeout` passes, and waits on. */
    readonly throwOnRequestTimeout: true;
    /** The handler's own warnings: silenced, since every retry is reported through `onRetry`. */
    readonly logger: { debug(): void; info(): void; warn(): void; error(): void };
  };
}

/** What the cache needs of an AWS SDK v3 client; every generated client has it. */
export interface SdkClient extends CountableClient, FaultHandledClient {
  readonly config: { readonly serviceId: string; region(): Promise<string> };
  destroy(): void;
}

/** An SDK v3 client class, such as `ElasticLoadBalancingV2Client`. */
export type SdkClientClass<C extends SdkClient> = new (config: SharedClientConfig) => C;

/**
 * The SDK clients the adapters and the CLI share: each created on first use, configured once, and counted.
 *
 * Loading an SDK client package costs process start time (EC2's alone is 1.2 MB), so nothing here imports one:
 * the caller passes the class, which its own module imports. A command then loads only the clients it calls.
 *
 * @example
 * const elb = clients.get(ElasticLoadBalancingV2Client);
 */
export interface AwsClients {
  /** The client of `type`: created on first use with the shared configuration and counted, then the same one. */
  get<C extends SdkClient>(type: SdkClientClass<C>): C;
  /** Service ids (`ssm`, `elbv2`...) of the clients created so far, in creation order. */
  created(): string[];
  /** Counts every call the clients make. */
  readonly counter: ApiCallCounter;
  /** Close the sockets of the clients created so far, so a CLI process can exit at once. */
  destroy(): void;
  /**
   * Be told of every retry any client sends (one notice per retry, before it is sent), e.g. to print
   * `AWS not answering: elbv2 DescribeTargetHealth, retry 2 of 3 (no answer within 5s)`.
   *
   * @returns a function that unsubscribes
   */
  onRetry(listener: AwsRetryListener): () => void;
  /**
   * Stop calling AWS at `at` (epoch ms): a call still unanswered then fails with `AwsDeadlineError` (not retried), and
   * no call or retry starts afterwards. `undefined` lifts it. `label` says what it bounds in the error message, e.g.
   * `the rollback's 30s deadline`.
   */
  setDeadline(at: number | undefined, label?: string): void;
}

/** The counter's names for the services, as in the AWS CLI, by the SDK's service id. */
const SERVICE_NAMES: Readonly<Record<string, string>> = {
  'Elastic Load Balancing v2': 'elbv2',
  EC2: 'ec2',
  'Auto Scaling': 'autoscaling',
  CloudWatch: 'cloudwatch',
  SSM: 'ssm',
  DynamoDB: 'dynamodb',
  S3: 's3',
  SNS: 'sns',
  Lambda: 'lambda',
  AppConfig: 'appconfig',
};

/** A service's short name (`elbv2`, `ssm`...) from the SDK's service id, as the counter and messages use it. */
export function serviceName(serviceId: string): string {
  return SERVICE_NAMES[serviceId] ?? serviceId.toLowerCase().replace(/\s+/g, '');
}

/**
 * Create the shared clients (none is constructed until `get` asks for it).
 *
 * Endpoints are left to the SDK's standard configuration, so `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`)
 * points them at a local emulator without code here knowing.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const config: SharedClientConfig = {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout,
      socketTimeout: requestTimeout,
      throwOnRequestTimeout: true,
      logger: SILENT_LOGGER,
    },
  };
  const counter = options.counter ?? new ApiCallCounter();
  const faults = new AwsFaultState();
  // Keyed by class: two modules asking for SSMClient get the same client.
  const cache = new Map<SdkClientClass<SdkClient>, { readonly client: SdkClient; readonly service: string }>();
  return {
    counter,
    get<C extends SdkClient>(type: SdkClientClass<C>): C {
      let entry = cache.get(type);
      if (!entry) {
        const client = new type(config);
        // The service id, not the class name: a minified bundle renames classes.
        const service = serviceName(client.config.serviceId);
        counter.attach(client, service);
        attachFaultHandling(client, service, faults);
        entry = { client, service };
        cache.set(type, entry);
      }
      return entry.client as C;
    },
    created: () => [...cache.values()].map((e) => e.service),
    destroy: () => {
      for (const { client } of cache.values()) client.destroy();
    },
    onRetry: (listener) => faults.onRetry(listener),
    setDeadline: (at, label) => {
      faults.deadline = at === undefined ? undefined : { at, label: label ?? 'the command\'s deadline' };
    },
  };
}

const SILENT_LOGGER = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
