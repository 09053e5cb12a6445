import { describe, expect, it } from 'vitest';
import { BOOT_MS, descriptor, FakeWorld, PRIMARY, STANDBY, T0 } from './fakes';

const MARKS = ['decision', 'capacity-requested', 'standby-healthy', 'dns-moved', 'dns-answering-standby', 'first-success-standby'];

describe('DrEngine.failover', () => {
  it('scales the standby to the primary\'s size, moves DNS once it is healthy, verifies and records failed-over in both Regions', async () => {
    // GIVEN a primary serving 4 instances and a pilot-light standby
    const world = new FakeWorld();
    const engine = world.engine(world.process('cli'));
    // WHEN failing over (planned)
    const outcome = await engine.failover({ trigger: 'cli', outage: false });
    // THEN it is done, DNS answers the standby, the standby serves at the primary's size
    expect(outcome.result).toBe('done');
    expect(outcome.phase).toBe('failed-over');
    expect(outcome.message).toContain('bluegreen dr failback web');
    expect(world.answer()).toBe('standby');
    expect(world.switchValue).toBe(true);
    expect(world.standby.colours.blue.desired).toBe(4);
    expect(outcome.timeline.map((e) => e.mark)).toEqual(MARKS);
    const at = Object.fromEntries(outcome.timeline.map((e) => [e.mark, e.at - T0]));
    expect(at['standby-healthy']).toBeGreaterThanOrEqual(BOOT_MS);
    // AND both copies hold the same, newest record
    expect(world.primary.copy?.record).toEqual(world.standby.copy?.record);
    const record = world.record()!;
    expect(record).toMatchObject({ phase: 'failed-over', activeRegion: STANDBY, primaryDesired: 4, primaryImage: 'ami-1' });
    expect(record.operation).toBeUndefined();
    expect(record.generation).toBe(world.primary.recordWrites);
    expect(world.violations).toEqual([]);
  });

  it('bounds the target by the standby group\'s max and the failover percentage (rounded up)', async () => {
    // GIVEN a primary of 7, a standby max of 6, and 50 %
    const world = new FakeWorld();
    world.primary.colours.blue.desired = 7;
    world.primary.colours.blue.healthy = 7;
    world.standby.colours.blue.max = 6;
    const half = world.engine(world.process('cli'), { dr: descriptor(0, { failoverCapacityPercent: 50 }) });
    // WHEN failing over
    const outcome = await half.failover({ trigger: 'cli', outage: false });
    // THEN the standby gets ceil(7 × 50 %) = 4
    expect(outcome.result).toBe('done');
    expect(world.standby.colours.blue.desired).toBe(4);
  });

  it('undoes a failover whose standby never becomes healthy: DNS untouched, capacity back, phase normal', async () => {
    // GIVEN a standby whose instances never turn healthy
    const world = new FakeWorld();
    world.standby.neverHealthy = true;
    const engine = world.engine(world.process('cli'), { healthyTimeoutMs: 60_000 });
    // WHEN failing over
    const outcome = await engine.failover({ trigger: 'cli', outage: false });
    // THEN it is undone and DNS never moved
    expect(outcome.result).toBe('undone');
    expect(outcome.phase).toBe('normal');
    expect(outcome.message).toContain('did not reach 4 healthy targets');
    expect(world.switchValue).toBeUndefined();
    expect(world.calls.some((c) => c.method === 'dnsSwitch.set')).toBe(false);
    expect(world.answer()).toBe('primary');
    expect(world.standby.colours.blue.desired).toBe(0);
    expect(world.record()?.phase).toBe('normal');
    expect(world.violations).toEqual([]);
  });

  it('does not count a standby with a firing alarm as healthy', async () => {
    // GIVEN a standby alarm in ALARM
    const world = new FakeWorld();
    world.standby.firing = ['bluegreen-web-gate-blue'];
    // WHEN failing over
    const outcome = await world.engine(world.process('cli'), { healthyTimeoutMs: 60_000 }).failover({ trigger: 'cli', outage: false });
    // THEN it is undone
    expect(outcome.result).toBe('undone');
    expect(world.switchValue).toBeUndefined();
  });

  describe('refuses, changing nothing', () => {
    const cases: { name: string; arrange: (w: FakeWorld) => void; says: string[] }[] = [
      { name: 'a release in progress in the primary', arrange: (w) => { w.primary.release = 'release r1 by ci/42'; }, says: ['release is in progress in eu-west-1', 'r1 by ci/42'] },
      { name: 'a release in progress in the standby', arrange: (w) => { w.standby.release = 'release r2'; }, says: ['release is in progress in eu-central-1'] },
      { name: 'version skew', arrange: (w) => { w.standby.colours.blue.image = 'ami-0'; }, says: ['ami-0', 'ami-1', '--allow-skew'] },
      { name: 'an unreachable primary (planned)', arrange: (w) => { w.primary.reach = 'throw'; }, says: ['cannot be read', 'bluegreen dr failover web --outage'] },
      { name: 'split standby weights', arrange: (w) => { w.standby.weights = { blue: 50, green: 50 }; }, says: ['no single live colour'] },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        // GIVEN
        const world = new FakeWorld();
        c.arrange(world);
        // WHEN
        const outcome = await world.engine(world.process('cli')).failover({ trigger: 'cli', outage: false });
        // THEN
        expect(outcome.result).toBe('refused');
        for (const s of c.says) expect(outcome.message).toContain(s);
        expect(world.primary.copy).toBeUndefined();
        expect(world.standby.copy).toBeUndefined();
        expect(world.standby.colours.blue.desired).toBe(0);
        expect(world.switchValue).toBeUndefined();
      });
    }

    it('when already failed over, naming failback', async () => {
      // GIVEN a failed-over pair
      const world = new FakeWorld();
      await world.engine(world.process('a')).failover({ trigger: 'cli', outage: false });
      const generation = world.record()?.generation;
      // WHEN failing over again
      const outcome = await world.engine(world.process('b')).failover({ trigger: 'cli', outage: false });
      // THEN
      expect(outcome.result).toBe('refused');
      expect(outcome.message).toContain('bluegreen dr failback web');
      expect(world.record()?.generation).toBe(generation);
    });

    it('when another process wrote the record first (compare-and-set), without overwriting it', async () => {
      // GIVEN the standby copy changes under the decision write
      const world = new FakeWorld();
      world.standby.conflictOnce = true;
      // WHEN failing over
      const outcome = await world.engine(world.process('cli')).failover({ trigger: 'cli', outage: false });
      // THEN
      expect(outcome.result).toBe('refused');
      expect(outcome.message).toContain('another process changed the DR record');
      expect(world.calls.some((c) => c.method === 'scaleTo')).toBe(false);
    });
  });

  it('refuses to drive an operation whose holder wrote a heartbeat within the lease, unless taken over', async () => {
    // GIVEN a failover suspended by its deadline (its heartbeat is fresh)
    const world = new FakeWorld();
    await world.engine(world.process('a'), { deadlineAt: T0 + 20_000 }).failover({ trigger: 'cli', outage: false });
    // WHEN another process resumes it, or runs failover again, at once
    const resumed = await world.engine(world.process('b')).resume();
    const again = await world.engine(world.process('c')).failover({ trigger: 'cli', outage: false });
    // THEN both are refused, naming the holder and the way out, and nothing moved
    expect(resumed.result).toBe('refused');
    expect(resumed.message).toMatch(/failover .* is being driven by a \(heartbeat \d+ s ago.*--take-over/);
    expect(again).toMatchObject({ kind: 'failover', result: 'refused' });
    expect(world.record()?.phase).toBe('failing-over');
    expect(world.switchValue).toBeUndefined();
    // AND anyone may, once the lease has run out
    await world.clock.sleep(121_000);
    expect((await world.engine(world.process('b')).resume()).result).toBe('done');
  });

  it('serves a skewed version with allowSkew', async () => {
    // GIVEN skew
    const world = new FakeWorld();
    world.standby.colours.blue.image = 'ami-0';
    // WHEN failing over with allowSkew
    const outcome = await world.engine(world.process('cli')).failover({ trigger: 'cli', outage: false, allowSkew: true });
    // THEN
    expect(outcome.result).toBe('done');
  });

  it('serves a skewed version without the flag when the stack allows it (RegionalFailover allowVersionSkew), as the watcher needs', async () => {
    // GIVEN skew, and a descriptor that allows it
    const world = new FakeWorld();
    world.standby.colours.blue.image = 'ami-0';
    // WHEN the watcher fails over (it never passes allowSkew)
    const outcome = await world.engine(world.process('watcher'), { dr: descriptor(world.standby.colours.blue.deployed, { allowVersionSkew: true }) }).failover({ trigger: 'watcher', outage: true });
    // THEN
    expect(outcome.result).toBe('done');
  });

  it('withdraws a planned failover when a release starts at the same moment (its record is seen after the decision write)', async () => {
    // GIVEN a release that takes the primary's release record right after the DR record is written
    const world = new FakeWorld();
    const proc = world.process('cli');
    const engine = world.engine(proc);
    const original = proc.ports.primary.record.write;
    Object.assign(proc.ports.primary.record, {
      write: async (...args: Parameters<typeof original>) => {
        const v = await original(...args);
        world.primary.release = 'release r3 started concurrently';
        return v;
      },
    });
    // WHEN
    const outcome = await engine.failover({ trigger: 'cli', outage: false });
    // THEN it is refused and the record is back to normal
    expect(outcome.result).toBe('refused');
    expect(outcome.message).toContain('r3');
    expect(world.record()?.phase).toBe('normal');
    expect(world.standby.colours.blue.desired).toBe(0);
  });

  it('stops at the deadline with suspended, and resume finishes', async () => {
    // GIVEN a deadline 20 s away (the standby takes 40 s to boot)
    const world = new FakeWorld();
    const first = await world.engine(world.process('a'), { deadlineAt: T0 + 20_000 }).failover({ trigger: 'watcher', outage: false });
    // THEN suspended, with the operation in the record
    expect(first.result).toBe('suspended');
    expect(first.message).toContain('bluegreen dr resume web');
    expect(world.record()?.phase).toBe('failing-over');
    expect(world.switchValue).toBeUndefined();
    // WHEN resuming
    const second = await world.engine(world.process('b')).resume({ takeOver: true });
    // THEN
    expect(second).toMatchObject({ kind: 'resume', result: 'done', phase: 'failed-over' });
    expect(world.violations).toEqual([]);
  });
});

describe('DrEngine.failover in an outage', () => {
  function outageWorld(reach: 'hang' | 'throw'): FakeWorld {
    const world = new FakeWorld();
    const seed = { service: 'web', generation: 3, phase: 'normal' as const, activeRegion: PRIMARY, since: T0 - 1, primaryDesired: 5, primaryImage: 'ami-1', primarySeenAt: T0 - 1 };
    world.primary.copy = { record: seed, version: 3 };
    world.standby.copy = { record: seed, version: 7 };
    world.primary.dead = true;
    world.primary.reach = reach;
    world.happened();
    return world;
  }

  it('refuses an outage failover when the primary\'s version is unknown, naming the command to run with --allow-skew', async () => {
    // GIVEN a dead primary and a record that never learned what it served (no watcher has run)
    const world = outageWorld('throw');
    const seed = { service: 'web', generation: 3, phase: 'normal' as const, activeRegion: PRIMARY, since: T0 - 1 };
    world.standby.copy = { record: seed, version: 7 };
    // WHEN
    const outcome = await world.engine(world.process('cli')).failover({ trigger: 'cli', outage: true });
    // THEN refused, nothing changed, and the message says why and what to run
    expect(outcome.result).toBe('refused');
    expect(outcome.message).toContain("the primary's version is unknown");
    expect(outcome.message).toContain('run bluegreen dr failover web --outage --allow-skew');
    expect(world.switchValue).toBeUndefined();
  });

  for (const reach of ['hang', 'throw'] as const) {
    it(`uses only the standby's copy and never calls a primary that does not answer (${reach}) after the Region timeout`, async () => {
      // GIVEN a dead primary Region
      const world = outageWorld(reach);
      const start = world.clock.now();
      // WHEN the watcher fails over
      const outcome = await world.engine(world.process('watcher'), { regionTimeoutMs: 5_000 }).failover({ trigger: 'watcher', outage: true });
      // THEN it is done from the recorded desired capacity and image
      expect(outcome.result).toBe('done');
      expect(world.standby.colours.blue.desired).toBe(5);
      expect(world.answer()).toBe('standby');
      // AND the primary was called once (its record copy), within the timeout
      const primaryCalls = world.calls.filter((c) => c.side === 'primary');
      expect(primaryCalls.map((c) => c.method)).toEqual(['record.read']);
      expect(primaryCalls.every((c) => c.at < start + 5_000)).toBe(true);
      // AND the standby copy moved on from generation 3 while the primary's stayed
      expect(world.primary.copy?.record.generation).toBe(3);
      expect(world.standby.copy?.record).toMatchObject({ phase: 'failed-over', activeRegion: STANDBY });
      expect(world.standby.copy!.record.generation).toBe(3 + world.standby.recordWrites);
      expect(world.violations).toEqual([]);
    });
  }

  it('ignores a release the dead primary holds', async () => {
    // GIVEN the primary held a release when it went down, but answers slowly
    const world = outageWorld('throw');
    world.primary.release = 'release r9';
    // WHEN
    const outcome = await world.engine(world.process('watcher')).failover({ trigger: 'watcher', outage: true });
    // THEN
    expect(outcome.result).toBe('done');
  });

  it('writes both copies again on failback once the primary is back, at one generation', async () => {
    // GIVEN an outage failover
    const world = outageWorld('hang');
    await world.engine(world.process('watcher')).failover({ trigger: 'watcher', outage: true });
    // WHEN the primary comes back healthy and the operator fails back
    world.primary.reach = 'ok';
    world.primary.dead = false;
    world.happened();
    const outcome = await world.engine(world.process('cli')).failback({});
    // THEN both copies hold the same newest record
    expect(outcome.result).toBe('done');
    expect(world.primary.copy?.record).toEqual(world.standby.copy?.record);
    expect(world.primary.copy?.record).toMatchObject({ phase: 'normal', activeRegion: PRIMARY });
    expect(world.primary.copy!.record.generation).toBeGreaterThan(3 + 6);
    expect(world.violations).toEqual([]);
  });

  it('refuses to undo a failover that moved DNS while the primary has no healthy target', async () => {
    // GIVEN an outage failover that stopped after moving DNS (Route 53 never answers within the timeout)
    const world = outageWorld('throw');
    const proc = world.process('watcher');
    const answering = proc.ports.dns.answering;
    Object.assign(proc.ports.dns, { answering: async () => { await answering(); return 'unknown' as const; } });
    const first = await world.engine(proc, { dnsTimeoutMs: 30_000 }).failover({ trigger: 'watcher', outage: true });
    expect(first.result).toBe('failed');
    // WHEN asked to undo
    const undo = await world.engine(world.process('cli')).resume({ undo: true, takeOver: true });
    // THEN DNS stays on the standby, which keeps its capacity
    expect(undo.result).toBe('failed');
    expect(undo.message).toContain('bluegreen dr resume web');
    expect(world.answer()).toBe('standby');
    expect(world.standby.colours.blue.desired).toBe(5);
    // AND resume finishes the failover
    const done = await world.engine(world.process('cli2')).resume({ takeOver: true });
    expect(done.result).toBe('done');
    expect(done.phase).toBe('failed-over');
    expect(world.violations).toEqual([]);
  });
});
