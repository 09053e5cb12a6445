/**
 * WebhookHookRunner against an HTTP server the test serves on loopback (http://127.0.0.1, allowed only with the
 * runner's `allowInsecureLoopback` test option).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebhookHookRunner } from '../../lib/aws/hooks';
import { eventOf, hookOf } from './events';

/** What the server received, and how it answers each path. */
interface Received {
  readonly path: string;
  readonly method: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

const routes: Record<string, (res: http.ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(204).end(),
  '/plain': (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('fine, thanks'),
  '/broken': (res) => res.writeHead(500).end(`database is down ${'x'.repeat(400)}`),
  '/inconclusive': (res) => json(res, 200, { verdict: 'inconclusive', detail: 'p99 is borderline' }),
  '/failed': (res) => json(res, 202, { verdict: 'failed', detail: 'error budget spent' }),
  '/odd': (res) => json(res, 200, { verdict: 'maybe' }),
  '/detail': (res) => json(res, 200, { detail: 'checked 42 orders' }),
  '/redirect': (res) => res.writeHead(302, { location: 'https://example.com/' }).end(),
  '/slow': () => undefined, // never answers
};

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

let server: http.Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', method: req.method ?? '', headers: req.headers, body });
      (routes[req.url ?? ''] ?? ((r: http.ServerResponse) => r.writeHead(404).end()))(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

const hook = hookOf('smoke', 'webhook');
const event = eventOf(hook);

function runnerFor(path: string, options = { allowInsecureLoopback: true }): WebhookHookRunner {
  return new WebhookHookRunner({ smoke: `${base}${path}` }, options);
}

describe('WebhookHookRunner', () => {
  it('POSTs the event as JSON with its idempotency key, and a 2xx without a verdict passes', async () => {
    // WHEN the webhook answers 204
    const result = await runnerFor('/ok').run(hook, event, 2_000);

    // THEN it passed, and the server got the event once with the headers
    expect(result).toEqual({ verdict: 'passed' });
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['idempotency-key']).toBe('r-1:smoke:step:2');
    expect(JSON.parse(r.body)).toEqual(event);
  });

  it('passes on a 2xx whose body is not JSON, and keeps the detail of a JSON body without a verdict', async () => {
    expect(await runnerFor('/plain').run(hook, event, 2_000)).toEqual({ verdict: 'passed' });
    expect(await runnerFor('/detail').run(hook, event, 2_000)).toEqual({ verdict: 'passed', detail: 'checked 42 orders' });
  });

  it("honours a verdict in a 2xx body, and fails on one that is not a verdict", async () => {
    expect(await runnerFor('/inconclusive').run(hook, event, 2_000)).toEqual({ verdict: 'inconclusive', detail: 'p99 is borderline' });
    expect(await runnerFor('/failed').run(hook, event, 2_000)).toEqual({ verdict: 'failed', detail: 'error budget spent' });
    const odd = await runnerFor('/odd').run(hook, event, 2_000);
    expect(odd.verdict).toBe('failed');
    expect(odd.detail).toContain('"maybe"');
  });

  it('fails the attempt on a 500 with the status and at most 200 characters of the body', async () => {
    // WHEN the webhook answers 500 with a long body
    const error = await runnerFor('/broken').run(hook, event, 2_000).then(
      () => undefined,
      (e: Error) => e,
    );

    // THEN the attempt failed, naming the hook, the status and the start of the body
    expect(error?.message).toMatch(/^Webhook hook smoke \(POST http:\/\/127\.0\.0\.1:\d+\/broken\) answered HTTP 500: database is down x+…$/);
    const bodyPart = error!.message.split('answered HTTP 500: ')[1];
    expect(bodyPart.length).toBe(200);
  });

  it('does not follow a redirect: the attempt fails with its status', async () => {
    await expect(runnerFor('/redirect').run(hook, event, 2_000)).rejects.toThrow(/answered HTTP 302/);
  });

  it('gives up at the timeout', async () => {
    // WHEN the webhook never answers
    const started = Date.now();
    await expect(runnerFor('/slow').run(hook, event, 300)).rejects.toThrow(/smoke.*gave no answer within 0\.3s/);

    // THEN the runner returned at its timeout, not the server's
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('refuses http:// URLs without the test option, and anything but 127.0.0.1 even with it', async () => {
    // WHEN the URL is http:// without allowInsecureLoopback
    await expect(runnerFor('/ok', { allowInsecureLoopback: false }).run(hook, event, 2_000)).rejects.toThrow(/must start with https:\/\/ .*refused/);
    await expect(new WebhookHookRunner({ smoke: `${base}/ok` }).run(hook, event, 2_000)).rejects.toThrow(/https:\/\//);
    await expect(
      new WebhookHookRunner({ smoke: 'http://localhost:1/ok' }, { allowInsecureLoopback: true }).run(hook, event, 2_000),
    ).rejects.toThrow(/must start with https:\/\//);

    // THEN nothing was sent
    expect(received).toEqual([]);
  });

  it('refuses a URL with credentials without sending anything or quoting them', async () => {
    // GIVEN a declared URL with a user and password (the construct refuses these; an edited descriptor might not)
    const runner = new WebhookHookRunner({ smoke: `http://ops:s3cret@127.0.0.1:${new URL(base).port}/ok` }, { allowInsecureLoopback: true });
    // WHEN
    const error = await runner.run(hook, event, 2_000).catch((e: Error) => e);
    // THEN
    expect(String(error)).toMatch(/carries credentials: refused/);
    expect(String(error)).not.toContain('s3cret');
    expect(received).toEqual([]);
  });

  it('reads at most 64 KiB of an answer', async () => {
    // GIVEN a 2xx answer of 1 MiB that would be a `failed` verdict if it were read whole
    routes['/huge'] = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"verdict":"failed","detail":"${'x'.repeat(1024 * 1024)}"}`);
    // WHEN / THEN only its start was read: not JSON, so no verdict, so passed
    expect((await runnerFor('/huge').run(hook, event, 2_000)).verdict).toBe('passed');
  });

  it('never puts the query of a URL in a message (it may hold a token)', async () => {
    const runner = new WebhookHookRunner({ smoke: `${base}/broken?token=s3cret` }, { allowInsecureLoopback: true });
    const error = await runner.run(hook, event, 2_000).catch((e: Error) => e);
    expect(String(error)).toContain('answered HTTP 404');
    expect(String(error)).not.toContain('s3cret');
  });

  it('fails an attempt when the server refuses the connection, and a hook it has no URL for', async () => {
    // GIVEN a loopback port nothing listens on any more
    const spare = http.createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
    const closed = new WebhookHookRunner({ smoke: `http://127.0.0.1:${port}/ok` }, { allowInsecureLoopback: true });
    await expect(closed.run(hook, event, 2_000)).rejects.toThrow(/smoke.*failed: .*ECONNREFUSED/);
    await expect(runnerFor('/ok').run(hookOf('other', 'webhook'), event, 2_000)).rejects.toThrow(/other has no URL/);
  });
});
