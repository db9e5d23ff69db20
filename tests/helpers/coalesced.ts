/**
 * The coalesced-load scenarios of the issue, on either engine: many small files landed at once,
 * and records streamed, each ending in a bounded number of loads whose Silver equals one file of
 * the same records in landing order. The first load is held at its first step until everything has
 * landed (an event, not a timer), so the number of loads is decided by the limits alone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalRuntime } from '../../local/runtime.js';
import { streamEntries } from '../../local/stream/local-stream.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import type { LoadRecord } from '../../shared/core/load.js';
import { objectsOfLoad } from '../../shared/usecases/scheduled-loads.js';
import { order } from './fixtures.js';

/** `n` records over few keys, with precombine ties across records (the later one must win). */
export function orderRecords(n: number, keys: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    order(`o${(i * 7) % keys}`, `2026-11-20T10:00:0${i % 3}Z`, { status: `s${i}`, order_total: i }),
  );
}

/** Holds the first EMR step of the runtime until `release()`; resolves `held` when it is waiting. */
export function holdFirstStep(rt: LocalRuntime): { held: Promise<void>; release: () => void } {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((ok) => {
    release = ok;
  });
  const held = new Promise<void>((ok) => {
    reached = ok;
  });
  let first = true;
  rt.emr.fault = async () => {
    if (!first) return;
    first = false;
    reached();
    await gate;
  };
  return { held, release };
}

/** Every load of a dataset with the objects of its manifest in order (the ledger and the artifacts). */
export async function loadsWithObjects(
  rt: LocalRuntime,
  dataset: string,
): Promise<{ load: LoadRecord; keys: { key: string; versionId: string | undefined }[] }[]> {
  const loads = (await rt.ledger.list({ dataset, limit: 10_000 })).sort((a, b) =>
    (a.startedAt ?? '') < (b.startedAt ?? '') ? -1 : 1,
  );
  const out = [];
  for (const load of loads) {
    const keys = (await objectsOfLoad(load, rt.store)).map((o) => ({ key: o.key, versionId: o.versionId }));
    out.push({ load, keys });
  }
  return out;
}

/** The Bronze objects of the loads, in the order they were loaded, as one NDJSON file. */
export async function concatenated(
  rt: LocalRuntime,
  loads: Awaited<ReturnType<typeof loadsWithObjects>>,
  file: string,
): Promise<string> {
  const parts: string[] = [];
  for (const { keys } of loads)
    for (const k of keys) {
      const body = await rt.store.get(LOCAL_LAYOUT.bronzeBucket, k.key, k.versionId);
      parts.push(new TextDecoder().decode(body).trimEnd());
    }
  writeFileSync(file, `${parts.join('\n')}\n`);
  return file;
}

/** Silver's rows on either engine, comparable across runtimes. */
export async function silverRows(rt: LocalRuntime): Promise<Record<string, unknown>[]> {
  return (
    await rt.selectRows(
      'SELECT order_id, status, CAST(order_total AS STRING) AS total, CAST(updated_at AS STRING) AS at FROM silver.orders ORDER BY order_id',
      'orders',
    )
  ).map((r) => ({ ...r }));
}

/** Lands `files` NDJSON files of `perFile` records into orders while the first load is held. */
export async function landFilesAtOnce(
  rt: LocalRuntime,
  dir: string,
  files: number,
  perFile: number,
): Promise<void> {
  const records = orderRecords(files * perFile, 97);
  const hold = holdFirstStep(rt);
  for (let f = 0; f < files; f++) {
    const path = join(dir, `part-${String(f).padStart(4, '0')}.ndjson`);
    writeFileSync(
      path,
      `${records
        .slice(f * perFile, (f + 1) * perFile)
        .map((r) => JSON.stringify(r))
        .join('\n')}\n`,
    );
    await rt.land('orders', path);
    if (f === 0) await hold.held;
  }
  hold.release();
  await rt.idle();
  rt.emr.fault = undefined;
}

/** Streams `records` order events through the local stream while the first load is held. */
export async function streamAtOnce(rt: LocalRuntime, dir: string, records: number): Promise<number> {
  const file = join(dir, 'events.ndjson');
  writeFileSync(
    file,
    `${orderRecords(records, 211)
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`,
  );
  const contract = rt.contracts.datasets.get('orders')!;
  const hold = holdFirstStep(rt);
  const stream = await rt.stream();
  const put = await stream.putRecords('orders', streamEntries(file, 'orders', contract.key));
  await stream.mapping.drain();
  await rt.bus.idle();
  hold.release();
  await rt.idle();
  rt.emr.fault = undefined;
  return put;
}
