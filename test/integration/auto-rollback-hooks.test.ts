/**
 * The auto-rollback's on-rollback hooks, against moto: both of its rollback paths (an alarm event, a reconcile tick)
 * give the release engine the descriptor's on-rollback hooks (Lambda and webhook) and nothing else, and a Lambda
 * hook of theirs is invoked at the Lambda endpoint with the hook event.
 *
 * moto cannot run Lambda functions without Docker: the stand-in is a loopback HTTP server that answers Invoke as
 * Lambda does, reached through AWS_ENDPOINT_URL_LAMBDA (everything else goes to moto). The webhook hook points at a
 * name that does not resolve, so it fails: the rollback must stand regardless.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsClients, createAwsClients, DynamoReleaseStateStore } from '../../lib/aws';
import { descriptorParameterName, hookIdempotencyKey, HookEvent, ReleaseHookDescriptor } from '../../lib/contract';
import { runAutoRollback } from '../../lib/lambda/auto-rollback';
import { DescriptorCache } from '../../lib/lambda/auto-rollback/descriptor-cache';
import { runReconcile } from '../../lib/lambda/auto-rollback/reconcile';
import type { ReleasePorts, ReleaseState } from '../../lib/release/ports';
import { alarmEvent } from '../auto-rollback/events';
import { createServiceFixture, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';

/** The ports each ReleaseEngine the handler creates is given. */
const engines = vi.hoisted(() => [] as ReleasePorts[]);
vi.mock('../../lib/release', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/release')>();
  class RecordingEngine extends original.ReleaseEngine {
    constructor(...args: ConstructorParameters<typeof original.ReleaseEngine>) {
      super(...args);
      engines.push(args[0]);
    }
  }
  return { ...original, ReleaseEngine: RecordingEngine };
});

const MINUTE = 60_000;
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:shop-undo';

describe('auto-rollback on-rollback hooks against moto', () => {
  useMotoServer();
  let clients: AwsClients;
  let lambda: http.Server;
  const invoked: Array<{ path: string; body: string }> = [];
  let counter = 0;
  let savedLambdaEndpoint: string | undefined;

  beforeAll(async () => {
    lambda = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        invoked.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'caches flushed' }));
      });
    });
    await new Promise<void>((resolve) => lambda.listen(0, '127.0.0.1', resolve));
    savedLambdaEndpoint = process.env.AWS_ENDPOINT_URL_LAMBDA;
    process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`;
    clients = createAwsClients();
  });

  afterAll(async () => {
    if (savedLambdaEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    else process.env.AWS_ENDPOINT_URL_LAMBDA = savedLambdaEndpoint;
    clients.destroy();
    lambda.closeAllConnections();
    await new Promise((resolve) => lambda.close(resolve));
  });

  const hook = (name: string, point: ReleaseHookDescriptor['point'], kind: ReleaseHookDescriptor['kind'], target: string): ReleaseHookDescriptor => ({
    name,
    point,
    kind,
    target,
    timeoutSeconds: 10,
    retries: 1,
    contract: false,
  });

  /** GIVEN a service with hooks at several points, whose pipeline died at green 25 % with green's gate in ALARM. */
  async function diedMidRelease(): Promise<{ fx: ServiceFixture; release: ReleaseState }> {
    const fx = await createServiceFixture({ service: `hooked${++counter}` });
    const releaseHooks = [
      hook('expand', 'pre-release', 'lambda', FN),
      hook('undo', 'on-rollback', 'lambda', FN),
      hook('page', 'on-rollback', 'webhook', 'https://pager.example/hooks/rollback'),
      hook('analysis', 'step', 'webhook', 'https://checks.example/analyse'),
    ];
    await fx.clients
      .get(SSMClient)
      .send(new PutParameterCommand({ Name: descriptorParameterName(fx.service), Type: 'String', Value: JSON.stringify({ ...fx.descriptor, releaseHooks }), Overwrite: true }));
    await fx.setWeights('production', { blue: 75, green: 25 });
    await fx.setWeights('test', { blue: 0, green: 100 });
    const now = Date.now();
    const release: ReleaseState = {
      releaseId: `r-${counter}`,
      service: fx.service,
      status: 'in-progress',
      stable: 'blue',
      candidate: 'green',
      steps: [25, 50, 100],
      bakeMs: MINUTE,
      stepIndex: 0,
      owner: 'pipeline/1234',
      startedAt: now - 10 * MINUTE,
      updatedAt: now - 5 * MINUTE,
    };
    await new DynamoReleaseStateStore(clients.get(DynamoDBClient), fx.descriptor.releaseStateTable, fx.service).write(release, undefined);
    await fx.setGateState('green', 'ALARM');
    return { fx, release };
  }

  it("gives the engine of an alarm's rollback the on-rollback hooks, whose Lambda is invoked with the event", async () => {
    const { fx, release } = await diedMidRelease();
    engines.length = 0;
    invoked.length = 0;

    // WHEN green's gate event is handled
    const result = await runAutoRollback(alarmEvent(fx.colours.green.gateAlarm), { serviceName: fx.service, rollbackAfterPromotion: true, clients, log: () => undefined });

    // THEN it rolled back, the handler's own run invoked the Lambda hook once, and the record has both runs: the
    // Lambda passed, the unreachable webhook failed after its retry, and the rollback stands
    expect(result).toMatchObject({ action: 'rollback', outcome: { status: 'rolled-back' } });
    expect(invoked.map((i) => JSON.parse(i.body).idempotencyKey)).toEqual([hookIdempotencyKey(release.releaseId, 'undo', 'on-rollback')]);
    const stored = await new DynamoReleaseStateStore(clients.get(DynamoDBClient), fx.descriptor.releaseStateTable, fx.service).read();
    expect(stored?.state.status).toBe('rolled-back');
    expect(stored?.state.hooks?.map((h) => [h.hook, h.point, h.status, h.attempts])).toEqual([
      ['undo', 'on-rollback', 'passed', 1],
      ['page', 'on-rollback', 'failed', 2],
    ]);
    expect(await fx.weights('production')).toEqual({ blue: 100, green: 0 });
    expect(engines).toHaveLength(1);
    const hooks = engines[0].hooks;
    expect(hooks?.hooks).toEqual([
      { name: 'undo', point: 'on-rollback', kind: 'lambda', timeoutMs: 10_000, retries: 1, contract: false },
      { name: 'page', point: 'on-rollback', kind: 'webhook', timeoutMs: 10_000, retries: 1, contract: false },
    ]);
    expect(hooks?.images).toEqual({ blue: fx.descriptor.colours.blue.image, green: fx.descriptor.colours.green.image });

    // AND its runner invokes the Lambda hook's function (at the Lambda endpoint) with the hook event
    const undo = hooks!.hooks[0];
    const event: HookEvent = {
      service: fx.service,
      releaseId: release.releaseId,
      point: 'on-rollback',
      hook: 'undo',
      idempotencyKey: hookIdempotencyKey(release.releaseId, 'undo', 'on-rollback'),
      attempt: 1,
      steps: 3,
      weights: { blue: 100, green: 0 },
      colours: { stable: 'blue', candidate: 'green' },
      images: { stable: hooks?.images?.blue, candidate: hooks?.images?.green },
      contract: false,
    };
    invoked.length = 0;
    expect(await hooks!.runner.run(undo, event, undo.timeoutMs)).toEqual({ verdict: 'passed', detail: 'caches flushed' });
    expect(invoked).toHaveLength(1);
    expect(decodeURIComponent(invoked[0].path)).toBe(`/2015-03-31/functions/${FN}/invocations`);
    expect(JSON.parse(invoked[0].body)).toEqual(event);
  });

  it("gives the engine of a reconcile tick's rollback the on-rollback hooks too", async () => {
    const { fx } = await diedMidRelease();
    engines.length = 0;

    // WHEN a reconcile tick finds the interrupted release with its candidate's gate in ALARM
    const result = await runReconcile({
      serviceName: fx.service,
      clients,
      releaseStateTable: fx.descriptor.releaseStateTable,
      descriptors: new DescriptorCache(fx.service),
      log: () => undefined,
    });

    // THEN it rolled back, with the on-rollback hooks in the engine's ports
    expect(result).toMatchObject({ outcome: { status: 'rolled-back' } });
    expect(engines.map((p) => p.hooks?.hooks.map((h) => h.name))).toEqual([['undo', 'page']]);
  });
});
