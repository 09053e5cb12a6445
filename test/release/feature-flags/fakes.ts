/**
 * Fake ports of the feature-flag engine: an AppConfig environment whose deployments advance with a fake clock
 * (complete after their strategy's duration, rolled back when the monitor is in ALARM with its actions enabled, or
 * when stopped), a monitor alarm, and the record in memory with compare-and-set. Every call is logged; any call can
 * be made to fail.
 */
import { FeatureFlagDeclaration, FeatureFlagRecord, FeatureFlagsDescriptor, declaredFeatureFlagProfile, renderFeatureFlagProfile, FeatureFlagProfile, readFeatureFlagProfile } from '../../../lib/contract';
import {
  ConcurrentFeatureFlagRecordError,
  FeatureFlagPorts,
  FLAG_DEPLOYMENT_RUNNING_STATES,
  FlagDeployment,
  FlagDeploymentConflictError,
  FlagDeploymentState,
  FlagStopResult,
  VersionedFeatureFlagRecord,
} from '../../../lib/release/feature-flags';

export const SECTION: FeatureFlagsDescriptor = {
  applicationId: 'app1',
  environmentId: 'env1',
  profileId: 'prof1',
  declaredVersion: '3',
  gradualStrategyId: 'strat-gradual',
  killStrategyId: 'strat-kill',
  monitorAlarmName: 'web-feature-flags-monitor',
};

/** 2030-01-10, noon UTC. */
export const NOW = Date.parse('2030-01-10T12:00:00.000Z');

export function declaration(name: string, overrides: Partial<FeatureFlagDeclaration> = {}): FeatureFlagDeclaration {
  return { name, description: `what ${name} does`, owner: 'team-checkout', created: '2030-01-01', expiry: '2030-03-01', default: false, ...overrides };
}

/** Durations of the strategies, ms (AllAtOnce bakes 10 minutes). */
const STRATEGY_MS: Record<string, number> = { 'strat-kill': 0, 'AppConfig.AllAtOnce': 600_000, 'strat-gradual': 1_200_000 };

/** The strategies' shapes, as ListDeployments summarises them (growth %, minutes, bake minutes). */
const STRATEGY_SHAPE: Record<string, [number, number, number]> = { 'strat-kill': [100, 0, 0], 'AppConfig.AllAtOnce': [100, 0, 10], 'strat-gradual': [20, 10, 10] };

interface FakeDeployment {
  deploymentNumber: number;
  version: string;
  strategy: string;
  startedAt: number;
  description: string;
  /** Set when it ended. */
  final?: FlagDeploymentState;
  rollbackReason?: string;
  /** Stopped: ROLLING_BACK until then. */
  stoppingUntil?: number;
  /** VALIDATING until then (AppConfig cannot stop it before). */
  validatingUntil?: number;
  /** Of another configuration profile of the environment. */
  otherProfile?: boolean;
}

export class FakeFlags implements FeatureFlagPorts {
  public now = NOW;
  public readonly log: string[] = [];
  /** Operation name -> error to throw (once each, unless `always`). */
  public readonly failures = new Map<string, { error: Error; always?: boolean }>();
  public readonly versions = new Map<string, string>();
  public readonly deployments: FakeDeployment[] = [];
  public alarm: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' = 'OK';
  public actionsEnabled = true;
  public stored?: VersionedFeatureFlagRecord;
  /** Called before StartDeployment's conflict check (a racer starts one). */
  public beforeStart?: () => void;
  /** Called after each CreateHostedConfigurationVersion (another command's change completes meanwhile). */
  public afterCreate?: () => void;
  /** A stopped deployment keeps ROLLING_BACK this long, ms. */
  public stopTakesMs = 0;
  /** Record writes that fail with a concurrent-write error before succeeding. */
  public recordConflicts = 0;
  /** A kill-strategy deployment stays DEPLOYING this long, ms (AppConfig's 0 minutes still take a moment). */
  public killTakesMs = 0;

  constructor(declared: FeatureFlagDeclaration[], declaredVersion = SECTION.declaredVersion) {
    this.versions.set(declaredVersion, renderFeatureFlagProfile(declaredFeatureFlagProfile({ flags: declared })));
  }

  /** A deployment that completed (or is running) of `profile`. */
  public deployed(profile: FeatureFlagProfile, options: { strategy?: string; running?: boolean; description?: string; validatingMs?: number; otherProfile?: boolean; startedMsAgo?: number } = {}): number {
    const version = String(Math.max(0, ...[...this.versions.keys()].map(Number)) + 1);
    this.versions.set(version, renderFeatureFlagProfile(profile));
    const n = this.deployments.length + 1;
    this.deployments.push({
      deploymentNumber: n,
      version,
      strategy: options.strategy ?? 'strat-gradual',
      startedAt: options.running ? this.now - (options.startedMsAgo ?? 0) : this.now - 3_600_000,
      description: options.description ?? 'earlier',
      ...(options.running ? {} : { final: 'COMPLETE' as const }),
      ...(options.validatingMs ? { validatingUntil: this.now + options.validatingMs } : {}),
      ...(options.otherProfile ? { otherProfile: true } : {}),
    });
    return n;
  }

  /** A version's flags. */
  public content(version: string): FeatureFlagProfile {
    return readFeatureFlagProfile(this.versions.get(version)!);
  }

  /** The version AppConfig serves (newest COMPLETE). */
  public liveVersion(): string | undefined {
    return [...this.deployments].reverse().find((d) => this.state(d).state === 'COMPLETE' && !d.otherProfile)?.version;
  }

  public readonly clock = {
    now: () => this.now,
    sleep: async (ms: number) => {
      this.now += ms;
    },
  };

  private call(op: string): void {
    this.log.push(op);
    const f = this.failures.get(op.split(' ')[0]);
    if (f) {
      if (!f.always) this.failures.delete(op.split(' ')[0]);
      throw f.error;
    }
  }

  private state(d: FakeDeployment): { state: FlagDeploymentState; pct: number } {
    if (d.final) return { state: d.final, pct: d.final === 'COMPLETE' ? 100 : 0 };
    if (d.validatingUntil !== undefined && this.now < d.validatingUntil) return { state: 'VALIDATING', pct: 0 };
    if (d.stoppingUntil !== undefined) {
      if (this.now < d.stoppingUntil) return { state: 'ROLLING_BACK', pct: 0 };
      d.final = 'ROLLED_BACK';
      d.rollbackReason ??= 'stopped';
      return { state: 'ROLLED_BACK', pct: 0 };
    }
    if (this.alarm === 'ALARM' && this.actionsEnabled) {
      d.final = 'ROLLED_BACK';
      d.rollbackReason = `alarm ${SECTION.monitorAlarmName} in ALARM`;
      return { state: 'ROLLED_BACK', pct: 0 };
    }
    const elapsed = this.now - d.startedAt;
    if (d.strategy === 'strat-kill') {
      if (elapsed < this.killTakesMs) return { state: 'DEPLOYING', pct: Math.floor((elapsed / this.killTakesMs) * 100) };
      d.final = 'COMPLETE';
      return { state: 'COMPLETE', pct: 100 };
    }
    const total = STRATEGY_MS[d.strategy] ?? 0;
    if (elapsed >= total) {
      d.final = 'COMPLETE';
      return { state: 'COMPLETE', pct: 100 };
    }
    const deployMs = total / 2;
    return elapsed < deployMs ? { state: 'DEPLOYING', pct: Math.floor((elapsed / deployMs) * 100) } : { state: 'BAKING', pct: 100 };
  }

  private view(d: FakeDeployment, get = false): FlagDeployment {
    const { state, pct } = this.state(d);
    const shape = STRATEGY_SHAPE[d.strategy];
    return {
      ...(get ? { strategyId: d.strategy } : {}),
      ...(shape ? { growthFactor: shape[0], deploymentDurationMinutes: shape[1], finalBakeTimeMinutes: shape[2] } : {}),
      deploymentNumber: d.deploymentNumber,
      state,
      configurationVersion: d.version,
      percentageComplete: pct,
      startedAt: d.startedAt,
      description: d.description,
      ...(d.rollbackReason ? { rollbackReason: d.rollbackReason } : {}),
      ...(d.otherProfile ? { otherProfile: true } : {}),
    };
  }

  public readonly config = {
    listDeployments: async (): Promise<FlagDeployment[]> => {
      this.call('listDeployments');
      return [...this.deployments].reverse().map((d) => this.view(d));
    },
    getDeployment: async (n: number): Promise<FlagDeployment> => {
      this.call(`getDeployment ${n}`);
      return this.view(this.deployments[n - 1], true);
    },
    /**
     * As the adapter: DEPLOYING stopped (ROLLED_BACK), BAKING stopped with AllowRevert (`reverted`: ROLLED_BACK, as
     * AppConfig's API reference says of an in-progress deployment), VALIDATING/ROLLING_BACK busy, ended `ended`.
     */
    stopDeployment: async (n: number): Promise<FlagStopResult> => {
      this.call(`stopDeployment ${n}`);
      const d = this.deployments[n - 1];
      const state = this.view(d).state;
      if (state === 'VALIDATING' || state === 'ROLLING_BACK') return 'busy';
      if (!FLAG_DEPLOYMENT_RUNNING_STATES.includes(state)) return 'ended';
      if (state === 'BAKING') {
        d.final = 'ROLLED_BACK';
        d.rollbackReason = 'stopped with AllowRevert';
        return 'reverted';
      }
      if (this.stopTakesMs > 0) {
        d.stoppingUntil = this.now + this.stopTakesMs;
        return 'stopped';
      }
      d.final = 'ROLLED_BACK';
      d.rollbackReason = 'stopped';
      return 'stopped';
    },
    readVersion: async (version: string): Promise<string> => {
      this.call(`readVersion ${version}`);
      const c = this.versions.get(version);
      if (c === undefined) throw new Error(`no version ${version}`);
      return c;
    },
    createVersion: async (content: string): Promise<string> => {
      this.call('createVersion');
      const version = String(Math.max(0, ...[...this.versions.keys()].map(Number)) + 1);
      this.versions.set(version, content);
      this.afterCreate?.();
      return version;
    },
    startDeployment: async (version: string, strategy: string, description: string): Promise<number> => {
      this.call(`startDeployment ${version} ${strategy}`);
      this.beforeStart?.();
      this.beforeStart = undefined;
      if (this.deployments.some((d) => FLAG_DEPLOYMENT_RUNNING_STATES.includes(this.view(d).state))) throw new FlagDeploymentConflictError('ConflictException: a deployment is in progress');
      const n = this.deployments.length + 1;
      this.deployments.push({ deploymentNumber: n, version, strategy, startedAt: this.now, description });
      return n;
    },
  };

  public readonly monitor = {
    read: async () => {
      this.call('monitor.read');
      return { state: this.alarm, actionsEnabled: this.actionsEnabled };
    },
    suspend: async () => {
      this.call('monitor.suspend');
      this.actionsEnabled = false;
    },
    resume: async () => {
      this.call('monitor.resume');
      this.actionsEnabled = true;
    },
  };

  public readonly records = {
    read: async (): Promise<VersionedFeatureFlagRecord | undefined> => {
      this.call('records.read');
      return this.stored;
    },
    write: async (record: FeatureFlagRecord, expected: number | undefined): Promise<number> => {
      this.call('records.write');
      if (this.recordConflicts > 0) {
        this.recordConflicts -= 1;
        this.stored = { record: this.stored?.record ?? { changes: [] }, version: (this.stored?.version ?? 0) + 1 };
        throw new ConcurrentFeatureFlagRecordError('changed');
      }
      if (expected !== this.stored?.version) throw new ConcurrentFeatureFlagRecordError(`expected ${expected}, stored ${this.stored?.version}`);
      this.stored = { record: JSON.parse(JSON.stringify(record)) as FeatureFlagRecord, version: (expected ?? 0) + 1 };
      return this.stored.version;
    },
  };

  /** Operations that change something, in order. */
  public mutations(): string[] {
    return this.log.filter((l) => /^(stopDeployment|createVersion|startDeployment|monitor\.suspend|monitor\.resume|records\.write)/.test(l));
  }
}
