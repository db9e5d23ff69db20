import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';

/** A running kinesalite and a Kinesis client for it: the real Kinesis API, in this process. */
export interface LocalKinesis {
  /** Speaks HTTP/1.1 (`NodeHttpHandler`): the SDK's default handler fails against kinesalite. */
  readonly client: KinesisClient;
  readonly endpoint: string;
  /** Creates the stream if it is missing and waits until it is ACTIVE; an existing stream is kept as it is. */
  ensureStream(name: string, shardCount: number): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startLocalKinesis}. */
export interface LocalKinesisOptions {
  /** LevelDB directory for the streams; in memory when undefined. One process at a time (LevelDB lock). */
  readonly path?: string;
}

const STREAM_ACTIVE_TIMEOUT_MS = 10_000;

/**
 * Starts kinesalite in this process on a free loopback port, persisting to `path` (LevelDB)
 * or in memory when `path` is undefined. Streams become ACTIVE at once: kinesalite honours
 * `createStreamMs: 0` (unlike dynalite, it only treats `null`/`undefined` as "use 500 ms").
 */
export async function startLocalKinesis(options: LocalKinesisOptions = {}): Promise<LocalKinesis> {
  const server: Server = kinesalite({
    ...(options.path ? { path: options.path } : {}),
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new KinesisClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2000 }),
    maxAttempts: 3,
  });

  async function streamStatus(name: string): Promise<string | undefined> {
    try {
      const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      return out.StreamDescriptionSummary?.StreamStatus;
    } catch (e) {
      if (e instanceof ResourceNotFoundException) return undefined;
      throw e;
    }
  }

  async function ensureStream(name: string, shardCount: number): Promise<void> {
    let status = await streamStatus(name);
    if (status === undefined) {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
    }
    const deadline = Date.now() + STREAM_ACTIVE_TIMEOUT_MS;
    status = await streamStatus(name);
    while (status !== 'ACTIVE') {
      if (Date.now() > deadline) {
        throw new Error(
          `Kinesis stream ${name} is ${status ?? 'missing'}, not ACTIVE, after ${STREAM_ACTIVE_TIMEOUT_MS} ms`,
        );
      }
      await delay(5);
      status = await streamStatus(name);
    }
  }

  return {
    client,
    endpoint,
    ensureStream,
    close: async () => {
      client.destroy();
      await new Promise<void>((ok, fail) => server.close((e) => (e ? fail(e) : ok())));
    },
  };
}
