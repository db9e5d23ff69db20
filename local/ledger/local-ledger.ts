import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
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

/** The parts of a signed SDK request (smithy's HttpRequest) the in-process handler reads. */
interface SdkRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string | string[] | null>;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

/**
 * The DynamoDB client's request handler for the dynalite of this process: it passes the signed
 * request to dynalite's own HTTP request handler (the server's `request` listener) as a stand-in
 * IncomingMessage and collects its answer from a stand-in ServerResponse. dynalite parses,
 * checks and answers exactly as it does over HTTP (it reads only the method, URL, headers and
 * body, and answers with a status, headers and one body); what is saved is the loopback socket:
 * Node's HTTP client and server, and the event-loop turns of each round trip (measured: the
 * three table describes of a start 42-64 ms over HTTP, ~25 ms in process; a later call ~2.5 ms
 * over HTTP, ~1-2 ms in process; a one-row load makes ~35).
 */
class InProcessHandler {
  private readonly dynalite: (req: IncomingMessage, res: ServerResponse) => void;

  constructor(server: Server) {
    const [listener] = server.listeners('request');
    if (typeof listener !== 'function') throw new Error('dynalite has no request handler');
    this.dynalite = listener as (req: IncomingMessage, res: ServerResponse) => void;
  }

  handle(
    request: SdkRequest,
  ): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Buffer } }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
      const query = Object.entries(request.query ?? {})
        .flatMap(([k, v]) => (v === null ? [k] : (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`)))
        .join('&');
      const req = Object.assign(new EventEmitter(), {
        method: request.method,
        url: query ? `${request.path}?${query}` : request.path,
        headers,
      });
      const answer: Record<string, string> = {};
      const res = {
        statusCode: 200,
        contentType: undefined as string | undefined,
        setHeader(name: string, value: unknown) {
          answer[name.toLowerCase()] = String(value);
        },
        end(body?: string | Buffer) {
          resolve({
            response: { statusCode: res.statusCode, headers: answer, body: Buffer.from(body ?? '') },
          });
        },
      };
      try {
        this.dynalite(req as unknown as IncomingMessage, res as unknown as ServerResponse);
        const body = bodyBytes(request.body);
        if (body.length > 0) req.emit('data', body);
        req.emit('end');
      } catch (e) {
        reject(e);
      }
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

/**
 * A request body as bytes. The SDK's JSON body is a Uint8Array that also acts as a string (its
 * valueOf() converts it and warns), so its bytes are taken as they are.
 */
function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new Error('the local ledger takes string or byte request bodies only');
}

/**
 * Starts dynalite in this process on a free loopback port, persisting to `path` (LevelDB)
 * or in memory when `path` is undefined, and creates the ledger, control and scheduler tables if missing.
 * Tables become ACTIVE after 1 ms (dynalite reads 0 as "use the 500 ms default"). The port
 * stays open for other clients; this process's own client reaches dynalite without it.
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
    // dynalite runs in this process: the client hands each signed request to dynalite's request
    // handler directly instead of through a loopback socket (see InProcessHandler).
    requestHandler: new InProcessHandler(server),
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
        // dynalite makes a new table ACTIVE 1 ms after CreateTable answers (createTableMs): poll
        // every few ms, not at the waiter's usual pace (at 50 ms, a new workspace waited ~50 ms).
        await waitUntilTableExists(
          { client, maxWaitTime: 10, minDelay: 0.002, maxDelay: 0.01 },
          { TableName },
        );
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
