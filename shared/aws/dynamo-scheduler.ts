import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type PendingObject, pendingKey } from '../core/schedule.js';
import type { DatasetSlots, KnownObject, PendingObjects } from '../ports.js';
import { conditionalWrite } from './conditional-write.js';

/** The index of pending objects: sparse, only items that still carry `pendingDataset`. */
export const PENDING_INDEX = 'pending';

/**
 * The scheduler's stores on one DynamoDB table (`pk`, `sk`), every write conditional:
 * - an object item per landed content of a key: `pk = obj#<dataset>`, `sk = <bucket>/<key>#<etag>`
 *   (so a duplicate event or the same file landed again adds nothing). While pending it carries
 *   `pendingDataset` and `pendingOrder` (`<landedAt>#<sk>`), the keys of the sparse `pending`
 *   index; a claim removes them and sets `claimedBy`. Claimed items stay: they answer which load
 *   took an object (`lakeplane loads --key`) and recognise the same content landing again;
 * - a slot item per dataset: `pk = slot#<dataset>`, `sk = slot`, with `holder` (the load id).
 * The manifests live in the artifacts bucket and the loads in the ledger (shared/usecases/scheduled-loads.ts).
 */
export class DynamoSchedulerStores {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  readonly pending: PendingObjects = {
    add: async (object) => this.putPending(object, { ConditionExpression: 'attribute_not_exists(pk)' }),
    reopen: async (object, takenBy) =>
      this.putPending(object, {
        ConditionExpression: 'claimedBy = :l',
        ExpressionAttributeValues: { ':l': takenBy },
      }),
    list: async (dataset) => {
      const out: PendingObject[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: PENDING_INDEX,
            KeyConditionExpression: 'pendingDataset = :d',
            ExpressionAttributeValues: { ':d': dataset },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) out.push(item.object as PendingObject);
        start = page.LastEvaluatedKey;
      } while (start);
      // One entry per item: an index read while an item is written can name it twice, and a
      // manifest holding one object twice would fail the claim's BatchGet (duplicate keys).
      return [...new Map(out.map((o) => [pendingKey(o), o])).values()];
    },
    claim: async (dataset, loadId, objects) => {
      // Only the slot's holder claims, so an object taken by another load now was taken before
      // this load held the slot: the manifest is stale. Check first, then write.
      const unique = [...new Map(objects.map((o) => [pendingKey(o), o])).values()];
      for (let i = 0; i < unique.length; i += 100) {
        const keys = unique.slice(i, i + 100).map((o) => ({ pk: objectPk(dataset), sk: pendingKey(o) }));
        const got = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        const unprocessed = got.UnprocessedKeys?.[this.tableName]?.Keys?.length ?? 0;
        if (unprocessed > 0)
          throw new Error(`DynamoDB left ${unprocessed} keys unread: the claim is retried`);
        for (const item of got.Responses?.[this.tableName] ?? [])
          if (item.claimedBy !== undefined && item.claimedBy !== loadId) return false;
      }
      // 25 at a time: the SDK's default socket pool, and a claim is redone whole if it dies.
      for (let i = 0; i < objects.length; i += 25) {
        await Promise.all(
          objects.slice(i, i + 25).map((o) =>
            this.doc.send(
              new UpdateCommand({
                TableName: this.tableName,
                Key: { pk: objectPk(dataset), sk: pendingKey(o) },
                UpdateExpression: 'SET claimedBy = :l REMOVE pendingDataset, pendingOrder',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeValues: { ':l': loadId },
              }),
            ),
          ),
        );
      }
      return true;
    },
    byKey: async (dataset, bucket, key) => {
      const out: KnownObject[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :p AND begins_with(sk, :k)',
            ExpressionAttributeValues: { ':p': objectPk(dataset), ':k': `${bucket}/${key}#` },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const object = item.object as PendingObject;
          // begins_with also matches longer keys that contain '#': keep this key's only.
          if (object.key !== key) continue;
          out.push({ object, ...(typeof item.claimedBy === 'string' ? { loadId: item.claimedBy } : {}) });
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return out.sort((a, b) => (a.object.landedAt < b.object.landedAt ? -1 : 1));
    },
  };

  /** Writes an object's item as pending (the keys of the `pending` index set), under `condition`. */
  private putPending(
    object: PendingObject,
    condition: { ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> },
  ): Promise<boolean> {
    return conditionalWrite(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: objectPk(object.dataset),
            sk: pendingKey(object),
            pendingDataset: object.dataset,
            pendingOrder: `${object.landedAt}#${pendingKey(object)}`,
            object,
          },
          ...condition,
        }),
      ),
    );
  }

  readonly slots: DatasetSlots = {
    holder: async (dataset) => {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: slotKey(dataset), ConsistentRead: true }),
      );
      return typeof out.Item?.holder === 'string' ? out.Item.holder : undefined;
    },
    acquire: async (dataset, loadId) =>
      this.update(dataset, 'SET holder = :l', 'attribute_not_exists(holder) OR holder = :l', {
        ':l': loadId,
      }),
    release: async (dataset, loadId) =>
      this.update(dataset, 'REMOVE holder', 'holder = :l', { ':l': loadId }),
  };

  /** One conditional update of a dataset's slot item; false when the condition did not hold. */
  private async update(
    dataset: string,
    expression: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return conditionalWrite(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: slotKey(dataset),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}

function objectPk(dataset: string): string {
  return `obj#${dataset}`;
}

function slotKey(dataset: string): { pk: string; sk: string } {
  return { pk: `slot#${dataset}`, sk: 'slot' };
}

/** The table's definition (the local runtime and tests create it in dynalite). */
export const SCHEDULER_TABLE_SCHEMA: Omit<CreateTableCommandInput, 'TableName'> = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'pendingDataset', AttributeType: 'S' },
    { AttributeName: 'pendingOrder', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: PENDING_INDEX,
      KeySchema: [
        { AttributeName: 'pendingDataset', KeyType: 'HASH' },
        { AttributeName: 'pendingOrder', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};
