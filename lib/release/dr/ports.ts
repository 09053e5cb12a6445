/**
 * Ports of the disaster-recovery state machine (lib/release/dr). Like the release engine's, they are interfaces only:
 * lib/aws/ implements them with the SDK (one set per Region), tests with fakes. Nothing here imports an SDK.
 */
import type { ColourName, DrRecord } from '../../contract';
import type { CapacityState, Clock, TargetHealthCount, Weights } from '../ports';

export type { DrRecord } from '../../contract';

/** Which side of the pair. */
export type DrSide = 'primary' | 'standby';

/** A stored copy of the DR record in one Region, with that copy's compare-and-set version. */
export interface VersionedDrRecord {
  readonly record: DrRecord;
  /** Opaque version of this Region's copy; pass it back to `write`. */
  readonly version: number;
}

/** Raised by `DrRecordCopy.write` when that Region's copy changed since it was read. */
export class ConcurrentDrOperationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentDrOperationError';
  }
}

/** The DR record's copy in one Region (the release-state table's `<service>#dr` item). */
export interface DrRecordCopy {
  /** The copy, or undefined when the Region never had one. Throws when the Region cannot be reached. */
  read(): Promise<VersionedDrRecord | undefined>;
  /**
   * Write `record` if this copy is still at `expectedVersion` (undefined: none stored yet).
   *
   * @returns the new version
   * @throws ConcurrentDrOperationError when the copy changed; any other error when the Region cannot be reached
   */
  write(record: DrRecord, expectedVersion: number | undefined): Promise<number>;
}

/** What a release in progress in a Region looks like to a DR operation. */
export interface ReleaseActivity {
  /** True when a release is in progress and its holder's lease is live. */
  readonly inProgress: boolean;
  /** One line: which release, who holds it. */
  readonly detail: string;
}

/** One Region's service, as the DR state machine reads and changes it. */
export interface RegionService {
  /** The Region, e.g. `eu-west-1`. */
  readonly region: string;
  /** Production weights (the live colour is the one at 100, or the larger). */
  weights(): Promise<Weights>;
  /** Image fingerprint the colour's last deploy put on it (descriptor `colours.<c>.image`). */
  image(colour: ColourName): Promise<string>;
  /** Capacity of a colour's group. */
  capacity(colour: ColourName): Promise<CapacityState>;
  /** Set a colour's min and desired to `desired` (max unchanged; the caller bounds `desired` by it). */
  scaleTo(colour: ColourName, desired: number): Promise<void>;
  /** Put a colour back to its deployed capacity mode's sizes (what the stack configured for this Region). */
  restoreDeployedCapacity(colour: ColourName): Promise<void>;
  /** Target health of a colour. */
  health(colour: ColourName): Promise<TargetHealthCount>;
  /** Names of alarms in ALARM among the colour's gate and the Region's health alarm. */
  firingAlarms(colour: ColourName): Promise<string[]>;
  /** Whether a release holds this Region's release record. */
  releaseActivity(): Promise<ReleaseActivity>;
  /** The DR record's copy in this Region. */
  readonly record: DrRecordCopy;
}

/** The drill switch: a metric written with PutMetricData (data plane) and its alarm, both in the standby Region. */
export interface DnsSwitch {
  /** Write the switch value: true = DNS must answer the standby, false = back to the primary. */
  set(failedOver: boolean): Promise<void>;
  /** The switch alarm's state: `ALARM` (failed over), `OK`, or `INSUFFICIENT_DATA` (never set: treated as OK). */
  state(): Promise<'ALARM' | 'OK' | 'INSUFFICIENT_DATA'>;
}

/** What Route 53 answers for the failover record. */
export interface DnsAnswers {
  /**
   * Which side the record resolves to now, from a fresh (uncached) lookup: real AWS resolves the record and the two
   * Regions' own records and compares addresses (and may ask TestDNSAnswer); `unknown` when it cannot tell.
   */
  answering(): Promise<DrSide | 'unknown'>;
}

/** A Route 53 health check's state; `unknown` when Route 53 did not answer or its answer cannot tell. */
export type HealthCheckState = 'healthy' | 'unhealthy' | 'unknown';

/**
 * Route 53's own view of the failover record, from its control plane (global, in us-east-1), for `dr status` only: no
 * operation depends on it. Every method answers rather than throws: a call that fails gives `unknown` or undefined.
 */
export interface Route53View {
  /**
   * The health checks of the failover record's PRIMARY and SECONDARY records, from the record configuration
   * (ListResourceRecordSets). A side is absent when its record has no check, or the zone could not be read.
   */
  failoverHealthChecks(hostedZoneId: string, recordName: string): Promise<Partial<Record<DrSide, string>>>;
  /** A check's state as Route 53's checkers report it (a calculated check: from its children). */
  healthCheckStatus(id: string): Promise<HealthCheckState>;
  /** The IPv4 addresses Route 53 answers for `name` (TestDNSAnswer, type A); undefined when it did not answer. */
  testDnsAnswer(hostedZoneId: string, name: string): Promise<string[] | undefined>;
}

/** Result of one request. */
export interface ProbeResult {
  readonly ok: boolean;
  /** HTTP status, when a response came. */
  readonly status?: number;
  /** Error text, when none did. */
  readonly error?: string;
  /** Round trip, ms. */
  readonly ms: number;
}

/** Requests to the health path, as a client makes them. */
export interface EndpointProbe {
  /** GET the health path through a side's own record (its load balancer). */
  region(side: DrSide): Promise<ProbeResult>;
  /** GET the health path through the failover record, resolved afresh; `servedBy` says which side answered. */
  record(): Promise<ProbeResult & { readonly servedBy: DrSide | 'unknown' }>;
}

/** One thing that happened, for progress output and `--json`. */
export interface DrEvent {
  readonly type: string;
  readonly message: string;
  readonly at: number;
  readonly region?: string;
}

/** Where events go. */
export interface DrLogger {
  event(event: DrEvent): void;
}

/** Every port of the DR state machine. */
export interface DrPorts {
  readonly primary: RegionService;
  readonly standby: RegionService;
  readonly dnsSwitch: DnsSwitch;
  readonly dns: DnsAnswers;
  readonly probe: EndpointProbe;
  /** Route 53's view, for `dr status`. @default - none: status shows no health checks or TestDNSAnswer */
  readonly route53?: Route53View;
  readonly clock: Clock;
  readonly logger: DrLogger;
}
