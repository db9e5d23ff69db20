import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { landAndWait } from '../../cli/commands/load.js';
import { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_STATE_MACHINE_ARN } from '../../local/workspace.js';
import { executionStatusPattern } from '../../shared/core/event-patterns.js';
import {
  concatenated,
  landFilesAtOnce,
  loadsWithObjects,
  orderRecords,
  silverRows,
  streamAtOnce,
} from '../helpers/coalesced.js';
import { ndjson, tempDir } from '../helpers/fixtures.js';

// Coalesced loads end to end on the DuckDB engine (tests/spark/coalesced-loads.test.ts: Spark).
const runtimes: LocalRuntime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.close();
});

async function runtime(maxObjects?: number, home = tempDir()): Promise<LocalRuntime> {
  const rt = await LocalRuntime.start({
    home,
    print: () => undefined,
    ...(maxObjects ? { loadLimits: { maxObjects, maxBytes: 8 * 1024 ** 3 } } : {}),
  });
  runtimes.push(rt);
  return rt;
}

/** The most executions of one dataset in flight at once, watched through their status events. */
function inFlightWatch(rt: LocalRuntime): { max: () => number } {
  const running = new Map<string, Set<string>>();
  let max = 0;
  rt.bus.addRule('in-flight-watch', executionStatusPattern(LOCAL_STATE_MACHINE_ARN), async (e) => {
    const d = e.detail as { name: string; status: string; input: string };
    const dataset = (JSON.parse(d.input) as { load: { dataset: string } }).load.dataset;
    const set = running.get(dataset) ?? new Set<string>();
    running.set(dataset, set);
    if (d.status === 'RUNNING') set.add(d.name);
    else set.delete(d.name);
    max = Math.max(max, set.size);
  });
  return { max: () => max };
}

describe('coalesced loads on the local runtime (DuckDB)', () => {
  it('500 small files landed at once: 4 loads of at most 200 objects, Silver equal to one file of the same records', async () => {
    const rt = await runtime(200);
    const watch = inFlightWatch(rt);
    const dir = tempDir();
    await landFilesAtOnce(rt, dir, 500, 2);

    const loads = await loadsWithObjects(rt, 'orders');
    // The first file alone (the dataset was idle), then the 499 that landed meanwhile, 200 at most each.
    expect(loads.map((l) => l.keys.length)).toEqual([1, 200, 200, 99]);
    expect(loads.every((l) => l.load.status === 'SUCCEEDED')).toBe(true);
    expect(loads.flatMap((l) => l.keys.map((k) => k.key))).toEqual(
      Array.from({ length: 500 }, (_, f) => `orders/part-${String(f).padStart(4, '0')}.ndjson`),
    );
    expect(loads.reduce((n, l) => n + (l.load.counts?.rowsIn ?? 0), 0)).toBe(1000);
    expect(watch.max()).toBe(1);
    expect(await rt.scheduler.pending.list('orders')).toEqual([]);

    const one = await runtime();
    await landAndWait(one, 'orders', [await concatenated(rt, loads, join(dir, 'all.ndjson'))]);
    expect((await silverRows(one)).length).toBe(97);
    expect(await silverRows(rt)).toEqual(await silverRows(one));
  });

  it('5,000 records streamed: at most 1 + ceil(objects / limit) loads, Silver equal to one file of the records', async () => {
    const rt = await runtime();
    const dir = tempDir();
    const put = await streamAtOnce(rt, dir, 5000);
    expect(put).toBe(5000);

    const loads = await loadsWithObjects(rt, 'orders');
    const objects = loads.reduce((n, l) => n + l.keys.length, 0);
    expect(objects).toBeGreaterThanOrEqual(10); // 500 records a batch at most, 2 shards
    expect(loads.length).toBeLessThanOrEqual(2);
    expect(loads.every((l) => l.load.status === 'SUCCEEDED')).toBe(true);

    const one = await runtime();
    await landAndWait(one, 'orders', [ndjson(dir, 'one.ndjson', orderRecords(5000, 211))]);
    expect((await silverRows(one)).length).toBe(211);
    expect(await silverRows(rt)).toEqual(await silverRows(one));
  });

  it('never has two loads of a dataset in flight: concurrent landings and racing safety-net runs', async () => {
    const rt = await runtime(7);
    const watch = inFlightWatch(rt);
    const dir = tempDir();
    mkdirSync(join(dir, 'o'));
    const records = orderRecords(120, 31);
    // Waves of 10 racing landings and 2 racing safety-net runs, each wave landing while loads run.
    for (let w = 0; w < 12; w++) {
      await Promise.all([
        ...records
          .slice(w * 10, (w + 1) * 10)
          .map((r, i) =>
            rt.land('orders', ndjson(join(dir, 'o'), `c-${String(w * 10 + i).padStart(3, '0')}.ndjson`, [r])),
          ),
        rt.safetyNet(),
        rt.safetyNet(),
      ]);
    }
    await rt.idle();

    const loads = await loadsWithObjects(rt, 'orders');
    expect(watch.max()).toBe(1);
    expect(loads.reduce((n, l) => n + l.keys.length, 0)).toBe(120);
    expect(Math.max(...loads.map((l) => l.keys.length))).toBeLessThanOrEqual(7);
    expect(await rt.scheduler.pending.list('orders')).toEqual([]);

    // The landing order the scheduler chose, as one file: the same Silver.
    const one = await runtime();
    await landAndWait(one, 'orders', [await concatenated(rt, loads, join(dir, 'all.ndjson'))]);
    expect(await silverRows(rt)).toEqual(await silverRows(one));
  });

  it('an object left pending by a process that died before scheduling loads when the next runtime starts', async () => {
    const home = tempDir();
    const first = await runtime(undefined, home);
    // The object is in the store and pending, and no scheduler ran (the process died in between).
    const info = await first.store.putFile(
      'scratch',
      'orders/late.ndjson',
      ndjson(tempDir(), 'late.ndjson', orderRecords(3, 3)),
    );
    const object = {
      dataset: 'orders',
      bucket: info.bucket,
      key: info.key,
      versionId: info.versionId!,
      etag: info.etag,
      size: info.size,
      landedAt: new Date().toISOString(),
    };
    expect(await first.scheduler.pending.add(object)).toBe(true);
    await runtimes.shift()?.close();

    const next = await runtime(undefined, home);
    await next.idle();
    const [load] = await loadsWithObjects(next, 'orders');
    expect(load?.load.status).toBe('SUCCEEDED');
    expect(load?.keys).toEqual([{ key: 'orders/late.ndjson', versionId: info.versionId }]);
    expect(await next.scheduler.pending.list('orders')).toEqual([]);
  });
});
