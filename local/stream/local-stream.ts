import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { createObservability } from '../../functions/observability.js';
import { createHandler as createStreamUpsert } from '../../functions/stream-upsert/handler.js';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import { compileChecks, type StreamRouting } from '../../shared/core/stream/micro-batch.js';
import type { ObjectStore } from '../../shared/ports.js';
import { crashPoint } from '../crash-point.js';
import { LOCAL_LAYOUT, type Workspace } from '../workspace.js';
import { LocalEventSourceMapping, type OnFailureRecord } from './event-source-mapping.js';
import { type LocalKinesis, startLocalKinesis } from './local-kinesis.js';

/** The local stream: one Kinesis stream carrying every dataset, routed by partition key. */
export const LOCAL_STREAM = { name: 'lakeplane-events', shards: 2 } as const;

/** Partition keys are `<dataset>/<record key>`: stream-upsert routes on the prefix. */
export const LOCAL_ROUTING: StreamRouting = { partitionKeyDelimiter: '/' };

/**
 * The event source mapping settings, as serverless.yml deploys them (batch size, window, bisect,
 * retries, record age, ReportBatchItemFailures), so local runs behave like the deployed stack.
 */
export const STREAM_MAPPING = {
  batchSize: 500,
  maximumBatchingWindowMs: 1000,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 3,
  maximumRecordAgeSeconds: 3600,
  reportBatchItemFailures: true,
} as const;

export interface LocalStream {
  readonly kinesis: LocalKinesis;
  readonly mapping: LocalEventSourceMapping;
  /** Puts NDJSON records of a dataset on the stream (PutRecords, 500 at a time); returns the count. */
  putRecords(dataset: string, records: readonly { partitionKey: string; data: string }[]): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts kinesalite (persisted under `<home>/kinesis`) with the stream, and the mapping that
 * invokes the same stream-upsert handler as Lambda, writing into the local object store.
 * Discarded batches (the on-failure destination) go to `<home>/stream-failures.jsonl`.
 */
export async function startLocalStream(
  ws: Workspace,
  contracts: ContractSet,
  objects: ObjectStore,
  options: { logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' } = {},
): Promise<LocalStream> {
  const kinesis = await startLocalKinesis({ path: join(ws.home, 'kinesis') });
  await kinesis.ensureStream(LOCAL_STREAM.name, LOCAL_STREAM.shards);
  const handler = createStreamUpsert({
    ...createObservability('stream-upsert', { local: true, logLevel: options.logLevel ?? 'SILENT' }),
    objects,
    config: {
      datasets: contracts.datasets,
      routing: LOCAL_ROUTING,
      bronzeBucket: LOCAL_LAYOUT.bronzeBucket,
      quarantineBucket: LOCAL_LAYOUT.quarantineBucket,
    },
    checks: compileChecks(contracts.datasets),
  });
  const failures = join(ws.home, 'stream-failures.jsonl');
  const mapping = new LocalEventSourceMapping({
    client: kinesis.client,
    streamName: LOCAL_STREAM.name,
    handler,
    functionName: 'stream-upsert',
    startingPosition: 'TRIM_HORIZON',
    checkpointFile: join(ws.home, 'stream-checkpoints.json'),
    pollIntervalMs: 20,
    onFailure: async (record: OnFailureRecord) => {
      appendFileSync(failures, `${JSON.stringify(record)}\n`);
    },
    ...STREAM_MAPPING,
  });
  await mapping.start();
  return {
    kinesis,
    mapping,
    async putRecords(_dataset, records) {
      for (let i = 0; i < records.length; i += 500) {
        const entries: PutRecordsRequestEntry[] = records
          .slice(i, i + 500)
          .map((r) => ({ PartitionKey: r.partitionKey, Data: Buffer.from(r.data) }));
        const out = await kinesis.client.send(
          new PutRecordsCommand({ StreamName: LOCAL_STREAM.name, Records: entries }),
        );
        if (out.FailedRecordCount)
          throw new Error(`${out.FailedRecordCount} records were not accepted by the stream`);
      }
      crashPoint('stream:put');
      return records.length;
    },
    async close() {
      await mapping.stop();
      await kinesis.close();
    },
  };
}

/**
 * The records of an NDJSON file as stream entries of a dataset: partition key
 * `<dataset>/<record key>` (the line number for a line without one), data the line as it is.
 */
export function streamEntries(
  file: string,
  dataset: string,
  keyFields: readonly string[],
): { partitionKey: string; data: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => ({ line: line.trimEnd(), i }))
    .filter(({ line }) => line !== '')
    .map(({ line, i }) => {
      let key = `line-${i + 1}`;
      try {
        const value = JSON.parse(line) as Record<string, unknown>;
        const parts = keyFields.map((k) => value?.[k]);
        if (parts.every((p) => p !== undefined && p !== null)) key = parts.join('|');
      } catch {
        // Not JSON: stream-upsert will quarantine it with its reason.
      }
      return { partitionKey: `${dataset}/${key}`.slice(0, 256), data: line };
    });
}
