import { describe, expect, it } from 'vitest';
import { ReleaseEventType, ReleaseInProgressError, ReleaseStrategy } from '../../lib/release';
import { dies, engineFor, FakeProcess, FakeWorld, T0 } from './fakes';

const MINUTE = 60_000;
const canary = ReleaseStrategy.canary(10, MINUTE);
const fiveSteps = ReleaseStrategy.explicitSteps([10, 25, 50, 75, 100], MINUTE);

/** Port calls of `proc` from the first call at or after index `from` of the world's log. */
function callsFrom(world: FakeWorld, from: number, proc?: string): string[] {
  return world.calls.slice(from).filter((c) => proc === undefined || c.proc === proc).map((c) => c.method);
}

function eventsOf(proc: FakeProcess, type: ReleaseEventType) {
  return proc.events.filter((e) => e.type === type);
}

describe('release', () => {
  it('shifts canary weights step by step, verifies each, bakes, and promotes', async () => {
    // GIVEN blue live, green staged and healthy
    const world = new FakeWorld();
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: canary, releaseId: 'r1' });

    // THEN traffic moved 10 % then 100 %, never anything else
    expect(outcome).toMatchObject({ status: 'succeeded', exitCode: 0, releaseId: 'r1', weights: { blue: 0, green: 100 } });
    expect(world.sets).toEqual([
      { blue: 90, green: 10 },
      { blue: 0, green: 100 },
    ]);
    expect(world.testTarget).toBe('blue');
    expect(world.now - T0).toBe(2 * MINUTE);
    expect(world.stored?.state).toMatchObject({ status: 'succeeded', stepIndex: 1, candidate: 'green', stable: 'blue', scaleDownAt: T0 + 2 * MINUTE + 15 * MINUTE });
    expect(world.violations).toEqual([]);
    // AND one event line per meaningful thing, with step numbers
    const started = eventsOf(proc, ReleaseEventType.STEP_STARTED);
    expect(started.map((e) => [e.step, e.steps, e.weights])).toEqual([
      [1, 2, { blue: 90, green: 10 }],
      [2, 2, { blue: 0, green: 100 }],
    ]);
    expect(proc.eventTypes().filter((t) => t !== ReleaseEventType.GATE_PASSED)).toEqual([
      'preflight-passed', 'release-started',
      'step-started', 'weights-set', 'weights-verified', 'step-completed',
      'step-started', 'weights-set', 'weights-verified', 'step-completed',
      'test-route-set', 'promoted', 'scale-down-scheduled',
    ]);
    expect(eventsOf(proc, ReleaseEventType.GATE_PASSED)).toHaveLength(14);
  });

  it('heartbeats every 20 s of a bake with the default 10 s poll and 15 s heartbeat interval', async () => {
    // GIVEN a recorder of when each record write happens
    const world = new FakeWorld();
    const writes: number[] = [];
    world.beforeCall = async (_proc, method) => {
      if (method === 'state.write') writes.push((world.now - T0) / 1000);
      return false;
    };

    // WHEN
    await engineFor(world.process('cli'), { pollIntervalMs: undefined }).release({ strategy: canary });

    // THEN a heartbeat is written at the first poll at least 15 s after the last write: every second 10 s poll
    expect(writes).toEqual([0, 0, 20, 40, 60, 60, 60, 80, 100, 120, 120]);
  });

  it('reads each weight change back once when the load balancer is consistent', async () => {
    const world = new FakeWorld();
    await engineFor(world.process('cli')).release({ strategy: fiveSteps });
    // pre-flight reads once; each of the 5 steps reads back once
    expect(world.count('getWeights')).toBe(1 + 5);
    expect(world.count('setWeights')).toBe(5);
  });

  it('re-reads lagging weights up to verifyAttempts times before accepting them', async () => {
    // GIVEN an ALB whose reads lag two reads behind each change
    const world = new FakeWorld();
    world.lagReads = 2;
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc, { verifyAttempts: 3 }).release({ strategy: canary });

    // THEN
    expect(outcome.status).toBe('succeeded');
    expect(world.count('getWeights')).toBe(1 + 2 * 3);
    expect(eventsOf(proc, ReleaseEventType.WEIGHTS_LAGGING)).toHaveLength(4);
  });

  it('fails the step and rolls back when the read-back differs after the last re-read', async () => {
    // GIVEN a load balancer that ignores the change to 25 %
    const world = new FakeWorld();
    world.dropSet = (w) => w.green === 25;
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: fiveSteps });

    // THEN step 2 failed after 3 reads and 100 % went back to blue
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1, failedStep: 2, weights: { blue: 100, green: 0 } });
    expect(outcome.message).toContain('step 2/5: weights read back as blue 90 % / green 10 %, expected blue 75 % / green 25 %');
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.stored?.state).toMatchObject({ status: 'rolled-back', stepIndex: 0 });
    expect(eventsOf(proc, ReleaseEventType.WEIGHTS_MISMATCH)).toHaveLength(1);
    expect(eventsOf(proc, ReleaseEventType.WEIGHTS_LAGGING)).toHaveLength(2);
    expect(world.violations).toEqual([]);
  });

  it.each([1, 2, 3, 4, 5])('rolls back to all traffic on blue when the gate fails at step %i', async (k) => {
    // GIVEN green turns unhealthy once it takes step k's share
    const world = new FakeWorld();
    const failAt = fiveSteps.steps[k - 1];
    world.healthRule = (c, w) => (c === 'green' && w.weights.green >= failAt ? { healthy: 1, total: 3 } : undefined);
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: fiveSteps });

    // THEN
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1, failedStep: k });
    expect(outcome.message).toContain(`gate failed at step ${k}/5 (${failAt} %): green has 1/3 healthy targets, 3 expected`);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(Math.max(...world.sets.map((w) => w.green))).toBe(failAt);
    expect(world.testTarget).toBe('green');
    expect(world.stored?.state).toMatchObject({ status: 'rolled-back', reason: expect.stringContaining('gate failed') });
    expect(world.violations).toEqual([]);
  });

  it('rolls back when a gate alarm fires in the middle of a bake', async () => {
    // GIVEN green's 5xx alarm fires 30 s into the first bake
    const world = new FakeWorld();
    world.alarmRule = (c, w) => (c === 'green' && w.now >= T0 + 30_000 ? ['web-green-5xx'] : []);
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: canary });

    // THEN it was caught at the 30 s poll
    expect(outcome).toMatchObject({ status: 'rolled-back', failedStep: 1 });
    expect(eventsOf(proc, ReleaseEventType.GATE_FAILED)[0].message).toBe('Gate failed at step 1/2 (10 %): alarms firing on green: web-green-5xx');
    expect(world.now).toBe(T0 + 30_000);
    expect(world.sets).toEqual([
      { blue: 90, green: 10 },
      { blue: 100, green: 0 },
    ]);
  });

  it('reaches verified 100 % in 3 round trips when a gate fails: record and health, set, read back', async () => {
    const world = new FakeWorld();
    world.healthRule = (c, w) => (c === 'green' && w.weights.green >= 25 ? { healthy: 0, total: 3 } : undefined);
    let from = -1;
    world.beforeCall = async (_p, method) => {
      if (method === 'state.read' && from < 0 && world.weights.green > 0) from = world.calls.length;
      return false;
    };
    const outcome = await engineFor(world.process('cli')).release({ strategy: fiveSteps });
    expect(outcome.status).toBe('rolled-back');
    // The record and both colours' health go out together: the stable colour must not fail open.
    expect(world.roundTrips(from, 'cli').slice(0, 3)).toEqual([['state.read', 'health.count', 'health.count'], ['setWeights'], ['getWeights']]);
    expect(world.roundTrips(from, 'cli').slice(3)).toEqual([['setTestTarget'], ['state.write'], ['getWeights']]);
  });

  it('rolls back on a port error, and a write whose reply was lost still counts as ours', async () => {
    // GIVEN the write that records step 1 lands but its reply is lost (mutating calls: claim, set, record)
    const world = new FakeWorld();
    world.lostReplyAt = 3;

    // WHEN
    const outcome = await engineFor(world.process('cli')).release({ strategy: canary });

    // THEN
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1 });
    expect(outcome.message).toContain('error: state.write: socket hang up');
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.stored?.state.status).toBe('rolled-back');
  });
});

describe('promotion and scale-down', () => {
  it('keeps the old colour ready until scaleDownAt, then scale-down puts it in standby', async () => {
    // GIVEN a promoted release with a 10 minute scale-down delay
    const world = new FakeWorld();
    const proc = world.process('cli');
    const engine = engineFor(proc, { scaleDownDelayMs: 10 * MINUTE });
    await engine.release({ strategy: ReleaseStrategy.allAtOnce() });
    const scaleDownAt = world.stored?.state.scaleDownAt;
    expect(scaleDownAt).toBe(world.now + 10 * MINUTE);

    // WHEN scale-down runs too early
    const early = await engine.scaleDown();

    // THEN nothing changes
    expect(early).toMatchObject({ status: 'not-due', exitCode: 0 });
    expect(early.message).toContain('blue stays ready until 2026-01-01T12:10:00.000Z (in 10m)');
    expect(world.count('setMode')).toBe(0);

    // WHEN it is due
    await world.advance(10 * MINUTE);
    const due = await engine.scaleDown();

    // THEN blue goes to standby and the record forgets the schedule
    expect(due).toMatchObject({ status: 'scaled-down', exitCode: 0 });
    expect(world.capacity.blue.desired).toBe(0);
    expect(world.capacity.green.desired).toBe(3);
    expect(world.stored?.state.scaleDownAt).toBeUndefined();
    expect(world.stored?.state.status).toBe('succeeded');
    expect(await engine.scaleDown()).toMatchObject({ status: 'noop', exitCode: 0 });
    expect(world.violations).toEqual([]);
  });

  it('scales down early with force, but never a colour that takes traffic', async () => {
    const world = new FakeWorld();
    const engine = engineFor(world.process('cli'));
    await engine.release({ strategy: ReleaseStrategy.allAtOnce() });
    world.weights = { blue: 1, green: 99 };
    const refused = await engine.scaleDown({ force: true });
    expect(refused).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(refused.message).toBe('blue takes traffic (blue 1 % / green 99 %); it is not scaled down.');
    world.weights = { blue: 0, green: 100 };
    expect(await engine.scaleDown({ force: true })).toMatchObject({ status: 'scaled-down' });
    expect(world.capacity.blue.desired).toBe(0);
  });

  it('rolls back a promoted release while the old colour is ready, writing the record first', async () => {
    // GIVEN a promoted release
    const world = new FakeWorld();
    await engineFor(world.process('cli')).release({ strategy: ReleaseStrategy.allAtOnce() });
    const from = world.calls.length;

    // WHEN the auto-rollback Lambda rolls back from a fresh process
    const outcome = await engineFor(world.process('lambda')).rollback({ reason: 'web-green-5xx in ALARM' });

    // THEN
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 0, weights: { blue: 100, green: 0 } });
    expect(world.roundTrips(from, 'lambda')).toEqual([
      ['state.read', 'health.count', 'health.count'], ['state.write'], ['setWeights'], ['getWeights'], ['setTestTarget'], ['getWeights'],
    ]);
    expect(world.testTarget).toBe('green');
    expect(world.stored?.state).toMatchObject({ status: 'rolled-back', reason: 'web-green-5xx in ALARM', owner: 'lambda' });
    expect(world.stored?.state.scaleDownAt).toBeUndefined();
  });

  it('refuses to roll back a promoted release once the old colour was scaled down', async () => {
    const world = new FakeWorld();
    const engine = engineFor(world.process('cli'), { scaleDownDelayMs: 0 });
    await engine.release({ strategy: ReleaseStrategy.allAtOnce() });
    await engine.scaleDown();
    const outcome = await engine.rollback();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toContain('blue has been scaled down: nothing warm to roll back to');
    expect(world.weights).toEqual({ blue: 0, green: 100 });
  });

  it('a rollback after promotion that records first keeps a concurrent scale-down from scaling the old colour', async () => {
    // GIVEN a promoted release whose scale-down is due, and a rollback that lands just before scale-down records
    const world = new FakeWorld();
    const engine = engineFor(world.process('cli'), { scaleDownDelayMs: 0 });
    await engine.release({ strategy: ReleaseStrategy.allAtOnce() });
    let rolledBack: unknown;
    world.beforeCall = async (proc, method) => {
      if (proc !== 'scheduler' || method !== 'state.write') return false;
      rolledBack = await engineFor(world.process('lambda')).rollback({ reason: 'alarm' });
      return true;
    };

    // WHEN
    const outcome = await engineFor(world.process('scheduler')).scaleDown();

    // THEN the rollback won, and blue keeps its capacity and all traffic
    expect(rolledBack).toMatchObject({ status: 'rolled-back' });
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(world.count('setMode')).toBe(0);
    expect(world.capacity.blue.desired).toBe(3);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
  });

  it('refuses a rollback after promotion when told not to (auto-rollback during a release only)', async () => {
    const world = new FakeWorld();
    await engineFor(world.process('cli')).release({ strategy: ReleaseStrategy.allAtOnce() });
    const outcome = await engineFor(world.process('lambda')).rollback({ allowAfterPromotion: false });
    expect(outcome.status).toBe('refused');
    expect(world.weights).toEqual({ blue: 0, green: 100 });
  });

  it('promote from another process skips the remaining steps; the driving process stops', async () => {
    // GIVEN a release baking its first step
    const world = new FakeWorld();
    const driver = world.process('cli');
    const operator = world.process('operator');
    let promoted: unknown;
    world.at(T0 + 20_000, async () => {
      promoted = await engineFor(operator).promote();
    });

    // WHEN
    const outcome = await engineFor(driver).release({ strategy: fiveSteps });

    // THEN the operator's promotion won and the driver stopped without touching traffic again
    expect(promoted).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(outcome).toMatchObject({ status: 'preempted', exitCode: 0 });
    expect(world.sets).toEqual([
      { blue: 90, green: 10 },
      { blue: 0, green: 100 },
    ]);
    expect(world.stored?.state).toMatchObject({ status: 'succeeded', steps: [10, 100], stepIndex: 1 });
    expect(world.testTarget).toBe('blue');
    expect(eventsOf(operator, ReleaseEventType.TAKEN_OVER)).toHaveLength(1);
  });

  it('refuses to promote an unhealthy candidate', async () => {
    const world = new FakeWorld();
    world.healthRule = (c, w) => (c === 'green' && w.now > T0 + 5_000 ? { healthy: 2, total: 3 } : undefined);
    const driver = world.process('cli');
    let promoted: unknown;
    world.at(T0 + 5_000, async () => {
      world.healthRule = undefined;
      world.alarmRule = (c) => (c === 'green' ? ['web-green-p99'] : []);
      promoted = await engineFor(world.process('operator')).promote();
      world.alarmRule = undefined;
    });
    await engineFor(driver).release({ strategy: canary });
    expect(promoted).toMatchObject({ status: 'refused', exitCode: 1 });
    expect((promoted as { message: string }).message).toBe('Cannot promote green: alarms firing on green: web-green-p99. Wait, or roll back.');
  });

  it('promote with a colour settles split weights when no release is in progress', async () => {
    // GIVEN split weights and no record
    const world = new FakeWorld();
    world.weights = { blue: 50, green: 50 };
    const engine = engineFor(world.process('cli'));
    expect((await engine.promote()).status).toBe('refused');

    // WHEN
    const outcome = await engine.promote({ colour: 'green' });

    // THEN
    expect(outcome).toMatchObject({ status: 'succeeded', weights: { blue: 0, green: 100 } });
    expect(world.stored?.state).toMatchObject({ status: 'succeeded', candidate: 'green', stable: 'blue', steps: [100] });
    expect(world.testTarget).toBe('blue');
    expect((await engine.promote({ colour: 'green' })).status).toBe('noop');
  });
});

describe('concurrency', () => {
  it('refuses a second release while the first is in progress', async () => {
    // GIVEN a release baking its first step
    const world = new FakeWorld();
    let second: Promise<unknown> | undefined;
    world.at(T0 + 30_000, async () => {
      second = engineFor(world.process('other')).release({ strategy: canary });
      await second.catch(() => undefined);
    });

    // WHEN
    const first = await engineFor(world.process('cli')).release({ strategy: canary, releaseId: 'r1' });

    // THEN
    await expect(second).rejects.toThrow(ReleaseInProgressError);
    await expect(second).rejects.toThrow(
      'web release r1 (green at step 1/2 (10 %), blue 90 % / green 10 %) is in progress, driven by cli (heartbeat 10s ago; its lease expires at 12:02:20Z, in 1m50s). Wait for it, or stop it with abort.',
    );
    expect(first.status).toBe('succeeded');
    expect(world.count('setWeights', 'other')).toBe(0);
  });

  it('lets only one of two simultaneous releases claim the record', async () => {
    const world = new FakeWorld();
    const results = await Promise.allSettled([
      engineFor(world.process('a')).release({ strategy: ReleaseStrategy.allAtOnce() }),
      engineFor(world.process('b')).release({ strategy: ReleaseStrategy.allAtOnce() }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ReleaseInProgressError);
    expect(world.weights).toEqual({ blue: 0, green: 100 });
    expect(world.violations).toEqual([]);
  });

  it('takes over a stale release only after its lease, and finishes it', async () => {
    // GIVEN a release whose process dies 30 s into step 2's bake
    const world = new FakeWorld();
    const dying = world.process('cli');
    world.at(T0 + 90_000, async () => {
      dying.dead = true;
    });
    await dies(dying, engineFor(dying).release({ strategy: fiveSteps }));
    const engine = engineFor(world.process('rescuer'));

    // WHEN another process resumes within the lease (2 × 1 min bake)
    // THEN it is refused
    await expect(engine.resume()).rejects.toThrow(/is in progress, driven by cli/);

    // WHEN the lease has passed
    await world.advance(2 * MINUTE);
    const rescuer = world.process('rescuer');
    const outcome = await engineFor(rescuer).resume();

    // THEN it polls the gate, sets step 2's weights again and verifies them, re-bakes step 2 and finishes
    expect(outcome.status).toBe('succeeded');
    expect(rescuer.eventTypes().slice(0, 5)).toEqual(['taken-over', 'resumed', 'gate-passed', 'weights-set', 'weights-verified']);
    expect(world.weights).toEqual({ blue: 0, green: 100 });
    expect(world.sets.map((w) => w.green)).toEqual([10, 25, 25, 50, 75, 100]);
    expect(world.stored?.state.owner).toBe('rescuer');
  });

  it('release refuses an interrupted release and says to resume or roll back', async () => {
    const world = new FakeWorld();
    const dying = world.process('cli');
    world.at(T0 + 30_000, async () => {
      dying.dead = true;
    });
    await dies(dying, engineFor(dying).release({ strategy: canary, releaseId: 'r1' }));
    await world.advance(5 * MINUTE);
    await expect(engineFor(world.process('b')).release({ strategy: canary })).rejects.toThrow(
      'web release r1 (green at step 1/2 (10 %), blue 90 % / green 10 %) was interrupted: no heartbeat from cli for 5m10s (lease 2m). Run resume to continue it, or rollback to send 100 % back to blue.',
    );
  });

  it('refuses to resume when the weights match neither the recorded step nor the next', async () => {
    const world = new FakeWorld();
    const dying = world.process('cli');
    world.at(T0 + 30_000, async () => {
      dying.dead = true;
    });
    await dies(dying, engineFor(dying).release({ strategy: fiveSteps }));
    world.weights = { blue: 40, green: 60 };
    await world.advance(5 * MINUTE);
    const outcome = await engineFor(world.process('b')).resume();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toContain('weights are blue 40 % / green 60 %, but the record is at step 1/5 (10 %)');
    expect(world.weights).toEqual({ blue: 40, green: 60 });
  });
});

describe('abort and rollback', () => {
  it('abort from another process stops the release; the driver stops at its next write', async () => {
    // GIVEN a release baking step 2
    const world = new FakeWorld();
    const driver = world.process('cli');
    let aborted: unknown;
    let setsAtAbort = 0;
    world.at(T0 + 75_000, async () => {
      aborted = await engineFor(world.process('operator')).abort({ reason: 'latency looks off' });
      setsAtAbort = world.sets.length;
    });

    // WHEN
    const outcome = await engineFor(driver).release({ strategy: fiveSteps });

    // THEN
    expect(aborted).toMatchObject({ status: 'aborted', exitCode: 0, weights: { blue: 100, green: 0 } });
    expect(outcome).toMatchObject({ status: 'preempted', exitCode: 1 });
    expect(outcome.message).toContain('is now aborted by operator (latency looks off)');
    expect(world.sets.length).toBe(setsAtAbort);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.stored?.state.status).toBe('aborted');
  });

  it('abort on the driving engine reaches verified 100 % in 3 round trips', async () => {
    const world = new FakeWorld();
    const proc = world.process('cli');
    const engine = engineFor(proc);
    let from = 0;
    let aborted: unknown;
    world.at(T0 + 30_000, async () => {
      from = world.calls.length;
      aborted = await engine.abort();
    });
    const outcome = await engine.release({ strategy: canary });
    expect(aborted).toMatchObject({ status: 'aborted' });
    expect(world.roundTrips(from, 'cli').slice(0, 5)).toEqual([['state.read', 'health.count', 'health.count'], ['setWeights'], ['getWeights'], ['setTestTarget'], ['state.write']]);
    expect(outcome.status).toBe('preempted');
    expect(world.weights).toEqual({ blue: 100, green: 0 });
  });

  it('a cold rollback reaches verified 100 % in 3 round trips (5 port calls)', async () => {
    const world = new FakeWorld();
    const dying = world.process('cli');
    world.at(T0 + 150_000, async () => {
      dying.dead = true;
    });
    await dies(dying, engineFor(dying).release({ strategy: fiveSteps }));
    const from = world.calls.length;
    const outcome = await engineFor(world.process('lambda')).rollback();
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 0 });
    expect(world.roundTrips(from, 'lambda')).toEqual([
      ['state.read', 'health.count', 'health.count'], ['setWeights'], ['getWeights'], ['setTestTarget'], ['state.write'], ['getWeights'],
    ]);
    // Port calls up to the verifying read, as the benchmark counts them.
    expect(callsFrom(world, from).indexOf('getWeights') + 1).toBe(5);
  });

  it('restores the winner\'s weights when its own change landed after an abort', async () => {
    // GIVEN an abort that completes between the driver's write-ahead and its setWeights for step 2
    const world = new FakeWorld();
    const driver = world.process('cli');
    let fired = false;
    world.beforeCall = async (proc, method) => {
      if (fired || proc !== 'cli' || method !== 'setWeights' || world.sets.length !== 1) return false;
      fired = true;
      await engineFor(world.process('operator')).abort();
      return true;
    };

    // WHEN
    const outcome = await engineFor(driver).release({ strategy: fiveSteps });

    // THEN the driver's late 25 % landed, then it restored what the aborted record says
    expect(world.sets.map((w) => w.green)).toEqual([10, 0, 25, 0]);
    expect(outcome).toMatchObject({ status: 'preempted', exitCode: 1, weights: { blue: 100, green: 0 } });
    expect(outcome.message).toContain('restored 100 % to blue');
    expect(world.testTarget).toBe('green');
  });

  it('abort refuses when no release is in progress; rollback re-applies a finished rollback', async () => {
    const world = new FakeWorld();
    const engine = engineFor(world.process('cli'));
    expect(await engine.abort()).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(await engine.rollback()).toMatchObject({ status: 'refused', exitCode: 1 });
    world.dropSet = (w) => w.green === 100;
    await engine.release({ strategy: canary });
    expect(world.stored?.state.status).toBe('rolled-back');
    world.weights = { blue: 70, green: 30 };
    const again = await engine.rollback();
    expect(again).toMatchObject({ status: 'rolled-back', exitCode: 0 });
    expect(again.message).toContain('it was already rolled-back; weights set again');
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect((await engine.abort()).message).toContain('nothing to abort');
  });
});

describe('plan and status', () => {
  it('plan lists steps, bake times and checks without any write', async () => {
    const world = new FakeWorld();
    const plan = await engineFor(world.process('cli')).plan({ strategy: ReleaseStrategy.linear(50, 2 * MINUTE) });
    expect(world.calls.filter((c) => c.mutating)).toEqual([]);
    expect(plan).toMatchObject({
      service: 'web',
      stable: 'blue',
      candidate: 'green',
      ready: true,
      minimumDurationMs: 4 * MINUTE,
      steps: [
        { step: 1, candidatePercent: 50, weights: { blue: 50, green: 50 }, bakeMs: 2 * MINUTE },
        { step: 2, candidatePercent: 100, weights: { blue: 0, green: 100 }, bakeMs: 2 * MINUTE },
      ],
    });
    expect(plan.checks.map((c) => c.name)).toEqual([
      'no-release-in-progress', 'weights-settled', 'candidate-idle', 'candidate-capacity',
      'candidate-healthy', 'live-healthy', 'candidate-alarms', 'live-alarms',
    ]);
    expect(plan.actions).toContain(
      "step 1/2: record, set blue 50 % / green 50 %, read back (at most 3 reads), bake 2m polling green's target health and gate alarms every 10s; on failure set 100 % to blue in one call and read back",
    );
  });

  it('plan shows why a release would be refused', async () => {
    const world = new FakeWorld();
    world.healthRule = (c) => (c === 'green' ? { healthy: 0, total: 0 } : undefined);
    const plan = await engineFor(world.process('cli')).plan({ strategy: canary });
    expect(plan.ready).toBe(false);
    expect(plan.actions).toContain('refuse: a pre-flight check fails; nothing would change');
    expect(world.calls.filter((c) => c.mutating)).toEqual([]);
  });

  it('status reports weights, health, alarms, the release and warnings', async () => {
    // GIVEN an interrupted release at step 1
    const world = new FakeWorld();
    const dying = world.process('cli');
    world.at(T0 + 30_000, async () => {
      dying.dead = true;
    });
    await dies(dying, engineFor(dying).release({ strategy: canary, releaseId: 'r1' }));
    world.alarmRule = (c) => (c === 'green' ? ['web-green-p99'] : []);
    await world.advance(5 * MINUTE);

    // WHEN
    const status = await engineFor(world.process('cli2')).status();

    // THEN
    expect(status).toMatchObject({
      service: 'web',
      weights: { blue: 90, green: 10 },
      testTarget: 'green',
      releaseInProgress: true,
      releaseStale: true,
      leaseMs: 2 * MINUTE,
      scaleDownDue: false,
      blue: { colour: 'blue', weight: 90, healthy: 3, total: 3, desired: 3, firingAlarms: [] },
      green: { colour: 'green', weight: 10, firingAlarms: ['web-green-p99'] },
      release: { releaseId: 'r1', status: 'in-progress', stepIndex: 0 },
    });
    expect(status.live).toBeUndefined();
    expect(status.warnings).toEqual(['release r1 was interrupted (no heartbeat for 5m10s): run resume or rollback']);
    expect(world.calls.filter((c) => c.mutating && c.proc === 'cli2')).toEqual([]);
  });

  it('status warns about split weights with no release and a test route on the live colour', async () => {
    const world = new FakeWorld();
    world.testTarget = 'blue';
    let status = await engineFor(world.process('cli')).status();
    expect(status.live).toBe('blue');
    expect(status.warnings).toEqual(['the test route points at the live colour blue; it should point at the idle colour']);
    world.weights = { blue: 50, green: 50 };
    status = await engineFor(world.process('cli')).status();
    expect(status.warnings).toContain('weights are blue 50 % / green 50 % with no release in progress: run rollback or promote with a colour');
  });
});
