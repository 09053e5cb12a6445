/**
 * Self-healing with quarantine: the names and shapes the constructs, the quarantine Lambda, the pure decision logic
 * (lib/release/quarantine) and the `bluegreen quarantine` commands share. See docs/ARCHITECTURE.md, "Healing".
 *
 * A health-driven termination of a colour's instance reaches the group's termination lifecycle hook; the quarantine
 * function keeps up to the caps (isolated, tagged, evidence captured) by abandoning the hook, which the group's
 * instance lifecycle policy turns into a Retained instance outside desired capacity. Everything else continues.
 */
import { ColourName, isColourName } from './colours';

/** Name of the termination lifecycle hook on both colours' groups. */
export const QUARANTINE_HOOK_NAME = 'bluegreen-quarantine';

/** The key of the quarantine record in the release-state table (partition key `service`). */
export function quarantineRecordKey(service: string): string {
  return `${service}#quarantine`;
}

/** Default time a kept instance is kept: 24 hours. */
export const QUARANTINE_DEFAULT_RETENTION_SECONDS = 24 * 3600;
/** Longest time an instance may be kept, counted from when it was kept (extensions included): 7 days. */
export const QUARANTINE_MAX_RETENTION_SECONDS = 7 * 24 * 3600;
/** Shortest retention the construct accepts: 1 hour. */
export const QUARANTINE_MIN_RETENTION_SECONDS = 3600;

/**
 * Tags on a kept instance (beside `bluegreen:service` and `bluegreen:colour`, which every instance has). Values are
 * at most 256 characters: reasons are cut to fit.
 */
export const QUARANTINE_TAGS = {
  /** `kept` once isolated. */
  STATE: 'bluegreen:quarantine',
  /** Why: the group's cause and the load balancer's reason, `; `-separated. */
  REASONS: 'bluegreen:quarantine-reasons',
  /** When it was kept (ISO 8601). */
  SINCE: 'bluegreen:quarantine-since',
  /** When the retention ends (ISO 8601); `quarantine extend` moves it. */
  EXPIRES: 'bluegreen:quarantine-expires',
  /** The image (AMI id) it ran. */
  IMAGE: 'bluegreen:quarantine-image',
  /** Its security groups before isolation, space-separated. */
  ORIGINAL_GROUPS: 'bluegreen:quarantine-original-groups',
} as const;

/** Every quarantine tag key (what the IAM conditions allow to be written). */
export const QUARANTINE_TAG_KEYS: readonly string[] = Object.values(QUARANTINE_TAGS);

/** Tag keys the `bluegreen quarantine extend` command writes. */
export const QUARANTINE_EXTEND_TAG_KEYS: readonly string[] = [QUARANTINE_TAGS.EXPIRES];

/** The gauge the quarantine function publishes per colour: health-driven replacements within the flapping window. */
export const HEALING_METRIC = {
  NAMESPACE: 'cdk-bluegreen',
  RECENT_REPLACEMENTS: 'RecentUnhealthyReplacements',
  SERVICE_DIMENSION: 'Service',
  COLOUR_DIMENSION: 'Colour',
} as const;

/** Environment of the quarantine function. */
export const QUARANTINE_ENV = {
  SERVICE_NAME: 'BLUEGREEN_SERVICE',
  RELEASE_STATE_TABLE: 'BLUEGREEN_RELEASE_STATE_TABLE',
} as const;

/** The `source` of the scheduled event that runs the sweep (retention, stale claims, the flapping gauge). */
export const QUARANTINE_SWEEP_SOURCE = 'cdk-bluegreen.quarantine-sweep';

/** The descriptor's `healing` section: what the quarantine function and the CLI need. */
export interface HealingDescriptor {
  /** Absent when the service only replaces (no hook, nothing kept). */
  readonly quarantine?: QuarantineDescriptor;
}

/** Quarantine settings, as the construct deployed them. */
export interface QuarantineDescriptor {
  /** Sick instances kept per colour at most (0: count replacements, keep none). */
  readonly keepPerColour: number;
  /** Sick instances kept per service at most. */
  readonly keepPerService: number;
  /** Time an instance is kept, seconds (1 hour to 7 days). */
  readonly retentionSeconds: number;
  /** Whether kept instances' EBS volumes are snapshotted. */
  readonly snapshots: boolean;
  /** Health-driven replacements of one colour within the window that raise its flapping alarm. */
  readonly flappingReplacements: number;
  /** The flapping window, seconds. */
  readonly flappingWindowSeconds: number;
  /** The termination lifecycle hook's name on both groups. */
  readonly hookName: string;
  /** The hook's heartbeat timeout, seconds: a claim older than this is stale. */
  readonly hookTimeoutSeconds: number;
  /** The security group kept instances are moved to: no inbound, HTTPS out for Session Manager. */
  readonly securityGroupId: string;
  /** Bucket the evidence (console output, scaling activity, target health) is written to. */
  readonly evidenceBucket: string;
  /** Key prefix of the evidence, ending in `/`: `quarantine/<service>/`. */
  readonly evidencePrefix: string;
}

/** Where a kept instance is in its quarantine. */
export type QuarantineEntryState = 'isolating' | 'kept';

/** One instance claimed for (or kept in) quarantine. */
export interface QuarantineEntry {
  readonly instanceId: string;
  readonly colour: ColourName;
  readonly autoScalingGroupName: string;
  /** `isolating` from the claim until the hook is abandoned; `kept` after. */
  readonly state: QuarantineEntryState;
  /** When the claim was made (ISO 8601). */
  readonly claimedAt: string;
  /** The lifecycle action's token, to tell a retry of the same action from a new one. */
  readonly lifecycleActionToken: string;
  /** When it was kept (ISO 8601); absent while isolating. */
  readonly since?: string;
  /** When the retention ends (ISO 8601). */
  readonly expiresAt: string;
  /** The group's cause and the load balancer's reason. */
  readonly reasons: readonly string[];
  /** The AMI id the instance ran, when known. */
  readonly imageId?: string;
  /** Security groups before isolation. */
  readonly originalSecurityGroups?: readonly string[];
  /** `s3://bucket/key` of the evidence, when captured. */
  readonly evidence?: string;
  /** Snapshot ids, when taken. */
  readonly snapshots?: readonly string[];
  /** Who last extended the retention, and when (ISO 8601). */
  readonly extended?: { readonly by: string; readonly at: string };
}

/** One health-driven replacement, for the flapping count. */
export interface ReplacementMark {
  readonly colour: ColourName;
  readonly instanceId: string;
  /** ISO 8601. */
  readonly at: string;
}

/** The quarantine record: the `<service>#quarantine` item's `record` attribute (JSON), written with compare-and-set. */
export interface QuarantineRecord {
  readonly schemaVersion: 1;
  readonly service: string;
  /** Claimed and kept instances. */
  readonly entries: readonly QuarantineEntry[];
  /** Health-driven replacements within the flapping window (older marks are dropped on every write). */
  readonly replacements: readonly ReplacementMark[];
}

/** An empty record for `service`. */
export function emptyQuarantineRecord(service: string): QuarantineRecord {
  return { schemaVersion: 1, service, entries: [], replacements: [] };
}

/** The stored record is not one this code understands. */
export class InvalidQuarantineRecordError extends Error {
  constructor(service: string, problem: string) {
    super(`Invalid quarantine record of ${service} (item ${quarantineRecordKey(service)}): ${problem}. Fix or delete the item; kept instances stay tagged ${QUARANTINE_TAGS.STATE}=kept.`);
    this.name = 'InvalidQuarantineRecordError';
  }
}

/** Parse a stored record, checking the fields the code relies on. */
export function parseQuarantineRecord(json: string, service: string): QuarantineRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new InvalidQuarantineRecordError(service, `not JSON (${(e as Error).message})`);
  }
  const r = raw as Partial<QuarantineRecord>;
  if (typeof raw !== 'object' || raw === null) throw new InvalidQuarantineRecordError(service, 'not an object');
  if (r.schemaVersion !== 1) throw new InvalidQuarantineRecordError(service, `schemaVersion is ${JSON.stringify(r.schemaVersion)}, expected 1`);
  if (!Array.isArray(r.entries)) throw new InvalidQuarantineRecordError(service, 'entries is not a list');
  if (!Array.isArray(r.replacements)) throw new InvalidQuarantineRecordError(service, 'replacements is not a list');
  for (const e of r.entries) {
    if (typeof e?.instanceId !== 'string' || !isColourName(e.colour) || (e.state !== 'isolating' && e.state !== 'kept') || typeof e.expiresAt !== 'string') {
      throw new InvalidQuarantineRecordError(service, `entry ${JSON.stringify(e)} lacks instanceId, colour, state or expiresAt`);
    }
  }
  return { schemaVersion: 1, service: typeof r.service === 'string' ? r.service : service, entries: r.entries, replacements: r.replacements };
}

/** Problems of a descriptor's `healing` section (empty when it is absent or valid). */
export function healingProblems(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'object' || raw === null) return [`healing must be an object, got ${JSON.stringify(raw)}`];
  const q = (raw as { quarantine?: unknown }).quarantine;
  if (q === undefined) return [];
  if (typeof q !== 'object' || q === null) return [`healing.quarantine must be an object, got ${JSON.stringify(q)}`];
  const problems: string[] = [];
  const rec = q as Record<string, unknown>;
  for (const k of ['keepPerColour', 'keepPerService', 'retentionSeconds', 'flappingReplacements', 'flappingWindowSeconds', 'hookTimeoutSeconds']) {
    const v = rec[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push(`healing.quarantine.${k} must be an integer >= 0, got ${JSON.stringify(v)}`);
  }
  for (const k of ['hookName', 'securityGroupId', 'evidenceBucket', 'evidencePrefix']) {
    if (typeof rec[k] !== 'string' || rec[k] === '') problems.push(`healing.quarantine.${k} must be a non-empty string, got ${JSON.stringify(rec[k])}`);
  }
  if (typeof rec.snapshots !== 'boolean') problems.push(`healing.quarantine.snapshots must be a boolean, got ${JSON.stringify(rec.snapshots)}`);
  return problems;
}
