import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConcurrentReleaseError, ReleaseState, ReleaseStateStore, VersionedState } from '../release/ports';
import { AwsClients } from './clients';
import { readVersionedItem, VersionedItem, writeVersionedItem } from './private/versioned-item';

/**
 * The release state of one service: one item in the release-state table, keyed by `service`.
 *
 * Attributes: `service` (S), `version` (N, 1 on the first write), `state` (S, the ReleaseState as JSON), and
 * `status`, `releaseId`, `updatedAt` copied out of the state so the item reads well in the console.
 * Writes are conditional on the version, so two operators (or an operator and the auto-rollback) cannot both
 * drive a release.
 */
export class DynamoReleaseStateStore implements ReleaseStateStore {
  /** The release state of `service` in `tableName`, through the shared DynamoDB client. */
  public static fromClients(clients: AwsClients, tableName: string, service: string): DynamoReleaseStateStore {
    return new DynamoReleaseStateStore(clients.get(DynamoDBClient), tableName, service);
  }

  private readonly item: VersionedItem;

  constructor(
    dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly service: string,
  ) {
    this.item = { dynamodb, tableName, key: service, field: 'state' };
  }

  /** One strongly consistent GetItem call. */
  public async read(): Promise<VersionedState | undefined> {
    const stored = await readVersionedItem(
      this.item,
      (version) => `The release state of ${this.service} in ${this.tableName} is malformed (version ${version}). Delete the item to start over.`,
    );
    return stored && { state: JSON.parse(stored.json) as ReleaseState, version: stored.version };
  }

  /** One conditional PutItem call. */
  public async write(state: ReleaseState, expectedVersion: number | undefined): Promise<number> {
    if (state.service !== this.service) {
      throw new Error(`Release state of '${state.service}' cannot be written to the state of '${this.service}'.`);
    }
    const extra = { status: { S: state.status }, releaseId: { S: state.releaseId }, updatedAt: { N: String(state.updatedAt) } };
    const version = await writeVersionedItem(this.item, JSON.stringify(state), expectedVersion, extra);
    if (version === 'conflict') {
      const expected = expectedVersion === undefined ? 'no release state' : `version ${expectedVersion}`;
      throw new ConcurrentReleaseError(
        `The release state of ${this.service} changed since it was read (expected ${expected}): someone else is driving a release. Run 'bluegreen status' and retry.`,
      );
    }
    return version;
  }
}
