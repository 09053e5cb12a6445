import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ApiCallCounter } from './api-call-counter';

/** Default attempts per call (1 + 4 retries); adaptive mode also rate-limits the client when throttled. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Default timeouts: a rollback must not hang on a dead connection. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

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
   * Attempts per call, retries included.
   *
   * @default DEFAULT_MAX_ATTEMPTS
   */
  readonly maxAttempts?: number;
  /**
   * Counter the clients report their calls to.
   *
   * @default - a new counter, exposed as `AwsClients.counter`
   */
  readonly counter?: ApiCallCounter;
}

/** The SDK clients every adapter and the CLI share, configured once. */
export interface AwsClients {
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ec2: EC2Client;
  readonly autoscaling: AutoScalingClient;
  readonly cloudwatch: CloudWatchClient;
  readonly ssm: SSMClient;
  readonly dynamodb: DynamoDBClient;
  /** Counts every call the clients above make. */
  readonly counter: ApiCallCounter;
}

/**
 * Create the shared clients.
 *
 * Endpoints are left to the SDK's standard configuration, so `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`)
 * points them at a local emulator without code here knowing.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const config = {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: DEFAULT_CONNECTION_TIMEOUT_MS, requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS },
  };
  const counter = options.counter ?? new ApiCallCounter();
  const clients: AwsClients = {
    elbv2: new ElasticLoadBalancingV2Client(config),
    ec2: new EC2Client(config),
    autoscaling: new AutoScalingClient(config),
    cloudwatch: new CloudWatchClient(config),
    ssm: new SSMClient(config),
    dynamodb: new DynamoDBClient(config),
    counter,
  };
  counter.attach(clients.elbv2, 'elbv2');
  counter.attach(clients.ec2, 'ec2');
  counter.attach(clients.autoscaling, 'autoscaling');
  counter.attach(clients.cloudwatch, 'cloudwatch');
  counter.attach(clients.ssm, 'ssm');
  counter.attach(clients.dynamodb, 'dynamodb');
  return clients;
}

/**
 * The region the clients resolved (from the option or the SDK's standard resolution).
 *
 * @throws when no region is configured anywhere, with the fix in the message
 */
export async function clientRegion(clients: AwsClients): Promise<string> {
  try {
    return await clients.ssm.config.region();
  } catch {
    throw new Error('No AWS region configured. Pass --region or set AWS_REGION (or a region in your AWS profile).');
  }
}

/** Close the clients' sockets so a CLI process can exit at once. */
export function destroyAwsClients(clients: AwsClients): void {
  for (const c of [clients.elbv2, clients.ec2, clients.autoscaling, clients.cloudwatch, clients.ssm, clients.dynamodb]) c.destroy();
}
