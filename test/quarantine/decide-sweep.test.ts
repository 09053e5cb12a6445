import { describe, expect, it } from 'vitest';
import { emptyQuarantineRecord, QuarantineEntry, QuarantineRecord } from '../../lib/contract';
import { decideSweep, SweepInput } from '../../lib/release/quarantine';
import { GROUPS, policyWith, SERVICE, T0 } from './fakes';

const iso = (ms: number) => new Date(ms).toISOString();

function entry(instanceId: string, state: 'isolating' | 'kept', opts: { colour?: 'blue' | 'green'; claimedMs?: number; expiresMs?: number } = {}): QuarantineEntry {
  const colour = opts.colour ?? 'blue';
  const claimedMs = opts.claimedMs ?? T0 - 60_000;
  return {
    instanceId,
    colour,
    autoScalingGroupName: GROUPS[colour],
    state,
    claimedAt: iso(claimedMs),
    lifecycleActionToken: `t-${instanceId}`,
    ...(state === 'kept' ? { since: iso(claimedMs) } : {}),
    expiresAt: iso(opts.expiresMs ?? T0 + 3_600_000),
    reasons: ['elb'],
  };
}

function input(entries: QuarantineEntry[], states: Record<string, string>, overrides: Partial<SweepInput> = {}): SweepInput {
  const record: QuarantineRecord = { ...emptyQuarantineRecord(SERVICE), entries };
  return {
    record,
    instanceStates: new Map(Object.entries(states)),
    retained: [
      { colour: 'blue', autoScalingGroupName: GROUPS.blue, instanceIds: entries.filter((e) => e.state === 'kept' && e.colour === 'blue').map((e) => e.instanceId) },
      { colour: 'green', autoScalingGroupName: GROUPS.green, instanceIds: entries.filter((e) => e.state === 'kept' && e.colour === 'green').map((e) => e.instanceId) },
    ],
    policy: policyWith({ keepPerColour: 2, keepPerService: 4 }),
    nowMs: T0,
    ...overrides,
  };
}

describe('decideSweep', () => {
  it('GIVEN a kept instance whose retention ended WHEN swept THEN it is terminated', () => {
    const e = entry('i-1', 'kept', { expiresMs: T0 });
    expect(decideSweep(input([e], { 'i-1': 'running' })).actions).toEqual([
      { kind: 'terminate', instanceId: 'i-1', colour: 'blue', autoScalingGroupName: GROUPS.blue, reason: `retention ended at ${iso(T0)}`, entry: e },
    ]);
  });

  it('GIVEN a kept instance within its retention WHEN swept THEN nothing happens', () => {
    expect(decideSweep(input([entry('i-1', 'kept')], { 'i-1': 'running' })).actions).toEqual([]);
  });

  it('GIVEN a stale isolating claim whose instance still runs WHEN swept THEN it is terminated', () => {
    const e = entry('i-1', 'isolating', { claimedMs: T0 - 300_000 });
    expect(decideSweep(input([e], { 'i-1': 'running' })).actions).toEqual([expect.objectContaining({ kind: 'terminate', instanceId: 'i-1', reason: expect.stringContaining('went stale') })]);
  });

  it('GIVEN a fresh isolating claim WHEN swept THEN it is left to finish', () => {
    expect(decideSweep(input([entry('i-1', 'isolating', { claimedMs: T0 - 299_000 })], { 'i-1': 'running' })).actions).toEqual([]);
  });

  it.each(['gone', 'terminated', 'shutting-down'])('GIVEN kept and isolating entries whose instance is %s WHEN swept THEN they are dropped, not terminated', (state) => {
    const kept = entry('i-1', 'kept', { expiresMs: T0 - 1 });
    const claim = entry('i-2', 'isolating', { claimedMs: T0 - 600_000 });
    expect(decideSweep(input([kept, claim], { 'i-1': state, 'i-2': state }, { retained: [] })).actions).toEqual([
      { kind: 'drop', instanceId: 'i-1', reason: `instance is ${state}`, entry: kept },
      { kind: 'drop', instanceId: 'i-2', reason: `instance is ${state}`, entry: claim },
    ]);
  });

  it('GIVEN an entry whose instance could not be described WHEN swept THEN it is left for the next tick', () => {
    expect(decideSweep(input([entry('i-1', 'kept', { expiresMs: T0 - 1 })], {})).actions).toEqual([]);
  });

  it('GIVEN a Retained instance the record does not track WHEN swept THEN it is terminated', () => {
    const retained = [{ colour: 'green' as const, autoScalingGroupName: GROUPS.green, instanceIds: ['i-stray'] }];
    expect(decideSweep(input([], {}, { retained })).actions).toEqual([
      { kind: 'terminate', instanceId: 'i-stray', colour: 'green', autoScalingGroupName: GROUPS.green, reason: 'retained by the group but not in the quarantine record' },
    ]);
  });

  it('GIVEN three kept blue after keepPerColour was lowered to 1 WHEN swept THEN the two expiring first are terminated', () => {
    // GIVEN
    const entries = [entry('i-late', 'kept', { expiresMs: T0 + 3 * 3_600_000 }), entry('i-early', 'kept', { expiresMs: T0 + 3_600_000 }), entry('i-mid', 'kept', { expiresMs: T0 + 2 * 3_600_000 })];
    const states = { 'i-late': 'running', 'i-early': 'running', 'i-mid': 'running' };
    // WHEN
    const plan = decideSweep(input(entries, states, { policy: policyWith({ keepPerColour: 1, keepPerService: 2 }) }));
    // THEN
    expect(plan.actions.map((a) => [a.kind, a.instanceId])).toEqual([['terminate', 'i-early'], ['terminate', 'i-mid']]);
    expect(plan.actions[0].reason).toMatch(/over the caps/);
  });

  it('GIVEN kept blue over a lowered cap, one of them with an expiry that is not a date WHEN swept THEN that one goes first', () => {
    // GIVEN i-bad could not be described (so it is not settled as expired), and blue keeps 1 at most now
    const entries = [entry('i-early', 'kept', { expiresMs: T0 + 3_600_000 }), { ...entry('i-bad', 'kept'), expiresAt: 'soon' }, entry('i-late', 'kept', { expiresMs: T0 + 7_200_000 })];
    // WHEN
    const plan = decideSweep(input(entries, { 'i-early': 'running', 'i-late': 'running' }, { policy: policyWith({ keepPerColour: 1, keepPerService: 2 }) }));
    // THEN
    expect(plan.actions.map((a) => a.instanceId)).toEqual(['i-bad', 'i-early']);
  });

  it('GIVEN one kept per colour after keepPerService was lowered to 1 WHEN swept THEN one is terminated', () => {
    const entries = [entry('i-b', 'kept', { expiresMs: T0 + 7_200_000 }), entry('i-g', 'kept', { colour: 'green', expiresMs: T0 + 3_600_000 })];
    const plan = decideSweep(input(entries, { 'i-b': 'running', 'i-g': 'running' }, { policy: policyWith({ keepPerColour: 1, keepPerService: 1 }) }));
    expect(plan.actions.map((a) => a.instanceId)).toEqual(['i-g']);
  });

  it('GIVEN marks in and out of the window WHEN swept THEN the plan keeps only the recent ones', () => {
    const base = input([], {});
    const record: QuarantineRecord = {
      ...base.record,
      replacements: [
        { colour: 'blue', instanceId: 'i-old', at: iso(T0 - 901_000) },
        { colour: 'green', instanceId: 'i-new', at: iso(T0 - 1000) },
      ],
    };
    expect(decideSweep({ ...base, record }).replacements).toEqual([{ colour: 'green', instanceId: 'i-new', at: iso(T0 - 1000) }]);
  });
});
