/**
 * A compare-and-set whose first attempt landed but whose reply was lost: the SDK retries the PutItem, and the retry's
 * condition fails because of our own write. The engine must recognise its own record and go on, not take itself for
 * preempted (which left a release at split weights with nobody driving it).
 */
import { describe, expect, it } from 'vitest';
import { ReleaseEventType, ReleaseStrategy } from '../../lib/release';
import { engineFor, FakeWorld, T0 } from './fakes';

const MINUTE = 60_000;
const canary = ReleaseStrategy.canary(10, MINUTE);
const BLUE = { blue: 100, green: 0 };
const GREEN = { blue: 0, green: 100 };

describe('a write that landed but reported a condition failure', () => {
  it.each([
    [1, 'the claim'],
    [2, 'the record of step 1'],
    [3, 'a heartbeat during the bake'],
    [6, 'the write-ahead of step 2'],
  ])('on state write %i (%s), the release adopts its own record and finishes', async (n) => {
    // GIVEN
    const world = new FakeWorld();
    world.lostCasReplyAt = n;
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: canary, releaseId: 'r1' });

    // THEN
    expect(outcome).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(world.weights).toEqual(GREEN);
    expect(world.stored?.state).toMatchObject({ status: 'succeeded', owner: 'cli' });
    expect(proc.eventTypes().filter((t) => t === ReleaseEventType.WRITE_ADOPTED)).toHaveLength(1);
    expect(world.violations).toEqual([]);
  });

  it('a release rolling back after a failed gate records rolled-back, not preempted', async () => {
    // GIVEN green's alarm fires during step 1's bake, and the rollback's record write (the 4th) loses its reply
    const world = new FakeWorld();
    world.alarmRule = (c, w) => (c === 'green' && w.now >= T0 + 30_000 ? ['web-green-5xx'] : []);
    world.lostCasReplyAt = 4;
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: canary });

    // THEN
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1, failedStep: 1, weights: BLUE });
    expect(world.stored?.state.status).toBe('rolled-back');
    expect(world.sets).toEqual([{ blue: 90, green: 10 }, BLUE]);
  });

  it('a cold rollback records once and sets the weights once', async () => {
    // GIVEN a release whose driver died during step 1's bake
    const world = new FakeWorld();
    const dying = world.process('cli');
    world.at(T0 + 30_000, async () => {
      dying.dead = true;
    });
    await engineFor(dying).release({ strategy: canary }).catch(() => undefined);
    world.lostCasReplyAt = world.stateWrites + 1;

    // WHEN
    const outcome = await engineFor(world.process('operator')).rollback();

    // THEN
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 0 });
    expect(outcome.message).not.toContain('already');
    expect(world.count('setWeights', 'operator')).toBe(1);
    expect(world.stored?.state).toMatchObject({ status: 'rolled-back', owner: 'operator' });
  });

  it('promote with a colour adopts its own record', async () => {
    const world = new FakeWorld();
    world.weights = { blue: 50, green: 50 };
    world.lostCasReplyAt = 1;
    const outcome = await engineFor(world.process('cli')).promote({ colour: 'green' });
    expect(outcome).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(world.weights).toEqual(GREEN);
  });

  it('scale-down adopts its own fence and scales the old colour', async () => {
    const world = new FakeWorld();
    const engine = engineFor(world.process('cli'), { scaleDownDelayMs: 0 });
    await engine.release({ strategy: ReleaseStrategy.allAtOnce() });
    world.lostCasReplyAt = world.stateWrites + 1;
    expect(await engine.scaleDown()).toMatchObject({ status: 'scaled-down', exitCode: 0 });
    expect(world.capacity.blue.desired).toBe(0);
  });

  it('a record someone else wrote is still a conflict', async () => {
    // GIVEN an abort that lands between the driver's read and its write (no lost reply: a real conflict)
    const world = new FakeWorld();
    const driver = world.process('cli');
    world.at(T0 + 30_000, async () => {
      await engineFor(world.process('operator')).abort();
    });

    // WHEN
    const outcome = await engineFor(driver).release({ strategy: canary });

    // THEN the driver stops; nothing adopted
    expect(outcome.status).toBe('preempted');
    expect(driver.eventTypes()).not.toContain(ReleaseEventType.WRITE_ADOPTED);
    expect(world.weights).toEqual(BLUE);
  });
});
