import { DrPorts } from './ports';
import { DrEngineOptions, DrillOptions, DrillReport, DrOutcome, DrPlan, DrStatus, FailbackOptions, FailoverOptions, ResumeOptions } from './types';
import { DrContext, DrSettings } from './private/context';
import { guarded } from './private/outcome';
import { failbackIn, failoverIn, resumeIn } from './operations';
import { runDrill } from './drill';
import { readDrStatus } from './dr-status';
import { planDrFailback, planDrFailover } from './dr-plan';

/** Defaults of `DrEngineOptions`. */
export const DR_DEFAULTS = {
  healthyTimeoutMs: 10 * 60_000,
  dnsTimeoutMs: 5 * 60_000,
  pollMs: 5_000,
  regionTimeoutMs: 5_000,
} as const;

/**
 * The disaster-recovery state machine (docs/DISASTER-RECOVERY.md, "State machine"): `normal → failing-over →
 * failed-over → failing-back → normal`, kept in the DR record of both Regions. Every step is written to the record
 * before the next, so a crash anywhere is continued or undone by `resume()`. Operations return an outcome rather
 * than throw; only bad options throw (from the constructor).
 */
export class DrEngine {
  private readonly settings: DrSettings;

  constructor(private readonly ports: DrPorts, private readonly options: DrEngineOptions) {
    this.settings = validate(ports, options);
  }

  /** `dr status`: reads only. */
  public status(): Promise<DrStatus> {
    return readDrStatus(this.context(false));
  }

  /** `dr failover --dry-run`: reads only. */
  public planFailover(options: FailoverOptions): Promise<DrPlan> {
    return planDrFailover(this.context(options.outage), options);
  }

  /** `dr failback --dry-run`: reads only. */
  public planFailback(options: FailbackOptions): Promise<DrPlan> {
    return planDrFailback(this.context(false), options);
  }

  /** `dr failover`: scale the standby up, wait for it, move DNS, verify, record. */
  public failover(options: FailoverOptions): Promise<DrOutcome> {
    const ctx = this.context(options.outage);
    return guarded(ctx, 'failover', () => failoverIn(ctx, options, 'failover'));
  }

  /** `dr failback`: DNS back to a healthy primary serving the same version, then the standby's capacity back. */
  public failback(options: FailbackOptions): Promise<DrOutcome> {
    const ctx = this.context(false);
    return guarded(ctx, 'failback', () => failbackIn(ctx, options));
  }

  /** `dr drill`: failover, hold and verify, failback, report. */
  public drill(options: DrillOptions): Promise<DrillReport> {
    if (!Number.isFinite(options.holdMs) || options.holdMs < 0) throw new Error(`holdMs must be a non-negative number of ms, got ${options.holdMs}: pass --hold as a duration such as 10m`);
    if (options.verifyEveryMs !== undefined && !(options.verifyEveryMs > 0)) throw new Error(`verifyEveryMs must be positive, got ${options.verifyEveryMs}`);
    return runDrill(() => this.context(false), options);
  }

  /** `dr resume`: continue (or undo) the operation in the record. */
  public resume(options: ResumeOptions = {}): Promise<DrOutcome> {
    const ctx = this.context(false);
    return guarded(ctx, 'resume', () => resumeIn(ctx, options)).then((o) => ({ ...o, kind: 'resume' }));
  }

  private context(outage: boolean): DrContext {
    return new DrContext(this.ports, this.options, this.settings, outage);
  }
}

function validate(ports: DrPorts, options: DrEngineOptions): DrSettings {
  const { dr } = options;
  if (!options.service) throw new Error(`DrEngineOptions.service must be a service name, got ${JSON.stringify(options.service)}`);
  if (!options.owner) throw new Error(`DrEngineOptions.owner must name who operates (host/pid or watcher), got ${JSON.stringify(options.owner)}`);
  if (ports.primary.region !== dr.primaryRegion) {
    throw new Error(`ports.primary is in ${ports.primary.region} but DrEngineOptions.dr.primaryRegion is ${dr.primaryRegion}: give the primary Region's ports as primary`);
  }
  if (ports.standby.region !== dr.standbyRegion) {
    throw new Error(`ports.standby is in ${ports.standby.region} but DrEngineOptions.dr.standbyRegion is ${dr.standbyRegion}: give the standby Region's ports as standby`);
  }
  const settings = {
    service: options.service,
    owner: options.owner,
    healthyTimeoutMs: options.healthyTimeoutMs ?? DR_DEFAULTS.healthyTimeoutMs,
    dnsTimeoutMs: options.dnsTimeoutMs ?? DR_DEFAULTS.dnsTimeoutMs,
    pollMs: options.pollMs ?? DR_DEFAULTS.pollMs,
    regionTimeoutMs: options.regionTimeoutMs ?? DR_DEFAULTS.regionTimeoutMs,
    ...(options.deadlineAt !== undefined ? { deadlineAt: options.deadlineAt } : {}),
  };
  for (const key of ['healthyTimeoutMs', 'dnsTimeoutMs', 'pollMs', 'regionTimeoutMs'] as const) {
    const v = settings[key];
    if (!Number.isFinite(v) || v <= 0) throw new Error(`DrEngineOptions.${key} must be a positive number of ms, got ${v}: leave it out for the default (${DR_DEFAULTS[key]})`);
  }
  return settings;
}
