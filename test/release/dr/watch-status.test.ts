import { describe, expect, it } from 'vitest';
import { decideWatch, DrRecord, WatchInput } from '../../../lib/release';
import { FakeWorld, PRIMARY, STANDBY, T0 } from './fakes';

const NOW = T0 + 3_600_000;
const normal: DrRecord = { service: 'web', generation: 4, phase: 'normal', activeRegion: PRIMARY, since: T0 };
const op = (updatedAgoMs: number, kind: 'failover' | 'failback' | 'drill' = 'failover') => ({
  id: 'dr-1', kind, trigger: 'cli' as const, outage: false, owner: 'host/1', startedAt: T0, updatedAt: NOW - updatedAgoMs, step: 'capacity-requested', timeline: [],
});
const failing = { ok: false, detail: 'HTTP 503' };
const ok = { ok: true, detail: 'HTTP 200 in 40 ms' };

describe('decideWatch', () => {
  const cases: { name: string; input: Partial<WatchInput>; action: string; says?: string }[] = [
    { name: 'no record, primary answers', input: { record: undefined, primaryProbe: ok }, action: 'none' },
    { name: 'primary answers after failures', input: { record: { ...normal, watcherFailures: 2 }, primaryProbe: ok }, action: 'reset-failures', says: 'after 2 failed' },
    { name: 'first failure', input: { record: normal, primaryProbe: failing }, action: 'count-failure', says: 'probe 1 of 3' },
    { name: 'no record, first failure', input: { record: undefined, primaryProbe: failing }, action: 'count-failure' },
    { name: 'second failure', input: { record: { ...normal, watcherFailures: 1 }, primaryProbe: failing }, action: 'count-failure', says: 'probe 2 of 3' },
    { name: 'threshold reached', input: { record: { ...normal, watcherFailures: 2 }, primaryProbe: failing }, action: 'failover', says: '3 consecutive' },
    { name: 'threshold 1', input: { record: normal, primaryProbe: failing, failureThreshold: 1 }, action: 'failover' },
    { name: 'failed over, switch OK', input: { record: { ...normal, phase: 'failed-over', activeRegion: STANDBY }, switchState: 'OK' }, action: 'latch' },
    { name: 'failed over, switch never set', input: { record: { ...normal, phase: 'failed-over', activeRegion: STANDBY }, switchState: 'INSUFFICIENT_DATA' }, action: 'latch' },
    // Route 53 follows the switch's data, not the alarm's state: the watcher rewrites it every tick while failed over.
    { name: 'failed over and latched, primary down: the switch is written again', input: { record: { ...normal, phase: 'failed-over' }, switchState: 'ALARM', primaryProbe: failing }, action: 'latch' },
    { name: 'failed over and latched, primary back: never fails back', input: { record: { ...normal, phase: 'failed-over' }, switchState: 'ALARM', primaryProbe: ok }, action: 'latch', says: 'never automatic' },
    { name: 'operation with a live heartbeat', input: { record: { ...normal, phase: 'failing-over', operation: op(30_000) }, primaryProbe: failing }, action: 'none', says: 'in flight' },
    { name: 'operation silent beyond the lease', input: { record: { ...normal, phase: 'failing-over', operation: op(121_000) } }, action: 'resume', says: 'lease' },
    { name: 'failing back, primary failing: never fails over again', input: { record: { ...normal, phase: 'failing-back', operation: op(10_000, 'failback'), watcherFailures: 9 }, primaryProbe: failing }, action: 'none' },
    { name: 'failing back, stale: resumes the failback', input: { record: { ...normal, phase: 'failing-back', operation: op(300_000, 'failback') }, primaryProbe: failing }, action: 'resume', says: 'failback' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.action}`, () => {
      const input: WatchInput = { now: NOW, primaryProbe: ok, failureThreshold: 3, switchState: 'INSUFFICIENT_DATA', record: normal, ...c.input };
      const decision = decideWatch(input);
      expect(decision.action).toBe(c.action);
      if (c.says) expect(decision.reason).toContain(c.says);
    });
  }
});

describe('DrEngine.status and plans', () => {
  it('reports each Region, the switch, Route 53\'s answer, the worst case and skew', async () => {
    // GIVEN a failed-over pair whose standby serves another image
    const world = new FakeWorld();
    world.standby.colours.blue.image = 'ami-0';
    await world.engine(world.process('a')).failover({ trigger: 'cli', outage: false, allowSkew: true });
    world.primary.release = 'release r5';
    // WHEN
    const status = await world.engine(world.process('b')).status();
    // THEN
    expect(status.primary).toMatchObject({ region: PRIMARY, side: 'primary', reachable: true, liveColour: 'blue', image: 'ami-1', desired: 4, healthy: 4, release: 'release r5' });
    expect(status.standby).toMatchObject({ region: STANDBY, reachable: true, image: 'ami-0', desired: 4, healthy: 4 });
    expect(status).toMatchObject({ switchState: 'ALARM', dnsAnswering: 'standby', ttlSeconds: 60, worstCaseFailoverSeconds: 150, versionSkew: true });
    expect(status.record?.phase).toBe('failed-over');
    expect(status.recordRegions).toEqual([PRIMARY, STANDBY]);
  });

  it('reports an unreachable Region with its error, reading only the other copy', async () => {
    const world = new FakeWorld();
    world.primary.reach = 'hang';
    const status = await world.engine(world.process('b'), { regionTimeoutMs: 2_000 }).status();
    expect(status.primary).toMatchObject({ reachable: false });
    expect(status.primary.error).toContain('no answer within 2000 ms');
    expect(status.recordRegions).toEqual([STANDBY]);
    expect(status.versionSkew).toBe(false);
  });

  it('plans a failover without changing anything', async () => {
    const world = new FakeWorld();
    const plan = await world.engine(world.process('a')).planFailover({ trigger: 'cli', outage: false });
    expect(plan.refused).toBeUndefined();
    expect(plan.steps.map((s) => s.action)).toEqual(['record', 'scale', 'wait-healthy', 'switch', 'wait-dns', 'verify', 'record']);
    expect(plan.steps[1].detail).toContain('0 → 4 instances');
    expect(world.calls.filter((c) => ['record.write', 'scaleTo', 'dnsSwitch.set', 'restoreDeployedCapacity'].includes(c.method))).toEqual([]);
  });

  it('plans the refusal of a skewed failover and of a failback to an unhealthy primary', async () => {
    const world = new FakeWorld();
    world.standby.colours.blue.image = 'ami-0';
    const skew = await world.engine(world.process('a')).planFailover({ trigger: 'cli', outage: false });
    expect(skew.refused).toContain('--allow-skew');
    expect(skew.steps).toEqual([]);
    await world.engine(world.process('b')).failover({ trigger: 'cli', outage: false, allowSkew: true });
    world.primary.colours.blue.healthy = 1;
    const back = await world.engine(world.process('c')).planFailback({ allowSkew: true });
    expect(back.refused).toContain('1 healthy of 4 desired');
    world.primary.colours.blue.healthy = 4;
    const ok = await world.engine(world.process('d')).planFailback({ allowSkew: true });
    expect(ok.steps.map((s) => s.action)).toEqual(['record', 'switch', 'wait-dns', 'verify', 'restore', 'record']);
  });

  it('logs an event for every step', async () => {
    const world = new FakeWorld();
    await world.engine(world.process('a')).failover({ trigger: 'cli', outage: false });
    const steps = world.events.filter((e) => e.type === 'step').map((e) => e.message.split(':')[0]);
    expect(steps).toEqual(['decision', 'capacity-requested', 'standby-healthy', 'dns-moved', 'dns-answering-standby', 'first-success-standby']);
    expect(world.events.some((e) => e.type === 'finished' && e.message.includes('failover done'))).toBe(true);
  });
});
