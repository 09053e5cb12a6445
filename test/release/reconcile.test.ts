/** `reconcile()`: one pass of the periodic reconciler, for releases whose driver is gone. */
import { describe, expect, it } from 'vitest';
import { ReconcileAction, ReconcileCode, ReleaseStrategy, screenReconcile } from '../../lib/release';
import { ReleaseState, Weights } from '../../lib/release/ports';
import { dies, engineFor, FakeWorld, SERVING, T0 } from './fakes';

const MINUTE = 60_000;
const fiveSteps = ReleaseStrategy.explicitSteps([10, 25, 50, 75, 100], MINUTE);
const BLUE = { blue: 100, green: 0 };

/** A release of `fiveSteps` whose driver died 30 s into step 2's bake (blue 75 / green 25). */
async function interrupted(): Promise<FakeWorld> {
  const world = new FakeWorld();
  const dying = world.process('cli');
  world.at(T0 + 90_000, async () => {
    dying.dead = true;
  });
  await dies(dying, engineFor(dying).release({ strategy: fiveSteps, releaseId: 'r1' }));
  return world;
}

/** Mutating port calls of `proc`. */
function changesBy(world: FakeWorld, proc: string): string[] {
  return world.calls.filter((c) => c.proc === proc && c.mutating).map((c) => c.method);
}

describe('reconcile', () => {
  it('does nothing without a release record', async () => {
    const world = new FakeWorld();
    const outcome = await engineFor(world.process('reconciler')).reconcile();
    expect(outcome).toMatchObject({ status: 'noop', exitCode: 0, action: 'none' });
    expect(outcome.message).toBe('No release recorded: nothing to reconcile.');
  });

  it('leaves a release whose driver still heartbeats, even with its gate failing', async () => {
    // GIVEN a release in progress whose last heartbeat is 10 s old (lease 2m), and green's alarm firing
    const world = await interrupted();
    world.alarmRule = (c) => (c === 'green' ? ['web-green-5xx'] : []);

    // WHEN
    const outcome = await engineFor(world.process('reconciler')).reconcile();

    // THEN it is the driver's to gate
    expect(outcome).toMatchObject({ status: 'noop', exitCode: 0, action: 'none' });
    expect(outcome.message).toContain('driven by cli (heartbeat 10s ago, lease 2m)');
    expect(changesBy(world, 'reconciler')).toEqual([]);
  });

  it('leaves an interrupted release whose candidate passes its gate, for a human', async () => {
    const world = await interrupted();
    await world.advance(2 * MINUTE);
    const outcome = await engineFor(world.process('reconciler')).reconcile();
    expect(outcome).toMatchObject({ status: 'noop', exitCode: 0, action: 'none' });
    expect(outcome.message).toContain('was interrupted: no heartbeat from cli for 2m10s; green passes its gate, so it is left as it is. Run resume or rollback.');
    expect(world.weights).toEqual({ blue: 75, green: 25 });
    expect(changesBy(world, 'reconciler')).toEqual([]);
  });

  it.each([
    ['an alarm firing', (w: FakeWorld) => (w.alarmRule = (c) => (c === 'green' ? ['web-green-5xx'] : [])), 'alarms firing on green: web-green-5xx'],
    ['missing healthy targets', (w: FakeWorld) => (w.healthRule = (c) => (c === 'green' ? { healthy: 2, total: SERVING } : undefined)), 'green has 2/3 healthy targets, 3 expected'],
  ])('rolls back an interrupted release whose candidate has %s', async (_what, degrade, why) => {
    // GIVEN
    const world = await interrupted();
    await world.advance(2 * MINUTE);
    degrade(world);

    // WHEN
    const outcome = await engineFor(world.process('reconciler')).reconcile();

    // THEN
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 0, action: 'rolled-back', weights: BLUE });
    expect(world.weights).toEqual(BLUE);
    expect(world.testTarget).toBe('green');
    expect(world.stored?.state).toMatchObject({ status: 'rolled-back', owner: 'reconciler' });
    expect(world.stored?.state.reason).toBe(`reconcile: release interrupted (no heartbeat from cli for 2m10s) while ${why}`);
    expect(world.violations).toEqual([]);
  });

  it('refuses to roll back an interrupted release onto an old colour with no healthy target', async () => {
    const world = await interrupted();
    await world.advance(2 * MINUTE);
    world.healthRule = () => ({ healthy: 0, total: SERVING });
    const outcome = await engineFor(world.process('reconciler')).reconcile();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1, action: 'none' });
    expect(outcome.message).toContain('blue has no healthy targets (0/3), so rolling back would fail open');
    expect(world.weights).toEqual({ blue: 75, green: 25 });
    expect(world.count('setWeights', 'reconciler')).toBe(0);
    expect(world.violations).toEqual([]);
  });

  it('restores an aborted release whose weights moved afterwards, keeping the record', async () => {
    // GIVEN an aborted release, then a late change to blue 90 / green 10
    const world = await interrupted();
    await engineFor(world.process('operator')).abort({ reason: 'latency' });
    world.weights = { blue: 90, green: 10 };

    // WHEN
    const outcome = await engineFor(world.process('reconciler')).reconcile();

    // THEN
    expect(outcome).toMatchObject({ status: 'aborted', exitCode: 0, action: 'restored', weights: BLUE });
    expect(outcome.message).toContain('it was already aborted; weights set again');
    expect(world.weights).toEqual(BLUE);
    expect(world.stored?.state).toMatchObject({ status: 'aborted', reason: 'latency', owner: 'operator' });
    expect(changesBy(world, 'reconciler')).toEqual(['setWeights', 'setTestTarget']);
  });

  it('does nothing once a rolled-back release holds all traffic on its stable colour (2 reads)', async () => {
    const world = await interrupted();
    await engineFor(world.process('operator')).rollback();
    const from = world.calls.length;
    const outcome = await engineFor(world.process('reconciler')).reconcile();
    expect(outcome).toMatchObject({ status: 'noop', exitCode: 0, action: 'none', weights: BLUE });
    expect(world.roundTrips(from, 'reconciler')).toEqual([['state.read'], ['getWeights']]);
  });

  it('restores 100 % on the promoted colour after a late weight change, writing the record first', async () => {
    // GIVEN a promoted release, then a dead driver's late change to blue 75 / green 25
    const world = new FakeWorld();
    await engineFor(world.process('cli')).release({ strategy: ReleaseStrategy.allAtOnce(), releaseId: 'r1' });
    world.weights = { blue: 75, green: 25 };
    const from = world.calls.length;

    // WHEN
    const outcome = await engineFor(world.process('reconciler')).reconcile();

    // THEN
    expect(outcome).toMatchObject({ status: 'succeeded', exitCode: 0, action: 'restored', weights: { blue: 0, green: 100 } });
    expect(outcome.message).toBe(
      'Release r1 succeeded, which puts all traffic on green, but weights are blue 75 % / green 25 % (a late weight change): green holds 100 % again (verified); the test route points at blue.',
    );
    expect(world.roundTrips(from, 'reconciler')).toEqual([
      ['state.read'], ['getWeights'], ['health.count', 'alarms.firing'], ['state.write'], ['setWeights'], ['getWeights'], ['setTestTarget'],
    ]);
    expect(world.stored?.state).toMatchObject({ status: 'succeeded', owner: 'cli' });
  });

  it('leaves a late weight change on a promoted release whose live colour alarms, for a rollback', async () => {
    const world = new FakeWorld();
    await engineFor(world.process('cli')).release({ strategy: ReleaseStrategy.allAtOnce() });
    world.weights = { blue: 75, green: 25 };
    world.alarmRule = (c) => (c === 'green' ? ['web-green-5xx'] : []);
    const outcome = await engineFor(world.process('reconciler')).reconcile();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1, action: 'none' });
    expect(outcome.message).toContain('not restored, as alarms firing on green: web-green-5xx. Run rollback to send 100 % to blue');
    expect(changesBy(world, 'reconciler')).toEqual([]);
  });

  it('scales down the old colour of a promoted release once due, unless the live colour alarms', async () => {
    // GIVEN a promoted release with a 10 minute scale-down delay
    const world = new FakeWorld();
    await engineFor(world.process('cli'), { scaleDownDelayMs: 10 * MINUTE }).release({ strategy: ReleaseStrategy.allAtOnce() });
    const engine = engineFor(world.process('reconciler'));

    // WHEN not due
    // THEN
    expect(await engine.reconcile()).toMatchObject({ status: 'not-due', exitCode: 0, action: 'none' });

    // WHEN due, but green's alarm fires
    await world.advance(10 * MINUTE);
    world.alarmRule = (c) => (c === 'green' ? ['web-green-5xx'] : []);
    const held = await engine.reconcile();

    // THEN blue stays ready for a rollback
    expect(held).toMatchObject({ status: 'noop', exitCode: 0, action: 'none' });
    expect(held.message).toContain('web-green-5xx in ALARM on the live colour green: blue stays ready');
    expect(world.capacity.blue.desired).toBe(SERVING);

    // WHEN the alarm is OK again
    world.alarmRule = undefined;
    const outcome = await engine.reconcile();

    // THEN
    expect(outcome).toMatchObject({ status: 'scaled-down', exitCode: 0, action: 'scaled-down' });
    expect(world.capacity.blue.desired).toBe(0);
    expect(await engine.reconcile()).toMatchObject({ status: 'noop', action: 'none' });
  });

  it('leaves the release to whoever wrote its record while reconciling', async () => {
    // GIVEN an interrupted release with green alarming, and an operator's abort that lands while the reconciler reads
    const world = await interrupted();
    await world.advance(2 * MINUTE);
    world.alarmRule = (c) => (c === 'green' ? ['web-green-5xx'] : []);
    let aborted: unknown;
    world.beforeCall = async (proc, method) => {
      if (proc !== 'reconciler' || method !== 'capacity.describe') return false;
      aborted = await engineFor(world.process('operator')).abort();
      return true;
    };

    // WHEN
    const outcome = await engineFor(world.process('reconciler')).reconcile();

    // THEN
    expect(aborted).toMatchObject({ status: 'aborted' });
    expect(outcome).toMatchObject({ status: 'noop', exitCode: 0, action: 'none' });
    expect(outcome.message).toContain('the release record changed while reconciling (now r1 aborted), so it is left to its writer');
    expect(changesBy(world, 'reconciler')).toEqual([]);
    expect(world.weights).toEqual(BLUE);
  });
});

/** A world whose release record and weights are given outright, at T0. */
function recorded(overrides: Partial<ReleaseState> | undefined, weights: Weights): FakeWorld {
  const world = new FakeWorld();
  world.weights = weights;
  if (overrides) {
    const base: ReleaseState = {
      releaseId: 'r1',
      service: 'web',
      status: 'in-progress',
      stable: 'blue',
      candidate: 'green',
      steps: [25, 50, 100],
      bakeMs: MINUTE,
      stepIndex: 0,
      owner: 'cli',
      startedAt: T0 - 10 * MINUTE,
      updatedAt: T0 - 10_000,
    };
    world.writeState({ ...base, ...overrides }, undefined);
  }
  return world;
}

describe('reconcile and its screen agree', () => {
  const GREEN = { blue: 0, green: 100 };
  const SPLIT = { blue: 75, green: 25 };
  const greenAlarms = (w: FakeWorld) => (w.alarmRule = (c) => (c === 'green' ? ['web-green-5xx'] : []));
  const promoted = { status: 'succeeded', stepIndex: 2 } as const;
  const stale = { updatedAt: T0 - 5 * MINUTE };

  // Each record shape `decideReconcile` tells apart; where it names a repair, the live state lets the engine make it.
  it.each<[string, Partial<ReleaseState> | undefined, Weights, ReconcileCode, ReconcileAction, ((w: FakeWorld) => void)?]>([
    ['no record', undefined, BLUE, 'no-release', 'none'],
    ['a release whose driver heartbeats, its gate failing', {}, SPLIT, 'release-alive', 'none', greenAlarms],
    ['an interrupted release whose gate fails', { ...stale }, SPLIT, 'release-interrupted', 'rolled-back', greenAlarms],
    ['a rolled-back release on its stable colour', { status: 'rolled-back' }, BLUE, 'rolled-back-settled', 'none'],
    ['a rolled-back release off its stable colour', { status: 'rolled-back' }, SPLIT, 'traffic-off-stable', 'restored'],
    ['an aborted release off its stable colour', { status: 'aborted' }, GREEN, 'traffic-off-stable', 'restored'],
    ['a promoted release with no scale-down scheduled', { ...promoted }, GREEN, 'no-scale-down-scheduled', 'none'],
    ['a promoted release before its scale-down', { ...promoted, scaleDownAt: T0 + MINUTE }, GREEN, 'scale-down-not-due', 'none'],
    ['a promoted release past its scale-down', { ...promoted, scaleDownAt: T0 }, GREEN, 'scale-down-due', 'scaled-down'],
    ['a promoted release off its promoted colour', { ...promoted, scaleDownAt: T0 + MINUTE }, SPLIT, 'promoted-traffic-moved', 'restored'],
    ['a promoted release off its promoted colour, past its scale-down', { ...promoted, scaleDownAt: T0 }, BLUE, 'promoted-traffic-moved', 'restored'],
  ])('%s', async (_shape, record, weights, code, action, arrange) => {
    // GIVEN
    const world = recorded(record, weights);
    arrange?.(world);
    const { decision } = await screenReconcile(world.stored?.state, async () => world.weights, () => world.now);

    // WHEN
    const outcome = await engineFor(world.process('reconciler')).reconcile();

    // THEN the screen says `none` exactly when the engine makes no repair and no AWS write
    expect(decision.code).toBe(code);
    expect(outcome.action).toBe(action);
    const writes = changesBy(world, 'reconciler');
    expect(decision.action === 'none').toBe(outcome.action === 'none' && writes.length === 0);
    if (decision.action === 'none') expect(outcome.message).toBe(decision.message);
    expect(world.violations).toEqual([]);
  });
});
