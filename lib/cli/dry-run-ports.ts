import {
  CapacityModeName,
  CapacityState,
  ColourName,
  ConcurrentReleaseError,
  formatWeights,
  Logger,
  ReleasePorts,
  ReleaseState,
  TargetHealthCount,
  VersionedState,
  Weights,
} from '../release';

/**
 * Ports for `--dry-run`: each read goes to AWS once, every write is recorded as an intended action and kept in
 * memory instead, and time is simulated (a bake takes no time). The engine runs its real logic on them, so the
 * actions are what the command would do now, as far as the current state of AWS tells.
 */
export class DryRunPorts {
  /** What the command would change, one line each, in order. */
  public readonly actions: string[] = [];
  /** The ports to give the engine. */
  public readonly ports: ReleasePorts;

  private weights?: Weights;
  private testTarget?: ColourName;
  private stored?: VersionedState | null;
  private readonly health = new Map<ColourName, TargetHealthCount>();
  private readonly alarms = new Map<ColourName, string[]>();
  private readonly capacity = new Map<ColourName, CapacityState>();
  private now = Date.now();

  constructor(
    real: ReleasePorts,
    /** Serving size a colour in `ready` or `active` runs (the descriptor's). */
    serving: { readonly desired: number },
    logger: Logger,
  ) {
    const once = async <K, V>(cache: Map<K, V>, key: K, read: () => Promise<V>): Promise<V> => {
      if (!cache.has(key)) cache.set(key, await read());
      return cache.get(key) as V;
    };
    this.ports = {
      traffic: {
        getWeights: async () => (this.weights ??= await real.traffic.getWeights()),
        setWeights: async (w) => {
          this.weights = w;
          this.actions.push(`set the production weights to ${formatWeights(w)} (ModifyRule), then read them back`);
        },
        getTestTarget: async () => (this.testTarget ??= await real.traffic.getTestTarget()),
        setTestTarget: async (c) => {
          this.testTarget = c;
          this.actions.push(`point the test route at ${c} (ModifyRule)`);
        },
      },
      health: { count: (c) => once(this.health, c, () => real.health.count(c)) },
      alarms: { firing: (c) => once(this.alarms, c, () => real.alarms.firing(c)) },
      capacity: {
        describe: (c) => once(this.capacity, c, () => real.capacity.describe(c)),
        setMode: async (c: ColourName, mode: CapacityModeName) => {
          const desired = mode === 'standby' ? 0 : Math.max(serving.desired, this.capacity.get(c)?.desired ?? 0);
          this.capacity.set(c, { min: 0, max: desired, desired, inService: desired });
          this.actions.push(`put ${c} in ${mode} (UpdateAutoScalingGroup, desired ${desired})`);
        },
      },
      state: {
        read: async () => {
          if (this.stored === undefined) this.stored = (await real.state.read()) ?? null;
          return this.stored ?? undefined;
        },
        write: async (state, expectedVersion) => this.write(state, expectedVersion),
      },
      clock: {
        now: () => this.now,
        sleep: async (ms) => {
          this.now += Math.max(0, ms);
        },
      },
      logger,
    };
  }

  /** Compare-and-set in memory; records a write when the status or the step changes (not heartbeats). */
  private write(state: ReleaseState, expectedVersion: number | undefined): number {
    const current = this.stored ?? undefined;
    if (current?.version !== expectedVersion) throw new ConcurrentReleaseError('The release record changed (dry run).');
    const before = current?.state;
    if (!before || before.releaseId !== state.releaseId || before.status !== state.status || before.stepIndex !== state.stepIndex) {
      const step = state.stepIndex < 0 ? 'before step 1' : `step ${state.stepIndex + 1}/${state.steps.length}`;
      this.actions.push(`record release ${state.releaseId} as ${state.status} at ${step} (PutItem)`);
    }
    const version = (expectedVersion ?? 0) + 1;
    this.stored = { state, version };
    return version;
  }
}
