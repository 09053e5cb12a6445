import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { drRecordKey } from '../../contract';
import { ConcurrentDrOperationError, DrRecord, DrRecordCopy, VersionedDrRecord } from '../../release/dr/ports';
import { AwsClients } from '../clients';
import { readVersionedItem, VersionedItem, writeVersionedItem } from '../private/versioned-item';

/**
 * One Region's copy of a service's DR record: the item `<service>#dr` in that Region's release-state table, beside
 * the release record (`<service>`), so the table the stack already has holds it and no new table is needed.
 *
 * Attributes: `service` (S, the key `drRecordKey(service)`), `version` (N, this copy's compare-and-set version, 1 on
 * the first write), `record` (S, the DrRecord as JSON), and `phase` (S) and `generation` (N) copied out of the record
 * so the item reads well in the console. Writes are conditional on the version, as DynamoReleaseStateStore's are.
 */
export class DynamoDrRecordCopy implements DrRecordCopy {
  /** The copy in `tableName`, through the shared DynamoDB client of that Region's clients. */
  public static fromClients(clients: AwsClients, tableName: string, service: string): DynamoDrRecordCopy {
    return new DynamoDrRecordCopy(clients.get(DynamoDBClient), tableName, service);
  }

  private readonly item: VersionedItem;

  constructor(
    dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly service: string,
  ) {
    this.item = { dynamodb, tableName, key: drRecordKey(service), field: 'record' };
  }

  /** One strongly consistent GetItem call. */
  public async read(): Promise<VersionedDrRecord | undefined> {
    const stored = await readVersionedItem(
      this.item,
      (version) => `The DR record ${drRecordKey(this.service)} in ${this.tableName} is malformed (version ${version}). Delete the item; the next dr command writes it again from the other Region's copy.`,
    );
    return stored && { record: JSON.parse(stored.json) as DrRecord, version: stored.version };
  }

  /** One conditional PutItem call. */
  public async write(record: DrRecord, expectedVersion: number | undefined): Promise<number> {
    if (record.service !== this.service) {
      throw new Error(`The DR record of '${record.service}' cannot be written to the DR record of '${this.service}'.`);
    }
    const version = await writeVersionedItem(this.item, JSON.stringify(record), expectedVersion, { phase: { S: record.phase }, generation: { N: String(record.generation) } });
    if (version === 'conflict') {
      const expected = expectedVersion === undefined ? 'no DR record' : `version ${expectedVersion}`;
      throw new ConcurrentDrOperationError(
        `The DR record of ${this.service} in ${this.tableName} changed since it was read (expected ${expected}): ` +
          `another dr command or the standby's watcher is driving it. Run 'bluegreen dr status ${this.service}' and retry.`,
      );
    }
    return version;
  }
}
