import { AttributeValue, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

/**
 * One item of a table keyed by `service` that holds a JSON document under `field` and a compare-and-set `version`
 * (N, 1 on the first write): the release record and the DR record's copies are both kept this way.
 */
export interface VersionedItem {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** The item's `service` key. */
  readonly key: string;
  /** The attribute holding the JSON document. */
  readonly field: string;
}

/** The item's document and version (one strongly consistent GetItem), undefined when there is none. */
export async function readVersionedItem(item: VersionedItem, malformed: (version: string | undefined) => string): Promise<{ json: string; version: number } | undefined> {
  const out = await item.dynamodb.send(new GetItemCommand({ TableName: item.tableName, Key: { service: { S: item.key } }, ConsistentRead: true }));
  if (!out.Item) return undefined;
  const version = Number(out.Item.version?.N);
  const json = out.Item[item.field]?.S;
  if (!Number.isInteger(version) || json === undefined) throw new Error(malformed(out.Item.version?.N));
  return { json, version };
}

/**
 * Write the document (one conditional PutItem) if the stored version is still `expectedVersion` (undefined: no item
 * yet), with `extra` attributes copied out of it so the item reads well in the console.
 *
 * @returns the new version, or `conflict` when the stored version differs
 */
export async function writeVersionedItem(item: VersionedItem, json: string, expectedVersion: number | undefined, extra: Record<string, AttributeValue>): Promise<number | 'conflict'> {
  const version = (expectedVersion ?? 0) + 1;
  const condition =
    expectedVersion === undefined
      ? { ConditionExpression: 'attribute_not_exists(service)' }
      : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } };
  try {
    await item.dynamodb.send(
      new PutItemCommand({
        TableName: item.tableName,
        Item: { service: { S: item.key }, version: { N: String(version) }, [item.field]: { S: json }, ...extra },
        ...condition,
      }),
    );
  } catch (e) {
    if ((e as Error).name === 'ConditionalCheckFailedException') return 'conflict';
    throw e;
  }
  return version;
}
