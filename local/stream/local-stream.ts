import { isUtf8 } from 'node:buffer';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { createObservability } from '../../functions/observability.js';
import { createHandler as createStreamUpsert } from '../../functions/stream-upsert/handler.js';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import { parseRecordJson } from '../../shared/core/record-rules.js';
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
  putRecords(
    dataset: string,
    records: readonly { partitionKey: string; data: string | Uint8Array }[],
  ): Promise<number>;
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

/** A gzip file that does not decompress whole: nothing of it goes on the stream. */
export class DamagedGzipError extends Error {
  override readonly name = 'DamagedGzipError';
}

/**
 * The file's bytes, decompressed when it is gzip (a `.gz` name or the gzip magic bytes), as the
 * batch path reads it. A gzip file that does not decompress whole is refused whole: a partial
 * read would put some of its records on the stream and lose the rest without a word.
 */
function fileBytes(file: string): Buffer {
  const raw = readFileSync(file);
  if (!(file.endsWith('.gz') || (raw[0] === 0x1f && raw[1] === 0x8b))) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DamagedGzipError(
      `${file} is not a complete gzip file (${why}): nothing of it was put on the stream. Get the complete file and stream it again.`,
    );
  }
}

/** The largest Kinesis record: data and partition key together, 1 MiB (PutRecords refuses more). */
export const KINESIS_MAX_RECORD_BYTES = 1_048_576;

/** One line of a file to put on the stream. */
export interface StreamEntry {
  readonly partitionKey: string;
  /** The line's bytes as they are in the file (without the line ending). */
  readonly data: Uint8Array;
  /** 1-based line number in the file. */
  readonly line: number;
}

/** Python's str.strip set, as the record rules' blank line (shared/core/record-rules.ts). */
function isBlank(bytes: Uint8Array): boolean {
  const from = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let i = from; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 32 && (c < 9 || c > 13)) return false;
  }
  return true;
}

/**
 * The records of an NDJSON file as stream entries of a dataset: partition key
 * `<dataset>/<record key>` (the line number for a line without one), data the line's bytes as
 * they are (a line that is not UTF-8 reaches stream-upsert as it is, which quarantines it, as the
 * batch path does). Blank lines are no records, as on the batch path.
 */
export function streamEntries(file: string, dataset: string, keyFields: readonly string[]): StreamEntry[] {
  const bytes = fileBytes(file);
  const out: StreamEntry[] = [];
  let start = 0;
  for (let n = 1; start <= bytes.length; n++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const stop = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    const data = bytes.subarray(start, stop);
    start = end + 1;
    if (isBlank(data)) continue;
    let key = `line-${n}`;
    if (data.byteLength <= KINESIS_MAX_RECORD_BYTES && isUtf8(data)) {
      const text = data.toString('utf8');
      const parsed = parseRecordJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      if (parsed.ok) {
        const parts = keyFields.map((k) => parsed.fields.get(k));
        if (parts.every((p) => p !== undefined && p !== null)) key = parts.join('|');
      }
      // Otherwise: stream-upsert quarantines it with its reason.
    }
    out.push({ partitionKey: `${dataset}/${key}`.slice(0, 256), data, line: n });
  }
  return out;
}
