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
  type QueryCommandInput,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { LoadRecord, LoadStatus } from '../core/load.js';
import type { Ledger, LoadQuery, LoadUpdate, RegisterResult } from '../ports.js';

/** Index names of the ledger table (see serverless.yml and local/ledger). */
export const LEDGER_INDEXES = { byDataset: 'byDataset', byStatus: 'byStatus' } as const;

/**
 * The load ledger on DynamoDB: one item per load, keyed by load id, with indexes by dataset
 * and by status (both sorted by registration time). Every write is conditional.
 */
export class DynamoLedger implements Ledger {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async register(load: LoadRecord): Promise<RegisterResult> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: load,
          ConditionExpression: 'attribute_not_exists(loadId)',
        }),
      );
      return { created: true };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const existing = await this.get(load.loadId);
      if (!existing) throw new Error(`ledger: load ${load.loadId} exists but could not be read back`);
      return { created: false, existing };
    }
  }

  async get(loadId: string): Promise<LoadRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { loadId }, ConsistentRead: true }),
    );
    return out.Item as LoadRecord | undefined;
  }

  async transition(
    loadId: string,
    to: LoadStatus,
    from: readonly LoadStatus[],
    update: LoadUpdate,
    note?: string,
  ): Promise<LoadRecord | undefined> {
    if (from.length === 0) return undefined;
    const names: Record<string, string> = { '#status': 'status', '#history': 'history' };
    const values: Record<string, unknown> = {
      ':to': to,
      ':change': [{ status: to, at: new Date().toISOString(), ...(note ? { note } : {}) }],
    };
    const sets = ['#status = :to', '#history = list_append(#history, :change)'];
    const removes: string[] = [];
    for (const [field, value] of Object.entries(update)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      if (value === null) {
        removes.push(`#${field}`);
        continue;
      }
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    from.forEach((s, i) => {
      values[`:from${i}`] = s;
    });
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { loadId },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: `attribute_exists(loadId) AND #status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as LoadRecord | undefined;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return undefined;
      throw e;
    }
  }

  async list(query: LoadQuery): Promise<LoadRecord[]> {
    const limit = query.limit ?? 100;
    const items: LoadRecord[] = [];
    const base = this.listInput(query);
    let startKey: Record<string, unknown> | undefined;
    do {
      const page =
        base.kind === 'query'
          ? await this.doc.send(new QueryCommand({ ...base.input, ExclusiveStartKey: startKey }))
          : await this.doc.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }));
      for (const item of (page.Items ?? []) as LoadRecord[]) {
        if (query.status && item.status !== query.status) continue;
        if (query.dataset && item.dataset !== query.dataset) continue;
        if (query.since && item.registeredAt < query.since) continue;
        items.push(item);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && (base.kind === 'scan' || items.length < limit));
    items.sort((a, b) => (a.registeredAt < b.registeredAt ? 1 : a.registeredAt > b.registeredAt ? -1 : 0));
    return items.slice(0, limit);
  }

  private listInput(query: LoadQuery): { kind: 'query'; input: QueryCommandInput } | { kind: 'scan' } {
    const byTime = query.since ? ' AND registeredAt >= :since' : '';
    const since = query.since ? { ':since': query.since } : {};
    if (query.dataset) {
      return {
        kind: 'query',
        input: {
          TableName: this.tableName,
          IndexName: LEDGER_INDEXES.byDataset,
          KeyConditionExpression: `dataset = :d${byTime}`,
          ExpressionAttributeValues: { ':d': query.dataset, ...since },
          ScanIndexForward: false,
        },
      };
    }
    if (query.status) {
      return {
        kind: 'query',
        input: {
          TableName: this.tableName,
          IndexName: LEDGER_INDEXES.byStatus,
          KeyConditionExpression: `#s = :s${byTime}`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': query.status, ...since },
          ScanIndexForward: false,
        },
      };
    }
    return { kind: 'scan' };
  }
}

/** The ledger table's key schema and indexes, shared by serverless.yml tests and local set-up. */
export const LEDGER_TABLE_SCHEMA: Omit<CreateTableCommandInput, 'TableName'> = {
  AttributeDefinitions: [
    { AttributeName: 'loadId', AttributeType: 'S' },
    { AttributeName: 'dataset', AttributeType: 'S' },
    { AttributeName: 'status', AttributeType: 'S' },
    { AttributeName: 'registeredAt', AttributeType: 'S' },
  ],
  KeySchema: [{ AttributeName: 'loadId', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    {
      IndexName: LEDGER_INDEXES.byDataset,
      KeySchema: [
        { AttributeName: 'dataset', KeyType: 'HASH' },
        { AttributeName: 'registeredAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
    {
      IndexName: LEDGER_INDEXES.byStatus,
      KeySchema: [
        { AttributeName: 'status', KeyType: 'HASH' },
        { AttributeName: 'registeredAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};
