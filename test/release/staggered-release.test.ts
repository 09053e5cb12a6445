/**
 * The staggered release of a service with a standby Region, with a real ReleaseEngine per Region on in-memory ports
 * (one FakeWorld per Region), and the engine's zero-capacity mode that lets a pilot-light standby release.
 */
import { describe, expect, it } from 'vitest';
import { ColourName, DrRecordView, RegionReleaseRunner, ReleaseStrategy, staggeredRelease, StaggeredRole, UsageError } from '../../lib/release';
import { engineFor, fakeHook, FakeProcess, FakeWorld } from './fakes';

const MINUTE = 60_000;
const canary = ReleaseStrategy.canary(10, MINUTE);
const NEW = 'baked:web@2.0.0';
const OLD = 'baked:web@1.0.0';

/** One Region: a FakeWorld (blue live on OLD, green idle on NEW) and a runner over a real engine. */
class Region {
  public readonly world = new FakeWorld();
  public readonly proc: FakeProcess;
  /** Image each colour runs (the descriptor's `colours.<c>.image`). */
  public images: Record<ColourName, string> = { blue: OLD, green: NEW };
  public releases = 0;

  constructor(
    public readonly name: string,
    public readonly role: StaggeredRole,
    private readonly engineOptions: { allowZeroCapacity?: boolean } = {},
  ) {
    this.proc = this.world.process(`cli-${name}`);
  }

  public runner(): RegionReleaseRunner {
    const live = (): ColourName | undefined => (this.world.weights.blue === 100 ? 'blue' : this.world.weights.green === 100 ? 'green' : undefined);
    return {
      region: this.name,
      role: this.role,
      serving: async () => {
        const l = live();
        return l ? this.images[l] : undefined;
      },
      candidateImage: async () => {
        const l = live();
        return l ? this.images[l === 'blue' ? 'green' : 'blue'] : undefined;
      },
      release: () => {
        this.releases++;
        return engineFor(this.proc, this.engineOptions).release({ strategy: canary });
      },
    };
  }

  /** Both colours at 0 instances, as a pilot-light standby runs. */
  public pilotLight(): this {
    this.world.setMode('blue', 'standby');
    this.world.setMode('green', 'standby');
    return this;
  }
}

const NORMAL = async (): Promise<DrRecordView> => ({ phase: 'normal', readFrom: ['eu-west-1', 'eu-central-1'] });

describe('staggered release', () => {
  it('refuses pauseBefore up front: nothing read, no Region released', async () => {
    const primary = new Region('eu-west-1', 'primary');
    const standby = new Region('eu-central-1', 'standby');
    let drRead = false;
    const release = staggeredRelease({
      service: 'web',
      regions: [primary.runner(), standby.runner()],
      drRecord: async () => ((drRead = true), NORMAL()),
      pauseBefore: [1],
    });
    await expect(release).rejects.toThrow(new UsageError('pauses are not supported with a standby Region yet; release without --pause-before'));
    expect(drRead).toBe(false);
    expect(primary.releases + standby.releases).toBe(0);
  });

  it('an inconclusive hook in the primary fails it there: rolled back, the standby untouched (never awaiting approval)', async () => {
    // GIVEN Region engines with an exclusion (as the CLI gives them) and an inconclusive step hook in the primary
    const primary = new Region('eu-west-1', 'primary');
    const standby = new Region('eu-central-1', 'standby');
    for (const r of [primary, standby]) {
      Object.assign(r.proc.ports, {
        exclusion: { refusal: async () => undefined },
        hooks: { hooks: [fakeHook('analysis', 'step')], runner: { run: async () => ({ verdict: r === primary ? 'inconclusive' : 'passed' }) } },
      });
    }
    // WHEN
    const outcome = await staggeredRelease({ service: 'web', regions: [primary.runner(), standby.runner()], drRecord: NORMAL });
    // THEN
    expect(outcome.status).toBe('first-region-not-released');
    expect(outcome.regions.map((r) => [r.region, r.result])).toEqual([
      ['eu-west-1', 'rolled-back'],
      ['eu-central-1', 'not-started'],
    ]);
    expect(primary.world.stored?.state.status).toBe('rolled-back');
    expect(primary.world.weights).toEqual({ blue: 100, green: 0 });
    expect(standby.releases).toBe(0);
  });

  it('releases the primary first, then the standby, each with its own gates; both serve the new version', async () => {
    // GIVEN a primary and a warm standby, both ready to release NEW
    const primary = new Region('eu-west-1', 'primary');
    const standby = new Region('eu-central-1', 'standby');
    const order: string[] = [];

    // WHEN
    const outcome = await staggeredRelease({
      service: 'web',
      regions: [primary.runner(), standby.runner()],
      drRecord: NORMAL,
      onRegion: (e) => order.push(`${e.phase} ${e.region}`),
    });

    // THEN
    expect(outcome.status).toBe('released');
    expect(order).toEqual(['start eu-west-1', 'end eu-west-1', 'start eu-central-1', 'end eu-central-1']);
    expect(outcome.regions.map((r) => [r.region, r.result, r.serving])).toEqual([
      ['eu-west-1', 'released', NEW],
      ['eu-central-1', 'released', NEW],
    ]);
    expect(outcome.skew).toBe(false);
    expect(outcome.versions).toEqual({ 'eu-west-1': NEW, 'eu-central-1': NEW });
    expect(primary.world.weights).toEqual({ blue: 0, green: 100 });
    expect(standby.world.weights).toEqual({ blue: 0, green: 100 });
    // AND each Region's engine polled its own gate (health and alarms) during its bakes
    expect(primary.world.count('alarms.firing')).toBeGreaterThan(2);
    expect(standby.world.count('alarms.firing')).toBeGreaterThan(2);
  });

  it('stops at a standby whose gate fails: rolls back only the standby, the primary keeps the new version, skew reported', async () => {
    // GIVEN the standby's candidate fires an alarm once it takes traffic
    const primary = new Region('eu-west-1', 'primary');
    const standby = new Region('eu-central-1', 'standby');
    standby.world.alarmRule = (c, w) => (c === 'green' && w.weights.green > 0 ? ['web-green-gate'] : []);

    // WHEN
    const outcome = await staggeredRelease({ service: 'web', regions: [primary.runner(), standby.runner()], drRecord: NORMAL });

    // THEN
    expect(outcome.status).toBe('skewed');
    expect(outcome.stoppedAt).toBe('eu-central-1');
    expect(outcome.regions.map((r) => [r.region, r.result])).toEqual([
      ['eu-west-1', 'released'],
      ['eu-central-1', 'rolled-back'],
    ]);
    expect(primary.world.weights).toEqual({ blue: 0, green: 100 });
    expect(standby.world.weights).toEqual({ blue: 100, green: 0 });
    expect(outcome.skew).toBe(true);
    expect(outcome.versions).toEqual({ 'eu-west-1': NEW, 'eu-central-1': OLD });
    expect(outcome.message).toMatch(/^web released in eu-west-1 only: eu-central-1 \(standby\) rolled-back: .*web-green-gate/);
    expect(outcome.message).toContain(`Version skew: eu-west-1 serves ${NEW}, eu-central-1 serves ${OLD}.`);
  });

  it('leaves the standby untouched when the primary rolls back', async () => {
    // GIVEN the primary's candidate fails its gate
    const primary = new Region('eu-west-1', 'primary');
    const standby = new Region('eu-central-1', 'standby');
    primary.world.alarmRule = (c, w) => (c === 'green' && w.weights.green > 0 ? ['web-green-gate'] : []);

    // WHEN
    const outcome = await staggeredRelease({ service: 'web', regions: [primary.runner(), standby.runner()], drRecord: NORMAL });

    // THEN
    expect(outcome.status).toBe('first-region-not-released');
    expect(outcome.regions.map((r) => [r.region, r.result])).toEqual([
      ['eu-west-1', 'rolled-back'],
      ['eu-central-1', 'not-started'],
    ]);
    expect(standby.releases).toBe(0);
    expect(standby.world.calls.filter((c) => c.mutating)).toEqual([]);
    expect(outcome.skew).toBe(false);
    expect(outcome.versions).toEqual({ 'eu-west-1': OLD, 'eu-central-1': OLD });
    expect(outcome.message).toMatch(/eu-west-1 \(primary\) rolled-back: .* eu-central-1 untouched\.$/);
  });

  it('refuses, touching neither Region, while the DR record is not normal', async () => {
    // GIVEN the pair is failed over
    const primary = new Region('eu-west-1', 'primary');
    const standby = new Region('eu-central-1', 'standby');

    // WHEN
    const outcome = await staggeredRelease({
      service: 'web',
      regions: [primary.runner(), standby.runner()],
      drRecord: async () => ({ phase: 'failed-over', readFrom: ['eu-central-1'] }),
    });

    // THEN
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toBe(
      "Release refused, nothing changed: the DR record of web is failed-over (read from eu-central-1). Releases wait until it is normal again: finish with 'bluegreen dr failback web' or 'bluegreen dr resume web'.",
    );
    expect(primary.world.calls).toEqual([]);
    expect(standby.world.calls).toEqual([]);
  });

  it('treats a missing DR record as normal (a pair that never failed over)', async () => {
    const primary = new Region('eu-west-1', 'primary');
    const outcome = await staggeredRelease({ service: 'web', regions: [primary.runner()], drRecord: async () => ({ readFrom: [] }) });
    expect(outcome.status).toBe('released');
    expect(outcome.message).toMatch(/^Released web in eu-west-1 only \(primary\)\. Released green/);
  });

  it('refuses the standby whose idle colour runs another image than the primary now serves, unless allowed', async () => {
    // GIVEN the standby's stack was not deployed with the new image
    const primary = new Region('eu-west-1', 'primary');
    const standby = new Region('eu-central-1', 'standby');
    standby.images = { blue: OLD, green: OLD };

    // WHEN
    const outcome = await staggeredRelease({ service: 'web', regions: [primary.runner(), standby.runner()], drRecord: NORMAL });

    // THEN the standby was not released
    expect(outcome.status).toBe('skewed');
    expect(outcome.regions[1]).toMatchObject({ result: 'refused', serving: OLD });
    expect(outcome.regions[1].message).toContain(`has ${OLD} on its idle colour, not ${NEW}, which eu-west-1 now serves`);
    expect(outcome.regions[1].message).toContain("'bluegreen release web --region eu-central-1 --region-only'");
    expect(standby.releases).toBe(0);

    // AND with allowImageMismatch the standby is released anyway
    const again = new Region('eu-central-1', 'standby');
    again.images = { blue: OLD, green: OLD };
    const allowed = await staggeredRelease({ service: 'web', regions: [new Region('eu-west-1', 'primary').runner(), again.runner()], drRecord: NORMAL, allowImageMismatch: true });
    expect(allowed.regions[1].result).toBe('released');
  });

  it('releases a pilot-light standby (both colours at 0) with weights only, gated on alarms, when zero capacity is allowed', async () => {
    // GIVEN a pilot-light standby
    const primary = new Region('eu-west-1', 'primary');
    const standby = new Region('eu-central-1', 'standby', { allowZeroCapacity: true }).pilotLight();

    // WHEN
    const outcome = await staggeredRelease({ service: 'web', regions: [primary.runner(), standby.runner()], drRecord: NORMAL });

    // THEN the standby's weights moved, with no capacity change
    expect(outcome.status).toBe('released');
    expect(standby.world.weights).toEqual({ blue: 0, green: 100 });
    expect(standby.world.count('setMode')).toBe(0);
    expect(standby.world.capacity.green.desired).toBe(0);
  });

  it('refuses a pilot-light standby without zero capacity allowed: no target can ever be healthy', async () => {
    const standby = new Region('eu-central-1', 'standby').pilotLight();
    const outcome = await staggeredRelease({ service: 'web', regions: [new Region('eu-west-1', 'primary').runner(), standby.runner()], drRecord: NORMAL });
    expect(outcome.status).toBe('skewed');
    expect(outcome.regions[1].result).toBe('refused');
    expect(outcome.regions[1].message).toContain('green is in standby (desired 0)');
    expect(standby.world.sets).toEqual([]);
  });
});

describe('allowZeroCapacity', () => {
  it('still gates a pilot light on its alarms, and rolls back onto a colour with no target', async () => {
    // GIVEN a pilot light whose candidate's gate alarm fires once it takes weight
    const region = new Region('eu-central-1', 'standby', { allowZeroCapacity: true }).pilotLight();
    region.world.alarmRule = (c, w) => (c === 'green' && w.weights.green > 0 ? ['web-green-gate'] : []);

    // WHEN
    const outcome = await region.runner().release();

    // THEN the release rolled back to blue (0 targets, serving no one) instead of being refused as fail-open
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.message).toContain('web-green-gate');
    expect(region.world.weights).toEqual({ blue: 100, green: 0 });
  });

  it('holds a colour with desired capacity to every target healthy, as without it', async () => {
    // GIVEN a warm Region (desired 3) whose candidate has 1 of 3 healthy
    const region = new Region('eu-central-1', 'standby', { allowZeroCapacity: true });
    region.world.healthRule = (c) => (c === 'green' ? { healthy: 1, total: 3 } : undefined);

    // WHEN
    const outcome = await region.runner().release();

    // THEN
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toContain('green has 1/3 healthy targets, 3 expected');
    expect(region.world.sets).toEqual([]);
  });

  it('does not apply when only one colour is at zero', async () => {
    // GIVEN green (the candidate) at 0 but blue serving
    const region = new Region('eu-central-1', 'standby', { allowZeroCapacity: true });
    region.world.setMode('green', 'standby');

    // WHEN
    const outcome = await region.runner().release();

    // THEN
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toContain('green is in standby (desired 0)');
  });
});
