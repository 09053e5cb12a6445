import { describe, expect, it } from 'vitest';
import { emptyQuarantineRecord, QuarantineEntry, QuarantineRecord } from '../../lib/contract';
import { decideHook, HookDecisionInput, TerminationEvent } from '../../lib/release/quarantine';
import { CAUSES, GROUPS, policyWith, SERVICE, T0 } from './fakes';

const iso = (ms: number) => new Date(ms).toISOString();

function event(instanceId: string, token = `t-${instanceId}`, colour: 'blue' | 'green' = 'blue'): TerminationEvent {
  return { autoScalingGroupName: GROUPS[colour], instanceId, lifecycleHookName: 'bluegreen-quarantine', lifecycleActionToken: token };
}

function entry(instanceId: string, colour: 'blue' | 'green', state: 'isolating' | 'kept', claimedMs = T0 - 10_000): QuarantineEntry {
  return {
    instanceId,
    colour,
    autoScalingGroupName: GROUPS[colour],
    state,
    claimedAt: iso(claimedMs),
    lifecycleActionToken: `t-${instanceId}`,
    ...(state === 'kept' ? { since: iso(claimedMs + 1000) } : {}),
    expiresAt: iso(claimedMs + 86_400_000),
    reasons: [CAUSES.elb],
  };
}

function recordWith(...entries: QuarantineEntry[]): QuarantineRecord {
  return { ...emptyQuarantineRecord(SERVICE), entries };
}

function input(record: QuarantineRecord, ev: TerminationEvent, overrides: Partial<HookDecisionInput> = {}): HookDecisionInput {
  return { record, event: ev, colour: 'blue', cause: CAUSES.elb, policy: policyWith(), nowMs: T0, ...overrides };
}

describe('decideHook', () => {
  it('GIVEN an empty record WHEN a blue instance fails THEN it is claimed as isolating with its cause, expiry and a replacement mark', () => {
    // WHEN
    const d = decideHook(input(recordWith(), event('i-1')));
    // THEN
    expect(d.kind).toBe('claim');
    if (d.kind !== 'claim') return;
    expect(d.entry).toEqual({
      instanceId: 'i-1',
      colour: 'blue',
      autoScalingGroupName: GROUPS.blue,
      state: 'isolating',
      claimedAt: iso(T0),
      lifecycleActionToken: 't-i-1',
      expiresAt: iso(T0 + 86_400_000),
      reasons: [CAUSES.elb],
    });
    expect(d.record.entries).toEqual([d.entry]);
    expect(d.record.replacements).toEqual([{ colour: 'blue', instanceId: 'i-1', at: iso(T0) }]);
  });

  it('GIVEN blue already keeps one (keepPerColour 1) WHEN another blue fails THEN over the colour cap, and it is still counted', () => {
    const d = decideHook(input(recordWith(entry('i-1', 'blue', 'kept')), event('i-2')));
    expect(d).toMatchObject({ kind: 'over-cap', reason: 'blue already keeps 1 of at most 1 (keepPerColour)' });
    if (d.kind !== 'over-cap') return;
    expect(d.record.entries.map((e) => e.instanceId)).toEqual(['i-1']);
    expect(d.record.replacements.map((m) => m.instanceId)).toEqual(['i-2']);
  });

  it('GIVEN an isolating claim of blue WHEN another blue fails THEN the claim holds the place (claims count against the caps)', () => {
    expect(decideHook(input(recordWith(entry('i-1', 'blue', 'isolating')), event('i-2'))).kind).toBe('over-cap');
  });

  it('GIVEN two green kept (keepPerColour 2, keepPerService 2) WHEN a blue fails THEN over the service cap', () => {
    const policy = policyWith({ keepPerColour: 2, keepPerService: 2 });
    const d = decideHook(input(recordWith(entry('i-g1', 'green', 'kept'), entry('i-g2', 'green', 'kept')), event('i-b1'), { policy }));
    expect(d).toMatchObject({ kind: 'over-cap', reason: 'the service already keeps 2 of at most 2 (keepPerService)' });
  });

  it('GIVEN one green kept (keepPerColour 1, keepPerService 2) WHEN a blue fails THEN blue has its own place', () => {
    expect(decideHook(input(recordWith(entry('i-g1', 'green', 'kept')), event('i-b1'))).kind).toBe('claim');
  });

  it('GIVEN keepPerColour 0 WHEN an instance fails THEN none is kept but the replacement is counted', () => {
    const d = decideHook(input(recordWith(), event('i-1'), { policy: policyWith({ keepPerColour: 0 }) }));
    expect(d).toMatchObject({ kind: 'over-cap', reason: expect.stringContaining('keepPerColour is 0') });
    if (d.kind === 'over-cap') expect(d.record.replacements).toHaveLength(1);
  });

  it('GIVEN a fresh claim for the same token WHEN delivered again THEN duplicate, nothing to write', () => {
    const claim = entry('i-1', 'blue', 'isolating', T0 - 60_000);
    const d = decideHook(input(recordWith(claim), event('i-1')));
    expect(d).toMatchObject({ kind: 'duplicate', entry: claim, reason: expect.stringContaining('this lifecycle action') });
    expect('record' in d).toBe(false);
  });

  it('GIVEN a fresh claim under another token WHEN a second action arrives for the instance THEN duplicate (it times out and continues)', () => {
    const d = decideHook(input(recordWith(entry('i-1', 'blue', 'isolating', T0 - 60_000)), event('i-1', 'other-token')));
    expect(d).toMatchObject({ kind: 'duplicate', reason: expect.stringContaining('another lifecycle action (t-i-1)') });
  });

  it('GIVEN a claim older than the hook timeout WHEN the instance\'s action arrives THEN it is decided anew: a new claim replaces it', () => {
    // GIVEN a claim made 301 s ago (timeout 300 s)
    const stale = entry('i-1', 'blue', 'isolating', T0 - 301_000);
    // WHEN
    const d = decideHook(input(recordWith(stale), event('i-1', 'new-token')));
    // THEN
    expect(d.kind).toBe('claim');
    if (d.kind !== 'claim') return;
    expect(d.replaced).toEqual(stale);
    expect(d.record.entries).toEqual([expect.objectContaining({ instanceId: 'i-1', lifecycleActionToken: 'new-token', claimedAt: iso(T0) })]);
  });

  it("GIVEN a stale claim filling blue's only place WHEN its own instance is decided anew THEN the claim does not count against itself", () => {
    const d = decideHook(input(recordWith(entry('i-1', 'blue', 'isolating', T0 - 301_000)), event('i-1')));
    expect(d.kind).toBe('claim');
  });

  it('GIVEN the instance already kept WHEN its action is delivered again (same token) THEN already-kept', () => {
    const d = decideHook(input(recordWith(entry('i-1', 'blue', 'kept')), event('i-1')));
    expect(d).toMatchObject({ kind: 'already-kept', reason: expect.stringContaining('already kept') });
  });

  it('GIVEN the instance already kept WHEN a new action (another token) of it arrives THEN kept-terminating (it goes on), nothing to write', () => {
    // GIVEN i-1 kept under t-i-1; WHEN the sweep or an operator terminates it, a new action comes
    const kept = entry('i-1', 'blue', 'kept');
    const d = decideHook(input(recordWith(kept), event('i-1', 'new-token')));
    // THEN
    expect(d).toEqual({ kind: 'kept-terminating', entry: kept, reason: expect.stringContaining('under another lifecycle action (t-i-1)') });
    expect('record' in d).toBe(false);
  });

  it('GIVEN marks older than the window and one for the same instance WHEN decided THEN old marks are trimmed and the instance counted once', () => {
    // GIVEN
    const record: QuarantineRecord = {
      ...recordWith(entry('i-9', 'blue', 'kept')),
      replacements: [
        { colour: 'blue', instanceId: 'i-old', at: iso(T0 - 901_000) },
        { colour: 'blue', instanceId: 'i-2', at: iso(T0 - 60_000) },
      ],
    };
    // WHEN the same instance's action is decided (over the cap)
    const d = decideHook(input(record, event('i-2')));
    // THEN
    expect(d.kind).toBe('over-cap');
    if (d.kind === 'over-cap') expect(d.record.replacements).toEqual([{ colour: 'blue', instanceId: 'i-2', at: iso(T0 - 60_000) }]);
  });
});
