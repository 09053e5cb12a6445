import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ConcurrentReleaseError, ReleaseState, ReleaseStateStore, VersionedState } from '../release/ports';
import { AwsClients } from './clients';

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

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly service: string,
  ) {}

  /** One strongly consistent GetItem call. */
  public async read(): Promise<VersionedState | undefined> {
    const out = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { service: { S: this.service } }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) return undefined;
    const version = Number(item.version?.N);
    const json = item.state?.S;
    if (!Number.isInteger(version) || json === undefined) {
      throw new Error(`The release state of ${this.service} in ${this.tableName} is malformed (version ${item.version?.N}). Delete the item to start over.`);
    }
    return { state: JSON.parse(json) as ReleaseState, version };
  }

  /** One conditional PutItem call. */
  public async write(state: ReleaseState, expectedVersion: number | undefined): Promise<number> {
    if (state.service !== this.service) {
      throw new Error(`Release state of '${state.service}' cannot be written to the state of '${this.service}'.`);
    }
    const version = (expectedVersion ?? 0) + 1;
    const condition =
      expectedVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(service)' }
        : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } };
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            service: { S: this.service },
            version: { N: String(version) },
            state: { S: JSON.stringify(state) },
            status: { S: state.status },
            releaseId: { S: state.releaseId },
            updatedAt: { N: String(state.updatedAt) },
          },
          ...condition,
        }),
      );
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') {
        const expected = expectedVersion === undefined ? 'no release state' : `version ${expectedVersion}`;
        throw new ConcurrentReleaseError(
          `The release state of ${this.service} changed since it was read (expected ${expected}): someone else is driving a release. Run 'bluegreen status' and retry.`,
        );
      }
      throw e;
    }
    return version;
  }
}
