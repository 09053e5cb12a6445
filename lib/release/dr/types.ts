/**
 * What the DR state machine takes and gives back. The engine (`DrEngine` in engine.ts) implements:
 *
 *   new DrEngine(ports: DrPorts, options: DrEngineOptions)
 *   status(): Promise<DrStatus>
 *   planFailover(options: FailoverOptions): Promise<DrPlan>     // --dry-run: reads only
 *   failover(options: FailoverOptions): Promise<DrOutcome>
 *   planFailback(options: FailbackOptions): Promise<DrPlan>
 *   failback(options: FailbackOptions): Promise<DrOutcome>
 *   drill(options: DrillOptions): Promise<DrillReport>           // failover, hold, verify, failback
 *   resume(options?: ResumeOptions): Promise<DrOutcome>          // continue or undo the operation in the record
 *
 * and, for the standby's watcher Lambda, the pure `decideWatch(input: WatchInput): WatchDecision` (watch.ts).
 */
import type { DisasterRecoveryDescriptor, DrPhase, DrRecord, DrTimelineEntry } from '../../contract';
import type { DrSide, HealthCheckState } from './ports';

/** Options of the engine. */
export interface DrEngineOptions {
  /** Service name. */
  readonly service: string;
  /** Who drives operations (host/pid, or `watcher`). */
  readonly owner: string;
  /** The standby Region's `disasterRecovery` descriptor section (Regions, percentages, DNS timing, endpoint). */
  readonly dr: DisasterRecoveryDescriptor;
  /** Longest wait for the standby's (or primary's) targets to become healthy. @default 10 minutes */
  readonly healthyTimeoutMs?: number;
  /** Longest wait for the switch alarm and for DNS to answer the other side. @default 5 minutes */
  readonly dnsTimeoutMs?: number;
  /** Time between polls. @default 5 s */
  readonly pollMs?: number;
  /** Longest wait on a read or write of the primary Region before treating it as unreachable. @default 5 s */
  readonly regionTimeoutMs?: number;
  /**
   * Epoch ms after which the engine stops at the next safe point and leaves the operation in the record for
   * `resume()` (the watcher Lambda runs at most 15 minutes). @default - none
   */
  readonly deadlineAt?: number;
}

/** Options of a failover. */
export interface FailoverOptions {
  /** Who asks. */
  readonly trigger: 'cli' | 'watcher';
  /**
   * A real outage: the primary Region is not read or locked beyond `regionTimeoutMs`, and no release lock in it is
   * waited on. Without it, the primary must answer and hold no release.
   */
  readonly outage: boolean;
  /** Serve the standby's version even when it differs from what the primary served. @default false */
  readonly allowSkew?: boolean;
}

/** Options of a failback. */
export interface FailbackOptions {
  /** Fail back although the primary serves another version than the standby. @default false */
  readonly allowSkew?: boolean;
}

/** Options of a drill. */
export interface DrillOptions {
  /** How long to stay failed over, verifying, before failing back. */
  readonly holdMs: number;
  /** Time between verification requests during the hold. @default 10 s */
  readonly verifyEveryMs?: number;
  /** Serve the standby's version even when it differs from the primary's. @default false */
  readonly allowSkew?: boolean;
}

/** Options of resume. */
export interface ResumeOptions {
  /** Undo the interrupted operation instead of finishing it. @default false */
  readonly undo?: boolean;
  /**
   * Take the operation over although its holder wrote a heartbeat within the lease (it may still be running: two
   * processes would then drive it at once until a compare-and-set write stops one). @default false
   */
  readonly takeOver?: boolean;
}

/** One step a command would take, for --dry-run. */
export interface DrPlanStep {
  readonly action: string;
  readonly detail: string;
}

/** What a failover or failback would do, or why it would be refused. */
export interface DrPlan {
  readonly kind: 'failover' | 'failback';
  /** Refusal, when it would be refused (with the fix). */
  readonly refused?: string;
  readonly steps: readonly DrPlanStep[];
}

/**
 * How an operation ended:
 * - `done`: it completed;
 * - `refused`: nothing was changed (preconditions failed: unhealthy primary, skew, a release in progress...);
 * - `undone`: it failed part way and was undone (DNS never left the side it started on);
 * - `failed`: it failed and could not be undone: the record says where it stopped, `resume` continues;
 * - `suspended`: the deadline came; `resume` continues.
 */
export type DrResult = 'done' | 'refused' | 'undone' | 'failed' | 'suspended';

/** The end of a failover, failback or resume. */
export interface DrOutcome {
  readonly kind: 'failover' | 'failback' | 'drill' | 'resume';
  readonly result: DrResult;
  /** The record's phase afterwards. */
  readonly phase: DrPhase;
  /** One line for people, with the next command when there is one. */
  readonly message: string;
  /** Operation id. */
  readonly operationId?: string;
  readonly timeline: readonly DrTimelineEntry[];
}

/** One Region in `dr status`. */
export interface DrRegionStatus {
  readonly region: string;
  readonly side: DrSide;
  /** Whether it could be read (false during an outage). */
  readonly reachable: boolean;
  readonly error?: string;
  readonly liveColour?: string;
  readonly image?: string;
  readonly desired?: number;
  readonly healthy?: number;
  readonly firingAlarms?: readonly string[];
  /** A release in progress, if one is. */
  readonly release?: string;
  /** The health check of this Region's failover record and its state, when Route 53 is read (`DrPorts.route53`). */
  readonly healthCheck?: { readonly id: string; readonly status: HealthCheckState };
}

/** `dr status`. */
export interface DrStatus {
  readonly service: string;
  readonly record?: DrRecord;
  /** Regions whose copy of the record could be read. */
  readonly recordRegions: readonly string[];
  readonly primary: DrRegionStatus;
  readonly standby: DrRegionStatus;
  readonly switchState: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' | 'unknown';
  /** Which side Route 53 answers with, as DNS resolves it (`DrPorts.dns`). */
  readonly dnsAnswering: DrSide | 'unknown';
  /**
   * Which side Route 53 answers with, as its TestDNSAnswer says: the failover record's addresses compared with the two
   * Region records'. Present when Route 53 is read (`DrPorts.route53`).
   */
  readonly route53Answer?: DrSide | 'unknown';
  readonly ttlSeconds: number;
  /** interval × threshold + TTL + alarm period, seconds. */
  readonly worstCaseFailoverSeconds: number;
  /** Images differ between the two Regions' live colours. */
  readonly versionSkew: boolean;
}

/** A capacity reading during a drill. */
export interface CapacitySample {
  readonly at: number;
  readonly side: DrSide;
  readonly desired: number;
  readonly healthy: number;
}

/** The drill report (also rendered as Markdown by `renderDrillMarkdown`). */
export interface DrillReport {
  readonly schemaVersion: 1;
  readonly service: string;
  readonly drillId: string;
  readonly primaryRegion: string;
  readonly standbyRegion: string;
  readonly standbyMode: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** `passed`, or `failed: <why>`. */
  readonly outcome: string;
  /** Phases with timestamps (epoch ms) and durations from the trigger. */
  readonly timeline: readonly DrTimelineEntry[];
  /** Trigger to first successful request through the standby, ms (client-observed), when reached. */
  readonly recoveryMs?: number;
  /** Failback trigger to first successful request through the primary, ms. */
  readonly failbackMs?: number;
  /** interval × threshold + TTL + alarm period, seconds: the worst case the DNS settings imply for a real outage. */
  readonly worstCaseDnsSeconds: number;
  /** The DNS settings behind it. */
  readonly dns: { readonly ttlSeconds: number; readonly intervalSeconds: number; readonly failureThreshold: number; readonly alarmPeriodSeconds: number };
  readonly capacity: readonly CapacitySample[];
  /** Image each side served. */
  readonly versions: { readonly primary?: string; readonly standby?: string };
  /** Verification requests during the hold: how many, how many succeeded. */
  readonly holdChecks: { readonly total: number; readonly ok: number };
  /** What the drill left running (only what the standby mode keeps). */
  readonly leftRunning: string;
}

/** What the standby's watcher sees on one tick. */
export interface WatchInput {
  readonly now: number;
  /** Newest DR record readable from the standby (undefined: none yet). */
  readonly record?: DrRecord;
  /** One probe of the primary's Region record (its load balancer). */
  readonly primaryProbe: { readonly ok: boolean; readonly detail: string };
  /** Consecutive failed probes needed to fail over. */
  readonly failureThreshold: number;
  /** The switch alarm's state. */
  readonly switchState: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
}

/**
 * What the watcher does on a tick:
 * - `none`; `count-failure` / `reset-failures` (write the counter);
 * - `failover`: run `failover({ trigger: 'watcher', outage: true })`;
 * - `resume`: an operation is in flight and its holder is gone: `resume()`;
 * - `latch`: failed over but the switch reads OK: write it again.
 */
export interface WatchDecision {
  readonly action: 'none' | 'count-failure' | 'reset-failures' | 'failover' | 'resume' | 'latch';
  readonly reason: string;
}
