/**
 * The AWS clients' fault handling against a scripted local endpoint: every retry reported once, with what failed
 * (throttling, a 5xx, no answer), timeouts that end an attempt instead of warning, bounded attempts, and a deadline
 * that ends a call and stops further calls.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import * as http from 'http';
import { AddressInfo } from 'net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsDeadlineError, AwsRetryNotice, createAwsClients, retryEvent, retryMessage } from '../../lib/aws';
import { ReleaseEventType } from '../../lib/release';

/** How the endpoint answers the n-th request (1-based): a status and a DynamoDB error type, or silence. */
type Script = (n: number) => { status: number; type?: string } | 'hang';

let script: Script = () => ({ status: 200 });
let requests = 0;
let server: http.Server;
let endpoint: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = script(++requests);
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(answer.type ? JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`, message: 'scripted' }) : '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function clients(options: { requestTimeoutMs?: number; maxAttempts?: number } = {}) {
  const c = createAwsClients({ endpoint, region: 'eu-west-1', ...options });
  const notices: AwsRetryNotice[] = [];
  c.onRetry((n) => notices.push(n));
  return { c, notices, getItem: () => c.get(DynamoDBClient).send(new GetItemCommand({ TableName: 't', Key: { service: { S: 'web' } } })) };
}

process.env.AWS_ACCESS_KEY_ID ??= 'testing';
process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';

describe('AWS clients under faults', () => {
  it('report each retry once, before it is sent, with what the attempt before it failed with', async () => {
    // GIVEN throttled, then a 503, then an answer
    requests = 0;
    script = (n) => (n === 1 ? { status: 400, type: 'ThrottlingException' } : n === 2 ? { status: 503, type: 'ServiceUnavailable' } : { status: 200 });
    const { c, notices, getItem } = clients();

    // WHEN
    await getItem();

    // THEN
    expect(notices.map(retryMessage)).toEqual([
      'AWS throttling: dynamodb GetItem, retry 1 of 3 (throttled, backing off)',
      'AWS error: dynamodb GetItem, retry 2 of 3 (HTTP 503 ServiceUnavailable)',
    ]);
    expect(retryEvent(notices[0])).toMatchObject({ type: ReleaseEventType.AWS_RETRY, message: 'AWS throttling: dynamodb GetItem, retry 1 of 3 (throttled, backing off)' });
    expect(c.counter.attempts()).toBe(3);
    c.destroy();
  });

  it('end an attempt that gets no answer within the request timeout, and give up after the last attempt', async () => {
    // GIVEN an endpoint that never answers
    requests = 0;
    script = () => 'hang';
    const { c, notices, getItem } = clients({ requestTimeoutMs: 300, maxAttempts: 3 });

    // WHEN
    const started = Date.now();
    const error = await getItem().then(() => new Error('answered'), (e: unknown) => e as Error);

    // THEN 3 attempts of 300 ms and short back-offs, not a hang
    expect(error.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(3 * 300 + 1_500);
    expect(requests).toBe(3);
    expect(notices.map(retryMessage)).toEqual([
      'AWS not answering: dynamodb GetItem, retry 1 of 2 (no answer within 0.3s)',
      'AWS not answering: dynamodb GetItem, retry 2 of 2 (no answer within 0.3s)',
    ]);
    c.destroy();
  });

  it('stop calling AWS at the deadline: the call in flight ends then, and no call starts after it', async () => {
    // GIVEN an endpoint that never answers, and a deadline in 500 ms
    requests = 0;
    script = () => 'hang';
    const { c, notices, getItem } = clients({ requestTimeoutMs: 5_000 });
    const started = Date.now();
    c.setDeadline(started + 500, "the rollback's 500ms deadline");

    // WHEN / THEN
    const error = await getItem().then(() => new Error('answered'), (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(AwsDeadlineError);
    expect(error.message).toBe(
      "AWS did not answer dynamodb GetItem within the rollback's 500ms deadline, so bluegreen stopped calling AWS. Traffic is where the last verified " +
        'change left it: run the same command again once AWS answers (bluegreen status shows the weights; https://health.aws.amazon.com shows AWS incidents).',
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    const sent = requests;
    await expect(getItem()).rejects.toBeInstanceOf(AwsDeadlineError);
    expect(requests).toBe(sent);
    expect(notices).toEqual([]);

    // AND lifting it lets calls through again
    script = () => ({ status: 200 });
    c.setDeadline(undefined);
    await getItem();
    c.destroy();
  });
});
