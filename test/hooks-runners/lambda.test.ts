/**
 * LambdaHookRunner. moto cannot run Lambda functions without Docker, so the stand-in is a stubbed `send` of the
 * LambdaClient (what the runner sends, and each kind of answer Invoke gives); and, for the client the runner is
 * given (HookLambdaClient: one attempt, no request or idle-socket timeout), a loopback HTTP server that answers
 * Invoke as Lambda does (the function's payload as the body, `X-Amz-Function-Error` when it failed).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { InvokeCommand, InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../lib/aws';
import { HookLambdaClient, HookTimeoutError, LambdaHookRunner, LambdaInvoker } from '../../lib/aws/hooks';
import { eventOf, hookOf } from './events';

const FN = 'arn:aws:lambda:eu-west-1:111111111111:function:web-migrate';
const hook = hookOf('migrate', 'lambda', { point: 'pre-release' });
const event = eventOf(hook);

/** What the stub was sent, and the answer it gives. */
function stub(answer: (command: InvokeCommand, signal?: AbortSignal) => Promise<Partial<InvokeCommandOutput>>) {
  const sent: Array<{ command: InvokeCommand; options?: { abortSignal?: AbortSignal; requestTimeout?: number } }> = [];
  const lambda: LambdaInvoker = {
    send: async (command, options) => {
      sent.push({ command, options });
      return (await answer(command, options?.abortSignal)) as InvokeCommandOutput;
    },
  };
  return { sent, runner: new LambdaHookRunner({ migrate: FN }, lambda) };
}

/** The function's JSON answer as bytes (the SDK wraps them in a Uint8Array with helpers the runner does not use). */
const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as InvokeCommandOutput['Payload'];
const answering = (out: Partial<InvokeCommandOutput>) => stub(async () => ({ StatusCode: 200, ...out }));

describe('LambdaHookRunner (stubbed send)', () => {
  it('invokes the function synchronously with the hook event, bounded by the timeout', async () => {
    // WHEN a hook runs and the function returns nothing
    const { sent, runner } = answering({ Payload: payload(null) });
    const result = await runner.run(hook, event, 4_000);

    // THEN it passed, after one RequestResponse Invoke of its function with the event
    expect(result).toEqual({ verdict: 'passed' });
    expect(sent).toHaveLength(1);
    const input = sent[0].command.input;
    expect(input).toMatchObject({ FunctionName: FN, InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual(event);
    expect(sent[0].options?.abortSignal).toBeDefined();
    expect(sent[0].options?.requestTimeout).toBe(4_000);
  });

  it('honours a verdict in the payload, with its detail', async () => {
    expect(await answering({ Payload: payload({ verdict: 'inconclusive', detail: 'replica lag 40s' }) }).runner.run(hook, event, 1_000)).toEqual({
      verdict: 'inconclusive',
      detail: 'replica lag 40s',
    });
    expect(await answering({ Payload: payload({ verdict: 'failed', detail: 'lock timeout' }) }).runner.run(hook, event, 1_000)).toEqual({
      verdict: 'failed',
      detail: 'lock timeout',
    });
    expect(await answering({ Payload: payload({ verdict: 'passed' }) }).runner.run(hook, event, 1_000)).toEqual({ verdict: 'passed' });
  });

  it('passes on a payload without a verdict, keeping its detail', async () => {
    expect(await answering({ Payload: payload({ detail: 'added column email_v2' }) }).runner.run(hook, event, 1_000)).toEqual({
      verdict: 'passed',
      detail: 'added column email_v2',
    });
    expect(await answering({ Payload: payload('ok') }).runner.run(hook, event, 1_000)).toEqual({ verdict: 'passed' });
    expect(await answering({}).runner.run(hook, event, 1_000)).toEqual({ verdict: 'passed' });
  });

  it('fails on a verdict that is not one', async () => {
    const result = await answering({ Payload: payload({ verdict: 'PASS' }) }).runner.run(hook, event, 1_000);
    expect(result.verdict).toBe('failed');
    expect(result.detail).toMatch(/Lambda hook migrate .* answered verdict "PASS", not one of passed, failed, inconclusive/);
  });

  it("throws the function's error when it failed (FunctionError)", async () => {
    // WHEN the function threw
    const { runner } = answering({
      FunctionError: 'Unhandled',
      Payload: payload({ errorType: 'MigrationError', errorMessage: 'column "email" already exists', trace: [] }),
    });

    // THEN the attempt failed with the error's type and message
    await expect(runner.run(hook, event, 1_000)).rejects.toThrow(`Lambda hook migrate (${FN}) failed: MigrationError: column "email" already exists`);
  });

  it('throws a FunctionError whose payload says nothing, and a failed Invoke', async () => {
    await expect(answering({ FunctionError: 'Unhandled' }).runner.run(hook, event, 1_000)).rejects.toThrow(/migrate .* failed: Unhandled$/);
    const denied = stub(async () => {
      throw Object.assign(new Error('User is not authorized to perform: lambda:InvokeFunction'), { name: 'AccessDeniedException' });
    });
    await expect(denied.runner.run(hook, event, 1_000)).rejects.toThrow(/Invoke failed: AccessDeniedException: User is not authorized/);
  });

  it('aborts the call at the timeout', async () => {
    // GIVEN a function that runs until its call is aborted
    let aborted = false;
    const { runner } = stub(
      (_c, signal) =>
        new Promise((_, reject) =>
          signal?.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          }),
        ),
    );

    // WHEN the hook's timeout passes
    const error = await runner.run(hook, event, 200).catch((e: unknown) => e);

    // THEN the attempt timed out and the call was aborted
    expect(error).toBeInstanceOf(HookTimeoutError);
    expect(String(error)).toMatch(/Lambda hook migrate .* gave no answer within 0\.2s/);
    expect(aborted).toBe(true);
  });

  it('gives up at the timeout even when the call ignores the abort', async () => {
    const { runner } = stub(() => new Promise(() => undefined));
    const started = Date.now();
    await expect(runner.run(hook, event, 200)).rejects.toThrow(HookTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('throws for a hook it has no function for', async () => {
    await expect(answering({}).runner.run(hookOf('other', 'lambda'), event, 1_000)).rejects.toThrow(/other has no function/);
  });
});

describe('HookLambdaClient (loopback server answering Invoke)', () => {
  let server: http.Server;
  let endpoint: string;
  let requests = 0;
  /** How the "function" answers: after `delayMs`, its payload and error header. */
  let behaviour: { delayMs: number; body: string; functionError?: string } = { delayMs: 0, body: 'null' };

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
    server = http.createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        const { delayMs, body, functionError } = behaviour;
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', ...(functionError ? { 'x-amz-function-error': functionError } : {}) });
          res.end(body);
        }, delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Clients whose shared request timeout (300 ms) is shorter than the function runs (800 ms). */
  const shortClients = () => createAwsClients({ region: 'eu-west-1', endpoint, requestTimeoutMs: 300, maxAttempts: 3 });

  it('waits for a function that runs longer than the shared request timeout, and invokes it once', async () => {
    // GIVEN a function that answers after 800 ms, with a verdict
    behaviour = { delayMs: 800, body: JSON.stringify({ verdict: 'inconclusive', detail: 'slow' }) };
    requests = 0;
    const clients = shortClients();

    // WHEN the runner invokes it through HookLambdaClient
    const result = await new LambdaHookRunner({ migrate: FN }, clients.get(HookLambdaClient)).run(hook, event, 3_000);

    // THEN it got the verdict from one call, counted as lambda Invoke
    expect(result).toEqual({ verdict: 'inconclusive', detail: 'slow' });
    expect(requests).toBe(1);
    expect(clients.counter.snapshot()).toEqual([expect.objectContaining({ service: 'lambda', operation: 'Invoke', calls: 1 })]);
    clients.destroy();
  });

  it("(the shared client's settings would time out and invoke the function again: why the hook client has its own)", async () => {
    behaviour = { delayMs: 800, body: 'null' };
    requests = 0;
    const clients = shortClients();
    const runner = new LambdaHookRunner({ migrate: FN }, clients.get(LambdaClient));
    await expect(runner.run(hook, event, 3_000)).rejects.toThrow(/Invoke failed/);
    expect(requests).toBeGreaterThan(1);
    clients.destroy();
  });

  it("reads the function's error as Lambda sends it", async () => {
    behaviour = { delayMs: 0, body: JSON.stringify({ errorType: 'Error', errorMessage: 'boom' }), functionError: 'Unhandled' };
    const clients = shortClients();
    await expect(new LambdaHookRunner({ migrate: FN }, clients.get(HookLambdaClient)).run(hook, event, 3_000)).rejects.toThrow(/failed: Error: boom$/);
    clients.destroy();
  });

  it('is aborted at the timeout', async () => {
    behaviour = { delayMs: 2_000, body: 'null' };
    requests = 0;
    const clients = shortClients();
    const started = Date.now();
    await expect(new LambdaHookRunner({ migrate: FN }, clients.get(HookLambdaClient)).run(hook, event, 400)).rejects.toThrow(HookTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(requests).toBe(1);
    clients.destroy();
  });
});
