/**
 * The engine under AWS faults, with fakes: a bake earns credit only while the gate is read (a gap longer than two
 * polls restarts it, unread past the lease rolls back), heartbeats survive an AWS error, rollback and abort announce
 * themselves before their first call and give up at their deadline, a dead holder on this host is taken over at
 * once, and a release refuses a candidate that does not run what the manifest stages for it.
 */
import { describe, expect, it } from 'vitest';
import {
  DeployedImages,
  OwnerProcess,
  OwnerProcessState,
  ReleaseEngine,
  ReleaseEvent,
  ReleaseEventType,
  ReleaseInProgressError,
  ReleaseStrategy,
} from '../../lib/release';
import { engineFor, FakeProcess, FakeWorld, T0 } from './fakes';

const S = 1_000;
const MINUTE = 60_000;
const canary = ReleaseStrategy.canary(10, MINUTE);
const BLUE = { blue: 100, green: 0 };
const GREEN = { blue: 0, green: 100 };

/** An AWS error as the adapters throw it once the SDK's retries are spent. */
function awsDown(): Error {
  return Object.assign(new Error('AWS did not answer: connect ECONNREFUSED'), { name: 'TimeoutError' });
}

/** Make `method` fail while `failing(now)` holds. */
function failWhile(world: FakeWorld, methods: string[], failing: (now: number) => boolean): void {
  world.beforeCall = async (_proc, method) => {
    if (methods.includes(method) && failing(world.now)) throw awsDown();
    return false;
  };
}

/** Time (ms after T0) of each event of `type`. */
function timesOf(proc: FakeProcess, type: ReleaseEventType): number[] {
  return proc.events.filter((e) => e.type === type).map((e) => e.at - T0);
}

function eventsOf(proc: FakeProcess, type: ReleaseEventType): ReleaseEvent[] {
  return proc.events.filter((e) => e.type === type);
}

describe('bake credit', () => {
  it('restarts the step bake after more than two polls without a gate reading, and never passes on unread time', async () => {
    // GIVEN AWS stops answering the gate reads 15 s into step 1's bake, for 30 s
    const world = new FakeWorld();
    failWhile(world, ['health.count', 'alarms.firing'], (now) => now >= T0 + 15 * S && now < T0 + 45 * S);
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: canary });

    // THEN the reads at 20, 30 and 40 s earned nothing, the read at 50 s restarted the bake, and step 1 baked a full
    // minute of readings after that: it completed at 110 s, not at 60 s
    expect(outcome).toMatchObject({ status: 'succeeded', weights: GREEN });
    expect(timesOf(proc, ReleaseEventType.GATE_UNREAD)).toEqual([20 * S, 30 * S, 40 * S]);
    expect(timesOf(proc, ReleaseEventType.BAKE_RESTARTED)).toEqual([50 * S]);
    expect(eventsOf(proc, ReleaseEventType.BAKE_RESTARTED)[0].message).toBe(
      'No gate reading at step 1/2 (10 %) for 40s (more than 2 polls of 10s): the step bakes again from 0s (it had 10s of 1m)',
    );
    expect(timesOf(proc, ReleaseEventType.STEP_COMPLETED)[0]).toBe(110 * S);
    // AND the credit reported never counts the outage
    const step1 = proc.events.filter((e) => e.step === 1 && e.bakedMs !== undefined).map((e) => [e.type, (e.at - T0) / S, e.bakedMs! / S]);
    expect(step1).toEqual([
      ['gate-passed', 0, 0],
      ['gate-passed', 10, 10],
      ['gate-unread', 20, 10],
      ['gate-unread', 30, 10],
      ['gate-unread', 40, 10],
      ['bake-restarted', 50, 0],
      ['gate-passed', 50, 0],
      ['gate-passed', 60, 10],
      ['gate-passed', 70, 20],
      ['gate-passed', 80, 30],
      ['gate-passed', 90, 40],
      ['gate-passed', 100, 50],
      ['gate-passed', 110, 60],
      ['step-completed', 110, 60],
    ]);
    expect(eventsOf(proc, ReleaseEventType.GATE_UNREAD)[0].message).toBe(
      'Gate not read at step 1/2 (10 %): AWS did not answer: connect ECONNREFUSED. No bake credit: unread for 10s (baked 10s of 1m)',
    );
    expect(world.violations).toEqual([]);
  });

  it('restarts the bake when a gate read hangs and then answers (the SDK retried until AWS came back)', async () => {
    // GIVEN the gate read of 20 s takes 25 s to answer, then answers healthy
    const world = new FakeWorld();
    let hung = false;
    world.beforeCall = async (_proc, method) => {
      if (method === 'health.count' && !hung && world.now >= T0 + 20 * S) {
        hung = true;
        await world.advance(25 * S);
      }
      return false;
    };
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: canary });

    // THEN that reading came 35 s after the one before: no credit for the time it hung
    expect(outcome.status).toBe('succeeded');
    expect(timesOf(proc, ReleaseEventType.BAKE_RESTARTED)).toEqual([45 * S]);
    expect(timesOf(proc, ReleaseEventType.STEP_COMPLETED)[0]).toBe(20 * S + 25 * S + MINUTE);
    // AND credit counts from the end of the reading that hung: the 25 s it hung earned nothing
    const step1 = proc.events.filter((e) => e.type === ReleaseEventType.GATE_PASSED && e.step === 1).map((e) => [(e.at - T0) / S, e.bakedMs! / S]);
    expect(step1.slice(0, 5)).toEqual([
      [0, 0],
      [10, 10],
      [45, 0],
      [55, 10],
      [65, 20],
    ]);
  });

  it('lets one missed poll pass without a restart: a gap of two polls is not more than two polls', async () => {
    // GIVEN one gate read fails, at 20 s
    const world = new FakeWorld();
    failWhile(world, ['alarms.firing'], (now) => now === T0 + 20 * S);
    const proc = world.process('cli');

    // WHEN
    await engineFor(proc).release({ strategy: canary });

    // THEN the step keeps its credit and completes on time
    expect(timesOf(proc, ReleaseEventType.GATE_UNREAD)).toEqual([20 * S]);
    expect(timesOf(proc, ReleaseEventType.BAKE_RESTARTED)).toEqual([]);
    expect(timesOf(proc, ReleaseEventType.STEP_COMPLETED)[0]).toBe(MINUTE);
  });

  it('rolls back when the gate stays unread for longer than the lease', async () => {
    // GIVEN CloudWatch stops answering 15 s into step 1's bake and does not come back (lease: max(2 × 1m, 60s) = 2m)
    const world = new FakeWorld();
    failWhile(world, ['alarms.firing'], (now) => now >= T0 + 15 * S);
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: canary });

    // THEN the release rolled back once the gate went unread past the lease, and never moved past step 1
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1, failedStep: 1, weights: BLUE });
    expect(outcome.message).toContain("the gate could not be read at step 1/2 (10 %) for 2m10s, longer than the release's lease of 2m (AWS did not answer: connect ECONNREFUSED); release again once AWS answers");
    expect(world.sets).toEqual([{ blue: 90, green: 10 }, BLUE]);
    expect(timesOf(proc, ReleaseEventType.STEP_COMPLETED)).toEqual([]);
    expect(world.violations).toEqual([]);
  });

  it('goes on after a heartbeat that failed with an AWS error, adopting it when it had landed', async () => {
    // GIVEN the first heartbeat of step 1 (mutating call 4: claim, set, record, heartbeat) lands but reports an error
    const world = new FakeWorld();
    world.lostReplyAt = 4;
    const proc = world.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: canary });

    // THEN
    expect(outcome).toMatchObject({ status: 'succeeded', weights: GREEN });
    expect(proc.eventTypes()).toContain(ReleaseEventType.HEARTBEAT_FAILED);
    expect(proc.eventTypes()).toContain(ReleaseEventType.WRITE_ADOPTED);
    expect(world.stored?.state).toMatchObject({ status: 'succeeded', owner: 'cli' });
  });
});

describe('rollback and abort under faults', () => {
  it('announce themselves before their first call', async () => {
    for (const command of ['rollback', 'abort'] as const) {
      // GIVEN a release in progress
      const world = new FakeWorld();
      const driver = world.process('driver');
      world.at(T0 + 30 * S, async () => {
        driver.dead = true;
      });
      await engineFor(driver).release({ strategy: canary }).catch(() => undefined);
      const proc = world.process('operator');
      const seen: Array<[string, number]> = [];
      const engine = new ReleaseEngine({ ...proc.ports, logger: { event: (e) => seen.push([e.type, world.calls.filter((c) => c.proc === 'operator').length]) } }, { service: 'web', owner: 'operator' });

      // WHEN
      const outcome = await engine[command]();

      // THEN the first event came before any call, and says the deadline
      expect(outcome.status).toBe(command === 'rollback' ? 'rolled-back' : 'aborted');
      expect(seen[0]).toEqual([ReleaseEventType.ROLLBACK_REQUESTED, 0]);
    }
  });

  it('give up at their deadline with what to run, never leaving both colours at 0', async () => {
    // GIVEN a release at step 1, and a load balancer that ignores every change from now on
    const world = new FakeWorld();
    const driver = world.process('driver');
    world.at(T0 + 30 * S, async () => {
      driver.dead = true;
    });
    await engineFor(driver).release({ strategy: canary }).catch(() => undefined);
    world.dropSet = () => true;
    const proc = world.process('operator');

    // WHEN rolled back with a 3 s deadline (each attempt reads back 3 times, 1 s apart)
    const outcome = await engineFor(proc, { rollbackDeadlineMs: 3 * S }).rollback();

    // THEN
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toBe(
      'Rollback not verified within its 3s deadline (2 attempt(s); weights last read as blue 90 % / green 10 %). Run rollback again: it is idempotent; bluegreen status shows the weights.',
    );
    expect(proc.events[0].message).toBe("Rolling back web: reading the release record and both colours' target health (finishes or gives up within 3s)");
    expect(world.count('setWeights', 'operator')).toBe(2);
    expect(world.violations).toEqual([]);
  });
});

describe('rollback retries a transient AWS error until its deadline', () => {
  /** A release at step 1 whose driver died during the bake. */
  async function interrupted(): Promise<FakeWorld> {
    const world = new FakeWorld();
    const driver = world.process('driver');
    world.at(T0 + 30 * S, async () => {
      driver.dead = true;
    });
    await engineFor(driver).release({ strategy: canary }).catch(() => undefined);
    return world;
  }

  it('and finishes once AWS answers again', async () => {
    // GIVEN ModifyRule fails for the next 2.5 s
    const world = await interrupted();
    const from = world.now;
    failWhile(world, ['setWeights'], (now) => now < from + 2_500);
    const proc = world.process('operator');

    // WHEN
    const outcome = await engineFor(proc).rollback();

    // THEN three attempts failed, 1 s apart, and the fourth rolled back
    expect(outcome).toMatchObject({ status: 'rolled-back', weights: BLUE });
    expect(eventsOf(proc, ReleaseEventType.ROLLBACK_RETRYING).map((e) => e.message)).toEqual([
      'Rollback attempt failed: AWS did not answer: connect ECONNREFUSED; trying again (gives up in 30s)',
      'Rollback attempt failed: AWS did not answer: connect ECONNREFUSED; trying again (gives up in 29s)',
      'Rollback attempt failed: AWS did not answer: connect ECONNREFUSED; trying again (gives up in 28s)',
    ]);
    expect(world.weights).toEqual(BLUE);
    expect(world.violations).toEqual([]);
  });

  it('and fails at the deadline with the last error and what to run', async () => {
    const world = await interrupted();
    failWhile(world, ['setWeights'], () => true);
    const outcome = await engineFor(world.process('operator'), { rollbackDeadlineMs: 5 * S }).rollback();
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toBe(
      'Rollback not verified within its 5s deadline (5 attempt(s); last error: AWS did not answer: connect ECONNREFUSED). Run rollback again: it is idempotent; bluegreen status shows the weights.',
    );
    expect(world.weights).toEqual({ blue: 90, green: 10 });
  });

  it('but not an error that retrying cannot fix', async () => {
    const world = await interrupted();
    world.beforeCall = async (_p, method) => {
      if (method === 'setWeights') throw Object.assign(new Error('User is not authorized to perform: elasticloadbalancing:ModifyRule'), { name: 'AccessDenied' });
      return false;
    };
    await expect(engineFor(world.process('operator')).rollback()).rejects.toThrow(/not authorized/);
  });
});

/** A probe that answers `state` for every process. */
function probe(state: OwnerProcessState) {
  return { check: (_p: OwnerProcess) => state };
}

const HOLDER: OwnerProcess = { host: 'laptop', pid: 1681, startedAt: T0 - MINUTE };

/** A release at step 1 whose driver (on `HOLDER`) died at 30 s and last wrote at 20 s: well inside its 2 m lease. */
async function heldRelease(): Promise<FakeWorld> {
  const world = new FakeWorld();
  const driver = world.process('laptop:1681');
  world.at(T0 + 30 * S, async () => {
    driver.dead = true;
  });
  await engineFor(driver, { process: HOLDER }).release({ strategy: canary, releaseId: 'r1' }).catch(() => undefined);
  await world.advance(10 * S);
  return world;
}

describe('taking over', () => {
  it('records the owner process with every write, and a writer without one leaves none behind', async () => {
    // GIVEN
    const world = await heldRelease();
    expect(world.stored?.state.ownerProcess).toEqual(HOLDER);

    // WHEN the auto-rollback (no process of its own) rolls it back
    await engineFor(world.process('auto-rollback')).rollback();

    // THEN
    expect(world.stored?.state).toMatchObject({ status: 'rolled-back', owner: 'auto-rollback' });
    expect(world.stored?.state).not.toHaveProperty('ownerProcess');
  });

  it.each([
    ['exited', 'process 1681 on this host is not running; last heartbeat 20s ago'],
    ['pid-reused', 'process 1681 on this host exited; that pid now runs another process; last heartbeat 20s ago'],
  ] as const)('resume takes over at once from a holder on this host whose process %s', async (state, detail) => {
    // GIVEN
    const world = await heldRelease();
    const me = { host: 'laptop', pid: 2000, startedAt: T0 };
    const proc = world.process('laptop:2000');

    // WHEN
    const outcome = await engineFor(proc, { process: me, processProbe: probe(state) }).resume();

    // THEN
    expect(outcome).toMatchObject({ status: 'succeeded', weights: GREEN });
    expect(eventsOf(proc, ReleaseEventType.TAKEN_OVER)[0].message).toBe(`Took over release r1 from laptop:1681 (${detail})`);
    expect(world.stored?.state).toMatchObject({ owner: 'laptop:2000', ownerProcess: me });
  });

  it('resume refuses a holder that runs, or runs elsewhere, saying when the lease expires; takeOver takes it over and names it', async () => {
    // GIVEN
    const world = await heldRelease();
    const me = { host: 'laptop', pid: 2000, startedAt: T0 };

    // WHEN / THEN alive on this host
    const alive = engineFor(world.process('laptop:2000'), { process: me, processProbe: probe('running') }).resume();
    await expect(alive).rejects.toThrow(ReleaseInProgressError);
    await expect(alive).rejects.toThrow(
      'web release r1 (green at step 1/2 (10 %), blue 90 % / green 10 %) is in progress, driven by laptop:1681 (process 1681 on this host is running, heartbeat 20s ago; ' +
        'its lease expires at 12:02:20Z, in 1m40s). Wait for it, stop it with abort, or take it over now with resume --take-over (its process stops at its next record write).',
    );
    // AND elsewhere
    const other = { ...me, host: 'ci-7' };
    await expect(engineFor(world.process('ci-7:2000'), { process: other, processProbe: probe('elsewhere') }).resume()).rejects.toThrow(
      'driven by laptop:1681 (on host laptop, heartbeat 20s ago; its lease expires at 12:02:20Z, in 1m40s)',
    );
    expect(world.count('setWeights', 'laptop:2000') + world.count('state.write', 'ci-7:2000')).toBe(0);

    // WHEN taken over
    const proc = world.process('ci-7:2000');
    const outcome = await engineFor(proc, { process: other, processProbe: probe('elsewhere'), takeOver: true }).resume();

    // THEN
    expect(outcome.status).toBe('succeeded');
    expect(eventsOf(proc, ReleaseEventType.TAKEN_OVER)[0].message).toBe(
      'Took over release r1 from laptop:1681 (on host laptop, heartbeat 20s ago; its lease expires at 12:02:20Z, in 1m40s) as asked (take-over); it stops at its next record write',
    );
  });

  it('rollback never waits for the lease, and names what it takes over', async () => {
    // GIVEN
    const world = await heldRelease();
    const proc = world.process('ci-7:2000');

    // WHEN
    const outcome = await engineFor(proc, { process: { host: 'ci-7', pid: 2000, startedAt: T0 }, processProbe: probe('elsewhere') }).rollback();

    // THEN
    expect(outcome).toMatchObject({ status: 'rolled-back', weights: BLUE });
    expect(eventsOf(proc, ReleaseEventType.TAKEN_OVER)[0].message).toBe(
      'Taking over release r1 (green at step 1/2 (10 %)) from laptop:1681 (on host laptop, heartbeat 20s ago; its lease expires at 12:02:20Z, in 1m40s) to roll it back; it stops at its next record write',
    );
  });

  it('status names the holder and, when it is gone, says to resume or roll back', async () => {
    const world = await heldRelease();
    const status = await engineFor(world.process('laptop:2000'), { process: { host: 'laptop', pid: 2000, startedAt: T0 }, processProbe: probe('exited') }).status();
    expect(status.holder).toMatchObject({ status: 'dead', leaseExpiresAt: T0 + 20 * S + 2 * MINUTE });
    expect(status.warnings).toContain(
      'release r1 was interrupted: its driver laptop:1681 is gone (process 1681 on this host is not running; last heartbeat 20s ago): run resume (it takes over at once) or rollback',
    );
  });

  it('a new release is refused while a dead holder is in the way, with resume and rollback as the fix', async () => {
    const world = await heldRelease();
    const engine = engineFor(world.process('laptop:2000'), { process: { host: 'laptop', pid: 2000, startedAt: T0 }, processProbe: probe('exited') });
    await expect(engine.release({ strategy: canary })).rejects.toThrow(
      'web release r1 (green at step 1/2 (10 %), blue 90 % / green 10 %) was interrupted: laptop:1681 is gone (process 1681 on this host is not running; last heartbeat 20s ago). ' +
        'Run resume to continue it, or rollback to send 100 % back to blue.',
    );
  });
});

/** An image port whose verdict is `deployed`, counting its calls. */
function images(deployed: boolean | Error): DeployedImages & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    verify: async (colour, staged) => {
      calls.push(`${colour} ${staged}`);
      if (deployed instanceof Error) throw deployed;
      return deployed
        ? { deployed: true, detail: `${colour} runs ami-0aaaaaaaaaaaaaaaa, as staged` }
        : { deployed: false, detail: `the release manifest stages ${staged} for ${colour}, but ${colour} runs ami-0aaaaaaaaaaaaaaaa (its last deploy): the stage was never deployed. Run cdk deploy so that ${colour} runs it, then release again.` };
    },
  };
}

describe('release only what was deployed', () => {
  const staged = { blue: 'ami-0aaaaaaaaaaaaaaaa', green: 'ami-1e749f67' };

  it('refuses a candidate that does not run the staged image: nothing changed, the fix named', async () => {
    // GIVEN
    const world = new FakeWorld();
    const proc = world.process('cli');
    const port = images(false);

    // WHEN
    const outcome = await new ReleaseEngine({ ...proc.ports, images: port }, { service: 'web', owner: 'cli', stagedImages: staged }).release({ strategy: canary });

    // THEN
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toBe(
      'Release refused, nothing changed: the release manifest stages ami-1e749f67 for green, but green runs ami-0aaaaaaaaaaaaaaaa (its last deploy): the stage was never deployed. Run cdk deploy so that green runs it, then release again.',
    );
    expect(outcome.checks?.find((c) => c.name === 'candidate-image')).toMatchObject({ ok: false });
    expect(port.calls).toEqual(['green ami-1e749f67']);
    expect(world.mutations).toBe(0);
    expect(world.stored).toBeUndefined();
  });

  it('releases it with allowUndeployedImage, saying so', async () => {
    const world = new FakeWorld();
    const proc = world.process('cli');
    const engine = new ReleaseEngine({ ...proc.ports, images: images(false) }, { service: 'web', owner: 'cli', stagedImages: staged, allowUndeployedImage: true });

    const outcome = await engine.release({ strategy: canary });

    expect(outcome.status).toBe('succeeded');
    expect(eventsOf(proc, ReleaseEventType.UNDEPLOYED_IMAGE_ALLOWED)[0].message).toMatch(/^Releasing what green runs now, although the release manifest stages ami-1e749f67 for green, but green runs/);
  });

  it('refuses when the check cannot be made (AWS error, or no image port), and checks nothing without a manifest', async () => {
    const world = new FakeWorld();
    const proc = world.process('cli');
    const failing = await new ReleaseEngine({ ...proc.ports, images: images(new Error('AccessDenied: ec2:DescribeImages')) }, { service: 'web', owner: 'cli', stagedImages: staged }).release({ strategy: canary });
    expect(failing.message).toBe(
      'Release refused, nothing changed: could not check that green runs ami-1e749f67, which the release manifest stages for it (AccessDenied: ec2:DescribeImages); retry when AWS answers.',
    );
    const portless = await new ReleaseEngine(proc.ports, { service: 'web', owner: 'cli', stagedImages: staged }).release({ strategy: canary });
    expect(portless.status).toBe('refused');
    expect(world.mutations).toBe(0);

    const port = images(false);
    const unchecked = await new ReleaseEngine({ ...proc.ports, images: port }, { service: 'web', owner: 'cli' }).release({ strategy: canary });
    expect(unchecked.status).toBe('succeeded');
    expect(port.calls).toEqual([]);
  });

  it('shows the check in the plan', async () => {
    const world = new FakeWorld();
    const proc = world.process('cli');
    const plan = await new ReleaseEngine({ ...proc.ports, images: images(false) }, { service: 'web', owner: 'cli', stagedImages: staged }).plan({ strategy: canary });
    expect(plan.ready).toBe(false);
    expect(plan.actions).toContain(
      'check candidate-image: FAILS (the release manifest stages ami-1e749f67 for green, but green runs ami-0aaaaaaaaaaaaaaaa (its last deploy): the stage was never deployed. Run cdk deploy so that green runs it, then release again.)',
    );
  });
});
