import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_ROLLBACK_ENV, RECONCILE_SOURCE } from '../../lib/contract';
import { AutoRollbackConfig, handler, LogLine, runAutoRollback } from '../../lib/lambda/auto-rollback';
import { DescriptorCache } from '../../lib/lambda/auto-rollback/descriptor-cache';
import { ReconcileConfig, runReconcile } from '../../lib/lambda/auto-rollback/reconcile';
import { ApiCallCount, AwsClients, createAwsClients, DynamoReleaseStateStore } from '../../lib/aws';
import { ColourName, ReleaseState } from '../../lib/release/ports';
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
  async function service(): Promise<{
    fx: ServiceFixture;
    store: DynamoReleaseStateStore;
    config: AutoRollbackConfig;
    reconcile: ReconcileConfig;
    lines: LogLine[];
  }> {
    const fx = await createServiceFixture({ service: `shop${++counter}` });
    const store = new DynamoReleaseStateStore(clients.get(DynamoDBClient), fx.descriptor.releaseStateTable, fx.service);
    const lines: LogLine[] = [];
    const log = (l: LogLine) => lines.push(l);
    return {
      fx,
      store,
      lines,
      config: { serviceName: fx.service, rollbackAfterPromotion: true, clients, log },
      // As the deployed function runs it: the table from its environment, one descriptor cache across ticks
      reconcile: { serviceName: fx.service, clients, releaseStateTable: fx.descriptor.releaseStateTable, descriptors: new DescriptorCache(fx.service), log },
    };
  }

  /** Min, max and desired capacity of a colour's group, read independently of the code under test. */
  async function sizes(fx: ServiceFixture, colour: ColourName) {
    const out = await fx.clients.get(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [fx.colours[colour].autoScalingGroupName] }));
    const g = out.AutoScalingGroups?.[0];
    return { min: g?.MinSize, max: g?.MaxSize, desired: g?.DesiredCapacity };
  }

  /** The calls `action` makes with the shared clients, as `service:Operation` counts. */
  async function callsOf(action: () => Promise<unknown>): Promise<Record<string, number>> {
    clients.counter.reset();
    await action();
    return Object.fromEntries(clients.counter.snapshot().map((c: ApiCallCount) => [`${c.service}:${c.operation}`, c.calls]));
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

  it('leaves a promoted colour alone when the old colour has no healthy target, saying a human is needed', async () => {
    // GIVEN green promoted, but blue (where a rollback would go) has no healthy target
    const { fx, store, config } = await service();
    await fx.setWeights('production', { blue: 0, green: 100 });
    await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() + 10 * MINUTE }), undefined);
    await fx.setGateState('green', 'ALARM');
    await fx.makeUnhealthy('blue');
    // WHEN
    const result = await runAutoRollback(alarmEvent(fx.colours.green.gateAlarm), config);
    // THEN
    expect(result).toMatchObject({ action: 'none', code: 'old-colour-not-warm' });
    expect(result.message).toMatch(/blue is not warm \(desired 2, 0\/2 healthy targets.*Needs a human/);
    expect(await fx.weights()).toEqual({ blue: 0, green: 100 });
  });

  it('throws, so that Lambda retries, when the engine refuses the rollback', async () => {
    // GIVEN green promoted, blue warm when the decision reads it, but its instances stop right after that read
    const { fx, store, config } = await service();
    await fx.setWeights('production', { blue: 0, green: 100 });
    await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() + 10 * MINUTE }), undefined);
    await fx.setGateState('green', 'ALARM');
    const racing = createAwsClients();
    let stopped = false;
    const blueDiesAfterFirstHealthRead = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const out = await next(args);
      if (!stopped && context.commandName === 'DescribeTargetHealthCommand') {
        stopped = true;
        await fx.makeUnhealthy('blue');
      }
      return out;
    };
    racing.get(ElasticLoadBalancingV2Client).middlewareStack.add(blueDiesAfterFirstHealthRead as never, { step: 'initialize', name: 'blueDiesAfterFirstHealthRead' });
    // WHEN / THEN the engine checks blue again and refuses; the function throws
    await expect(runAutoRollback(alarmEvent(fx.colours.green.gateAlarm), { ...config, clients: racing })).rejects.toThrow(
      /ended refused: .*blue has 0\/2 healthy targets/,
    );
    expect(stopped).toBe(true);
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

  it('rolls back a promoted colour after its scale-down time while the old colour is still warm (the scale-down has not run)', async () => {
    // GIVEN green promoted; blue's scale-down was due a minute ago, but blue still runs its 2 healthy instances
    const { fx, store, config } = await service();
    await fx.setWeights('production', { blue: 0, green: 100 });
    await fx.setWeights('test', { blue: 100, green: 0 });
    await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() - MINUTE }), undefined);
    await fx.setGateState('green', 'ALARM');
    // WHEN green's gate fires
    const result = await runAutoRollback(alarmEvent(fx.colours.green.gateAlarm), config);
    // THEN warmth decided: blue is live again
    expect(result).toMatchObject({ action: 'rollback', code: 'promoted-gate', outcome: { status: 'rolled-back' } });
    expect(result.message).toMatch(/blue is still warm \(desired 2, 2\/2 healthy targets; scale-down was due at/);
    expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
  });

  it('leaves a promoted colour alone once the old colour went to standby, though its record still schedules it', async () => {
    // GIVEN green promoted, blue scaled to zero by hand before its scheduled scale-down
    const { fx, store, config } = await service();
    await fx.setWeights('production', { blue: 0, green: 100 });
    await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() + 10 * MINUTE }), undefined);
    await fx.scaleToZero('blue');
    await fx.setGateState('green', 'ALARM');
    // WHEN green's gate fires
    const result = await runAutoRollback(alarmEvent(fx.colours.green.gateAlarm), config);
    // THEN nothing to go back to
    expect(result).toMatchObject({ action: 'none', code: 'old-colour-not-warm' });
    expect(result.message).toMatch(/blue is not warm \(desired 0, 0\/0 healthy targets/);
    expect(await fx.weights()).toEqual({ blue: 0, green: 100 });
  });

  it('rolls back on an event from before the release when the gate is still in ALARM (it fired between pre-flight and the claim)', async () => {
    // GIVEN a died release whose record was claimed just after green's gate fired
    const { fx, store, config } = await diedMidRelease();
    const startedAt = (await store.read())!.state.startedAt;
    // WHEN the event, stamped a second before the release started, is handled
    const result = await runAutoRollback(alarmEvent(fx.colours.green.gateAlarm, { time: new Date(startedAt - 1000).toISOString() }), config);
    // THEN the alarm read again is in ALARM: the release is rolled back
    expect(result).toMatchObject({ action: 'rollback', code: 'candidate-gate', outcome: { status: 'rolled-back' } });
    expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
  });

  describe('reconcile tick', () => {
    it('rolls back again a rolled-back release whose weights moved afterwards (a dead pipeline weight change landed late)', async () => {
      // GIVEN the record says rolled back to blue, but a late weight change left blue 75 / green 25; green's gate is in
      // ALARM already, so no new event comes
      const { fx, store, reconcile, lines } = await service();
      await store.write(greenRelease(fx, { status: 'rolled-back', owner: 'auto-rollback', reason: 'gate alarm fired' }), undefined);
      await fx.setWeights('production', { blue: 75, green: 25 });
      await fx.setGateState('green', 'ALARM');
      const before = await store.read();
      // WHEN
      const result = await runReconcile(reconcile);
      // THEN blue holds all traffic again, verified, and the record is left as it was
      expect(result).toMatchObject({ action: 'restored', code: 'traffic-off-stable', releaseId: 'r-green-1', outcome: { status: 'rolled-back' } });
      expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
      expect(await fx.weights('test')).toEqual({ blue: 0, green: 100 });
      expect(await store.read()).toEqual(before);
      expect(lines.every((l) => l.trigger === 'reconcile' && l.service === fx.service)).toBe(true);
    });

    it('restores 100 % on the promoted colour of a succeeded release whose weights moved afterwards, keeping the record', async () => {
      // GIVEN green promoted, blue's scale-down not due for 10 minutes, then a dead pipeline's late weight change to
      // blue 75 / green 25
      const { fx, store, reconcile, lines } = await service();
      await fx.setWeights('production', { blue: 75, green: 25 });
      await fx.setWeights('test', { blue: 0, green: 100 });
      await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() + 10 * MINUTE }), undefined);
      const before = (await store.read())!.state;
      // WHEN a tick runs
      const result = await runReconcile(reconcile);
      // THEN green holds all traffic again, verified, the test route points at blue, and the record is the same release
      expect(result).toMatchObject({ action: 'restored', code: 'promoted-traffic-moved', releaseId: 'r-green-1', outcome: { status: 'succeeded', weights: { blue: 0, green: 100 } } });
      expect(result.message).toMatch(/^Release r-green-1 succeeded, which puts all traffic on green, but weights are blue 75 % \/ green 25 % \(a late weight change\): green holds 100 % again \(verified\)/);
      expect(await fx.weights()).toEqual({ blue: 0, green: 100 });
      expect(await fx.weights('test')).toEqual({ blue: 100, green: 0 });
      const after = (await store.read())?.state;
      expect(after).toMatchObject({ releaseId: 'r-green-1', status: 'succeeded', candidate: 'green', owner: before.owner, scaleDownAt: before.scaleDownAt });
      expect(lines.find((l) => l.kind === 'decision')).toMatchObject({ code: 'promoted-traffic-moved' });
      // AND the next tick finds nothing to do
      expect(await runReconcile(reconcile)).toMatchObject({ action: 'none', code: 'scale-down-not-due' });
    });

    it('throws, so that the failure alarm tells, when the restore of a promoted release is refused', async () => {
      // GIVEN green promoted, a late weight change to blue 75 / green 25, and green's gate in ALARM
      const { fx, store, reconcile } = await service();
      await fx.setWeights('production', { blue: 75, green: 25 });
      await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() + 10 * MINUTE }), undefined);
      await fx.setGateState('green', 'ALARM');
      // WHEN / THEN the weights stay for a human (or a rollback) to settle
      await expect(runReconcile(reconcile)).rejects.toThrow(/^Reconcile of shop\d+ \(promoted-traffic-moved, release r-green-1\) ended refused: .*not restored, as alarms firing on green/);
      expect(await fx.weights()).toEqual({ blue: 75, green: 25 });
    });

    it("rolls back an interrupted release whose candidate's gate was already in ALARM, without any alarm event", async () => {
      // GIVEN a pipeline died at green 25 % (heartbeat 5 minutes old, lease 2 minutes) with green's gate in ALARM
      const { fx, store, reconcile } = await diedMidRelease();
      // WHEN a tick runs
      const result = await runReconcile(reconcile);
      // THEN
      expect(result).toMatchObject({ action: 'rolled-back', code: 'release-interrupted', outcome: { status: 'rolled-back' } });
      expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
      expect((await store.read())?.state).toMatchObject({
        status: 'rolled-back',
        owner: 'auto-rollback',
        reason: expect.stringMatching(new RegExp(`^reconcile: release interrupted \\(no heartbeat from pipeline/1234 for 5m[\\dms]*\\) while .*${fx.colours.green.gateAlarm}`)),
      });
    });

    it('rolls back an interrupted release whose candidate has no healthy target, its gate quiet', async () => {
      // GIVEN a pipeline died at green 25 %, green's instances stopped (the load balancer fails open to them)
      const { fx, store, reconcile } = await service();
      await fx.setWeights('production', { blue: 75, green: 25 });
      await store.write(greenRelease(fx), undefined);
      await fx.makeUnhealthy('green');
      // WHEN
      const result = await runReconcile(reconcile);
      // THEN
      expect(result).toMatchObject({ action: 'rolled-back', code: 'release-interrupted', outcome: { status: 'rolled-back' } });
      expect((await store.read())?.state.reason).toMatch(/green has 0\/2 healthy targets/);
      expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
    });

    it("puts a promoted release's old colour in standby once its scale-down is due, without a human", async () => {
      // GIVEN green promoted, blue's scale-down due a minute ago
      const { fx, store, reconcile } = await service();
      await fx.setWeights('production', { blue: 0, green: 100 });
      await fx.setWeights('test', { blue: 100, green: 0 });
      await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() - MINUTE }), undefined);
      expect(await sizes(fx, 'blue')).toEqual({ min: 2, max: 4, desired: 2 });
      // WHEN
      const result = await runReconcile(reconcile);
      // THEN blue is in standby, green untouched, and the record no longer schedules a scale-down
      expect(result).toMatchObject({ action: 'scaled-down', code: 'scale-down-due', outcome: { status: 'scaled-down' } });
      expect(await sizes(fx, 'blue')).toEqual({ min: 0, max: 0, desired: 0 });
      expect(await sizes(fx, 'green')).toEqual({ min: 2, max: 4, desired: 2 });
      const stored = (await store.read())?.state;
      expect(stored).toMatchObject({ status: 'succeeded', candidate: 'green' });
      expect(stored?.scaleDownAt).toBeUndefined();
    });

    it("keeps the old colour warm past its scale-down time while the promoted colour's gate fires", async () => {
      // GIVEN green promoted, blue's scale-down due, green's gate in ALARM
      const { fx, store, reconcile } = await service();
      await fx.setWeights('production', { blue: 0, green: 100 });
      await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() - MINUTE }), undefined);
      await fx.setGateState('green', 'ALARM');
      const before = await store.read();
      // WHEN
      const result = await runReconcile(reconcile);
      // THEN
      expect(result).toMatchObject({ action: 'none', code: 'scale-down-due' });
      expect(result.message).toMatch(/in ALARM on the live colour green: blue stays/);
      expect(await sizes(fx, 'blue')).toEqual({ min: 2, max: 4, desired: 2 });
      expect(await store.read()).toEqual(before);
    });

    it('throws, so that Lambda retries and the failure alarm tells, when the rollback is refused', async () => {
      // GIVEN a rolled-back release whose weights moved afterwards, but blue (where it goes) has no healthy target
      const { fx, store, reconcile } = await service();
      await store.write(greenRelease(fx, { status: 'rolled-back' }), undefined);
      await fx.setWeights('production', { blue: 75, green: 25 });
      await fx.makeUnhealthy('blue');
      // WHEN / THEN the engine will not send all traffic to a target group that fails open
      await expect(runReconcile(reconcile)).rejects.toThrow(/^Reconcile of shop\d+ \(traffic-off-stable, release r-green-1\) ended refused: /);
      expect(await fx.weights()).toEqual({ blue: 75, green: 25 });
    });

    it('changes nothing on an idle tick, and reads only the release record and the weights', async () => {
      // GIVEN green promoted, blue's scale-down in 10 minutes, and a warm function that kept the descriptor
      const { fx, store, reconcile } = await service();
      await fx.setWeights('production', { blue: 0, green: 100 });
      await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2, scaleDownAt: Date.now() + 10 * MINUTE }), undefined);
      const before = await store.read();
      expect(await callsOf(() => runReconcile(reconcile))).toEqual({ 'dynamodb:GetItem': 1, 'ssm:GetParameter': 1, 'elbv2:DescribeRules': 1 });
      // WHEN
      let result;
      const calls = await callsOf(async () => {
        result = await runReconcile(reconcile);
      });
      // THEN two calls, and nothing changed
      expect(result).toMatchObject({ action: 'none', code: 'scale-down-not-due' });
      expect(calls).toEqual({ 'dynamodb:GetItem': 1, 'elbv2:DescribeRules': 1 });
      expect(await store.read()).toEqual(before);
      expect(await fx.weights()).toEqual({ blue: 0, green: 100 });
      expect(await sizes(fx, 'blue')).toEqual({ min: 2, max: 4, desired: 2 });
    });

    it('reads one call for no record or a live release, and two for a settled rollback once the descriptor is kept', async () => {
      // GIVEN a service with no release yet
      const { fx, store, reconcile } = await service();
      // WHEN / THEN no record: the record read only
      expect(await callsOf(() => runReconcile(reconcile))).toEqual({ 'dynamodb:GetItem': 1 });
      // GIVEN a release driven by a live process (heartbeat 10 s ago)
      await store.write(greenRelease(fx, { updatedAt: Date.now() - 10_000 }), undefined);
      expect(await callsOf(() => runReconcile(reconcile))).toEqual({ 'dynamodb:GetItem': 1 });
      // GIVEN it was rolled back (weights on blue)
      const current = (await store.read())!;
      await store.write({ ...current.state, status: 'rolled-back' }, current.version);
      const weightsBefore = await fx.weights();
      // WHEN two ticks run: the first loads the descriptor, the second reuses it
      const first = await callsOf(() => runReconcile(reconcile));
      const second = await callsOf(() => runReconcile(reconcile));
      // THEN
      expect(first).toEqual({ 'dynamodb:GetItem': 1, 'ssm:GetParameter': 1, 'elbv2:DescribeRules': 1 });
      expect(second).toEqual({ 'dynamodb:GetItem': 1, 'elbv2:DescribeRules': 1 });
      expect(await fx.weights()).toEqual(weightsBefore);
    });

    it('reads the table name from the descriptor when not given one', async () => {
      const { store, fx, reconcile } = await service();
      await fx.setWeights('production', { blue: 0, green: 100 });
      await store.write(greenRelease(fx, { status: 'succeeded', stepIndex: 2 }), undefined);
      const calls = await callsOf(() => runReconcile({ ...reconcile, releaseStateTable: undefined }));
      // (the weights are read with the descriptor loaded for the table name)
      expect(calls).toEqual({ 'dynamodb:GetItem': 1, 'ssm:GetParameter': 1, 'elbv2:DescribeRules': 1 });
    });

    it('forgets the kept descriptor when a tick fails, so the retry loads it afresh', async () => {
      // GIVEN a rolled-back release and a descriptor kept from an earlier tick, then the rule it names is gone
      const { fx, store, reconcile } = await service();
      await store.write(greenRelease(fx, { status: 'rolled-back' }), undefined);
      const stale = { ...fx.descriptor, production: { ...fx.descriptor.production, ruleArn: `${fx.descriptor.production.ruleArn}0` } };
      const descriptors = new DescriptorCache(fx.service);
      (descriptors as unknown as { kept: unknown }).kept = { descriptor: stale, loadedAt: Date.now() };
      // WHEN / THEN the tick fails, and the next one reads with the descriptor in SSM
      await expect(runReconcile({ ...reconcile, descriptors })).rejects.toThrow();
      const calls = await callsOf(() => runReconcile({ ...reconcile, descriptors }));
      expect(calls).toEqual({ 'dynamodb:GetItem': 1, 'ssm:GetParameter': 1, 'elbv2:DescribeRules': 1 });
    });
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

    it('runs a reconcile tick for the schedule event, reading the table name from the environment', async () => {
      // GIVEN a rolled-back release whose weights moved afterwards, and the env of the deployed function
      const { fx, store } = await service();
      await store.write(greenRelease(fx, { status: 'rolled-back' }), undefined);
      await fx.setWeights('production', { blue: 75, green: 25 });
      process.env[AUTO_ROLLBACK_ENV.SERVICE_NAME] = fx.service;
      process.env[AUTO_ROLLBACK_ENV.RELEASE_STATE_TABLE] = fx.descriptor.releaseStateTable;
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = (() => true) as typeof process.stdout.write;
      // WHEN the schedule's constant event arrives
      let result;
      try {
        result = await handler({ source: RECONCILE_SOURCE }, { awsRequestId: 'req-2' });
      } finally {
        process.stdout.write = write;
      }
      // THEN
      expect(result).toMatchObject({ action: 'restored', code: 'traffic-off-stable', outcome: { status: 'rolled-back' } });
      expect(await fx.weights()).toEqual({ blue: 100, green: 0 });
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
