/**
 * `scaleDown` against a release starting at the same moment: the record is compare-and-set before the capacity
 * changes, re-checked after, and a fresh fence keeps a release of that colour out.
 */
import { describe, expect, it } from 'vitest';
import { ReleaseOutcome, ReleaseStrategy } from '../../lib/release';
import { engineFor, FakeWorld } from './fakes';

const canary = ReleaseStrategy.canary(10, 60_000);

/** A release of green that was rolled back: green is idle and ready, blue live. */
async function rolledBack(): Promise<FakeWorld> {
  const world = new FakeWorld();
  world.dropSet = (w) => w.green === 100;
  await engineFor(world.process('cli')).release({ strategy: canary });
  world.dropSet = undefined;
  expect(world.stored?.state.status).toBe('rolled-back');
  return world;
}

/** Wait until release `releaseId` claimed the record (with instant sleeps, it may finish before we look). */
async function claimed(world: FakeWorld, releaseId: string): Promise<void> {
  while (world.stored?.state.releaseId !== releaseId) await new Promise((resolve) => setImmediate(resolve));
}

describe('forced scale-down racing a release', () => {
  it('loses to a release claimed between its read and its change: the candidate keeps its capacity', async () => {
    // GIVEN a forced scale-down of idle green, and a release of green that claims the record right before the
    // scale-down's first change
    const world = await rolledBack();
    let release: Promise<ReleaseOutcome> | undefined;
    world.beforeCall = async (proc, method) => {
      if (proc !== 'scheduler' || (method !== 'state.write' && method !== 'setMode') || release) return false;
      release = engineFor(world.process('ci')).release({ strategy: canary, releaseId: 'r2' });
      await claimed(world, 'r2');
      return false;
    };

    // WHEN
    const outcome = await engineFor(world.process('scheduler')).scaleDown({ force: true });

    // THEN the scale-down's compare-and-set lost, green was not scaled, and the release finished
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toContain('changed meanwhile');
    expect(world.count('setMode')).toBe(0);
    expect(await release).toMatchObject({ status: 'succeeded', releaseId: 'r2' });
    expect(world.capacity.green.desired).toBe(3);
    expect(world.weights).toEqual({ blue: 0, green: 100 });
  });

  it('a release that reads the fence refuses in pre-flight: the colour is on its way to standby', async () => {
    // GIVEN a release of green that starts after the scale-down's record write, right before its capacity change
    const world = await rolledBack();
    let release: ReleaseOutcome | undefined;
    world.beforeCall = async (proc, method) => {
      if (proc !== 'scheduler' || method !== 'setMode' || release) return false;
      release = await engineFor(world.process('ci')).release({ strategy: canary, releaseId: 'r2' });
      return false;
    };

    // WHEN
    const outcome = await engineFor(world.process('scheduler')).scaleDown({ force: true });

    // THEN the release refused and moved nothing; green went to standby with no traffic
    expect(release).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(release?.checks?.find((c) => c.name === 'candidate-capacity')).toMatchObject({
      ok: false,
      detail: 'green is being put in standby by scale-down (started 0s ago): wait, then deploy it as ready before releasing it',
    });
    expect(world.count('setWeights', 'ci')).toBe(0);
    expect(outcome).toMatchObject({ status: 'scaled-down' });
    expect(world.capacity.green.desired).toBe(0);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    expect(world.stored?.state.scaledDownAt).toBe(world.now);
  });

  it('re-checks the weights after its record write and refuses a colour that took traffic meanwhile', async () => {
    // GIVEN weights that move to green 10 % while the scale-down writes its record
    const world = await rolledBack();
    world.beforeCall = async (proc, method) => {
      if (proc === 'scheduler' && method === 'state.write') world.weights = { blue: 90, green: 10 };
      return false;
    };

    // WHEN
    const outcome = await engineFor(world.process('scheduler')).scaleDown({ force: true });

    // THEN
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toBe('green takes traffic (blue 90 % / green 10 %); it is not scaled down.');
    expect(world.count('setMode')).toBe(0);
  });

  it('writes the record before every capacity change, forced or not', async () => {
    const world = await rolledBack();
    const from = world.calls.length;
    const outcome = await engineFor(world.process('scheduler')).scaleDown({ force: true });
    expect(outcome.status).toBe('scaled-down');
    expect(world.roundTrips(from, 'scheduler')).toEqual([['state.read'], ['getWeights'], ['state.write'], ['state.read', 'getWeights'], ['setMode']]);
    expect(world.stored?.state).toMatchObject({ status: 'rolled-back', scaledDownAt: world.now });
  });

  it('the fence keeps a release out for a minute only', async () => {
    // GIVEN a forced scale-down whose capacity change failed after its record write
    const world = await rolledBack();
    world.beforeCall = async (proc, method) => {
      if (proc === 'scheduler' && method === 'setMode') throw new Error('ScalingActivityInProgress');
      return false;
    };
    await expect(engineFor(world.process('scheduler')).scaleDown({ force: true })).rejects.toThrow('ScalingActivityInProgress');
    world.beforeCall = undefined;

    // WHEN a release of green starts within the minute, and after it
    const early = await engineFor(world.process('ci')).release({ strategy: canary });
    await world.advance(60_000);
    const later = await engineFor(world.process('ci')).release({ strategy: canary });

    // THEN
    expect(early.status).toBe('refused');
    expect(later.status).toBe('succeeded');
  });
});
