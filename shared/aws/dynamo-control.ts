import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DatasetControl, DatasetState, DriftLog, DriftRecord } from '../ports.js';
import { conditionalWrite } from './conditional-write.js';

/** The control table: dataset states (`dataset#<name>`) and drift records (`drift#<db>.<table>#<version>`). */
export const CONTROL_TABLE_SCHEMA: Omit<CreateTableCommandInput, 'TableName'> = {
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
};

// Every attribute name goes through a placeholder: some (reason, kind) may be reserved words.
const NAMES = {
  '#dataset': 'dataset',
  '#paused': 'paused',
  '#reason': 'reason',
  '#pausedAt': 'pausedAt',
  '#pausedBy': 'pausedBy',
  '#updatedAt': 'updatedAt',
};

/**
 * Dataset pause state and the drift log on one small DynamoDB table. Pausing and resuming are
 * plain writes (the last one wins); a drift record is written once per table version.
 */
export class DynamoControl implements DatasetControl, DriftLog {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(dataset: string): Promise<DatasetState | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `dataset#${dataset}` }, ConsistentRead: true }),
    );
    return out.Item ? stateOf(out.Item) : undefined;
  }

  async pause(dataset: string, reason: string, by: string): Promise<DatasetState> {
    const now = new Date().toISOString();
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `dataset#${dataset}` },
        UpdateExpression:
          'SET #dataset = :d, #paused = :t, #reason = :r, #pausedAt = :now, #pausedBy = :by, #updatedAt = :now',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: { ':d': dataset, ':t': true, ':r': reason, ':now': now, ':by': by },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return stateOf(out.Attributes ?? {});
  }

  async resume(dataset: string, by: string, acceptedSchemaVersion?: string): Promise<DatasetState> {
    const now = new Date().toISOString();
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `dataset#${dataset}` },
        UpdateExpression: `SET #dataset = :d, #paused = :f, #resumedBy = :by, #updatedAt = :now${acceptedSchemaVersion ? ', #acceptedSchemaVersion = :v' : ''} REMOVE #reason, #pausedAt, #pausedBy`,
        ExpressionAttributeNames: {
          ...NAMES,
          '#resumedBy': 'resumedBy',
          ...(acceptedSchemaVersion ? { '#acceptedSchemaVersion': 'acceptedSchemaVersion' } : {}),
        },
        ExpressionAttributeValues: {
          ':d': dataset,
          ':f': false,
          ':by': by,
          ':now': now,
          ...(acceptedSchemaVersion ? { ':v': acceptedSchemaVersion } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return stateOf(out.Attributes ?? {});
  }

  async record(drift: DriftRecord): Promise<boolean> {
    return conditionalWrite(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `drift#${drift.database}.${drift.table}#${drift.toVersion}`, kind: 'drift', ...drift },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async list(query: { readonly dataset?: string; readonly limit?: number }): Promise<DriftRecord[]> {
    const items: DriftRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: query.dataset ? '#kind = :k AND #dataset = :d' : '#kind = :k',
          ExpressionAttributeNames: query.dataset
            ? { '#kind': 'kind', '#dataset': 'dataset' }
            : { '#kind': 'kind' },
          ExpressionAttributeValues: { ':k': 'drift', ...(query.dataset ? { ':d': query.dataset } : {}) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, kind: _kind, ...rest } = item;
        items.push(rest as DriftRecord);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    items.sort((a, b) => (a.detectedAt < b.detectedAt ? 1 : -1));
    return items.slice(0, query.limit ?? 100);
  }
}

function stateOf(item: Record<string, unknown>): DatasetState {
  return {
    dataset: String(item.dataset),
    paused: item.paused === true,
    ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
    ...(typeof item.pausedAt === 'string' ? { pausedAt: item.pausedAt } : {}),
    ...(typeof item.pausedBy === 'string' ? { pausedBy: item.pausedBy } : {}),
    ...(typeof item.acceptedSchemaVersion === 'string'
      ? { acceptedSchemaVersion: item.acceptedSchemaVersion }
      : {}),
    updatedAt: String(item.updatedAt),
  };
}
