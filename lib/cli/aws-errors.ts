/**
 * AWS SDK errors as one line a person can act on: what failed, and the fix. The one place the CLI maps SDK errors;
 * it tells them apart by name, code and message, so it loads no SDK.
 *
 * `annotateAwsErrors` adds the service, operation and endpoint of a failed call to its error (the SDK's own error for
 * a refused connection names neither), and `explainAwsError` turns an error into the message, or undefined when it
 * is not one of the problems below (the SDK's text is kept then).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { serviceName } from '../aws/clients';
import type { AwsClients, SdkClient, SdkClientClass } from '../aws/clients';
import { UsageError } from '../release';

/** What the CLI knows about the call that failed, attached to the error by `annotateAwsErrors`. */
export interface AwsCallInfo {
  /** The AWS CLI's name of the service: `elbv2`, `dynamodb`, `ssm`... */
  readonly service: string;
  /** The operation, e.g. `DescribeTargetHealth`. */
  readonly operation: string;
  /** The endpoint the call went to, when it was resolved. */
  readonly endpoint?: string;
}

/** Where the CLI keeps the call info on an error. */
const CALL_INFO = Symbol.for('bluegreen.awsCall');

/** The problems the CLI explains. */
export type AwsProblem = 'no-credentials' | 'expired-credentials' | 'invalid-credentials' | 'unreachable' | 'throttled' | 'access-denied';

/** What `explainAwsError` needs besides the error. */
export interface AwsErrorContext {
  /** `--profile`, or `AWS_PROFILE`. */
  readonly profile?: string;
  /** The Region the clients use, when known. */
  readonly region?: string;
  /** The environment (AWS_ENDPOINT_URL...). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** An explained error: its kind and the one line to print. */
export interface AwsErrorExplanation {
  readonly problem: AwsProblem;
  readonly message: string;
}


/** IAM's prefix for each service, to name the action of a denied call. */
const IAM_PREFIX: Readonly<Record<string, string>> = {
  elbv2: 'elasticloadbalancing',
  ec2: 'ec2',
  autoscaling: 'autoscaling',
  cloudwatch: 'cloudwatch',
  ssm: 'ssm',
  dynamodb: 'dynamodb',
};

/** The actions `BlueGreenService.grantStatus` gives; `grantRelease` gives these and the writes. */
const STATUS_ACTIONS: ReadonlySet<string> = new Set([
  'ssm:GetParameter',
  'dynamodb:GetItem',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetHealth',
  'cloudwatch:DescribeAlarms',
  'autoscaling:DescribeAutoScalingGroups',
]);

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const INVALID = new Set(['InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'AuthFailure', 'IncompleteSignature', 'MissingAuthenticationToken']);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'PriorRequestNotComplete',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'UnauthorizedAccess', 'Forbidden']);

/** Network error codes, and what they mean for the endpoint. */
const NETWORK: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'refused the connection',
  ENOTFOUND: 'does not resolve (DNS)',
  EAI_AGAIN: 'does not resolve (DNS lookup timed out)',
  ETIMEDOUT: 'did not answer in time',
  ECONNRESET: 'closed the connection',
  EPIPE: 'closed the connection',
  EHOSTUNREACH: 'is unreachable from this host',
  ENETUNREACH: 'is unreachable from this host (no route)',
  TimeoutError: 'did not answer in time',
};

interface ErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly address?: string;
  readonly port?: number;
  readonly hostname?: string;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
  readonly $fault?: string;
  readonly [CALL_INFO]?: AwsCallInfo;
}

/** The middleware stack calls the annotation needs; every SDK v3 client has them. */
interface AnnotatableClient {
  readonly config: { readonly serviceId: string };
  readonly middlewareStack: {
    add(
      middleware: <A, R>(next: (args: A) => Promise<R>, context: { commandName?: string; endpointV2?: { url?: URL } }) => (args: A) => Promise<R>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ): void;
  };
}

/**
 * `clients`, whose every failed call's error carries the service, the operation and the endpoint it went to, for
 * `explainAwsError`. The clients are the same objects; each gets one more middleware when first created.
 */
export function annotateAwsErrors(clients: AwsClients): AwsClients {
  const annotated = new WeakSet<object>();
  // Everything else of `clients` (its counter, and whatever else it offers) is reached through the prototype.
  const wrapped: AwsClients = Object.create(clients) as AwsClients;
  return Object.assign(wrapped, {
    get<C extends SdkClient>(type: SdkClientClass<C>): C {
      const client = clients.get(type);
      if (!annotated.has(client)) {
        annotated.add(client);
        annotate(client as unknown as AnnotatableClient);
      }
      return client;
    },
  });
}

function annotate(client: AnnotatableClient): void {
  // Only SDK clients have a middleware stack (tests may pass stand-ins).
  if (typeof client.middlewareStack?.add !== 'function') return;
  const serviceId = client.config.serviceId ?? 'aws';
  const service = serviceName(serviceId);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (e) {
        if (typeof e === 'object' && e !== null && !(CALL_INFO in e)) {
          const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
          const endpoint = context.endpointV2?.url?.href.replace(/\/$/, '');
          Object.defineProperty(e, CALL_INFO, { value: { service, operation, endpoint }, enumerable: false });
        }
        throw e;
      }
    },
    { step: 'initialize', name: 'bluegreenErrorAnnotation', override: true },
  );
}

/** The call an error came from, when `annotateAwsErrors` saw it. */
export function awsCallOf(error: unknown): AwsCallInfo | undefined {
  return typeof error === 'object' && error !== null ? (error as ErrorShape)[CALL_INFO] : undefined;
}

/** Whether `error` came from AWS or the way to it (an SDK error, a credential or network error), not from the CLI. */
export function isAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as ErrorShape;
  return e.$metadata !== undefined || e.$fault !== undefined || awsCallOf(error) !== undefined || e.name === 'CredentialsProviderError' || problemOf(e) !== undefined;
}

/** One line with the fix for the AWS problems a person can act on; undefined for any other error. */
export function explainAwsError(error: unknown, ctx: AwsErrorContext): AwsErrorExplanation | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as ErrorShape;
  const problem = problemOf(e);
  if (!problem) return undefined;
  const call = awsCallOf(error);
  const what = call ? `${call.service} ${call.operation}` : 'an AWS call';
  const code = e.name ?? e.code ?? 'Error';
  const profile = ctx.profile;
  const ofProfile = profile ? ` of profile '${profile}'` : '';
  const again = 'then run the command again.';
  switch (problem) {
    case 'no-credentials': {
      if (profile && /sso/i.test(e.message ?? '') && /expired|invalid|refresh/i.test(e.message ?? '')) {
        return { problem: 'expired-credentials', message: `The SSO session of profile '${profile}' has expired. Fix: aws sso login --profile ${profile}, ${again}` };
      }
      const message = profile
        ? `No AWS credentials for profile '${profile}' (${firstLine(e.message)}). Fix: aws sso login --profile ${profile} for an SSO profile, or give it keys or a role (aws configure --profile ${profile}), ${again}`
        : 'No AWS credentials found: no --profile or AWS_PROFILE, no AWS_ACCESS_KEY_ID in the environment, no default profile, no instance or task role. ' +
          `Fix: pass --profile <name> or set AWS_PROFILE (aws sso login --profile <name> first for SSO), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; in a pipeline, give the job a role; ${again}`;
      return { problem, message };
    }
    case 'expired-credentials': {
      const fix = profile ? `aws sso login --profile ${profile} (SSO), or assume the role again` : 'get new ones (assume the role again, aws sso login, or fresh keys)';
      return { problem, message: `AWS refused ${what}: the credentials${ofProfile} have expired (${code}). Fix: ${fix}, ${again}` };
    }
    case 'invalid-credentials':
      return {
        problem,
        message:
          `AWS refused ${what}: it does not know the credentials${ofProfile} (${code}: ${firstLine(e.message)}). ` +
          `Fix: check the access key and secret${profile ? ` in profile '${profile}'` : ' (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)'}, and that they belong to the account of ${ctx.region ?? 'the Region'}; ${again}`,
      };
    case 'unreachable': {
      const netCode = (e.code && NETWORK[e.code] ? e.code : undefined) ?? (e.name && NETWORK[e.name] ? e.name : undefined) ?? 'ECONNRESET';
      const endpoint = call?.endpoint ?? socketAddress(e) ?? (call && ctx.region ? `https://${call.service}.${ctx.region}.amazonaws.com` : 'the AWS endpoint');
      const attempts = e.$metadata?.attempts !== undefined && e.$metadata.attempts > 1 ? ` after ${e.$metadata.attempts} attempts` : '';
      const custom = ctx.env.AWS_ENDPOINT_URL ?? (call ? ctx.env[`AWS_ENDPOINT_URL_${call.service.toUpperCase()}`] : undefined);
      const where = custom ? `AWS_ENDPOINT_URL (${custom}), which sends the CLI there instead of AWS` : 'your network, VPN or proxy (HTTPS_PROXY)';
      return { problem, message: `Cannot reach AWS: ${endpoint} ${NETWORK[netCode] ?? 'failed'} (${netCode}) for ${what}${attempts}. Fix: check ${where}, ${again}` };
    }
    case 'throttled':
      return {
        problem,
        message:
          `AWS throttled ${what} (${code}) and the retries ran out: too many calls to it in this account and Region. ` +
          `Fix: wait a minute, ${again.replace(/\.$/, '')}; slow down other callers (a status --watch with a short --interval, scripts, dashboards).`,
      };
    case 'access-denied':
      return { problem, message: accessDenied(e, call, what) };
  }
}

function problemOf(e: ErrorShape): AwsProblem | undefined {
  const name = e.name ?? '';
  const code = e.code ?? '';
  const message = e.message ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential.*(not found|missing)/i.test(message)) {
    return /expired/i.test(message) && !/sso/i.test(message) ? 'expired-credentials' : 'no-credentials';
  }
  if (EXPIRED.has(name) || EXPIRED.has(code) || /security token included in the request is expired/i.test(message)) return 'expired-credentials';
  if (INVALID.has(name) || INVALID.has(code)) return 'invalid-credentials';
  if (THROTTLED.has(name) || THROTTLED.has(code)) return 'throttled';
  if (DENIED.has(name) || DENIED.has(code) || /is not authorized to perform/.test(message)) return 'access-denied';
  if (NETWORK[code] !== undefined || NETWORK[name] !== undefined || /socket hang up/i.test(message)) return 'unreachable';
  return undefined;
}

/** `Access denied: <who> may not <action> on <resource>. Fix: BlueGreenService.grant…` */
function accessDenied(e: ErrorShape, call: AwsCallInfo | undefined, what: string): string {
  const message = e.message ?? '';
  const principal = /User: (arn:\S+)/.exec(message)?.[1];
  const action = /perform: ([\w-]+:\w+)/.exec(message)?.[1] ?? (call ? `${IAM_PREFIX[call.service] ?? call.service}:${call.operation}` : undefined);
  const resource = /on resource: (\S+)/.exec(message)?.[1]?.replace(/[.,;]$/, '');
  const who = principal ?? 'these credentials';
  const on = resource ? ` on ${resource}` : '';
  if (!action) {
    return `Access denied: ${who} may not make ${what}${on} (${firstLine(message)}). Fix: grant it in the service's CDK app with BlueGreenService.grantRelease(<role>), deploy, then run the command again.`;
  }
  const grant = STATUS_ACTIONS.has(action)
    ? 'BlueGreenService.grantStatus(<role>) gives it (read-only; grantRelease gives it too)'
    : 'BlueGreenService.grantRelease(<role>) gives it';
  return `Access denied: ${who} may not call ${action}${on}. Fix: in the service's CDK app, ${grant}; deploy, then run the command again.`;
}

function socketAddress(e: ErrorShape): string | undefined {
  if (e.address !== undefined) return e.port !== undefined ? `${e.address}:${e.port}` : e.address;
  return e.hostname;
}

function firstLine(message: string | undefined): string {
  return (message ?? '').split('\n')[0].trim().replace(/\.$/, '');
}

/** Files the SDK reads profiles from. */
function profileFiles(env: Readonly<Record<string, string | undefined>>): { config: string; credentials: string } {
  const home = env.HOME ?? env.USERPROFILE ?? os.homedir();
  return {
    config: env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials'),
  };
}

/** The profile names in the shared config and credentials files, as the SDK reads them. */
export function knownProfiles(env: Readonly<Record<string, string | undefined>>): string[] {
  const files = profileFiles(env);
  const names = new Set<string>();
  const sections = (file: string) => {
    try {
      return [...fs.readFileSync(file, 'utf8').matchAll(/^\s*\[([^\]]+)\]/gm)].map((m) => m[1].trim());
    } catch {
      return [];
    }
  };
  for (const s of sections(files.config)) {
    if (s === 'default') names.add(s);
    const m = /^profile\s+(\S+)$/.exec(s);
    if (m) names.add(m[1]);
  }
  for (const s of sections(files.credentials)) names.add(s);
  return [...names].sort();
}

/**
 * Refuse a named profile the shared config files do not have, before any SDK call (which would fail with "Could not
 * load credentials from any providers", after a nine-line warning when credentials are in the environment too).
 *
 * @param flag how the user named it: `--profile` or `AWS_PROFILE`
 * @throws UsageError naming the profile, the files and the profiles there
 */
export function checkProfileExists(profile: string, flag: '--profile' | 'AWS_PROFILE', env: Readonly<Record<string, string | undefined>>): void {
  const known = knownProfiles(env);
  if (known.includes(profile)) return;
  const files = profileFiles(env);
  const there = known.length ? `profiles there: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}` : 'no profile there';
  throw new UsageError(
    `${flag === '--profile' ? '--profile' : 'AWS_PROFILE'} ${profile}: no such AWS profile in ${tidyHome(files.config, env)} or ${tidyHome(files.credentials, env)} (${there}). ` +
      `Fix: pass a profile that exists, or create it (aws configure --profile ${profile}, or aws configure sso --profile ${profile}).`,
  );
}

function tidyHome(file: string, env: Readonly<Record<string, string | undefined>>): string {
  const home = env.HOME ?? os.homedir();
  return home && file.startsWith(`${home}/`) ? `~/${file.slice(home.length + 1)}` : file;
}
