import { describe, expect, it } from 'vitest';
import { QUARANTINE_TAGS } from '../../lib/contract';
import { QuarantineRefusal } from '../../lib/release/quarantine';
import { CAUSES, FakeWorld, GROUPS, policyWith, SERVICE, T0 } from './fakes';

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3600;
const WHO = 'alice@laptop';

/** A world where blue i-1 is kept at T0 (and, if asked, blue i-2 is being isolated). */
async function world(options: { isolating?: boolean } = {}): Promise<FakeWorld> {
  const w = new FakeWorld(policyWith({ keepPerColour: 2, keepPerService: 3 }));
  w.launch('i-1', 'blue');
  expect((await w.controller().onTermination(w.condemn('i-1', CAUSES.elb))).action).toBe('kept');
  if (options.isolating) {
    const kept = w.record()!;
    w.seedRecord({
      ...kept,
      entries: [...kept.entries, { ...kept.entries[0], instanceId: 'i-2', state: 'isolating', lifecycleActionToken: 'tok-2', since: undefined }],
    });
  }
  w.calls.length = 0;
  return w;
}

describe('list', () => {
  it('GIVEN one kept and one isolating blue WHEN listed THEN entries, counts per colour, caps and recent replacements', async () => {
    // GIVEN
    const w = await world({ isolating: true });
    // WHEN
    const listing = await w.controller().list();
    // THEN
    expect(listing.entries.map((e) => [e.instanceId, e.state])).toEqual([['i-1', 'kept'], ['i-2', 'isolating']]);
    expect(listing).toMatchObject({ perColour: { blue: 2, green: 0 }, keepPerColour: 2, keepPerService: 3, recentReplacements: { blue: 1, green: 0 } });
    expect(w.mutations()).toEqual([]);
  });

  it('GIVEN no record yet WHEN listed THEN empty with zero counts', async () => {
    const listing = await new FakeWorld().controller().list();
    expect(listing).toEqual({ entries: [], perColour: { blue: 0, green: 0 }, keepPerColour: 1, keepPerService: 2, recentReplacements: { blue: 0, green: 0 } });
  });
});

describe('terminate', () => {
  it('GIVEN a kept instance WHEN terminated THEN it goes through its group and its entry is dropped', async () => {
    // GIVEN
    const w = await world();
    // WHEN
    const result = await w.controller().terminate('i-1', { who: WHO });
    // THEN
    expect(result).toEqual({ instanceId: 'i-1', colour: 'blue', terminated: true, dryRun: false });
    // AND the entry left the record first, the instance was terminated after
    expect(w.mutations()).toEqual(['store.write', 'autoScaling.terminateInstance']);
    expect(w.calls.find((c) => c.name === 'autoScaling.terminateInstance')?.args).toEqual([GROUPS.blue, 'i-1']);
    expect(w.record()?.entries).toEqual([]);
    expect(w.retained.blue.size).toBe(0);
  });

  it('GIVEN a kept instance WHEN terminated as a dry run THEN it says what it would do and changes nothing', async () => {
    const w = await world();
    const result = await w.controller().terminate('i-1', { who: WHO, dryRun: true });
    expect(result).toEqual({ instanceId: 'i-1', colour: 'blue', terminated: true, dryRun: true });
    expect(w.mutations()).toEqual([]);
    expect(w.record()?.entries).toHaveLength(1);
  });

  it('GIVEN a kept instance already gone WHEN terminated THEN only the entry is dropped, terminated false', async () => {
    const w = await world();
    w.instances.delete('i-1');
    const result = await w.controller().terminate('i-1', { who: WHO });
    expect(result).toMatchObject({ terminated: false, dryRun: false });
    expect(w.mutations()).toEqual(['store.write']);
    expect(w.record()?.entries).toEqual([]);
  });

  it('GIVEN an instance not in the record WHEN terminated THEN refused, naming it and how to list', async () => {
    const w = await world();
    const attempt = w.controller().terminate('i-9', { who: WHO });
    await expect(attempt).rejects.toThrow(QuarantineRefusal);
    await expect(attempt).rejects.toThrow("i-9 is not kept in the quarantine of shop, so there is nothing to terminate; 'bluegreen quarantine shop' lists the kept instances.");
    expect(w.mutations()).toEqual([]);
  });

  it('GIVEN an instance still isolating WHEN terminated THEN refused with what to do', async () => {
    const w = await world({ isolating: true });
    await expect(w.controller().terminate('i-2', { who: WHO })).rejects.toThrow(/i-2 of shop is still being isolated \(claimed at .*\); try again in a minute/);
    expect(w.mutations()).toEqual([]);
  });

  it('GIVEN terminating fails after the entry left the record WHEN terminated THEN the error says so and names the fix; the next sweep terminates it as untracked', async () => {
    // GIVEN
    const w = await world();
    w.fail('autoScaling.terminateInstance', 1);
    // WHEN
    const attempt = w.controller().terminate('i-1', { who: WHO });
    // THEN
    await expect(attempt).rejects.toThrow(
      'i-1 is out of the quarantine record of shop, but terminating it failed (autoScaling.terminateInstance failed (injected)); the quarantine sweep terminates it at its next run (every minute), as a Retained instance the record does not track. To terminate it now: aws autoscaling terminate-instance-in-auto-scaling-group --instance-id i-1 --no-should-decrement-desired-capacity',
    );
    expect(w.record()?.entries).toEqual([]);
    // AND the next sweep does
    const swept = await w.controller().sweep();
    expect(swept.terminated).toEqual([{ instanceId: 'i-1', colour: 'blue', reason: 'retained by the group but not in the quarantine record' }]);
    expect(w.instances.get('i-1')!.state).toBe('terminated');
  });

  it('GIVEN the sweep removes the entry between this command reading and writing WHEN terminated THEN refused, and nothing terminated by this command', async () => {
    // GIVEN
    const w = await world();
    let raced = false;
    w.before = (call) => {
      if (call.name === 'store.write' && !raced) {
        raced = true;
        w.seedRecord({ ...w.record()!, entries: [] });
      }
    };
    // WHEN / THEN
    await expect(w.controller().terminate('i-1', { who: WHO })).rejects.toThrow(QuarantineRefusal);
    expect(w.names()).not.toContain('autoScaling.terminateInstance');
  });

  it('GIVEN a conflicting writer WHEN the entry is dropped THEN the drop is retried on the re-read record', async () => {
    const w = await world();
    w.conflicts = 2;
    await w.controller().terminate('i-1', { who: WHO });
    expect(w.record()?.entries).toEqual([]);
    expect(w.names().filter((n) => n === 'store.write')).toHaveLength(3);
  });
});

describe('extend', () => {
  it('GIVEN a kept instance WHEN extended by 24 h THEN the record and the expiry tag move 24 h and say who', async () => {
    // GIVEN
    const w = await world();
    w.now = T0 + HOUR * 1000;
    // WHEN
    const result = await w.controller().extend('i-1', 24 * HOUR, { who: WHO });
    // THEN
    const expiresAt = iso(T0 + 48 * HOUR * 1000);
    expect(result).toEqual({ instanceId: 'i-1', previousExpiry: iso(T0 + 24 * HOUR * 1000), expiresAt, dryRun: false });
    expect(w.record()?.entries[0]).toMatchObject({ expiresAt, extended: { by: WHO, at: iso(T0 + HOUR * 1000) } });
    expect(w.instances.get('i-1')!.tags[QUARANTINE_TAGS.EXPIRES]).toBe(expiresAt);
    expect(w.mutations()).toEqual(['store.write', 'instances.tag']);
    expect(w.calls.find((c) => c.name === 'instances.tag')?.args).toEqual(['i-1', { [QUARANTINE_TAGS.EXPIRES]: expiresAt }]);
  });

  it('GIVEN a kept instance WHEN extended as a dry run THEN it says the new expiry and changes nothing', async () => {
    const w = await world();
    const result = await w.controller().extend('i-1', 24 * HOUR, { who: WHO, dryRun: true });
    expect(result).toEqual({ instanceId: 'i-1', previousExpiry: iso(T0 + 24 * HOUR * 1000), expiresAt: iso(T0 + 48 * HOUR * 1000), dryRun: true });
    expect(w.mutations()).toEqual([]);
  });

  it('GIVEN a kept instance WHEN extended past 7 days after it was kept THEN refused naming the latest expiry and the largest --for', async () => {
    const w = await world();
    const attempt = w.controller().extend('i-1', 7 * 24 * HOUR, { who: WHO });
    await expect(attempt).rejects.toThrow(QuarantineRefusal);
    await expect(attempt).rejects.toThrow(`the latest expiry allowed is ${iso(T0 + 7 * 24 * HOUR * 1000)}; the largest --for that fits is --for 144h.`);
    expect(w.mutations()).toEqual([]);
  });

  it('GIVEN repeated extensions WHEN they add up past 7 days THEN the one that would pass is refused (counted from when it was kept)', async () => {
    const w = await world();
    await w.controller().extend('i-1', 72 * HOUR, { who: WHO });
    await w.controller().extend('i-1', 72 * HOUR, { who: WHO });
    await expect(w.controller().extend('i-1', 1 * HOUR, { who: WHO })).rejects.toThrow(/already expires then/);
    expect(w.record()?.entries[0].expiresAt).toBe(iso(T0 + 7 * 24 * HOUR * 1000));
  });

  it.each([0, -3600])('GIVEN a non-positive duration (%s s) WHEN extended THEN refused before reading anything', async (by) => {
    const w = await world();
    await expect(w.controller().extend('i-1', by, { who: WHO })).rejects.toThrow(/--for must be a positive duration/);
    expect(w.calls).toEqual([]);
  });

  it('GIVEN an unknown or isolating instance WHEN extended THEN refused', async () => {
    const w = await world({ isolating: true });
    await expect(w.controller().extend('i-9', HOUR, { who: WHO })).rejects.toThrow(/i-9 is not kept in the quarantine of shop, so there is nothing to extend/);
    await expect(w.controller().extend('i-2', HOUR, { who: WHO })).rejects.toThrow(/still being isolated/);
    expect(w.mutations()).toEqual([]);
  });

  it('GIVEN another extend lands first WHEN this one writes THEN it extends from the new expiry, within the cap', async () => {
    // GIVEN someone else extends by 24 h between this command's read and its write
    const w = await world();
    let raced = false;
    w.before = async (call) => {
      if (call.name === 'store.write' && !raced) {
        raced = true;
        const r = w.record()!;
        w.seedRecord({ ...r, entries: [{ ...r.entries[0], expiresAt: iso(T0 + 48 * HOUR * 1000) }] });
      }
    };
    // WHEN
    const result = await w.controller().extend('i-1', 24 * HOUR, { who: WHO });
    // THEN
    expect(result).toMatchObject({ previousExpiry: iso(T0 + 48 * HOUR * 1000), expiresAt: iso(T0 + 72 * HOUR * 1000) });
  });

  it('GIVEN the tag cannot be written WHEN extended THEN the error says the record moved and how to retry', async () => {
    const w = await world();
    w.fail('instances.tag');
    await expect(w.controller().extend('i-1', HOUR, { who: WHO })).rejects.toThrow(
      `The record of ${SERVICE} now keeps i-1 until ${iso(T0 + 25 * HOUR * 1000)}, but its ${QUARANTINE_TAGS.EXPIRES} tag could not be set (instances.tag failed (injected)); the sweep goes by the record. To fix the tag: aws ec2 create-tags --resources i-1 --tags Key=${QUARANTINE_TAGS.EXPIRES},Value=${iso(T0 + 25 * HOUR * 1000)}`,
    );
  });
});
