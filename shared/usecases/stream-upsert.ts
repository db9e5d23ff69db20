import { gzipSync } from 'node:zlib';
import {
  compareSequence,
  type MicroBatchPlan,
  type PlannedObject,
  planMicroBatches,
  type StreamConfig,
  type StreamRecord,
} from '../core/stream/micro-batch.js';
import type { RecordCheck } from '../core/stream/record-check.js';
import type { ObjectStore } from '../ports.js';

export interface StreamUpsertDeps {
  readonly objects: ObjectStore;
  readonly config: StreamConfig;
  readonly checks: ReadonlyMap<string, RecordCheck>;
}

export interface StreamBatchOutcome {
  readonly plan: MicroBatchPlan;
  /** The first sequence number not safely written (Lambda retries from there), if any. */
  readonly retryFrom?: string;
  /** Why objects could not be written (infrastructure failures only). */
  readonly failures: readonly { readonly key: string; readonly error: string }[];
}

/**
 * Writes the micro-batches and the quarantine object of one batch, in parallel. Bad records are
 * not failures: they are in quarantine. Only an object that could not be written makes the
 * batch report a failure, from the first sequence number that object carries.
 */
export async function onStreamBatch(
  records: readonly StreamRecord[],
  deps: StreamUpsertDeps,
): Promise<StreamBatchOutcome> {
  const plan = planMicroBatches(records, deps.config, deps.checks);
  const results = await Promise.allSettled(
    plan.objects.map((o) => deps.objects.put(o.bucket, o.key, body(o))),
  );
  const failed: { object: PlannedObject; error: string }[] = [];
  results.forEach((r, i) => {
    if (r.status === 'rejected') {
      const e = r.reason;
      failed.push({
        object: plan.objects[i]!,
        error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
      });
    }
  });
  if (failed.length === 0) return { plan, failures: [] };
  const retryFrom = failed
    .map((f) => f.object.firstSequence)
    .reduce((a, b) => (compareSequence(a, b) <= 0 ? a : b));
  return { plan, retryFrom, failures: failed.map((f) => ({ key: f.object.key, error: f.error })) };
}

/**
 * NDJSON, gzip level 1 for Bronze micro-batches: deterministic bytes (no timestamp in the gzip
 * header), so a retried batch writes the same object and the load path sees a duplicate.
 */
function body(o: PlannedObject): Uint8Array | string {
  return o.kind === 'bronze' ? gzipSync(ndjson(o), { level: 1 }) : `${o.lines.join('\n')}\n`;
}

/** The object's lines, each ended by a line feed: copied from their UTF-8 bytes when the plan has them. */
function ndjson(o: PlannedObject): Uint8Array | string {
  const parts = o.utf8;
  if (!parts) return `${o.lines.join('\n')}\n`;
  let size = parts.length;
  for (const p of parts) size += p.byteLength;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
    out[at++] = 0x0a;
  }
  return out;
}
