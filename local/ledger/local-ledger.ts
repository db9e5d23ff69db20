import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ClassicLevel } from 'classic-level';
import dynalite from 'dynalite';
import { CONTROL_TABLE_SCHEMA, DynamoControl } from '../../shared/aws/dynamo-control.js';
import { DynamoLedger, LEDGER_TABLE_SCHEMA } from '../../shared/aws/dynamo-ledger.js';
import { DynamoSchedulerStores, SCHEDULER_TABLE_SCHEMA } from '../../shared/aws/dynamo-scheduler.js';

/** A running dynalite with the ledger table, and the same DynamoDB adapter as in AWS. */
export interface LocalLedger {
  readonly ledger: DynamoLedger;
  /** Dataset pause state and the drift log (the same adapter as in AWS). */
  readonly control: DynamoControl;
  /** Pending objects and dataset slots of the coalesced-load scheduler (the same adapter as in AWS). */
  readonly scheduler: DynamoSchedulerStores;
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  close(): Promise<void>;
}

export const LOCAL_LEDGER_TABLE = 'lakeplane-ledger';
export const LOCAL_CONTROL_TABLE = 'lakeplane-control';
export const LOCAL_SCHEDULER_TABLE = 'lakeplane-scheduler';

/** The workspace's ledger is held by another process for longer than we were willing to wait. */
export class LedgerBusyError extends Error {
  override readonly name = 'LedgerBusyError';
}

/**
 * Waits until no other process holds the ledger's LevelDB files. dynalite opens them lazily and,
 * when another process holds the lock, its first request throws "Database is closed" from a
 * callback, which no caller can catch (measured: `lakeplane loads` beside a running load died
 * with dynalite's stack). Opening them here first turns that into a wait, said once, and then a
 * sentence. A process that takes the lock between this probe and dynalite's open still meets
 * dynalite's error: the window is one open.
 */
async function waitForLedger(
  path: string,
  waitMs: number,
  onWait?: (message: string) => void,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  let said = false;
  for (;;) {
    const db = new ClassicLevel(path);
    try {
      await db.open();
      await db.close();
      return;
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code !== 'LEVEL_LOCKED') throw e;
    }
    if (Date.now() >= deadline)
      throw new LedgerBusyError(
        `the workspace's ledger (${path}) is held by another lakeplane process; waited ${Math.round(waitMs / 1000)} s. Let that command finish (or stop it), then run this one again`,
      );
    if (!said) {
      onWait?.('the workspace ledger is held by another lakeplane process; waiting for it (up to 30 s)');
      said = true;
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/**
 * Starts dynalite in this process on a free loopback port, persisting to `path` (LevelDB)
 * or in memory when `path` is undefined, and creates the ledger, control and scheduler tables if missing.
 * Tables become ACTIVE after 1 ms (dynalite reads 0 as "use the 500 ms default").
 */
export async function startLocalLedger(
  path: string | undefined,
  options: { readonly waitMs?: number; readonly onWait?: (message: string) => void } = {},
): Promise<LocalLedger> {
  if (path) await waitForLedger(path, options.waitMs ?? 30_000, options.onWait);
  const server: Server = dynalite({
    ...(path ? { path } : {}),
    createTableMs: 1,
    deleteTableMs: 1,
    updateTableMs: 1,
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // dynalite runs in this process on loopback: a slow connect means a busy machine (measured:
    // 2 s was tripped by 200 racing scheduler calls on 2 cores), not a server gone away.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 30_000 }),
    maxAttempts: 3,
  });
  // The three tables side by side: each command starts here, so its round trips count.
  await Promise.all(
    (
      [
        [LOCAL_LEDGER_TABLE, LEDGER_TABLE_SCHEMA],
        [LOCAL_CONTROL_TABLE, CONTROL_TABLE_SCHEMA],
        [LOCAL_SCHEDULER_TABLE, SCHEDULER_TABLE_SCHEMA],
      ] as const
    ).map(async ([TableName, schema]) => {
      try {
        await client.send(new DescribeTableCommand({ TableName }));
      } catch (e) {
        if (!(e instanceof ResourceNotFoundException)) throw e;
        await client.send(new CreateTableCommand({ TableName, ...schema }));
        await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { TableName });
      }
    }),
  );
  return {
    ledger: new DynamoLedger(client, LOCAL_LEDGER_TABLE),
    control: new DynamoControl(client, LOCAL_CONTROL_TABLE),
    scheduler: new DynamoSchedulerStores(client, LOCAL_SCHEDULER_TABLE),
    client,
    endpoint,
    close: async () => {
      client.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
