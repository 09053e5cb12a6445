/**
 * An in-memory two-Region world for the DR engine: each Region's service (weights, colours with capacity that
 * turns healthy after a boot time, alarms, release record, DR record copy), the drill switch whose alarm follows
 * its value, Route 53's answer computed from the switch and target health as Route 53 computes it (the SECONDARY
 * unhealthy → the PRIMARY, whatever its health), a probe, and a clock whose sleeps are instant.
 *
 * Each engine process gets its own ports over the world; a process can be crashed on its N-th port call, after
 * which every call of it fails, as a dead process makes none. After every port call the world checks the DR
 * invariants and keeps what it finds in `violations`.
 */
import {
  CapacityState,
  ColourName,
  ConcurrentDrOperationError,
  DrEngine,
  DrEngineOptions,
  DrEvent,
  DrPorts,
  DrRecord,
  DrSide,
  liveColour,
  RegionService,
  TargetHealthCount,
  VersionedDrRecord,
  Weights,
} from '../../../lib/release';
import type { DisasterRecoveryDescriptor } from '../../../lib/contract';
import { drSectionOf } from '../../helpers/dr-section';

/** A point in time all tests start from. */
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
/** Time for new instances to turn healthy. */
export const BOOT_MS = 40_000;
export const PRIMARY = 'eu-west-1';
export const STANDBY = 'eu-central-1';
export const SERVICE = 'web';

/** Thrown by a fake port when its process "dies". */
export class SimulatedCrash extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatedCrash';
  }
}

/**
 * A clock whose time moves only when every caller waits: `sleep` registers a timer, and once the microtasks have
 * run (setImmediate) time jumps to the earliest timer. A timer raced against a call that answered fires later,
 * harmlessly, without moving time past what the waiting callers asked for.
 */
export class FakeClock {
  public time = T0;
  private timers: { at: number; resolve: () => void }[] = [];
  private scheduled = false;

  public now(): number {
    return this.time;
  }

  public sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), resolve });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.timers.length === 0) return;
      const at = Math.min(...this.timers.map((t) => t.at));
      this.time = Math.max(this.time, at);
      const due = this.timers.filter((t) => t.at <= this.time);
      this.timers = this.timers.filter((t) => t.at > this.time);
      due.forEach((t) => t.resolve());
      if (this.timers.length > 0) this.schedule();
    });
  }
}

/** One colour's group. */
export interface FakeColour {
  min: number;
  max: number;
  desired: number;
  healthy: number;
  /** When instances asked for by the last scale-up turn healthy. */
  readyAt?: number;
  /** What the stack deployed (restoreDeployedCapacity). */
  readonly deployed: number;
  image: string;
}

/** One Region. */
export class FakeRegion {
  public weights: Weights = { blue: 100, green: 0 };
  public colours: Record<ColourName, FakeColour>;
  /** `hang`: calls never answer; `throw`: calls fail at once. */
  public reach: 'ok' | 'hang' | 'throw' = 'ok';
  /** The Region's targets are gone (an outage): no colour is healthy. */
  public dead = false;
  /** New instances never turn healthy. */
  public neverHealthy = false;
  public firing: string[] = [];
  public release?: string;
  public copy?: VersionedDrRecord;
  /** The next record write fails with ConcurrentDrOperationError, as if another process wrote first. */
  public conflictOnce = false;
  public recordWrites = 0;

  constructor(public readonly region: string, live: FakeColour) {
    this.colours = { blue: live, green: { min: 0, max: live.max, desired: 0, healthy: 0, deployed: 0, image: live.image } };
  }

  public live(): ColourName {
    return liveColour(this.weights) ?? 'blue';
  }

  /** Healthy targets now (applies scale-ups whose boot time passed). */
  public healthyOf(colour: ColourName, now: number): number {
    const c = this.colours[colour];
    if (c.readyAt !== undefined && now >= c.readyAt) {
      c.healthy = c.desired;
      c.readyAt = undefined;
    }
    c.healthy = Math.min(c.healthy, c.desired);
    return this.dead || this.neverHealthy ? 0 : c.healthy;
  }

  public liveHealthy(now: number): number {
    return this.healthyOf(this.live(), now);
  }
}

/** A colour at `n` instances, deployed so. */
export function colourAt(n: number, max = 8, image = 'ami-1'): FakeColour {
  return { min: n, max, desired: n, healthy: n, deployed: n, image };
}

/** One port call. */
export interface CallRecord {
  readonly proc: string;
  readonly method: string;
  readonly side?: DrSide;
  readonly at: number;
}

/** The shared world. */
export class FakeWorld {
  public readonly clock = new FakeClock();
  public readonly primary = new FakeRegion(PRIMARY, colourAt(4));
  public readonly standby: FakeRegion;
  /** The switch metric's last value (undefined: never written). */
  public switchValue?: boolean;
  public readonly calls: CallRecord[] = [];
  public readonly violations: string[] = [];
  public readonly events: DrEvent[] = [];
  private answeredHealthy = true;

  constructor(standbyDeployed = 0) {
    this.standby = new FakeRegion(STANDBY, colourAt(standbyDeployed));
    this.check('setup');
  }

  public region(side: DrSide): FakeRegion {
    return side === 'primary' ? this.primary : this.standby;
  }

  /** Route 53: PRIMARY when healthy (targets, switch OK), else SECONDARY when healthy, else PRIMARY. */
  public answer(): DrSide {
    const now = this.clock.now();
    const primaryHealthy = this.primary.liveHealthy(now) > 0 && this.switchValue !== true;
    if (primaryHealthy) return 'primary';
    return this.standby.liveHealthy(now) > 0 ? 'standby' : 'primary';
  }

  public switchState(): 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' {
    return this.switchValue === undefined ? 'INSUFFICIENT_DATA' : this.switchValue ? 'ALARM' : 'OK';
  }

  /**
   * The invariants: DNS never goes from a side that serves to one with no healthy target (which includes both
   * Regions out of DNS: Route 53 then answers a side that cannot serve).
   */
  public check(after: string): void {
    const now = this.clock.now();
    const side = this.answer();
    const healthy = this.region(side).liveHealthy(now);
    if (healthy === 0 && this.answeredHealthy) this.violations.push(`after ${after}: DNS answers the ${side}, which has no healthy target`);
    this.answeredHealthy = healthy > 0;
  }

  /** Something outside the engine changed the world (an outage): take the state as the new baseline. */
  public happened(): void {
    this.answeredHealthy = this.region(this.answer()).liveHealthy(this.clock.now()) > 0;
  }

  /** Ports for one process, crashing on its `crashAt`-th call (`before`: the call has no effect; `after`: it has). */
  public process(name: string, crash?: { at: number; when: 'before' | 'after' }): FakeProcess {
    return new FakeProcess(this, name, crash);
  }

  public engine(proc: FakeProcess, options: Partial<DrEngineOptions> = {}): DrEngine {
    return new DrEngine(proc.ports, { service: SERVICE, owner: proc.name, dr: descriptor(this.standby.colours.blue.deployed), pollMs: 5_000, ...options });
  }

  /** The newest record over both copies. */
  public record(): DrRecord | undefined {
    const copies = [this.primary.copy, this.standby.copy].filter((c): c is VersionedDrRecord => c !== undefined);
    return copies.sort((a, b) => b.record.generation - a.record.generation)[0]?.record;
  }
}

/** One engine process over the world. */
export class FakeProcess {
  public calls = 0;
  public dead = false;
  public readonly ports: DrPorts;

  constructor(private readonly world: FakeWorld, public readonly name: string, private readonly crash?: { at: number; when: 'before' | 'after' }) {
    const w = world;
    this.ports = {
      primary: this.regionPorts('primary'),
      standby: this.regionPorts('standby'),
      dnsSwitch: {
        set: (value) => this.call('dnsSwitch.set', undefined, async () => {
          const side = value ? w.standby : w.primary;
          if (side.liveHealthy(w.clock.now()) < 1) w.violations.push(`switch set to ${value ? 'the standby' : 'the primary'}, which has no healthy target`);
          w.switchValue = value;
        }),
        state: () => this.call('dnsSwitch.state', undefined, async () => w.switchState()),
      },
      dns: { answering: () => this.call('dns.answering', undefined, async () => w.answer()) },
      probe: {
        region: (side) => this.call('probe.region', undefined, async () => {
          const ok = w.region(side).liveHealthy(w.clock.now()) > 0;
          return { ok, status: ok ? 200 : 503, ms: 15 };
        }),
        record: () => this.call('probe.record', undefined, async () => {
          const servedBy = w.answer();
          const ok = w.region(servedBy).liveHealthy(w.clock.now()) > 0;
          return { ok, status: ok ? 200 : 503, ms: 20, servedBy };
        }),
      },
      clock: w.clock,
      logger: { event: (e) => w.events.push(e) },
    };
  }

  private regionPorts(side: DrSide): RegionService {
    const w = this.world;
    const r = w.region(side);
    const now = () => w.clock.now();
    return {
      region: r.region,
      weights: () => this.call('weights', side, async () => ({ ...r.weights })),
      image: (c) => this.call('image', side, async () => r.colours[c].image),
      capacity: (c) => this.call('capacity', side, async (): Promise<CapacityState> => {
        const g = r.colours[c];
        return { min: g.min, max: g.max, desired: g.desired, inService: r.healthyOf(c, now()) };
      }),
      scaleTo: (c, desired) => this.call('scaleTo', side, async () => {
        const g = r.colours[c];
        if (desired > g.max) w.violations.push(`${r.region} ${c} scaled to ${desired}, above its max ${g.max}`);
        if (desired > g.desired) g.readyAt = now() + BOOT_MS;
        g.desired = desired;
        g.min = desired;
      }),
      restoreDeployedCapacity: (c) => this.call('restoreDeployedCapacity', side, async () => {
        const g = r.colours[c];
        g.desired = g.deployed;
        g.min = g.deployed;
        g.readyAt = undefined;
      }),
      health: (c) => this.call('health', side, async (): Promise<TargetHealthCount> => {
        const healthy = r.healthyOf(c, now());
        return { healthy, total: r.colours[c].desired };
      }),
      firingAlarms: () => this.call('firingAlarms', side, async () => [...r.firing]),
      releaseActivity: () => this.call('releaseActivity', side, async () => ({ inProgress: r.release !== undefined, detail: r.release ?? 'none' })),
      record: {
        read: () => this.call('record.read', side, async () => (r.copy ? structuredClone(r.copy) : undefined)),
        write: (record, expected) => this.call('record.write', side, async () => {
          r.recordWrites++;
          if (r.conflictOnce) {
            r.conflictOnce = false;
            throw new ConcurrentDrOperationError(`${r.region} copy changed`);
          }
          if (r.copy?.version !== expected) throw new ConcurrentDrOperationError(`${r.region} copy is at ${r.copy?.version}, not ${expected}`);
          const version = (r.copy?.version ?? 0) + 1;
          r.copy = { record: structuredClone(record), version };
          return version;
        }),
      },
    };
  }

  private async call<T>(method: string, side: DrSide | undefined, fn: () => Promise<T>): Promise<T> {
    const w = this.world;
    if (this.dead) throw new SimulatedCrash(`${this.name} is dead`);
    this.calls++;
    w.calls.push({ proc: this.name, method, side, at: w.clock.now() });
    const crashing = this.crash?.at === this.calls;
    if (crashing && this.crash?.when === 'before') {
      this.dead = true;
      throw new SimulatedCrash(`${this.name} died before ${method}`);
    }
    if (side) {
      const r = w.region(side);
      if (r.reach === 'hang') return new Promise<T>(() => undefined);
      if (r.reach === 'throw') throw new Error(`${r.region}: connect ETIMEDOUT`);
    }
    const result = await fn();
    w.check(`${this.name} ${side ? `${side}.` : ''}${method}`);
    if (crashing) {
      this.dead = true;
      throw new SimulatedCrash(`${this.name} died after ${method}`);
    }
    return result;
  }
}

/** The standby's descriptor section. */
export function descriptor(standbyDeployed: number, overrides: Partial<DisasterRecoveryDescriptor> = {}): DisasterRecoveryDescriptor {
  const mode = standbyDeployed > 0 ? 'warm-standby' : 'pilot-light';
  return drSectionOf({ primaryRegion: PRIMARY, standbyRegion: STANDBY, mode, warmPercent: 25, hostedZoneId: 'Z0123456789', overrides: { watcherFunctionName: 'bluegreen-web-dr-watcher', ...overrides } });
}
