import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_ROLLBACK_ENV } from '../../constructs/release/private/auto-rollback-env';
import { AutoRollbackConfig, handler, LogLine, runAutoRollback } from '../../constructs/release/runtime/auto-rollback.handler';
import { AwsClients, createAwsClients, DynamoReleaseStateStore } from '../../lib/aws';
import { ReleaseState } from '../../lib/release/ports';
import { createServiceFixture, ServiceFixture } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { alarmEvent } from './events';

const MINUTE = 60_000;

describe('auto-rollback handler against moto', () => {
  useMotoServer();
  let clients: AwsClients;
  let counter = 0;
  beforeAll(() => {
    clients = createAwsClients();
  });

  /** A fresh service per test, so no test sees another's release record or weights. */
  async function service(): Promise<{ fx: ServiceFixture; store: DynamoReleaseStateStore; config: AutoRollbackConfig; lines: LogLine[] }> {
    const fx = await createServiceFixture({ service: `shop${++counter}` });
    const store = new DynamoReleaseStateStore(clients.dynamodb, fx.descriptor.releaseStateTable, fx.service);
    const lines: LogLine[] = [];
    return { fx, store, lines, config: { serviceName: fx.service, rollbackAfterPromotion: true, clients, log: (l) => lines.push(l) } };
  }

  /** The record of a release of green over blue, started 10 minutes ago, whose driver went quiet 5 minutes ago. */
  function greenRelease(fx: ServiceFixture, overrides: Partial<ReleaseState> = {}): ReleaseState {
    const now = Date.now();
    return {
      releaseId: 'r-green-1',
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
      ...overrides,
    };
  }

  /** GIVEN: a pipeline died at green 25 % / blue 75 %, and green's gate is in ALARM. */
  async function diedMidRelease() {
    const s = await service();
    await s.fx.setWeights('production', { blue: 75, green: 25 });
    await s.fx.setWeights('test', { blue: 0, green: 100 });
    await s.store.write(greenRelease(s.fx), undefined);
    await s.fx.setGateState('green', 'ALARM');
    return s;
  }

  it('rolls back a release whose pipeline died when the candidate gate fires, and records who and why', async () => {
    const { fx, store, config, lines } = await diedMidRelease();
    // WHEN EventBridge delivers green's gate change to ALARM
    const result = await runAutoRollback(alarmEvent(fx.colours.green.gateAlarm, { reason: 'shop-green-5xx in ALARM' }), config);
    // THEN blue holds all traffic and the test route is on green again
    expect(result).toMatchObject({ action: 'rollback', code: 'candidate-gate', colour: 'green', releaseId: 'r-green-1', outcome: { status: 'rolled-back' } });
    expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
    expect(await fx.weights('test')).toEqual({ blue: 0, green: 100 });
    // AND the release record says rolled back by the auto-rollback, with the alarm's reason
    const stored = await store.read();
    expect(stored?.state).toMatchObject({
      status: 'rolled-back',
      owner: 'auto-rollback',
      reason: `gate alarm ${fx.colours.green.gateAlarm} fired: shop-green-5xx in ALARM`,
      releaseId: 'r-green-1',
    });
    // AND every log line is one JSON object: the decision, the engine's events, the outcome
    expect(lines.map((l) => l.kind)).toEqual(expect.arrayContaining(['decision', 'engine', 'outcome']));
    expect(lines.every((l) => JSON.parse(JSON.stringify(l)).service === fx.service)).toBe(true);
    expect(lines.find((l) => l.kind === 'engine' && l.type === 'rolled-back')?.message).toMatch(/blue holds 100 % \(verified\)/);
  });

  it('is idempotent: a second delivery of the event changes nothing', async () => {
    // GIVEN the first delivery rolled back
    const { fx, store, config } = await diedMidRelease();
    const event = alarmEvent(fx.colours.green.gateAlarm);
    await runAutoRollback(event, config);
    const before = await store.read();
    // WHEN the same event is delivered again (a Lambda retry)
    const again = await runAutoRollback(event, config);
    // THEN
    expect(again).toMatchObject({ action: 'none', code: 'already-rolled-back' });
    expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
    expect(await store.read()).toEqual(before);
  });

  it('changes nothing when the gate of the idle colour fires', async () => {
    // GIVEN blue live, green idle after a succeeded release of blue
    const { fx, store, config } = await service();
    await store.write(greenRelease(fx, { status: 'succeeded', stable: 'green', candidate: 'blue', stepIndex: 2, scaleDownAt: Date.now() + 10 * MINUTE }), undefined);
    await fx.setGateState('green', 'ALARM');
    const before = await store.read();
    // WHEN green's gate fires
    const result = await runAutoRollback(alarmEvent(fx.colours.green.gateAlarm), config);
    // THEN
    expect(result).toMatchObject({ action: 'none', code: 'idle-colour', colour: 'green' });
    expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
    expect(await fx.weights('test')).toEqual({ blue: 0, green: 100 });
    expect(await store.read()).toEqual(before);
  });

  it('rolls back a promoted colour while the old colour is warm', async () => {
    // GIVEN green promoted, blue ready until its scale-down in 10 minutes
    const { fx, store, config } = await service();
    await fx.setWeights('production', { blue: 0, green: 100 });
    await fx.setWeights('test', { blue: 100, green: 0 });
    await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() + 10 * MINUTE }), undefined);
    await fx.setGateState('green', 'ALARM');
    // WHEN green's gate fires
    const result = await runAutoRollback(alarmEvent(fx.colours.green.gateAlarm), config);
    // THEN blue is live again and the record no longer schedules its scale-down
    expect(result).toMatchObject({ action: 'rollback', code: 'promoted-gate', outcome: { status: 'rolled-back' } });
    expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
    const stored = (await store.read())?.state;
    expect(stored).toMatchObject({ status: 'rolled-back', owner: 'auto-rollback' });
    expect(stored?.scaleDownAt).toBeUndefined();
  });

  it('throws, so that Lambda retries, when the engine refuses the rollback', async () => {
    // GIVEN green promoted, but blue (where a rollback would go) has no healthy target
    const { fx, store, config } = await service();
    await fx.setWeights('production', { blue: 0, green: 100 });
    await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() + 10 * MINUTE }), undefined);
    await fx.setGateState('green', 'ALARM');
    await fx.makeUnhealthy('blue');
    // WHEN / THEN
    await expect(runAutoRollback(alarmEvent(fx.colours.green.gateAlarm), config)).rejects.toThrow(/ended refused: .*blue has 0\/2 healthy targets/);
    expect(await fx.weights()).toEqual({ blue: 0, green: 100 });
  });

  it('acts on the alarm as it is now: an event handled after the alarm recovered changes nothing', async () => {
    // GIVEN a died release, but green's gate is OK again by the time a delayed event is handled
    const { fx, store, config } = await diedMidRelease();
    await fx.setGateState('green', 'OK');
    const before = await store.read();
    // WHEN
    const result = await runAutoRollback(alarmEvent(fx.colours.green.gateAlarm), config);
    // THEN
    expect(result).toMatchObject({ action: 'none', code: 'alarm-recovered' });
    expect(await fx.weights()).toEqual({ blue: 75, green: 25 });
    expect(await store.read()).toEqual(before);
  });

  describe('entry point', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const key of Object.values(AUTO_ROLLBACK_ENV)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    });

    it('reads the service and setting from the environment the construct sets', async () => {
      // GIVEN a died release, the env of the deployed function, and stdout captured
      const { fx } = await diedMidRelease();
      process.env[AUTO_ROLLBACK_ENV.SERVICE_NAME] = fx.service;
      process.env[AUTO_ROLLBACK_ENV.ROLLBACK_AFTER_PROMOTION] = 'true';
      const written: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
      // WHEN
      let result;
      try {
        result = await handler(alarmEvent(fx.colours.green.gateAlarm), { awsRequestId: 'req-1' });
      } finally {
        process.stdout.write = write;
      }
      // THEN it rolled back, logging one JSON object per line
      expect(result.outcome?.status).toBe('rolled-back');
      const parsed = written.join('').trim().split('\n').map((l) => JSON.parse(l));
      expect(parsed.length).toBeGreaterThan(2);
      expect(parsed.every((l) => l.requestId === 'req-1' && l.service === fx.service)).toBe(true);
    });

    it('fails with the fix when the service is not set', async () => {
      delete process.env[AUTO_ROLLBACK_ENV.SERVICE_NAME];
      await expect(handler(alarmEvent('shop-green-gate'))).rejects.toThrow(/BLUEGREEN_SERVICE is not set/);
    });

    it('throws for a service with no descriptor, so the event is retried and then dead-lettered', async () => {
      const config = { serviceName: 'nosuch', rollbackAfterPromotion: true, clients, log: () => undefined };
      await expect(runAutoRollback(alarmEvent('nosuch-green-gate'), config)).rejects.toThrow(/Unknown service 'nosuch'/);
    });
  });
});
