import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoSchedulerStores, SCHEDULER_TABLE_SCHEMA } from '../../shared/aws/dynamo-scheduler.js';

let tables = 0;

/** A fresh scheduler table in dynalite and the stores over it. */
export async function schedulerTable(client: DynamoDBClient): Promise<DynamoSchedulerStores> {
  const TableName = `scheduler-${++tables}`;
  await client.send(new CreateTableCommand({ TableName, ...SCHEDULER_TABLE_SCHEMA }));
  await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { TableName });
  return new DynamoSchedulerStores(client, TableName);
}
