/**
 * The `<service>#flags` record: append a change, then settle it, each with compare-and-set (re-read and apply again
 * when another command wrote in between: changes are appended, never replaced wholesale).
 */
import { FEATURE_FLAG_RECORD_MAX_CHANGES, FeatureFlagChange, FeatureFlagRecord } from '../../contract';
import { ConcurrentFeatureFlagRecordError, FeatureFlagRecordStore, VersionedFeatureFlagRecord } from './ports';

/** Compare-and-set attempts before giving up: commands on one service's flags rarely race. */
const ATTEMPTS = 5;

/** What to do with `monitorSuspended`: set it, clear it, or leave it as stored. */
export type MonitorSuspendedUpdate = { readonly by: string; readonly since: string } | null | undefined;

/**
 * Apply `update` to the stored record and write it, again on a concurrent write.
 *
 * @throws ConcurrentFeatureFlagRecordError after ATTEMPTS conflicts; the store's own errors
 */
export async function updateRecord(records: FeatureFlagRecordStore, update: (record: FeatureFlagRecord) => FeatureFlagRecord, first?: VersionedFeatureFlagRecord | null): Promise<void> {
  let current = first === null ? undefined : (first ?? (await records.read()));
  for (let attempt = 1; ; attempt++) {
    try {
      await records.write(update(current?.record ?? { changes: [] }), current?.version);
      return;
    } catch (e) {
      if (!(e instanceof ConcurrentFeatureFlagRecordError) || attempt >= ATTEMPTS) throw e;
      current = await records.read();
    }
  }
}

/** The record with `change` appended (oldest dropped past the limit) and `monitorSuspended` updated. */
export function withChange(record: FeatureFlagRecord, change: FeatureFlagChange, suspended: MonitorSuspendedUpdate): FeatureFlagRecord {
  return withSuspended({ ...record, changes: [...record.changes, change].slice(-FEATURE_FLAG_RECORD_MAX_CHANGES) }, suspended);
}

/**
 * The record with the change that started at `change.at` by `change.by` replaced by `change` (appended when it was
 * trimmed away meanwhile) and `monitorSuspended` updated.
 */
export function withSettled(record: FeatureFlagRecord, change: FeatureFlagChange, suspended: MonitorSuspendedUpdate): FeatureFlagRecord {
  const same = (c: FeatureFlagChange) => c.at === change.at && c.by === change.by && c.flag === change.flag && c.kind === change.kind;
  const found = record.changes.some(same);
  const changes = found ? record.changes.map((c) => (same(c) ? change : c)) : [...record.changes, change].slice(-FEATURE_FLAG_RECORD_MAX_CHANGES);
  return withSuspended({ ...record, changes }, suspended);
}

function withSuspended(record: FeatureFlagRecord, suspended: MonitorSuspendedUpdate): FeatureFlagRecord {
  if (suspended === undefined) return record;
  const { monitorSuspended: _, ...rest } = record;
  return suspended === null ? rest : { ...rest, monitorSuspended: suspended };
}

/** `detail` cut to the record's 300 characters. */
export function recordDetail(text: string): string {
  return text.length <= 300 ? text : `${text.slice(0, 297)}...`;
}
