/**
 * The watcher's tick with in-memory ports, a scripted decision and a recording engine: what it reads, what it hands
 * the decision, and what it does with each decision. The decision itself (decideWatch) is the engine's, tested there.
 */
import { describe, expect, it, vi } from 'vitest';
import { WatchDecision, WatchInput, DrEngineOptions, DrOutcome } from '../../lib/release/dr/types';
import { PRIMARY_REFRESH_MS, standbySection, watchTick, WatchTickDeps, WATCHER_DEADLINE_MS } from '../../lib/lambda/dr-watcher/watch-tick';
import { drSection, fakeDr, FakeDr, PRIMARY, record, STANDBY, standbyDescriptor } from './dr-watcher-fakes';

const NOW = 10_000_000;

interface Harness {
  readonly fake: FakeDr;
  readonly deps: WatchTickDeps;
  readonly inputs: WatchInput[];
  readonly engines: DrEngineOptions[];
  readonly failover: ReturnType<typeof vi.fn>;
  readonly resume: ReturnType<typeof vi.fn>;
  readonly notices: string[];
}

function harness(action: WatchDecision['action'], outcome: Partial<DrOutcome> = {}): Harness {
  const fake = fakeDr();
  const inputs: WatchInput[] = [];
  const engines: DrEngineOptions[] = [];
  const notices: string[] = [];
  const done: DrOutcome = { kind: 'failover', result: 'done', phase: 'failed-over', message: 'DNS answers the standby', timeline: [], operationId: 'op-1', ...outcome };
  const failover = vi.fn(async () => done);
  const resume = vi.fn(async () => ({ ...done, kind: 'resume' as const }));
  const deps: WatchTickDeps = {
    service: 'web',
    descriptor: standbyDescriptor(),
    ports: fake.ports,
    decide: (input) => {
      inputs.push(input);
      return { action, reason: `scripted ${action}` };
    },
    engine: (options) => {
      engines.push(options);
      return { failover, resume };
    },
    notifier: { notify: async (subject, message) => void notices.push(`${subject} | ${message}`) },
    primaryReadTimeoutMs: 100,
  };
  return { fake, deps, inputs, engines, failover, resume, notices };
}

describe('watchTick: what it reads', () => {
  it('hands the decision the newest record of both copies, the primary probe, the switch and the threshold', async () => {
    // GIVEN the primary's copy newer than the standby's, a failing probe and the switch OK
    const h = harness('none');
    h.fake.copies.standby.stored = { record: record({ generation: 3 }), version: 7 };
    h.fake.copies.primary.stored = { record: record({ generation: 5, watcherFailures: 1 }), version: 2 };
    h.fake.probe = { ok: false, error: 'connect ECONNREFUSED', ms: 4 };
    // WHEN a tick runs
    const result = await watchTick(h.deps, NOW);
    // THEN the decision saw generation 5, the probe's failure and Route 53's failure threshold
    expect(h.inputs).toEqual([
      { now: NOW, record: record({ generation: 5, watcherFailures: 1 }), primaryProbe: { ok: false, detail: 'connect ECONNREFUSED after 4 ms' }, failureThreshold: 3, switchState: 'OK' },
    ]);
    expect(result).toMatchObject({ action: 'none', phase: 'normal', generation: 5, recordRegions: [STANDBY, PRIMARY] });
  });

  it('does not wait on a primary Region that does not answer', async () => {
    // GIVEN the primary's copy hanging
    const h = harness('none');
    h.fake.copies.standby.stored = { record: record({ generation: 3 }), version: 7 };
    h.fake.ports.primary.record.read = () => new Promise(() => undefined);
    // WHEN a tick runs
    const started = Date.now();
    const result = await watchTick(h.deps, NOW);
    // THEN it went on with the standby's copy after the short timeout
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(h.inputs[0].record?.generation).toBe(3);
    expect(result.recordRegions).toEqual([STANDBY]);
  });

  it('fails (moving nothing) when its own Region\'s copy cannot be read', async () => {
    // GIVEN the standby's table unreachable
    const h = harness('failover');
    h.fake.copies.standby.down = true;
    // WHEN / THEN the tick throws before deciding
    await expect(watchTick(h.deps, NOW)).rejects.toThrow(/ETIMEDOUT/);
    expect(h.inputs).toEqual([]);
    expect(h.failover).not.toHaveBeenCalled();
  });

  it('refuses to run outside the standby\'s descriptor, naming the Region and the fix', () => {
    // WHEN / THEN
    expect(() => standbySection(standbyDescriptor(null))).toThrow(/no disasterRecovery section.*RegionRole\.standby/);
    expect(() => standbySection({ ...standbyDescriptor(drSection('primary')) })).toThrow(/runs in eu-central-1, but the descriptor says that Region is the primary/);
  });
});

describe('watchTick: what it does', () => {
  it('count-failure: writes the counter + 1 and generation + 1 to the standby\'s copy only', async () => {
    // GIVEN a record with one failure counted
    const h = harness('count-failure');
    h.fake.copies.standby.stored = { record: record({ generation: 4, watcherFailures: 1 }), version: 9 };
    // WHEN a tick counts a failure
    const result = await watchTick(h.deps, NOW);
    // THEN
    expect(h.fake.copies.standby.stored).toEqual({ record: record({ generation: 5, watcherFailures: 2 }), version: 10 });
    expect(h.fake.copies.primary.writes).toEqual([]);
    expect(result).toMatchObject({ action: 'count-failure', watcherFailures: 2, generation: 5 });
  });

  it('count-failure with no record yet creates a normal one naming the primary active', async () => {
    // GIVEN no DR record anywhere
    const h = harness('count-failure');
    // WHEN
    await watchTick(h.deps, NOW);
    // THEN
    expect(h.fake.copies.standby.stored?.record).toEqual({ service: 'web', generation: 1, phase: 'normal', activeRegion: PRIMARY, since: NOW, watcherFailures: 1 });
  });

  it('reset-failures: zeroes the counter and records what the primary serves (the failover\'s capacity base)', async () => {
    // GIVEN two failures counted, and the primary answering again
    const h = harness('reset-failures');
    h.fake.copies.standby.stored = { record: record({ watcherFailures: 2 }), version: 1 };
    // WHEN
    await watchTick(h.deps, NOW);
    // THEN the live colour (green, at 100) is the one read
    expect(h.fake.copies.standby.stored?.record).toEqual(
      record({ generation: 5, watcherFailures: 0, primaryDesired: 6, primaryImage: 'baked:web@2.0.0', primarySeenAt: NOW }),
    );
  });

  it('none: refreshes what the primary serves only when it is older than the refresh interval', async () => {
    // GIVEN a record refreshed just now, then one refreshed long ago
    const h = harness('none');
    h.fake.copies.standby.stored = { record: record({ primarySeenAt: NOW - 1_000, primaryDesired: 6 }), version: 1 };
    await watchTick(h.deps, NOW);
    expect(h.fake.copies.standby.writes).toEqual([]);
    h.fake.copies.standby.stored = { record: record({ primarySeenAt: NOW - PRIMARY_REFRESH_MS, primaryDesired: 4 }), version: 1 };
    // WHEN
    await watchTick(h.deps, NOW);
    // THEN one write, with the fresh reading
    expect(h.fake.copies.standby.writes).toEqual([record({ generation: 5, watcherFailures: 0, primaryDesired: 6, primaryImage: 'baked:web@2.0.0', primarySeenAt: NOW })]);
  });

  it('a counter write that loses a race is a warning, not a failure', async () => {
    // GIVEN a copy that changes between the read and the write
    const h = harness('count-failure');
    h.fake.copies.standby.stored = { record: record(), version: 1 };
    const write = h.fake.copies.standby.write.bind(h.fake.copies.standby);
    h.fake.copies.standby.write = async (r, v) => {
      h.fake.copies.standby.stored = { record: record({ generation: 9 }), version: 2 };
      return write(r, v);
    };
    // WHEN
    const result = await watchTick(h.deps, NOW);
    // THEN
    expect(result.warnings).toEqual([expect.stringMatching(/^the DR record was not written: changed since read/)]);
    expect(h.fake.copies.standby.stored?.record.generation).toBe(9);
  });

  it('failover: runs the engine\'s outage failover as the watcher with a 13-minute deadline, and publishes a notice', async () => {
    // GIVEN
    const h = harness('failover');
    // WHEN
    const result = await watchTick(h.deps, NOW);
    // THEN
    expect(h.engines).toEqual([{ service: 'web', owner: 'watcher', dr: drSection(), deadlineAt: NOW + WATCHER_DEADLINE_MS, pollMs: 1_000 }]);
    expect(h.failover).toHaveBeenCalledWith({ trigger: 'watcher', outage: true });
    expect(result.outcome).toEqual({ result: 'done', phase: 'failed-over', message: 'DNS answers the standby', operationId: 'op-1' });
    expect(h.notices).toEqual([expect.stringMatching(/^web: failover to eu-central-1 done \| .*watcher in eu-central-1 failed web over \(scripted failover\): done, phase failed-over/)]);
  });

  it('resume: resumes the interrupted operation, and publishes a notice only when it did not finish', async () => {
    // GIVEN a resume that finishes, then one that is refused
    const ok = harness('resume');
    await watchTick(ok.deps, NOW);
    const refused = harness('resume', { result: 'refused', phase: 'failing-over', message: 'standby unhealthy' });
    // WHEN
    await watchTick(refused.deps, NOW);
    // THEN
    expect(ok.resume).toHaveBeenCalledWith();
    expect(ok.notices).toEqual([]);
    expect(refused.notices).toEqual([expect.stringMatching(/^web: DR resume refused \| .*standby unhealthy/)]);
  });

  it('latch: writes the switch again and publishes a notice', async () => {
    // GIVEN failed over with the switch reading OK
    const h = harness('latch');
    h.fake.copies.standby.stored = { record: record({ phase: 'failed-over', activeRegion: STANDBY }), version: 3 };
    // WHEN
    await watchTick(h.deps, NOW);
    // THEN
    expect(h.fake.switchWrites).toEqual([true]);
    expect(h.notices).toEqual([expect.stringMatching(/DR switch latched.*read OK/)]);
    expect(h.fake.copies.standby.writes).toEqual([]);
  });

  it('counts a primary whose health alarm fires as failed, although its health path answers (Route 53 fails over on it)', async () => {
    // GIVEN the primary's health path answering 200 and its 5xx health alarm in ALARM
    const h = harness('none');
    const deps: WatchTickDeps = { ...h.deps, primaryHealthAlarm: async () => 'ALARM' };
    // WHEN
    await watchTick(deps, NOW);
    // THEN
    expect(h.inputs[0].primaryProbe).toEqual({ ok: false, detail: expect.stringMatching(/HTTP 200 .*health alarm .* in ALARM/) });
  });

  it('leaves the decision to the HTTP probe when the primary\'s health alarm cannot be read', async () => {
    // GIVEN the primary Region not answering CloudWatch, its health path answering
    const h = harness('none');
    const deps: WatchTickDeps = { ...h.deps, primaryHealthAlarm: async () => Promise.reject(new Error('connect ETIMEDOUT')) };
    // WHEN
    await watchTick(deps, NOW);
    // THEN
    expect(h.inputs[0].primaryProbe).toEqual({ ok: true, detail: expect.stringMatching(/HTTP 200 .*health alarm unread \(connect ETIMEDOUT\)/) });
  });

  it('latch while the switch already reads ALARM: writes it again (Route 53 follows its data), tells nobody', async () => {
    // GIVEN failed over and latched
    const h = harness('latch');
    h.fake.switchState = 'ALARM';
    h.fake.copies.standby.stored = { record: record({ phase: 'failed-over', activeRegion: STANDBY }), version: 3 };
    // WHEN
    await watchTick(h.deps, NOW);
    // THEN
    expect(h.fake.switchWrites).toEqual([true]);
    expect(h.notices).toEqual([]);
  });

  it('a notice that cannot be published is a warning, the failover stands', async () => {
    // GIVEN SNS failing
    const h = harness('failover');
    const deps: WatchTickDeps = { ...h.deps, notifier: { notify: async () => Promise.reject(new Error('AuthorizationError')) } };
    // WHEN
    const result = await watchTick(deps, NOW);
    // THEN
    expect(result.outcome?.result).toBe('done');
    expect(result.warnings).toEqual(['the notice was not published: AuthorizationError']);
  });
});
