/**
 * Rollbacks that must not make things worse: never onto an old colour with no healthy target (an ALB target group
 * with no healthy target fails open), late weight changes of another process undone, and a rollback that throws
 * reported with what to run.
 */
import { describe, expect, it } from 'vitest';
import { ColourName, ReleaseEventType, ReleaseStrategy, TargetHealthCount } from '../../lib/release';
import { dies, engineFor, FakeWorld, SERVING, T0 } from './fakes';

const MINUTE = 60_000;
const fiveSteps = ReleaseStrategy.explicitSteps([10, 25, 50, 75, 100], MINUTE);
const BLUE = { blue: 100, green: 0 };
const DOWN: TargetHealthCount = { healthy: 0, total: SERVING };

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

/** Health with `colour` down and the other colour as usual. */
function down(colour: ColourName): (c: ColourName) => TargetHealthCount | undefined {
  return (c) => (c === colour ? DOWN : undefined);
}

describe('rollback onto an old colour with no healthy target', () => {
  it.each(['rollback', 'abort'] as const)('%s refuses, leaves the weights and records why', async (command) => {
    // GIVEN an interrupted release at blue 75 / green 25, and blue (the old colour) lost every target since
    const world = await interrupted();
    const before = world.stored!;
    world.healthRule = down('blue');
    const proc = world.process('operator');

    // WHEN
    const engine = engineFor(proc);
    const outcome = command === 'rollback' ? await engine.rollback() : await engine.abort();

    // THEN nothing moved: sending 100 % to blue would fail open
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1, releaseId: 'r1' });
    expect(outcome.message).toContain('blue has no healthy targets (0/3), so rolling back would fail open');
    expect(outcome.message).toContain('Scale blue up or fix it (bluegreen status shows its targets), then run rollback again.');
    expect(world.count('setWeights', 'operator')).toBe(0);
    expect(world.weights).toEqual({ blue: 75, green: 25 });
    expect(world.violations).toEqual([]);
    // AND the record says why, with the owner and heartbeat left as they were (the lease still runs out)
    expect(world.stored?.state).toMatchObject({ status: 'in-progress', owner: 'cli', updatedAt: before.state.updatedAt });
    expect(world.stored?.state.reason).toContain('rollback refused');
    expect(world.stored?.state.reason).toContain('blue has 0/3 healthy targets and would fail open');

    // WHEN blue is back
    world.healthRule = undefined;
    const again = await engineFor(world.process('operator')).rollback();

    // THEN the rollback goes through
    expect(again.status).toBe('rolled-back');
    expect(world.weights).toEqual(BLUE);
  });

  it('a release whose gate fails while the old colour is down ends failed, weights left, reason recorded', async () => {
    // GIVEN green fails its gate at 25 %, and blue loses its targets at the same moment
    const world = new FakeWorld();
    world.healthRule = (_c, w) => (w.weights.green >= 25 ? DOWN : undefined);
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: fiveSteps, releaseId: 'r1' });

    // THEN
    expect(outcome).toMatchObject({ status: 'failed', exitCode: 1, failedStep: 2, releaseId: 'r1' });
    expect(outcome.message).toContain('Release r1 failed (gate failed at step 2/5 (25 %): green has 0/3 healthy targets, 3 expected)');
    expect(outcome.message).toContain('blue has no healthy targets (0/3), so rolling back would fail open');
    expect(world.weights).toEqual({ blue: 75, green: 25 });
    expect(world.violations).toEqual([]);
    expect(outcome.state).toMatchObject({ status: 'in-progress', stepIndex: 1 });
    expect(world.stored?.state.reason).toContain('rollback refused (gate failed at step 2/5');
  });

  it('re-applying a finished rollback refuses too when the old colour is down', async () => {
    // GIVEN a rolled-back release, a late change to blue 75 / green 25, and blue down
    const world = await interrupted();
    await engineFor(world.process('operator')).rollback();
    world.weights = { blue: 75, green: 25 };
    world.healthRule = down('blue');

    // WHEN
    const outcome = await engineFor(world.process('operator')).rollback();

    // THEN
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(world.weights).toEqual({ blue: 75, green: 25 });
    expect(world.stored?.state.status).toBe('rolled-back');
    expect(world.violations).toEqual([]);
  });

  it('a preempted driver does not restore 100 % onto an old colour that went down', async () => {
    // GIVEN an abort between the driver's write-ahead and its setWeights for step 2, after which blue goes down
    const world = new FakeWorld();
    const driver = world.process('cli');
    let fired = false;
    world.beforeCall = async (proc, method) => {
      if (fired || proc !== 'cli' || method !== 'setWeights' || world.sets.length !== 1) return false;
      fired = true;
      await engineFor(world.process('operator')).abort();
      world.healthRule = down('blue');
      return true;
    };

    // WHEN
    const outcome = await engineFor(driver).release({ strategy: fiveSteps });

    // THEN its late 25 % landed, and it did not send 100 % back onto blue's empty target group
    expect(world.sets.map((w) => w.green)).toEqual([10, 0, 25]);
    expect(outcome).toMatchObject({ status: 'preempted', exitCode: 1 });
    expect(outcome.message).toContain('100 % was not restored to blue, which has no healthy targets (0/3)');
    expect(world.violations).toEqual([]);
  });
});

describe('late weight changes of another process', () => {
  it('a late setWeights that lands while another process rolls back is undone by its final read', async () => {
    // GIVEN a driver about to set step 2 (25 %), whose request lands only after an operator's rollback has verified
    // 100 % on blue and recorded it; the driver dies right after
    const world = new FakeWorld();
    const driver = world.process('cli');
    const operator = world.process('operator');
    let rollback: Promise<unknown> | undefined;
    let releaseDriver!: () => void;
    const driverMayGo = new Promise<void>((resolve) => (releaseDriver = resolve));
    world.beforeCall = async (proc, method) => {
      if (proc === 'cli' && method === 'setWeights' && world.sets.length === 1 && !rollback) {
        rollback = engineFor(operator).rollback({ reason: 'looks off' });
        await driverMayGo;
        world.crash = { at: world.mutations + 1, when: 'after' };
        return false;
      }
      if (proc === 'operator' && method === 'state.write') {
        // The operator has verified 100 % on blue; the driver's request lands now, before the record is written.
        releaseDriver();
        while (!driver.dead) await new Promise((resolve) => setImmediate(resolve));
      }
      return false;
    };

    // WHEN
    await dies(driver, engineFor(driver).release({ strategy: fiveSteps }));
    const outcome = await rollback;

    // THEN the operator saw the late 25 % on its final read and set 100 % on blue again
    expect(world.sets.map((w) => w.green)).toEqual([10, 0, 25, 0]);
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 0, weights: BLUE });
    expect((outcome as { message: string }).message).toContain('a late weight change to blue 75 % / green 25 % was undone (verified)');
    expect(operator.eventTypes()).toContain(ReleaseEventType.WEIGHTS_CHANGED);
    expect(world.weights).toEqual(BLUE);
    expect(world.stored?.state).toMatchObject({ status: 'rolled-back', owner: 'operator' });
  });

  it('reconcile() undoes a late setWeights that landed after the rollback ended, from a driver that then died', async () => {
    // GIVEN a driver whose step 2 request (25 %) lands after an operator's whole rollback, and which dies right after
    const world = new FakeWorld();
    const driver = world.process('cli');
    let rolledBack: unknown;
    world.beforeCall = async (proc, method) => {
      if (proc !== 'cli' || method !== 'setWeights' || world.sets.length !== 1) return false;
      rolledBack = await engineFor(world.process('operator')).rollback({ reason: 'looks off' });
      world.crash = { at: world.mutations + 1, when: 'after' };
      return true;
    };
    await dies(driver, engineFor(driver).release({ strategy: fiveSteps }));
    expect(rolledBack).toMatchObject({ status: 'rolled-back', exitCode: 0 });
    expect(world.stored?.state.status).toBe('rolled-back');
    expect(world.weights).toEqual({ blue: 75, green: 25 });

    // WHEN the periodic reconciler runs
    const reconciler = world.process('reconciler');
    const outcome = await engineFor(reconciler).reconcile();

    // THEN 100 % is back on blue, verified, and the record is left as the operator wrote it
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 0, action: 'restored', weights: BLUE });
    expect(outcome.message).toContain('Release');
    expect(outcome.message).toContain('is rolled-back, which puts all traffic on blue, but weights are blue 75 % / green 25 %');
    expect(world.weights).toEqual(BLUE);
    expect(world.testTarget).toBe('green');
    expect(world.stored?.state).toMatchObject({ status: 'rolled-back', owner: 'operator', reason: 'looks off' });
    expect(world.violations).toEqual([]);
    // AND a second pass has nothing to do
    expect(await engineFor(reconciler).reconcile()).toMatchObject({ status: 'noop', exitCode: 0, action: 'none' });
  });
});

describe('a rollback that throws after a failed step', () => {
  it('returns failed with the record and tells the operator to run rollback', async () => {
    // GIVEN green fails its gate at 25 %, and the load balancer API throttles the rollback's setWeights
    const world = new FakeWorld();
    world.healthRule = (c, w) => (c === 'green' && w.weights.green >= 25 ? DOWN : undefined);
    const proc = world.process('cli');
    world.beforeCall = async (p, method) => {
      if (p === 'cli' && method === 'setWeights' && proc.eventTypes().includes(ReleaseEventType.ROLLBACK_STARTED)) {
        throw new Error('ThrottlingException: Rate exceeded');
      }
      return false;
    };

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: fiveSteps, releaseId: 'r1' });

    // THEN a failed outcome, not a raw SDK error: the record, the cause, and what to run
    expect(outcome).toMatchObject({ status: 'failed', exitCode: 1, failedStep: 2, releaseId: 'r1' });
    expect(outcome.state).toMatchObject({ status: 'in-progress', stepIndex: 1 });
    expect(outcome.message).toContain('gate failed at step 2/5 (25 %)');
    expect(outcome.message).toContain('rolling back to blue failed too: ThrottlingException: Rate exceeded');
    expect(outcome.message).toContain("Run 'bluegreen rollback' to send 100 % back to blue.");
    expect(proc.eventTypes()).toContain(ReleaseEventType.ROLLBACK_FAILED);
    expect(world.weights).toEqual({ blue: 75, green: 25 });

    // WHEN the operator does as told
    world.beforeCall = undefined;
    const rolledBack = await engineFor(world.process('operator')).rollback();

    // THEN
    expect(rolledBack.status).toBe('rolled-back');
    expect(world.weights).toEqual(BLUE);
  });
});
