import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseQuarantineRecord, QUARANTINE_TAGS, quarantineRecordKey } from '../../contract';
import { ConcurrentQuarantineUpdateError, QuarantineRecord, QuarantineRecordStore, VersionedQuarantineRecord } from '../../release/quarantine/ports';
import { AwsClients } from '../clients';
import { readVersionedItem, VersionedItem, writeVersionedItem } from '../private/versioned-item';

/**
 * A service's quarantine record: the item `<service>#quarantine` in its release-state table, beside the release
 * record, written with the same compare-and-set as the release and DR records.
 *
 * Attributes: `service` (S, the key `quarantineRecordKey(service)`), `version` (N, 1 on the first write), `record`
 * (S, the QuarantineRecord as JSON), and `kept` (N, the entries) copied out so the item reads well in the console.
 */
export class DynamoQuarantineRecordStore implements QuarantineRecordStore {
  /** The record of `service` in `tableName`, through the shared DynamoDB client. */
  public static fromClients(clients: AwsClients, tableName: string, service: string): DynamoQuarantineRecordStore {
    return new DynamoQuarantineRecordStore(clients.get(DynamoDBClient), tableName, service);
  }

  private readonly item: VersionedItem;

  constructor(
    dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly service: string,
  ) {
    this.item = { dynamodb, tableName, key: quarantineRecordKey(service), field: 'record' };
  }

  /**
   * One strongly consistent GetItem call.
   *
   * @throws InvalidQuarantineRecordError when the stored record is not one this code reads
   */
  public async read(): Promise<VersionedQuarantineRecord | undefined> {
    const stored = await readVersionedItem(
      this.item,
      (version) =>
        `The quarantine record ${quarantineRecordKey(this.service)} in ${this.tableName} is malformed (version ${version}). ` +
        `Fix or delete the item; kept instances stay tagged ${QUARANTINE_TAGS.STATE}=kept.`,
    );
    return stored && { record: parseQuarantineRecord(stored.json, this.service), version: stored.version };
  }

  /** One conditional PutItem call. */
  public async write(record: QuarantineRecord, expectedVersion: number | undefined): Promise<number> {
    if (record.service !== this.service) {
      throw new Error(`The quarantine record of '${record.service}' cannot be written to the quarantine record of '${this.service}'.`);
    }
    const version = await writeVersionedItem(this.item, JSON.stringify(record), expectedVersion, { kept: { N: String(record.entries.length) } });
    if (version === 'conflict') {
      const expected = expectedVersion === undefined ? 'no quarantine record' : `version ${expectedVersion}`;
      throw new ConcurrentQuarantineUpdateError(
        `The quarantine record of ${this.service} in ${this.tableName} changed since it was read (expected ${expected}): ` +
          'another termination, the sweep or a bluegreen quarantine command wrote it.',
      );
    }
    return version;
  }
}
