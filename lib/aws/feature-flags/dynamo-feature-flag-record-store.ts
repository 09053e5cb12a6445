import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FEATURE_FLAG_RECORD_MAX_CHANGES, featureFlagRecordKey } from '../../contract';
import { ConcurrentFeatureFlagRecordError, FeatureFlagRecord, FeatureFlagRecordStore, VersionedFeatureFlagRecord } from '../../release/feature-flags/ports';
import { AwsClients } from '../clients';
import { readVersionedItem, VersionedItem, writeVersionedItem } from '../private/versioned-item';

/** The stored flag-change record is not one this code reads. */
export class InvalidFeatureFlagRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidFeatureFlagRecordError';
  }
}

/**
 * A service's flag-change record: the item `<service>#flags` in its release-state table, beside the release record,
 * written with the same compare-and-set as the release, DR and quarantine records.
 *
 * Attributes: `service` (S, the key `featureFlagRecordKey(service)`), `version` (N, 1 on the first write), `record`
 * (S, the FeatureFlagRecord as JSON, its newest FEATURE_FLAG_RECORD_MAX_CHANGES changes), and `changes` (N, how many)
 * and `monitorSuspensions` (N, how many kills hold the monitor's actions disabled) copied out so the item reads well in
 * the console.
 */
export class DynamoFeatureFlagRecordStore implements FeatureFlagRecordStore {
  /** The record of `service` in `tableName`, through the shared DynamoDB client. */
  public static fromClients(clients: AwsClients, tableName: string, service: string): DynamoFeatureFlagRecordStore {
    return new DynamoFeatureFlagRecordStore(clients.get(DynamoDBClient), tableName, service);
  }

  private readonly item: VersionedItem;

  constructor(
    dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly service: string,
  ) {
    this.item = { dynamodb, tableName, key: featureFlagRecordKey(service), field: 'record' };
  }

  /**
   * One strongly consistent GetItem call.
   *
   * @throws InvalidFeatureFlagRecordError when the stored record is not one this code reads
   */
  public async read(): Promise<VersionedFeatureFlagRecord | undefined> {
    const malformed = (version: string | undefined) =>
      `The flag-change record ${featureFlagRecordKey(this.service)} in ${this.tableName} is malformed (version ${version}). ` +
      'Fix or delete the item: it only records who changed which flag; AppConfig holds the flags themselves.';
    const stored = await readVersionedItem(this.item, malformed);
    if (!stored) return undefined;
    return { record: parseRecord(stored.json, () => malformed(String(stored.version))), version: stored.version };
  }

  /**
   * One conditional PutItem call; only the newest FEATURE_FLAG_RECORD_MAX_CHANGES changes are kept (the item must
   * stay far below DynamoDB's 400 KB).
   *
   * @throws ConcurrentFeatureFlagRecordError when the stored version is not `expectedVersion`
   */
  public async write(record: FeatureFlagRecord, expectedVersion: number | undefined): Promise<number> {
    const kept: FeatureFlagRecord = { ...record, changes: record.changes.slice(-FEATURE_FLAG_RECORD_MAX_CHANGES) };
    const version = await writeVersionedItem(this.item, JSON.stringify(kept), expectedVersion, {
      changes: { N: String(kept.changes.length) },
      monitorSuspensions: { N: String(kept.monitorSuspensions?.length ?? 0) },
    });
    if (version === 'conflict') {
      const expected = expectedVersion === undefined ? 'no flag-change record' : `version ${expectedVersion}`;
      throw new ConcurrentFeatureFlagRecordError(
        `The flag-change record of ${this.service} in ${this.tableName} changed since it was read (expected ${expected}): ` +
          'another bluegreen flags command wrote it.',
      );
    }
    return version;
  }
}

function parseRecord(json: string, malformed: () => string): FeatureFlagRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new InvalidFeatureFlagRecordError(malformed());
  }
  const r = raw as { changes?: unknown; monitorSuspensions?: unknown };
  if (typeof raw !== 'object' || raw === null || !Array.isArray(r.changes) || !r.changes.every((c) => typeof c === 'object' && c !== null)) {
    throw new InvalidFeatureFlagRecordError(malformed());
  }
  const holder = (h: unknown) => typeof h === 'object' && h !== null && ['by', 'since', 'flag'].every((k) => typeof (h as Record<string, unknown>)[k] === 'string');
  if (r.monitorSuspensions !== undefined && (!Array.isArray(r.monitorSuspensions) || !r.monitorSuspensions.every(holder))) {
    throw new InvalidFeatureFlagRecordError(malformed());
  }
  return raw as FeatureFlagRecord;
}
