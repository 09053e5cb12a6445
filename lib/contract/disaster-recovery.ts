/**
 * Disaster recovery across two Regions: the names and shapes the constructs, the standby's watcher Lambda, the DR
 * state machine and the `bluegreen dr` commands share. See docs/ARCHITECTURE.md, "Disaster recovery".
 *
 * Each Region's stack publishes its half in its own descriptor (`disasterRecovery`); nothing refers across Regions
 * except by these deterministic names.
 */

/** What a Region's service is to the pair: the primary serves; the standby waits and takes over. */
export type RegionRoleName = 'primary' | 'standby';
export const REGION_ROLE_NAMES: readonly RegionRoleName[] = ['primary', 'standby'];

/**
 * How the standby waits: `pilot-light` (load balancer up, colours at zero) or `warm-standby` (the live colour at a
 * fraction of the primary's serving capacity).
 */
export type StandbyModeName = 'pilot-light' | 'warm-standby';
export const STANDBY_MODE_NAMES: readonly StandbyModeName[] = ['pilot-light', 'warm-standby'];

/**
 * Phases of the pair: `normal` (DNS answers the primary) → `failing-over` → `failed-over` (DNS answers the standby,
 * latched) → `failing-back` → `normal`.
 */
export type DrPhase = 'normal' | 'failing-over' | 'failed-over' | 'failing-back';
export const DR_PHASES: readonly DrPhase[] = ['normal', 'failing-over', 'failed-over', 'failing-back'];

/** Namespace of the drill switch metric, written with PutMetricData (CloudWatch's data plane) in the standby Region. */
export const DR_SWITCH_NAMESPACE = 'cdk-bluegreen/DR';
/** The drill switch metric: 1 = DNS must answer the standby (latched), 0 = back to normal. Dimension `Service`. */
export const DR_SWITCH_METRIC = 'FailoverSwitch';
/** Dimension of the switch metric. */
export const DR_SWITCH_DIMENSION = 'Service';

/** Name of the drill switch alarm, in the standby Region (so a dead primary Region cannot hold it). */
export function drSwitchAlarmName(service: string): string {
  return `bluegreen-${service}-dr-switch`;
}

/** Name of a Region's health alarm (load-balancer 5xx), which the primary's failover health check watches. */
export function drRegionHealthAlarmName(service: string, region: string): string {
  return `bluegreen-${service}-dr-health-${region}`;
}

/** The key of the DR record in each Region's release-state table (partition key `service`). */
export function drRecordKey(service: string): string {
  return `${service}#dr`;
}

/** A Region's own record, beside the failover record: `<region>.<recordName>`, for probes and verification. */
export function regionalRecordName(region: string, recordName: string): string {
  return `${region}.${recordName}`;
}

/** Route 53's failover timing, as the constructs configure it. */
export interface DnsTimingDescriptor {
  /** Record TTL, seconds (alias records to a load balancer: 60). */
  readonly ttlSeconds: number;
  /** Health-check request interval, seconds (10 or 30). */
  readonly intervalSeconds: number;
  /** Health-check failure threshold (1 to 10). */
  readonly failureThreshold: number;
  /** Period of the switch and health alarms, seconds. */
  readonly alarmPeriodSeconds: number;
}

/** Where the service answers, for probes: `<protocol>://<host>:<port><healthPath>`. */
export interface DrEndpointDescriptor {
  /** `HTTP` or `HTTPS` (certificates are not validated by probes, as Route 53's HTTPS checks do not). */
  readonly protocol: string;
  /** The production listener port. */
  readonly port: number;
  /** The health path of the target groups. */
  readonly healthPath: string;
}

/** A Region's half of a disaster-recovery pair, in its descriptor (`disasterRecovery`). */
export interface DisasterRecoveryDescriptor {
  /** This Region's role. */
  readonly role: RegionRoleName;
  /** The primary Region. */
  readonly primaryRegion: string;
  /** The standby Region. */
  readonly standbyRegion: string;
  /** How the standby waits. */
  readonly standbyMode: StandbyModeName;
  /** Warm standby: the standby's serving size as a percentage of the primary's; 0 for pilot light. */
  readonly standbyCapacityPercent: number;
  /** On failover: the standby's live colour is scaled to this percentage of the primary's last known desired capacity. */
  readonly failoverCapacityPercent: number;
  /** Whether a failover may serve a version older than the primary served (otherwise refused). */
  readonly allowVersionSkew: boolean;
  /** Hosted zone id (no lookups). */
  readonly hostedZoneId: string;
  /** Hosted zone name, without the trailing dot. */
  readonly zoneName: string;
  /** The failover record's name (PRIMARY and SECONDARY share it), without the trailing dot. */
  readonly recordName: string;
  /** This Region's own record, `regionalRecordName(region, recordName)`. */
  readonly regionalRecordName: string;
  /** Route 53's timing. */
  readonly dns: DnsTimingDescriptor;
  /** Where probes reach the service. */
  readonly endpoint: DrEndpointDescriptor;
  /** The drill switch alarm (in the standby Region). */
  readonly switchAlarmName: string;
  /** This Region's health alarm (load-balancer 5xx). */
  readonly healthAlarmName: string;
  /** Route 53 health check of this Region's failover record, when it has one (the primary's). */
  readonly healthCheckId?: string;
  /** The standby's watcher function (standby only). */
  readonly watcherFunctionName?: string;
}

/** Something that happened during a DR operation, with its time (epoch ms). */
export interface DrTimelineEntry {
  /** Phase mark, e.g. `decision`, `capacity-requested`, `standby-healthy`, `dns-moved`, `dns-answering-standby`, `first-success-standby`. */
  readonly mark: string;
  /** Epoch ms. */
  readonly at: number;
  /** One line for people. */
  readonly detail?: string;
}

/** The operation a DR record is in the middle of (absent in `normal` and `failed-over` when nothing runs). */
export interface DrOperation {
  /** Unique id (also names the drill report). */
  readonly id: string;
  /** `failover`, `failback` or `drill`. */
  readonly kind: 'failover' | 'failback' | 'drill';
  /** Who started it: `cli` (an operator or pipeline) or `watcher` (the standby's Lambda). */
  readonly trigger: 'cli' | 'watcher';
  /** Whether the primary Region was unreachable (an outage): no lock or table in it was waited on. */
  readonly outage: boolean;
  /** Owner (host/pid or `watcher`). */
  readonly owner: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms of the last write: a heartbeat. */
  readonly updatedAt: number;
  /** The last step done, so a new process resumes after it. */
  readonly step: string;
  /** The standby's live colour and the capacity asked of it. */
  readonly standbyColour?: string;
  readonly targetCapacity?: number;
  /** Timeline so far. */
  readonly timeline: readonly DrTimelineEntry[];
}

/** Summary of the last drill, for `dr status`. */
export interface DrDrillSummary {
  readonly id: string;
  readonly finishedAt: number;
  readonly outcome: string;
  /** Client-observed recovery time, ms, when measured. */
  readonly recoveryMs?: number;
  /** Where the report was written. */
  readonly report?: string;
}

/**
 * The DR record of a service: written to the release-state table of **both** Regions (key `drRecordKey(service)`),
 * each copy with its own compare-and-set version, the record's `generation` ordering copies. Readers take the
 * highest generation among the Regions they reach, so the record survives the loss of either Region.
 */
export interface DrRecord {
  readonly service: string;
  /** Monotonic across both copies: every write is the highest generation read + 1. */
  readonly generation: number;
  readonly phase: DrPhase;
  /** Region DNS is meant to answer with. */
  readonly activeRegion: string;
  /** Epoch ms of the last phase change. */
  readonly since: number;
  /** Why the last phase change happened. */
  readonly reason?: string;
  /** Primary's live colour desired capacity, last known (watchers and commands refresh it while the primary answers). */
  readonly primaryDesired?: number;
  /** Primary's live image fingerprint, last known. */
  readonly primaryImage?: string;
  /** Epoch ms of `primaryDesired`/`primaryImage`. */
  readonly primarySeenAt?: number;
  /** Consecutive failed probes of the primary by the watcher. */
  readonly watcherFailures?: number;
  /** The operation in flight, if any. */
  readonly operation?: DrOperation;
  /** The last drill. */
  readonly lastDrill?: DrDrillSummary;
}

/** Worst-case seconds from a primary failure to Route 53 answering the standby: interval × threshold + TTL + alarm period. */
export function worstCaseFailoverSeconds(dns: DnsTimingDescriptor): number {
  return dns.intervalSeconds * dns.failureThreshold + dns.ttlSeconds + dns.alarmPeriodSeconds;
}

/** Problems of a `disasterRecovery` section, one per entry (empty when it is valid). */
export function disasterRecoveryProblems(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'object' || raw === null) return ['disasterRecovery must be an object'];
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];
  const str = (key: string) => {
    if (typeof r[key] !== 'string' || r[key] === '') problems.push(`disasterRecovery.${key} must be a non-empty string, got ${JSON.stringify(r[key])}`);
  };
  ['primaryRegion', 'standbyRegion', 'hostedZoneId', 'zoneName', 'recordName', 'regionalRecordName', 'switchAlarmName', 'healthAlarmName'].forEach(str);
  if (!REGION_ROLE_NAMES.includes(r.role as RegionRoleName)) problems.push(`disasterRecovery.role must be one of ${REGION_ROLE_NAMES.join(', ')}, got ${JSON.stringify(r.role)}`);
  if (!STANDBY_MODE_NAMES.includes(r.standbyMode as StandbyModeName)) problems.push(`disasterRecovery.standbyMode must be one of ${STANDBY_MODE_NAMES.join(', ')}, got ${JSON.stringify(r.standbyMode)}`);
  for (const key of ['standbyCapacityPercent', 'failoverCapacityPercent']) {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) problems.push(`disasterRecovery.${key} must be an integer 0-100, got ${JSON.stringify(v)}`);
  }
  const dns = r.dns as Record<string, unknown> | undefined;
  for (const key of ['ttlSeconds', 'intervalSeconds', 'failureThreshold', 'alarmPeriodSeconds']) {
    const v = dns?.[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) problems.push(`disasterRecovery.dns.${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const endpoint = r.endpoint as Record<string, unknown> | undefined;
  if (typeof endpoint?.protocol !== 'string' || typeof endpoint?.port !== 'number' || typeof endpoint?.healthPath !== 'string') {
    problems.push(`disasterRecovery.endpoint must have protocol, port and healthPath, got ${JSON.stringify(endpoint)}`);
  }
  if (typeof r.primaryRegion === 'string' && r.primaryRegion === r.standbyRegion) {
    problems.push(`disasterRecovery.standbyRegion must differ from primaryRegion (${r.primaryRegion})`);
  }
  return problems;
}

/** Environment variables the `RegionalFailover` construct sets on the standby's watcher function, which reads them. */
export const DR_WATCHER_ENV = {
  /** Name of the service. */
  SERVICE_NAME: 'BLUEGREEN_SERVICE',
  /** SSM parameter with this (the standby) Region's descriptor, whose `disasterRecovery` section drives the watcher. */
  DESCRIPTOR_PARAMETER: 'BLUEGREEN_DESCRIPTOR_PARAMETER',
  /** Consecutive failed probes of the primary before the watcher fails over (a whole number, 1 or more). */
  FAILURE_THRESHOLD: 'BLUEGREEN_DR_WATCHER_FAILURE_THRESHOLD',
} as const;
