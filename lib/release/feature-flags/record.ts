/**
 * The `<service>#flags` record: append a change, then settle it, each with compare-and-set (re-read and apply again
 * when another command wrote in between: changes are appended, never replaced wholesale). The monitor's suspension
 * is a list of holders, one per kill in progress, added and removed the same way.
 */
import { FEATURE_FLAG_KILL_TIMEOUT_MAX_MS, FEATURE_FLAG_RECORD_MAX_CHANGES, FeatureFlagChange, FeatureFlagChangeOutcome, FeatureFlagMonitorSuspension, FeatureFlagRecord } from '../../contract';
import { ConcurrentFeatureFlagRecordError, FeatureFlagRecordStore, FlagDeployment, FlagDeploymentState, VersionedFeatureFlagRecord } from './ports';

/** Compare-and-set attempts before giving up: commands on one service's flags rarely race. */
const ATTEMPTS = 5;

/**
 * Apply `update` to the stored record and write it, again on a concurrent write.
 *
 * @throws ConcurrentFeatureFlagRecordError after ATTEMPTS conflicts; the store's own errors
 */
export async function updateRecord(records: FeatureFlagRecordStore, update: (record: FeatureFlagRecord) => FeatureFlagRecord, first?: VersionedFeatureFlagRecord | null): Promise<FeatureFlagRecord> {
  let current = first === null ? undefined : (first ?? (await records.read()));
  for (let attempt = 1; ; attempt++) {
    try {
      const next = update(current?.record ?? { changes: [] });
      await records.write(next, current?.version);
      return next;
    } catch (e) {
      if (!(e instanceof ConcurrentFeatureFlagRecordError) || attempt >= ATTEMPTS) throw e;
      current = await records.read();
    }
  }
}

/** The record with `change` appended (oldest dropped past the limit). */
export function withChange(record: FeatureFlagRecord, change: FeatureFlagChange): FeatureFlagRecord {
  return { ...record, changes: [...record.changes, change].slice(-FEATURE_FLAG_RECORD_MAX_CHANGES) };
}

/** The record with the change that started at `change.at` by `change.by` replaced by `change` (appended when it was trimmed away meanwhile). */
export function withSettled(record: FeatureFlagRecord, change: FeatureFlagChange): FeatureFlagRecord {
  const same = (c: FeatureFlagChange) => c.at === change.at && c.by === change.by && c.flag === change.flag && c.kind === change.kind;
  const found = record.changes.some(same);
  const changes = found ? record.changes.map((c) => (same(c) ? change : c)) : [...record.changes, change].slice(-FEATURE_FLAG_RECORD_MAX_CHANGES);
  return { ...record, changes };
}

/** The changes still `deploying` with deployment `deploymentNumber` settled as `stopped`, with `detail`. */
export function withStopped(record: FeatureFlagRecord, deploymentNumber: number, detail: string, endedAt: string): FeatureFlagRecord {
  return {
    ...record,
    changes: record.changes.map((c) => (c.deploymentNumber === deploymentNumber && c.outcome === 'deploying' ? { ...c, outcome: 'stopped', endedAt, detail: recordDetail(detail) } : c)),
  };
}

/** How a change ends when its deployment ended in `state` (undefined: it has not ended). */
export function outcomeOfState(state: FlagDeploymentState): FeatureFlagChangeOutcome | undefined {
  switch (state) {
    case 'COMPLETE':
      return 'complete';
    case 'ROLLED_BACK':
      return 'rolled-back';
    case 'REVERTED':
      return 'stopped';
    default:
      return undefined;
  }
}

/**
 * The changes left `deploying` (a `set --no-wait`, a command that stopped waiting) whose deployment has since ended,
 * settled with that end. Deployments not in `deployments` are left as they are.
 */
export function withEnded<R extends Pick<FeatureFlagRecord, 'changes'>>(record: R, deployments: readonly FlagDeployment[]): R {
  const byNumber = new Map(deployments.filter((d) => !d.otherProfile).map((d) => [d.deploymentNumber, d]));
  let changed = false;
  const changes = record.changes.map((c) => {
    if (c.outcome !== 'deploying' || c.deploymentNumber === undefined) return c;
    const d = byNumber.get(c.deploymentNumber);
    const outcome = d && outcomeOfState(d.state);
    if (!d || !outcome) return c;
    changed = true;
    const detail = outcome === 'complete' ? undefined : (d.rollbackReason ?? `AppConfig ${outcome === 'stopped' ? 'reverted' : 'rolled back'} deployment ${d.deploymentNumber}`);
    return { ...c, outcome, ...(d.completedAt !== undefined ? { endedAt: new Date(d.completedAt).toISOString() } : {}), ...(detail ? { detail: recordDetail(detail) } : {}) };
  });
  return changed ? { ...record, changes } : record;
}

/** The kills holding the monitor's actions disabled. */
export function holdersOf(record: FeatureFlagRecord | undefined): readonly FeatureFlagMonitorSuspension[] {
  return record?.monitorSuspensions ?? [];
}

/** By its nonce when either has one, else by who, since when and which flag. */
const sameHolder = (a: FeatureFlagMonitorSuspension, b: FeatureFlagMonitorSuspension) =>
  a.id !== undefined || b.id !== undefined ? a.id === b.id : a.by === b.by && a.since === b.since && a.flag === b.flag;

/** The record with `holder` added (once). */
export function withHolder(record: FeatureFlagRecord, holder: FeatureFlagMonitorSuspension): FeatureFlagRecord {
  const holders = holdersOf(record).filter((h) => !sameHolder(h, holder));
  return { ...record, monitorSuspensions: [...holders, holder] };
}

/** The record without the holders `drop` (the attribute gone when none remains). */
export function withoutHolders(record: FeatureFlagRecord, drop: readonly FeatureFlagMonitorSuspension[]): FeatureFlagRecord {
  const holders = holdersOf(record).filter((h) => !drop.some((d) => sameHolder(h, d)));
  const { monitorSuspensions: _, ...rest } = record;
  return holders.length ? { ...rest, monitorSuspensions: holders } : rest;
}

/** Whether `h` is `holder`. */
export function isHolder(h: FeatureFlagMonitorSuspension, holder: FeatureFlagMonitorSuspension): boolean {
  return sameHolder(h, holder);
}

/** A holder older than this belongs to a kill that died: the longest a kill may take, plus a minute's slack. */
export const FEATURE_FLAG_STALE_HOLDER_MS = FEATURE_FLAG_KILL_TIMEOUT_MAX_MS + 60_000;

/** Whether a holder belongs to a kill that died: older than FEATURE_FLAG_STALE_HOLDER_MS. */
export function isStaleHolder(h: FeatureFlagMonitorSuspension, now: number): boolean {
  const since = Date.parse(h.since);
  return Number.isNaN(since) || now - since > FEATURE_FLAG_STALE_HOLDER_MS;
}

/** `a kill of release-x by me@host since 2030-...`. */
export function describeHolder(h: FeatureFlagMonitorSuspension): string {
  return `a kill of ${h.flag} by ${h.by} since ${h.since}`;
}

/** `detail` cut to the record's 300 characters. */
export function recordDetail(text: string): string {
  return text.length <= 300 ? text : `${text.slice(0, 297)}...`;
}
