/**
 * In-memory ports for the release engine: one shared `FakeWorld` (load balancer, fleets, alarms, release record,
 * clock) and any number of `FakeProcess`es that call it, each with its own ports. A process can be crashed on the
 * N-th mutating call of the world; a crashed process fails every later call, as a dead process makes none.
 */
import { HookEvent, HookRunRecord, HookVerdict } from '../../lib/contract';
import {
  CapacityModeName,
  CapacityState,
  ColourName,
  COLOUR_NAMES,
  ConcurrentReleaseError,
  ReleaseEngine,
  ReleaseEngineOptions,
  ReleaseEvent,
  ReleaseHook,
  ReleaseHooks,
  ReleasePorts,
  ReleaseState,
  TargetHealthCount,
  VersionedState,
  Weights,
  weightOf,
} from '../../lib/release';

/** Thrown by a fake port when its process "dies". */
export class SimulatedCrash extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatedCrash';
  }
}

/** Whether a crashing call takes effect before the process dies (`after`) or not (`before`). */
export type CrashWhen = 'before' | 'after';

/** One port call. */
export interface CallRecord {
  readonly proc: string;
  readonly method: string;
  readonly mutating: boolean;
  /** Another call of the same process was in flight when this one started (sent in parallel, e.g. Promise.all). */
  readonly parallel: boolean;
}

/** What a fake hook answers on one call: a verdict, a verdict with detail, a throw, or no answer at all. */
export type FakeHookAnswer = HookVerdict | 'throw' | 'hang' | { readonly verdict: HookVerdict; readonly detail?: string };

/** A script of a fake hook: one answer, answers call by call (the last repeats), or a function of the event. */
export type FakeHookScript = FakeHookAnswer | readonly FakeHookAnswer[] | ((event: HookEvent) => FakeHookAnswer);

/** One call of a fake hook. */
export interface HookCall {
  readonly proc: string;
  readonly hook: string;
  readonly key: string;
  readonly attempt: number;
  readonly event: HookEvent;
}

/** A release hook for the fakes: a Lambda hook with a 30 s timeout and no retry, unless told. */
export function fakeHook(name: string, point: ReleaseHook['point'], options: Partial<Omit<ReleaseHook, 'name' | 'point'>> = {}): ReleaseHook {
  return { name, point, kind: 'lambda', timeoutMs: 30_000, retries: 0, contract: false, ...options };
}

/** Serving size of each colour in the fakes. */
export const SERVING = 3;

/** A point in time all tests start from. */
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function serving(): CapacityState {
  return { min: SERVING, max: SERVING * 2, desired: SERVING, inService: SERVING };
}

/** The shared state every fake process sees. */
export class FakeWorld {
  public now = T0;
  public weights: Weights = { blue: 100, green: 0 };
  public testTarget: ColourName = 'green';
  public readonly capacity: { blue: CapacityState; green: CapacityState } = { blue: serving(), green: serving() };
  /** Overrides target health; undefined falls back to every desired instance healthy. */
  public healthRule?: (colour: ColourName, world: FakeWorld) => TargetHealthCount | undefined;
  /** Firing gate alarms. */
  public alarmRule?: (colour: ColourName, world: FakeWorld) => string[];
  /** True makes the load balancer ignore a `setWeights` (the read-back then differs). */
  public dropSet?: (weights: Weights, world: FakeWorld) => boolean;
  /** Reads that still return the previous weights after each `setWeights`. */
  public lagReads = 0;
  /** Make a write land and then report a (non-crash) error, once, on this mutating call number. */
  public lostReplyAt?: number;
  /**
   * Make the N-th `state.write` (1-based, over all processes) land and then fail with `ConcurrentReleaseError`: the
   * SDK retried a PutItem whose reply was lost, and the retry's condition failed because the first attempt landed.
   */
  public lostCasReplyAt?: number;
  /** `state.write` calls so far, over all processes. */
  public stateWrites = 0;
  /** Runs before every port call; return true to remove the hook. Used to interleave processes mid-step. */
  public beforeCall?: (proc: string, method: string) => Promise<boolean>;
  public stored?: VersionedState;
  public crash?: { readonly at: number; readonly when: CrashWhen };
  /** Mutating calls so far (setWeights, setTestTarget, setMode, state.write), over all processes. */
  public mutations = 0;
  public readonly calls: CallRecord[] = [];
  /** Every weight change that took effect. */
  public readonly sets: Weights[] = [];
  /** Invariant violations seen by `setWeights` and the store. */
  public readonly violations: string[] = [];
  /**
   * The next call of `proc` to `method` was sent before another process changed things (a late request): its
   * violations are its sender's past decision, not an engine error, and go to `excused`.
   */
  public lateCall?: { readonly proc: string; readonly method: string };
  /** Violations of a late call. */
  public readonly excused: string[] = [];
  /** Set while a late call runs. */
  public excusing = false;
  /** Hooks every process made after this is set is given (`ports.hooks`); a hook call is a mutating port call. */
  public releaseHooks?: ReleaseHook[];
  /** Image fingerprints the hooks' runner reports. */
  public hookImages?: { blue?: string; green?: string };
  /** What each hook answers, by name (default `passed`). */
  public hookScript: Record<string, FakeHookScript> = {};
  /** Every hook call, in order. */
  public readonly hookCalls: HookCall[] = [];
  private readonly hookCallCount = new Map<string, number>();
  private staleReads = 0;
  private staleValue: Weights = this.weights;
  private hooks: Array<{ at: number; fn: () => Promise<void> }> = [];

  /** A new process with its own ports. */
  public process(name: string): FakeProcess {
    return new FakeProcess(this, name);
  }

  /** Target health as the load balancer reports it. */
  public health(colour: ColourName): TargetHealthCount {
    const override = this.healthRule?.(colour, this);
    if (override) return override;
    const desired = this.capacity[colour].desired;
    return { healthy: desired, total: desired };
  }

  /** Firing gate alarms of a colour. */
  public alarms(colour: ColourName): string[] {
    return this.alarmRule?.(colour, this) ?? [];
  }

  /** Run `fn` once, during the first sleep that reaches `at`. */
  public at(at: number, fn: () => Promise<void>): void {
    this.hooks.push({ at, fn });
  }

  /** Move the clock, then run due hooks. */
  public async advance(ms: number): Promise<void> {
    this.now += ms;
    const due = this.hooks.filter((h) => h.at <= this.now);
    this.hooks = this.hooks.filter((h) => h.at > this.now);
    for (const h of due) await h.fn();
  }

  public readWeights(): Weights {
    if (this.staleReads > 0) {
      this.staleReads--;
      return this.staleValue;
    }
    return this.weights;
  }

  public applyWeights(w: Weights): void {
    this.checkWeights(w);
    if (this.dropSet?.(w, this)) return;
    this.staleValue = this.weights;
    this.staleReads = this.lagReads;
    this.weights = { blue: w.blue, green: w.green };
    this.sets.push(this.weights);
  }

  public writeState(state: ReleaseState, expected: number | undefined): number {
    if (this.stored?.version !== expected) {
      throw new ConcurrentReleaseError(`version is ${this.stored?.version}, expected ${expected}`);
    }
    this.checkHookRuns(this.stored?.state, state);
    const undefinedKeys = Object.entries(state).filter(([, v]) => v === undefined).map(([k]) => k);
    if (undefinedKeys.length) this.violations.push(`state written with undefined ${undefinedKeys.join(', ')}`);
    const version = (this.stored?.version ?? 0) + 1;
    this.stored = { state: structuredClone(state), version };
    return version;
  }

  public setMode(colour: ColourName, mode: CapacityModeName): void {
    this.capacity[colour] = mode === 'standby' ? { min: 0, max: 0, desired: 0, inService: 0 } : serving();
  }

  /** Calls of `method` so far. */
  public count(method: string, proc?: string): number {
    return this.calls.filter((c) => c.method === method && (proc === undefined || c.proc === proc)).length;
  }

  /**
   * Round trips of `proc` from index `from` of the call log: each a list of the methods sent together (a call that
   * started while another of the process was in flight joins the round trip before it).
   */
  public roundTrips(from: number, proc: string): string[][] {
    const rounds: string[][] = [];
    for (const c of this.calls.slice(from)) {
      if (c.proc !== proc) continue;
      if (c.parallel && rounds.length > 0) rounds[rounds.length - 1].push(c.method);
      else rounds.push([c.method]);
    }
    return rounds;
  }

  /** The write of a `state.write` call, which may land and still report a lost-reply condition failure. */
  public storeWrite(state: ReleaseState, expected: number | undefined): number {
    const n = ++this.stateWrites;
    const version = this.writeState(state, expected);
    if (this.lostCasReplyAt === n) {
      throw new ConcurrentReleaseError(`version is ${version}, expected ${expected} (the retry of a write that landed)`);
    }
    return version;
  }

  /**
   * A hook is called only once its run is recorded `running` in the stored record (never again once it has a
   * verdict: the engine would have had to write `running` over it, which `checkHookRuns` reports).
   */
  public runHook(proc: string, hook: ReleaseHook, event: HookEvent): Promise<{ verdict: HookVerdict; detail?: string }> | { verdict: HookVerdict; detail?: string } {
    const stored = this.stored?.state;
    // Contract hooks are recorded in `contracts` (their `deferred` run in `hooks` has the same key).
    const run = (event.contract ? stored?.contracts : stored?.hooks)?.find((r) => r.key === event.idempotencyKey);
    if (stored?.releaseId !== event.releaseId || run?.status !== 'running') {
      this.violations.push(`hook ${hook.name} called with key ${event.idempotencyKey} while its run is ${run?.status ?? 'not recorded'}`);
    }
    this.hookCalls.push({ proc, hook: hook.name, key: event.idempotencyKey, attempt: event.attempt, event });
    const n = this.hookCallCount.get(hook.name) ?? 0;
    this.hookCallCount.set(hook.name, n + 1);
    const script = this.hookScript[hook.name] ?? 'passed';
    const answer: FakeHookAnswer =
      typeof script === 'function' ? script(event) : Array.isArray(script) ? script[Math.min(n, script.length - 1)] : (script as FakeHookAnswer);
    if (answer === 'throw') throw new Error(`${hook.name} exploded`);
    if (answer === 'hang') return new Promise(() => undefined);
    return typeof answer === 'string' ? { verdict: answer } : { ...answer };
  }

  /** Calls of the hook `name` (all processes). */
  public callsOf(name: string): HookCall[] {
    return this.hookCalls.filter((c) => c.hook === name);
  }

  /** A run's verdict is final: once a run of this release has one, later writes keep it (contracts: once passed). */
  private checkHookRuns(before: ReleaseState | undefined, after: ReleaseState): void {
    if (!before || before.releaseId !== after.releaseId) return;
    for (const list of ['hooks', 'contracts'] as const) {
      for (const old of before[list] ?? []) {
        if (old.status === 'running') continue;
        if (list === 'contracts' && old.status !== 'passed') continue;
        const now: HookRunRecord | undefined = (after[list] ?? []).find((r) => r.key === old.key);
        if (now?.status !== old.status) this.violations.push(`${list} run ${old.key} went from ${old.status} to ${now?.status ?? 'nothing'}`);
      }
    }
  }

  private checkWeights(w: Weights): void {
    const violations = this.excusing ? this.excused : this.violations;
    const line = `set ${JSON.stringify(w)} from ${JSON.stringify(this.weights)}`;
    if (w.blue + w.green !== 100) violations.push(`${line}: does not add up to 100`);
    if (w.blue === 0 && w.green === 0) violations.push(`${line}: both colours at 0`);
    for (const c of COLOUR_NAMES) {
      if (weightOf(w, c) > weightOf(this.weights, c) && this.health(c).healthy === 0) {
        violations.push(`${line}: shifts weight to ${c}, which has no healthy target`);
      }
    }
  }
}

/** One process: its ports and the events its engine emitted. */
export class FakeProcess {
  public dead = false;
  public readonly events: ReleaseEvent[] = [];
  /** Port calls of this process in flight now. */
  private inFlight = 0;
  public readonly ports: ReleasePorts;

  constructor(
    public readonly world: FakeWorld,
    public readonly name: string,
  ) {
    const w = world;
    this.ports = {
      traffic: {
        getWeights: () => this.call('getWeights', false, () => w.readWeights()),
        setWeights: (weights) => this.call('setWeights', true, () => w.applyWeights(weights)),
        setTestTarget: (colour) => this.call('setTestTarget', true, () => void (w.testTarget = colour)),
        getTestTarget: () => this.call('getTestTarget', false, () => w.testTarget),
      },
      health: { count: (colour) => this.call('health.count', false, () => w.health(colour)) },
      alarms: { firing: (colour) => this.call('alarms.firing', false, () => w.alarms(colour)) },
      capacity: {
        describe: (colour) => this.call('capacity.describe', false, () => ({ ...w.capacity[colour] })),
        setMode: (colour, mode) => this.call('setMode', true, () => w.setMode(colour, mode)),
      },
      state: {
        read: () => this.call('state.read', false, () => (w.stored ? structuredClone(w.stored) : undefined)),
        write: (state, expected) => this.call('state.write', true, () => w.storeWrite(state, expected)),
      },
      clock: {
        now: () => w.now,
        sleep: async (ms) => {
          this.checkAlive('sleep');
          await w.advance(ms);
        },
      },
      logger: { event: (e) => void this.events.push(e) },
      ...(world.releaseHooks ? { hooks: this.hooksPort(world.releaseHooks) } : {}),
    };
  }

  /** Give this process `hooks` (instead of the world's), e.g. a command hook only one process was given. */
  public withHooks(hooks: ReleaseHook[]): this {
    Object.assign(this.ports, { hooks: this.hooksPort(hooks) });
    return this;
  }

  private hooksPort(hooks: ReleaseHook[]): ReleaseHooks {
    const w = this.world;
    return {
      hooks,
      images: w.hookImages,
      runner: { run: async (hook, event) => this.call(`hook:${hook.name}`, true, () => w.runHook(this.name, hook, event)).then((answer) => answer) },
    };
  }

  /** Event types, in order. */
  public eventTypes(): string[] {
    return this.events.map((e) => e.type);
  }

  private checkAlive(method: string): void {
    if (this.dead) throw new SimulatedCrash(`${this.name} is dead (${method})`);
  }

  private async call<T>(method: string, mutating: boolean, fn: () => T): Promise<T> {
    this.checkAlive(method);
    const parallel = this.inFlight > 0;
    this.inFlight++;
    try {
      return await this.callNow(method, mutating, parallel, fn);
    } finally {
      this.inFlight--;
    }
  }

  private async callNow<T>(method: string, mutating: boolean, parallel: boolean, call: () => T): Promise<T> {
    await Promise.resolve();
    const hook = this.world.beforeCall;
    if (hook && (await hook(this.name, method)) && this.world.beforeCall === hook) this.world.beforeCall = undefined;
    this.world.calls.push({ proc: this.name, method, mutating, parallel });
    const late = this.world.lateCall;
    const excused = late?.proc === this.name && late.method === method;
    if (excused) this.world.lateCall = undefined;
    const fn = (): T => {
      this.world.excusing = excused;
      try {
        return call();
      } finally {
        this.world.excusing = false;
      }
    };
    if (!mutating) return fn();
    const n = ++this.world.mutations;
    const crash = this.world.crash;
    if (crash?.at === n) {
      if (crash.when === 'after') {
        try {
          fn();
        } catch {
          // A compare-and-set that failed has no effect either way.
        }
      }
      this.dead = true;
      throw new SimulatedCrash(`${this.name} crashed at mutating call ${n} (${method}, ${crash.when})`);
    }
    const result = fn();
    if (this.world.lostReplyAt === n) throw new Error(`${method}: socket hang up`);
    return result;
  }
}

/** An engine for `proc` with test-friendly options. */
export function engineFor(proc: FakeProcess, options: Omit<Partial<ReleaseEngineOptions>, 'owner'> = {}): ReleaseEngine {
  return new ReleaseEngine(proc.ports, { service: 'web', owner: proc.name, pollIntervalMs: 10_000, ...options });
}

/** Deterministic PRNG (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Await a command of a process that dies during it. A dead process makes no more calls, so whatever its engine
 * returns or throws afterwards is moot; this only checks that it did die.
 */
export async function dies(proc: FakeProcess, command: Promise<unknown>): Promise<void> {
  await command.catch((e: unknown) => {
    if (!(e instanceof SimulatedCrash)) throw e;
  });
  if (!proc.dead) throw new Error(`${proc.name} was expected to die`);
}
