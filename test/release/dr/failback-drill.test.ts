import { describe, expect, it } from 'vitest';
import { DrEngine, renderDrillMarkdown } from '../../../lib/release';
import { BOOT_MS, descriptor, FakeWorld, PRIMARY, STANDBY } from './fakes';

async function failedOver(standbyDeployed = 0): Promise<FakeWorld> {
  const world = new FakeWorld(standbyDeployed);
  const outcome = await world.engine(world.process('setup')).failover({ trigger: 'cli', outage: false });
  expect(outcome.result).toBe('done');
  return world;
}

describe('DrEngine.failback', () => {
  it('moves DNS back to a healthy primary, then restores the standby\'s deployed capacity', async () => {
    // GIVEN a failed-over pair
    const world = await failedOver();
    // WHEN failing back
    const outcome = await world.engine(world.process('cli')).failback({});
    // THEN
    expect(outcome.result).toBe('done');
    expect(outcome.phase).toBe('normal');
    expect(outcome.timeline.map((e) => e.mark)).toEqual(['failback-decision', 'dns-moved-back', 'dns-answering-primary', 'first-success-primary', 'standby-restored']);
    expect(world.switchValue).toBe(false);
    expect(world.answer()).toBe('primary');
    expect(world.standby.colours.blue.desired).toBe(0);
    expect(world.record()).toMatchObject({ phase: 'normal', activeRegion: PRIMARY });
    expect(world.violations).toEqual([]);
    // AND the standby was restored only after a request was served by the primary
    const restore = world.calls.findIndex((c) => c.method === 'restoreDeployedCapacity');
    const lastProbe = world.calls.map((c, i) => (c.method === 'probe.record' ? i : -1)).reduce((a, b) => Math.max(a, b));
    expect(restore).toBeGreaterThan(lastProbe);
  });

  const refusals: { name: string; arrange: (w: FakeWorld) => void; says: string }[] = [
    { name: 'a primary with fewer healthy than desired', arrange: (w) => { w.primary.colours.blue.healthy = 2; }, says: '2 healthy of 4 desired' },
    { name: 'a primary at zero', arrange: (w) => { w.primary.colours.blue.desired = 0; }, says: '0 healthy of 0 desired' },
    { name: 'a primary with a firing alarm', arrange: (w) => { w.primary.firing = ['bluegreen-web-dr-health-eu-west-1']; }, says: 'alarms fire in the primary' },
    { name: 'an unreachable primary', arrange: (w) => { w.primary.reach = 'throw'; }, says: 'cannot be read' },
    { name: 'version skew', arrange: (w) => { w.primary.colours.blue.image = 'ami-2'; }, says: '--allow-skew' },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}, staying failed over`, async () => {
      // GIVEN
      const world = await failedOver();
      c.arrange(world);
      world.happened();
      const generation = world.record()?.generation;
      // WHEN
      const outcome = await world.engine(world.process('cli')).failback({});
      // THEN
      expect(outcome.result).toBe('refused');
      expect(outcome.message).toContain(c.says);
      expect(world.record()?.generation).toBe(generation);
      expect(world.switchValue).toBe(true);
      expect(world.answer()).toBe('standby');
    });
  }

  it('fails back across a skew with allowSkew', async () => {
    const world = await failedOver();
    world.primary.colours.blue.image = 'ami-2';
    const outcome = await world.engine(world.process('cli')).failback({ allowSkew: true });
    expect(outcome.result).toBe('done');
  });

  it('refuses when not failed over', async () => {
    const world = new FakeWorld();
    const outcome = await world.engine(world.process('cli')).failback({});
    expect(outcome.result).toBe('refused');
    expect(outcome.message).toContain('not failed over');
  });

  it('is undone on request (resume --undo) after it stopped: DNS back on the standby at its failover size', async () => {
    // GIVEN a failback whose Route 53 answer never comes within the timeout
    const world = await failedOver();
    const proc = world.process('cli');
    const answering = proc.ports.dns.answering;
    Object.assign(proc.ports.dns, { answering: async () => { await answering(); return 'unknown' as const; } });
    const stopped = await world.engine(proc, { dnsTimeoutMs: 20_000 }).failback({});
    expect(stopped.result).toBe('failed');
    expect(stopped.phase).toBe('failing-back');
    // WHEN undoing
    const undo = await world.engine(world.process('cli2')).resume({ undo: true, takeOver: true });
    // THEN
    expect(undo).toMatchObject({ kind: 'resume', result: 'undone', phase: 'failed-over' });
    expect(world.answer()).toBe('standby');
    expect(world.standby.colours.blue.desired).toBe(4);
    expect(world.violations).toEqual([]);
  });
});

describe('DrEngine.drill', () => {
  it('fails when a request during the hold is not served by the standby, and still fails back', async () => {
    // GIVEN a pair whose second standby-served request (the first hold check) fails
    const world = new FakeWorld();
    const proc = world.process('cli');
    const record = proc.ports.probe.record.bind(proc.ports.probe);
    let servedByStandby = 0;
    Object.assign(proc.ports.probe, {
      record: async () => {
        const r = await record();
        if (r.servedBy === 'standby' && ++servedByStandby === 2) return { ...r, ok: false, status: 503 };
        return r;
      },
    });
    // WHEN drilling
    const report = await world.engine(proc).drill({ holdMs: 30_000, verifyEveryMs: 10_000 });
    // THEN the drill failed, said why, and the pair is back to normal
    expect(report.outcome).toBe('failed: 1 of 4 requests during the hold were not served by the standby');
    expect(report.holdChecks).toEqual({ total: 4, ok: 3 });
    expect(report.timeline.map((e) => e.mark)).toContain('standby-restored');
  });

  it('fails over, holds while verifying, fails back, and reports the measured recovery', async () => {
    // GIVEN a pilot-light pair
    const world = new FakeWorld();
    // WHEN drilling with a 60 s hold verified every 10 s
    const report = await world.engine(world.process('cli')).drill({ holdMs: 60_000, verifyEveryMs: 10_000 });
    // THEN
    expect(report.outcome).toBe('passed');
    expect(report.timeline.map((e) => e.mark)).toEqual([
      'decision', 'capacity-requested', 'standby-healthy', 'dns-moved', 'dns-answering-standby', 'first-success-standby',
      'failback-decision', 'dns-moved-back', 'dns-answering-primary', 'first-success-primary', 'standby-restored',
    ]);
    const at = (m: string) => report.timeline.find((e) => e.mark === m)!.at;
    expect(report.recoveryMs).toBe(at('first-success-standby') - at('decision'));
    expect(report.recoveryMs).toBeGreaterThanOrEqual(BOOT_MS);
    expect(report.failbackMs).toBe(at('first-success-primary') - at('failback-decision'));
    expect(report.worstCaseDnsSeconds).toBe(150);
    expect(report.holdChecks).toEqual({ total: 7, ok: 7 });
    expect(at('failback-decision') - at('first-success-standby')).toBeGreaterThanOrEqual(60_000);
    expect(report.versions).toEqual({ primary: 'ami-1', standby: 'ami-1' });
    expect(report.capacity.some((s) => s.side === 'standby' && s.desired === 4 && s.healthy === 4)).toBe(true);
    expect(report.capacity.some((s) => s.side === 'standby' && s.healthy === 0)).toBe(true);
    // AND the curve starts and ends at the pilot light's zero
    expect(report.capacity[0]).toMatchObject({ side: 'standby', desired: 0, healthy: 0 });
    expect(report.capacity.at(-1)).toMatchObject({ side: 'standby', desired: 0 });
    expect(report.leftRunning).toContain('pilot light');
    expect(report).toMatchObject({ primaryRegion: PRIMARY, standbyRegion: STANDBY, standbyMode: 'pilot-light', schemaVersion: 1 });
    // AND nothing is left running beyond the mode, and the record says so
    expect(world.standby.colours.blue.desired).toBe(0);
    expect(world.answer()).toBe('primary');
    expect(world.record()?.phase).toBe('normal');
    expect(world.record()?.lastDrill).toMatchObject({ id: report.drillId, outcome: 'passed', recoveryMs: report.recoveryMs });
    expect(world.violations).toEqual([]);
  });

  it('leaves a warm standby at its warm size', async () => {
    const world = new FakeWorld(1);
    const report = await world.engine(world.process('cli')).drill({ holdMs: 0 });
    expect(report.outcome).toBe('passed');
    expect(report.leftRunning).toContain('blue at 1 instance');
    expect(world.standby.colours.blue.desired).toBe(1);
  });

  it('ends with failed and nothing changed when the standby never becomes healthy', async () => {
    const world = new FakeWorld();
    world.standby.neverHealthy = true;
    const report = await world.engine(world.process('cli'), { healthyTimeoutMs: 30_000 }).drill({ holdMs: 60_000 });
    expect(report.outcome).toMatch(/^failed: /);
    expect(report.recoveryMs).toBeUndefined();
    expect(report.holdChecks.total).toBe(0);
    expect(world.standby.colours.blue.desired).toBe(0);
    expect(world.switchValue).toBeUndefined();
    expect(world.record()?.phase).toBe('normal');
    expect(world.record()?.lastDrill?.outcome).toMatch(/^failed: /);
  });

  it('undoes a failover that stopped after moving DNS, so a failed drill leaves nothing changed', async () => {
    const world = new FakeWorld();
    const proc = world.process('cli');
    const record = proc.ports.probe.record;
    Object.assign(proc.ports.probe, { record: async () => ({ ...(await record()), ok: false }) });
    const report = await world.engine(proc, { dnsTimeoutMs: 20_000 }).drill({ holdMs: 60_000 });
    expect(report.outcome).toContain('undo: undone');
    expect(world.answer()).toBe('primary');
    expect(world.switchValue).toBe(false);
    expect(world.standby.colours.blue.desired).toBe(0);
    expect(world.record()?.phase).toBe('normal');
    expect(world.violations).toEqual([]);
  });

  it('is refused with a release in progress, without writing the record', async () => {
    const world = new FakeWorld();
    world.primary.release = 'release r1';
    const report = await world.engine(world.process('cli')).drill({ holdMs: 1000 });
    expect(report.outcome).toContain('was refused');
    expect(world.primary.copy).toBeUndefined();
  });

  it('renders Markdown with the outcome, the recovery time against the DNS worst case, phases and capacity', async () => {
    const world = new FakeWorld();
    const report = await world.engine(world.process('cli')).drill({ holdMs: 30_000 });
    const md = renderDrillMarkdown(report);
    expect(md).toContain('**Outcome: PASSED**');
    expect(md).toContain(`**${(report.recoveryMs! / 1000).toFixed(1)} s**`);
    expect(md).toContain('**150 s** (health check 10 s × 3 + TTL 60 s + alarm period 60 s)');
    expect(md).toMatch(/\| first-success-standby \| 2026-01-01 12:\d\d:\d\dZ \| \+\d+\.\d s \|/);
    expect(md).toContain('| decision | 2026-01-01 12:00:00Z | +0.0 s |  |');
    // AND each phase shows the time since the previous mark: what that phase took
    const at = (mark: string) => report.timeline.find((e) => e.mark === mark)!.at;
    const took = ((at('dns-moved') - at('standby-healthy')) / 1000).toFixed(1);
    expect(md).toMatch(new RegExp(`\\| dns-moved \\| [^|]+ \\| [^|]+ \\| ${took.replace('.', '\\.')} s \\|`));
    expect(md).toContain('| Time (UTC) | Side | Desired | Healthy |');
    expect(md).toContain('| standby | 4 | 4 |');
    expect(md).toContain(`${report.holdChecks.ok} of ${report.holdChecks.total} requests`);
    expect(md).toContain('primary (eu-west-1): ami-1');
    expect(md).toContain(report.leftRunning);
  });

  it('renders a failed drill with its reason and "not reached"', async () => {
    const world = new FakeWorld();
    world.standby.neverHealthy = true;
    const md = renderDrillMarkdown(await world.engine(world.process('cli'), { healthyTimeoutMs: 10_000 }).drill({ holdMs: 0 }));
    expect(md).toContain('**Outcome: FAILED**');
    expect(md).toContain('did not reach 4 healthy targets');
    expect(md).toContain('first request served by the standby): **not reached**');
  });
});

describe('DrEngine options', () => {
  it('names the prop and the fix when the ports are in other Regions than the descriptor', () => {
    const world = new FakeWorld();
    const proc = world.process('cli');
    expect(() => new DrEngine(proc.ports, { service: 'web', owner: 'me', dr: descriptor(0, { primaryRegion: 'us-east-1' }) })).toThrow(/ports.primary is in eu-west-1 but DrEngineOptions.dr.primaryRegion is us-east-1/);
    expect(() => new DrEngine(proc.ports, { service: 'web', owner: 'me', dr: descriptor(0), pollMs: 0 })).toThrow(/DrEngineOptions.pollMs must be a positive number of ms, got 0/);
    expect(() => world.engine(proc).drill({ holdMs: -1 })).toThrow(/holdMs must be a non-negative/);
  });
});
