import type { LocalRuntime } from '../../local/runtime.js';
import { streamEntries } from '../../local/stream/local-stream.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import type { LoadRecord } from '../../shared/core/load.js';
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
  const recordsPut = await stream.putRecords(dataset, streamEntries(file, dataset, contract.key));
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
    discardedBatches: stream.mapping.stats.batchesSentToOnFailure - failedBefore,
  };
}

export function describeStream(o: StreamOutcome): string {
  const lines = [
    `${o.recordsPut} records put on the stream; ${o.objects} micro-batch objects in ${o.loads.length} loads; ${o.quarantined} records quarantined`,
  ];
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
