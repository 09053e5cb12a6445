import { describe, expect, it } from 'vitest';
import { QuarantineEntry, QuarantineRecord } from '../../lib/contract';
import { CAUSES, FakeWorld, GROUPS, policyWith, SERVICE, T0 } from './fakes';

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR_MS = 3_600_000;

/** A world where `ids` were kept (blue, then green alternately as the caps allow) through real hook events. */
async function keptWorld(ids: Array<[string, 'blue' | 'green']>, policy = policyWith({ keepPerColour: 2, keepPerService: 4 })): Promise<FakeWorld> {
  const world = new FakeWorld(policy);
  for (const [id, colour] of ids) {
    world.launch(id, colour);
    const outcome = await world.controller().onTermination(world.condemn(id, CAUSES.elb));
    expect(outcome.action).toBe('kept');
  }
  world.calls.length = 0;
  world.gauges.length = 0;
  return world;
}

function entry(instanceId: string, state: 'isolating' | 'kept', claimedMs: number, colour: 'blue' | 'green' = 'blue'): QuarantineEntry {
  return {
    instanceId,
    colour,
    autoScalingGroupName: GROUPS[colour],
    state,
    claimedAt: iso(claimedMs),
    lifecycleActionToken: `t-${instanceId}`,
    ...(state === 'kept' ? { since: iso(claimedMs) } : {}),
    expiresAt: iso(claimedMs + 24 * HOUR_MS),
    reasons: [CAUSES.elb],
  };
}

function recordOf(entries: QuarantineEntry[], replacements: QuarantineRecord['replacements'] = []): QuarantineRecord {
  return { schemaVersion: 1, service: SERVICE, entries, replacements };
}

describe('sweep', () => {
  it('GIVEN kept instances within their retention WHEN swept THEN nothing is terminated or written, and the gauge is published', async () => {
    // GIVEN
    const world = await keptWorld([['i-1', 'blue']]);
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome).toEqual({ terminated: [], dropped: [], recentReplacements: { blue: 1, green: 0 }, errors: [] });
    expect(world.mutations()).toEqual(['gauge.publish']);
    expect(world.gauges).toEqual([{ blue: 1, green: 0 }]);
  });

  it('GIVEN a kept instance whose retention is over WHEN swept THEN it is terminated through its group and its entry dropped', async () => {
    // GIVEN
    const world = await keptWorld([['i-1', 'blue'], ['i-2', 'green']]);
    world.now = T0 + 24 * HOUR_MS;
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN both expired; the marks are long out of the window
    expect(outcome.terminated).toEqual([
      { instanceId: 'i-1', colour: 'blue', reason: `retention ended at ${iso(T0 + 24 * HOUR_MS)}` },
      { instanceId: 'i-2', colour: 'green', reason: `retention ended at ${iso(T0 + 24 * HOUR_MS)}` },
    ]);
    expect(world.calls.filter((c) => c.name === 'autoScaling.terminateInstance').map((c) => c.args)).toEqual([
      [GROUPS.blue, 'i-1'],
      [GROUPS.green, 'i-2'],
    ]);
    expect(world.record()).toEqual(recordOf([], []));
    expect(world.retained.blue.size + world.retained.green.size).toBe(0);
    expect(outcome.recentReplacements).toEqual({ blue: 0, green: 0 });
  });

  it('GIVEN retained instances are listed before the record is read WHEN swept THEN a keep that lands in between is never taken for untracked', async () => {
    // GIVEN the call order of a sweep
    const world = await keptWorld([['i-1', 'blue']]);
    // WHEN
    await world.controller().sweep();
    // THEN
    const names = world.names();
    expect(names.lastIndexOf('autoScaling.retainedInstances')).toBeLessThan(names.indexOf('store.read'));
  });

  it('GIVEN a stale isolating claim whose instance still runs WHEN swept THEN the instance is terminated and the claim dropped', async () => {
    // GIVEN a claim 10 minutes old (hook timeout 5 minutes)
    const world = new FakeWorld();
    world.launch('i-1', 'blue');
    world.seedRecord(recordOf([entry('i-1', 'isolating', T0 - 600_000)]));
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome.terminated).toEqual([{ instanceId: 'i-1', colour: 'blue', reason: expect.stringContaining('went stale') }]);
    expect(world.instances.get('i-1')!.state).toBe('terminated');
    expect(world.record()?.entries).toEqual([]);
  });

  it('GIVEN a fresh isolating claim WHEN swept THEN it is left alone', async () => {
    const world = new FakeWorld();
    world.launch('i-1', 'blue');
    world.seedRecord(recordOf([entry('i-1', 'isolating', T0 - 60_000)]));
    const outcome = await world.controller().sweep();
    expect(outcome).toMatchObject({ terminated: [], dropped: [] });
    expect(world.record()?.entries).toHaveLength(1);
  });

  it('GIVEN kept and isolating entries whose instances are gone WHEN swept THEN they are dropped without a terminate call', async () => {
    // GIVEN i-1 no longer listed by EC2, i-2 terminated
    const world = new FakeWorld();
    world.launch('i-2', 'green', { state: 'terminated' });
    world.seedRecord(recordOf([entry('i-1', 'kept', T0 - HOUR_MS), entry('i-2', 'isolating', T0 - 600_000, 'green')]));
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome.dropped).toEqual([
      { instanceId: 'i-1', reason: 'instance is gone' },
      { instanceId: 'i-2', reason: 'instance is terminated' },
    ]);
    expect(outcome.terminated).toEqual([]);
    expect(world.names()).not.toContain('autoScaling.terminateInstance');
    expect(world.record()?.entries).toEqual([]);
  });

  it('GIVEN a Retained instance the record does not track WHEN swept THEN it is terminated', async () => {
    // GIVEN
    const world = await keptWorld([['i-1', 'blue']]);
    world.launch('i-stray', 'blue');
    world.retained.blue.add('i-stray');
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome.terminated).toEqual([{ instanceId: 'i-stray', colour: 'blue', reason: 'retained by the group but not in the quarantine record' }]);
    expect([...world.retained.blue]).toEqual(['i-1']);
    expect(world.record()?.entries.map((e) => e.instanceId)).toEqual(['i-1']);
  });

  it('GIVEN marks older than the window WHEN swept THEN they are trimmed and the gauge counts only recent ones', async () => {
    // GIVEN
    const world = new FakeWorld();
    world.seedRecord(
      recordOf(
        [],
        [
          { colour: 'blue', instanceId: 'i-old', at: iso(T0 - 20 * 60_000) },
          { colour: 'blue', instanceId: 'i-a', at: iso(T0 - 60_000) },
          { colour: 'green', instanceId: 'i-b', at: iso(T0 - 60_000) },
          { colour: 'green', instanceId: 'i-c', at: iso(T0 - 120_000) },
        ],
      ),
    );
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome.recentReplacements).toEqual({ blue: 1, green: 2 });
    expect(world.gauges).toEqual([{ blue: 1, green: 2 }]);
    expect(world.record()?.replacements.map((m) => m.instanceId)).toEqual(['i-a', 'i-b', 'i-c']);
  });

  it("GIVEN one instance's terminate and another's describe fail WHEN swept THEN the others are still handled and the errors reported", async () => {
    // GIVEN three expired kept instances
    const world = await keptWorld([['i-1', 'blue'], ['i-2', 'blue'], ['i-3', 'green']]);
    world.now = T0 + 25 * HOUR_MS;
    world.fail('autoScaling.terminateInstance', 1);
    world.fail('instances.describe', 2);
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN i-1's terminate failed (after its entry left the record), i-2 could not be described (its entry stays), i-3 went
    expect(outcome.terminated.map((t) => t.instanceId)).toEqual(['i-3']);
    expect(outcome.errors).toEqual([
      'i-2: could not describe: instances.describe failed (injected)',
      expect.stringMatching(/^i-1: could not terminate \(retention ended at .*\): autoScaling.terminateInstance failed \(injected\); it is out of the record now, and the next sweep terminates it if the group still retains it$/),
    ]);
    expect(world.record()?.entries.map((e) => e.instanceId)).toEqual(['i-2']);
    expect(world.retained.blue.has('i-1')).toBe(true);
    // AND the next tick finishes the job: i-2 by its entry, i-1 as a Retained instance the record does not track
    const next = await world.controller().sweep();
    expect(next.terminated).toEqual([
      expect.objectContaining({ instanceId: 'i-2', reason: expect.stringContaining('retention ended') }),
      { instanceId: 'i-1', colour: 'blue', reason: 'retained by the group but not in the quarantine record' },
    ]);
    expect(world.record()?.entries).toEqual([]);
    expect(world.retained.blue.size + world.retained.green.size).toBe(0);
  });

  it('GIVEN an expired kept instance WHEN swept THEN its entry leaves the record (compare-and-set) before its instance is terminated', async () => {
    // GIVEN
    const world = await keptWorld([['i-1', 'blue']]);
    world.now = T0 + 25 * HOUR_MS;
    let entriesAtTerminate: unknown;
    world.before = (call) => {
      if (call.name === 'autoScaling.terminateInstance') entriesAtTerminate = world.record()?.entries;
    };
    // WHEN
    await world.controller().sweep();
    // THEN
    expect(world.mutations()).toEqual(['store.write', 'autoScaling.terminateInstance', 'gauge.publish']);
    expect(entriesAtTerminate).toEqual([]);
  });

  it('GIVEN an extend lands between the sweep reading the record and writing it WHEN swept THEN the extend wins: nothing terminated, the entry keeps its new expiry', async () => {
    // GIVEN i-1 expired, and an operator's extend written just before the sweep's write
    const world = await keptWorld([['i-1', 'blue']]);
    world.now = T0 + 25 * HOUR_MS;
    const extended = iso(T0 + 48 * HOUR_MS);
    let raced = false;
    world.before = (call) => {
      if (call.name === 'store.write' && !raced) {
        raced = true;
        const r = world.record()!;
        world.seedRecord({ ...r, entries: [{ ...r.entries[0], expiresAt: extended, extended: { by: 'alice', at: iso(world.now) } }] });
      }
    };
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome.terminated).toEqual([]);
    expect(outcome.errors).toEqual([]);
    expect(world.names()).not.toContain('autoScaling.terminateInstance');
    expect(world.record()?.entries).toEqual([expect.objectContaining({ instanceId: 'i-1', state: 'kept', expiresAt: extended })]);
    expect(world.retained.blue.has('i-1')).toBe(true);
  });

  it('GIVEN a stale claim decided anew by a hook event before the sweep writes WHEN swept THEN the new claim is left alone and its instance not terminated', async () => {
    // GIVEN a stale claim of i-1, and a new claim of it (another action) written just before the sweep's write
    const world = new FakeWorld();
    world.launch('i-1', 'blue');
    world.seedRecord(recordOf([entry('i-1', 'isolating', T0 - 600_000)]));
    const fresh = { ...entry('i-1', 'isolating', T0), lifecycleActionToken: 'new-token' };
    let raced = false;
    world.before = (call) => {
      if (call.name === 'store.write' && !raced) {
        raced = true;
        world.seedRecord(recordOf([fresh]));
      }
    };
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome.terminated).toEqual([]);
    expect(world.instances.get('i-1')!.state).toBe('running');
    expect(world.record()?.entries).toEqual([fresh]);
  });

  it('GIVEN the record cannot be written WHEN swept THEN no tracked instance is terminated, an untracked Retained one still is', async () => {
    // GIVEN an expired kept i-1 and an untracked Retained instance
    const world = await keptWorld([['i-1', 'blue']]);
    world.now = T0 + 25 * HOUR_MS;
    world.launch('i-stray', 'blue');
    world.retained.blue.add('i-stray');
    world.fail('store.write');
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome.terminated.map((t) => t.instanceId)).toEqual(['i-stray']);
    expect(outcome.errors).toEqual(['could not update the quarantine record (nothing it tracks was terminated): store.write failed (injected)']);
    expect(world.retained.blue.has('i-1')).toBe(true);
  });

  it('GIVEN entries whose times are not dates (an expiry, a claim time) WHEN swept THEN the kept one counts as expired, the claim as stale: both terminated', async () => {
    // GIVEN a record as a hand edit may leave it (parseQuarantineRecord accepts it, so the sweep can clean it)
    const world = new FakeWorld(policyWith({ keepPerColour: 2, keepPerService: 4 }));
    world.launch('i-1', 'blue');
    world.launch('i-2', 'green');
    world.retained.blue.add('i-1');
    world.seedRecord(recordOf([{ ...entry('i-1', 'kept', T0), expiresAt: 'tomorrow' }, { ...entry('i-2', 'isolating', T0, 'green'), claimedAt: 'just now' }]));
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome.terminated).toEqual([
      { instanceId: 'i-1', colour: 'blue', reason: 'its expiry "tomorrow" is not a date (counted as expired)' },
      { instanceId: 'i-2', colour: 'green', reason: 'claim whose time "just now" is not a date went stale (its lifecycle action timed out) and the instance still runs' },
    ]);
    expect(world.record()?.entries).toEqual([]);
    expect(outcome.errors).toEqual([]);
  });

  it('GIVEN a hook event writes the record while the sweep runs WHEN the sweep saves THEN it re-reads and keeps the new claim', async () => {
    // GIVEN an expired kept instance, and a new failure arriving mid-sweep
    const world = await keptWorld([['i-1', 'blue']]);
    world.now = T0 + 25 * HOUR_MS;
    world.launch('i-new', 'green');
    const event = world.condemn('i-new', CAUSES.elb);
    let hook: Promise<unknown> | undefined;
    world.before = async (call) => {
      if (call.name === 'autoScaling.terminateInstance' && !hook) {
        hook = world.controller().onTermination(event);
        await hook;
      }
    };
    // WHEN
    const outcome = await world.controller().sweep();
    // THEN
    expect(outcome.terminated.map((t) => t.instanceId)).toEqual(['i-1']);
    expect(world.record()?.entries.map((e) => [e.instanceId, e.state])).toEqual([['i-new', 'kept']]);
  });

  it('GIVEN a group cannot be listed and the gauge fails WHEN swept THEN the rest goes on and both are reported', async () => {
    const world = await keptWorld([['i-1', 'blue']]);
    world.now = T0 + 25 * HOUR_MS;
    world.fail('autoScaling.retainedInstances', 2);
    world.fail('gauge.publish');
    const outcome = await world.controller().sweep();
    expect(outcome.terminated.map((t) => t.instanceId)).toEqual(['i-1']);
    expect(outcome.errors).toEqual([
      `could not list the Retained instances of ${GROUPS.green}: autoScaling.retainedInstances failed (injected)`,
      'could not publish the flapping gauge: gauge.publish failed (injected)',
    ]);
  });

  it('GIVEN the record cannot be read WHEN swept THEN nothing is terminated (untracked cannot be told) and the error reported', async () => {
    const world = await keptWorld([['i-1', 'blue']]);
    world.retained.blue.add('i-stray');
    world.fail('store.read');
    const outcome = await world.controller().sweep();
    expect(outcome).toMatchObject({ terminated: [], dropped: [], errors: ['could not read the quarantine record: store.read failed (injected)'] });
    expect(world.names()).not.toContain('autoScaling.terminateInstance');
    expect(world.names()).not.toContain('gauge.publish');
  });

  it('GIVEN caps lowered after two blue were kept WHEN swept THEN the one expiring first is terminated', async () => {
    // GIVEN two kept blue under keepPerColour 2, then the policy says 1
    const world = await keptWorld([['i-1', 'blue']]);
    world.now += 60_000;
    world.launch('i-2', 'blue');
    await world.controller().onTermination(world.condemn('i-2', CAUSES.elb));
    const lowered = new FakeWorld(policyWith({ keepPerColour: 1, keepPerService: 2 }));
    Object.assign(lowered, { instances: world.instances, retained: world.retained, now: world.now });
    lowered.seedRecord(world.record()!);
    // WHEN
    const outcome = await lowered.controller().sweep();
    // THEN
    expect(outcome.terminated).toEqual([{ instanceId: 'i-1', colour: 'blue', reason: 'over the caps (keepPerColour 1, keepPerService 2)' }]);
    expect(lowered.record()?.entries.map((e) => e.instanceId)).toEqual(['i-2']);
  });
});
