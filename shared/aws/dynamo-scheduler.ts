import {
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type PendingObject, pendingKey } from '../core/schedule.js';
import type { DatasetSlots, PendingObjects, ScheduledLoad, ScheduledStatus } from '../ports.js';

/** The index of pending objects: sparse, only items that still carry `pendingDataset`. */
export const PENDING_INDEX = 'pending';

/** How long a claimed object's item stays (a duplicate event within it is recognised). */
const CLAIMED_TTL_SECONDS = 14 * 24 * 3600;

/**
 * The scheduler's stores on one DynamoDB table (`pk`, `sk`), every write conditional:
 * - an object item per landed object version: `pk = obj#<dataset>`, `sk = <landedAt>#<key>#<version>`
 *   (landing order). While pending it carries `pendingDataset`, the key of the sparse `pending`
 *   index; a claim removes it and sets `claimedBy`, and the item expires later by TTL, so a
 *   duplicate event in between finds it and adds nothing;
 * - a slot item per dataset: `pk = slot#<dataset>`, `sk = slot`, with `holder` (the load id) and
 *   the holder's `load` (manifest and status) in the same item, so taking the slot and recording
 *   the load are one conditional write (no transaction needed; dynalite has none). The last
 *   load stays after its release, so it cannot be given the slot a second time.
 * The manifest rides in the slot item for now (DynamoDB's 400 KB item limit: some 1,500
 * objects); docs/architecture.md says where it moves.
 */
export class DynamoSchedulerStores {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  readonly pending: PendingObjects = {
    add: async (object) => {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: `obj#${object.dataset}`,
              sk: objectSk(object),
              pendingDataset: object.dataset,
              object,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (e) {
        if (e instanceof ConditionalCheckFailedException) return false;
        throw e;
      }
    },
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
      return out;
    },
    claim: async (dataset, loadId, objects) => {
      const expiresAt = Math.floor(this.now().getTime() / 1000) + CLAIMED_TTL_SECONDS;
      // 25 at a time: the SDK's default socket pool, and a claim is redone whole if it dies.
      for (let i = 0; i < objects.length; i += 25) {
        await Promise.all(
          objects.slice(i, i + 25).map((o) =>
            this.doc.send(
              new UpdateCommand({
                TableName: this.tableName,
                Key: { pk: `obj#${dataset}`, sk: objectSk(o) },
                UpdateExpression: 'SET claimedBy = :l, expiresAt = :x REMOVE pendingDataset',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeValues: { ':l': loadId, ':x': expiresAt },
              }),
            ),
          ),
        );
      }
    },
  };

  readonly slots: DatasetSlots = {
    holder: async (dataset) => {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: slotKey(dataset), ConsistentRead: true }),
      );
      return out.Item?.holder === undefined ? undefined : (out.Item.load as ScheduledLoad);
    },
    acquire: async (load) => {
      // Already this load's: nothing to write (its recorded status stays).
      if (await this.update(load.dataset, 'SET holder = :l', 'holder = :l', { ':l': load.loadId }))
        return true;
      // Free: take it with the load, unless this load is the one that just let it go (a scheduler
      // that built the manifest before that load claimed it, acquiring late, would start nothing
      // and hold the slot for ever).
      return this.update(
        load.dataset,
        'SET holder = :l, #load = :load',
        'attribute_not_exists(holder) AND (attribute_not_exists(#load) OR #load.loadId <> :l)',
        { ':l': load.loadId, ':load': load },
        { '#load': 'load' },
      );
    },
    // The load stays in the item after its release: acquire recognises it.
    release: async (dataset, loadId) =>
      this.update(dataset, 'REMOVE holder', 'holder = :l', { ':l': loadId }),
  };

  /** The holding load moved on (until the ledger carries it: load-events will). */
  async setStatus(dataset: string, loadId: string, status: ScheduledStatus): Promise<boolean> {
    return this.update(
      dataset,
      'SET #load.#status = :s',
      'holder = :l',
      { ':l': loadId, ':s': status },
      {
        '#load': 'load',
        '#status': 'status',
      },
    );
  }

  /** One conditional update of a dataset's slot item; false when the condition did not hold. */
  private async update(
    dataset: string,
    expression: string,
    condition: string,
    values: Record<string, unknown>,
    names?: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: slotKey(dataset),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ...(names ? { ExpressionAttributeNames: names } : {}),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }
}

function objectSk(o: PendingObject): string {
  return `${o.landedAt}#${pendingKey(o)}`;
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
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};
