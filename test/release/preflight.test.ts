import { describe, expect, it } from 'vitest';
import { ReleaseEventType, ReleaseInProgressError, ReleaseStrategy, UsageError } from '../../lib/release';
import { engineFor, FakeWorld, SERVING } from './fakes';

const strategy = ReleaseStrategy.canary(10, 60_000);

/** Nothing mutating happened: no weight, test route, capacity or record change. */
function expectUntouched(world: FakeWorld): void {
  expect(world.calls.filter((c) => c.mutating)).toEqual([]);
  expect(world.weights).toEqual({ blue: 100, green: 0 });
}

describe('pre-flight', () => {
  it('refuses a candidate with zero healthy targets before any setWeights call', async () => {
    // GIVEN green (idle) registered but with no healthy target
    const world = new FakeWorld();
    world.healthRule = (c) => (c === 'green' ? { healthy: 0, total: SERVING } : undefined);
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy });

    // THEN
    expect(outcome.status).toBe('refused');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toContain('green has 0/3 healthy targets, 3 expected: a target group with no healthy target fails open');
    expect(outcome.checks?.find((c) => c.name === 'candidate-healthy')?.ok).toBe(false);
    expect(world.count('setWeights')).toBe(0);
    expectUntouched(world);
    expect(proc.eventTypes()).toEqual([ReleaseEventType.PREFLIGHT_FAILED]);
  });

  it('refuses a candidate below its expected healthy count', async () => {
    const world = new FakeWorld();
    world.healthRule = (c) => (c === 'green' ? { healthy: 2, total: SERVING } : undefined);
    const outcome = await engineFor(world.process('cli')).release({ strategy });
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toContain('green has 2/3 healthy targets, 3 expected');
    expectUntouched(world);
  });

  it('refuses a candidate in standby', async () => {
    const world = new FakeWorld();
    world.setMode('green', 'standby');
    const outcome = await engineFor(world.process('cli')).release({ strategy });
    expect(outcome.message).toContain('green is in standby (desired 0): deploy it as ready before releasing it');
    expectUntouched(world);
  });

  it('refuses when the live colour is unhealthy', async () => {
    const world = new FakeWorld();
    world.healthRule = (c) => (c === 'blue' ? { healthy: 1, total: SERVING } : undefined);
    const outcome = await engineFor(world.process('cli')).release({ strategy });
    expect(outcome.checks?.find((c) => c.name === 'live-healthy')).toEqual({
      name: 'live-healthy',
      ok: false,
      detail: 'blue has 1/3 healthy targets, 3 expected: the live colour is where a rollback sends traffic, so it must be healthy first',
    });
    expectUntouched(world);
  });

  it.each(['blue', 'green'] as const)('refuses when a gate alarm of %s fires', async (colour) => {
    const world = new FakeWorld();
    world.alarmRule = (c) => (c === colour ? [`web-${colour}-5xx`] : []);
    const outcome = await engineFor(world.process('cli')).release({ strategy });
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toContain(`alarms firing on ${colour}: web-${colour}-5xx`);
    expectUntouched(world);
  });

  it('refuses to release the live colour', async () => {
    const world = new FakeWorld();
    const outcome = await engineFor(world.process('cli')).release({ strategy, candidate: 'blue' });
    expect(outcome.message).toContain('blue is live (100 %); the idle colour, which a release moves traffic to, is green');
    expectUntouched(world);
  });

  it('refuses split weights with no release in progress, suggesting rollback or promote', async () => {
    // GIVEN someone left the weights split and the last release rolled back
    const world = new FakeWorld();
    world.weights = { blue: 60, green: 40 };
    world.writeState(
      {
        releaseId: 'r1', service: 'web', status: 'rolled-back', stable: 'blue', candidate: 'green', steps: [100],
        bakeMs: 0, stepIndex: -1, owner: 'x', startedAt: 0, updatedAt: 0,
      },
      undefined,
    );
    world.calls.length = 0;

    // WHEN
    const outcome = await engineFor(world.process('cli')).release({ strategy });

    // THEN
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toContain(
      'weights are split (blue 60 % / green 40 %) and no release is in progress: run rollback to return all traffic to blue, or promote with a colour to finish',
    );
    expect(world.calls.filter((c) => c.mutating)).toEqual([]);
  });

  it('releases green when blue is live and blue when green is live', async () => {
    const world = new FakeWorld();
    world.weights = { blue: 0, green: 100 };
    world.testTarget = 'blue';
    const outcome = await engineFor(world.process('cli')).release({ strategy: ReleaseStrategy.allAtOnce() });
    expect(outcome.status).toBe('succeeded');
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.testTarget).toBe('green');
  });

  it('throws ReleaseInProgressError rather than refusing when a release is in progress', async () => {
    const world = new FakeWorld();
    world.writeState(
      {
        releaseId: 'r1', service: 'web', status: 'in-progress', stable: 'blue', candidate: 'green', steps: [10, 100],
        bakeMs: 60_000, stepIndex: -1, owner: 'other', startedAt: world.now, updatedAt: world.now,
      },
      undefined,
    );
    await expect(engineFor(world.process('cli')).release({ strategy })).rejects.toThrow(ReleaseInProgressError);
  });

  it('throws UsageError for a bad request before reading anything', async () => {
    const world = new FakeWorld();
    const engine = engineFor(world.process('cli'));
    await expect(engine.release({ strategy, candidate: 'red' as never })).rejects.toThrow("candidate: must be 'blue' or 'green'. Got \"red\".");
    await expect(engine.release({ strategy: {} as never })).rejects.toThrow(UsageError);
    expect(world.calls).toEqual([]);
  });

  it('validates engine options', () => {
    const world = new FakeWorld();
    expect(() => engineFor(world.process('cli'), { pollIntervalMs: 60_000 })).toThrow('pollIntervalMs: must be from 100ms to 20s. Got "1m".');
    expect(() => engineFor(world.process('cli'), { verifyAttempts: 0 })).toThrow('verifyAttempts: must be a whole number from 1 to 5. Got 0.');
    expect(() => engineFor(world.process('cli'), { service: '' })).toThrow(UsageError);
  });
});
