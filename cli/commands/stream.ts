import { basename, join } from 'node:path';
import type { LocalRuntime } from '../../local/runtime.js';
import {
  DamagedGzipError,
  KINESIS_MAX_RECORD_BYTES,
  streamEntries,
} from '../../local/stream/local-stream.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import type { LoadRecord } from '../../shared/core/load.js';
import { MAX_RECORD_BYTES, tooLargeReason } from '../../shared/core/record-rules.js';
import type { ObjectInfo } from '../../shared/ports.js';
import { UsageError } from '../context.js';
import { duration, table } from '../output.js';

export interface StreamOutcome {
  readonly recordsPut: number;
  /** The micro-batch objects stream-upsert wrote to Bronze. */
  readonly objects: number;
  /** The loads that took them (coalesced: several objects may share one). */
  readonly loads: readonly LoadRecord[];
  readonly quarantined: number;
  readonly quarantineObjects: readonly string[];
  /** The local folder of the stream's quarantined records (each with its reason), when there are any. */
  readonly quarantineDir?: string;
  readonly discardedBatches: number;
}

/**
 * Puts a file's records on the local Kinesis stream, then waits until the event source
 * mapping has delivered them, stream-upsert has written its micro-batches and every load they
 * started has finished.
 */
export async function streamFile(rt: LocalRuntime, dataset: string, file: string): Promise<StreamOutcome> {
  const contract = rt.contracts.datasets.get(dataset);
  if (!contract)
    throw new UsageError(
      `no dataset named "${dataset}"; known datasets: ${[...rt.contracts.datasets.keys()].join(', ')}`,
    );
  const created: ObjectInfo[] = [];
  rt.store.onObjectCreated((info) => created.push(info));
  const stream = await rt.stream();
  const failedBefore = stream.mapping.stats.batchesSentToOnFailure;
  // Kinesis refuses a record over 1 MiB (data and partition key) with a ValidationException for
  // the whole PutRecords call: such a line is quarantined here, naming it, and the rest go on.
  let entries: ReturnType<typeof streamEntries>;
  try {
    entries = streamEntries(file, dataset, contract.key);
  } catch (e) {
    if (e instanceof DamagedGzipError) throw new UsageError(e.message);
    throw e;
  }
  const fits = (e: (typeof entries)[number]) =>
    e.data.byteLength + Buffer.byteLength(e.partitionKey) <= KINESIS_MAX_RECORD_BYTES;
  const tooLarge = entries.filter((e) => !fits(e));
  if (tooLarge.length > 0) {
    const at = new Date();
    const lines = tooLarge.map((e) => {
      const bytes = e.data.byteLength;
      const why =
        bytes > MAX_RECORD_BYTES
          ? tooLargeReason(bytes)
          : `record and partition key are ${bytes + Buffer.byteLength(e.partitionKey)} bytes, more than the ${KINESIS_MAX_RECORD_BYTES} a Kinesis record takes`;
      return JSON.stringify({
        reason: `line ${e.line} of ${basename(file)}: ${why}`,
        dataset,
        file,
        lineNumber: e.line,
        partitionKey: e.partitionKey,
        data: Buffer.from(e.data).toString('base64'),
      });
    });
    await rt.store.put(
      LOCAL_LAYOUT.quarantineBucket,
      `stream/date=${at.toISOString().slice(0, 10)}/put-refused-${dataset}-${at.getTime()}.ndjson`,
      `${lines.join('\n')}\n`,
    );
  }
  const recordsPut = await stream.putRecords(dataset, entries.filter(fits));
  await rt.idle();
  const bronze = created.filter((o) => o.bucket === LOCAL_LAYOUT.bronzeBucket);
  // The scheduler's loads that took the micro-batch objects (several objects may share one).
  const loadIds = [...new Set(await Promise.all(bronze.map((o) => rt.loadOf(dataset, o))))].filter(
    (id): id is string => id !== undefined,
  );
  const loads = (await Promise.all(loadIds.map((id) => rt.ledger.get(id)))).filter(
    (l): l is LoadRecord => l !== undefined,
  );
  const quarantine = created.filter(
    (o) => o.bucket === LOCAL_LAYOUT.quarantineBucket && o.key.startsWith('stream/'),
  );
  let quarantined = 0;
  for (const q of quarantine) {
    const body = await rt.store.get(q.bucket, q.key, q.versionId);
    quarantined += body ? new TextDecoder().decode(body).trim().split('\n').length : 0;
  }
  return {
    recordsPut,
    objects: bronze.length,
    loads,
    quarantined,
    quarantineObjects: quarantine.map((q) => `s3://${q.bucket}/${q.key}`),
    ...(quarantined > 0
      ? { quarantineDir: join(rt.workspace.objects, LOCAL_LAYOUT.quarantineBucket, 'stream') }
      : {}),
    discardedBatches: stream.mapping.stats.batchesSentToOnFailure - failedBefore,
  };
}

export function describeStream(o: StreamOutcome): string {
  const lines = [
    `${o.recordsPut} records put on the stream; ${o.objects} micro-batch objects in ${o.loads.length} loads; ${o.quarantined} records quarantined`,
  ];
  if (o.quarantineDir) lines.push(`quarantined records, each with its reason: ${o.quarantineDir}`);
  if (o.loads.length > 0) {
    lines.push(
      table(
        ['load', 'objects', 'status', 'in', 'inserted', 'updated', 'deleted', 'duration', 'first object'],
        o.loads.map((l) => [
          l.loadId,
          l.manifest?.objects ?? 1,
          l.status,
          l.counts?.rowsIn,
          l.counts?.inserted,
          l.counts?.updated,
          l.counts?.deleted,
          duration(l.durationMs),
          l.source.key,
        ]),
      ),
    );
  }
  for (const q of o.quarantineObjects) lines.push(`quarantine: ${q}`);
  if (o.discardedBatches > 0)
    lines.push(
      `${o.discardedBatches} batches were discarded after their retries: see stream-failures.jsonl in the workspace`,
    );
  return lines.join('\n');
}
