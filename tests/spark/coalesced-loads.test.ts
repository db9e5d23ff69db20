import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { landAndWait } from '../../cli/commands/load.js';
import { LocalRuntime } from '../../local/runtime.js';
import {
  concatenated,
  landFilesAtOnce,
  loadsWithObjects,
  orderRecords,
  silverRows,
  streamAtOnce,
} from '../helpers/coalesced.js';
import { ndjson, tempDir } from '../helpers/fixtures.js';

// Coalesced loads on the Spark engine: the stage job reads each load's manifest (Spark local
// mode, Hudi 1.0.2), as tests/integration/coalesced-loads.test.ts does on DuckDB.
// One Spark driver (2 GB) at a time beside the next: each test closes its runtimes.
const runtimes: LocalRuntime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.close();
});

async function spark(): Promise<LocalRuntime> {
  const rt = await LocalRuntime.start({ home: tempDir(), engine: 'spark', print: () => undefined });
  runtimes.push(rt);
  return rt;
}

describe('coalesced loads on the Spark engine', () => {
  it('500 small files landed at once: 2 loads at the default limits, Silver equal to one file of the same records', async () => {
    const rt = await spark();
    const dir = tempDir();
    await landFilesAtOnce(rt, dir, 500, 2);
    const loads = await loadsWithObjects(rt, 'orders');
    // The first file alone (the dataset was idle), then the 499 that landed meanwhile.
    expect(loads.map((l) => l.keys.length)).toEqual([1, 499]);
    expect(loads.map((l) => l.load.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(loads.reduce((n, l) => n + (l.load.counts?.rowsIn ?? 0), 0)).toBe(1000);

    const coalesced = await silverRows(rt);
    const file = await concatenated(rt, loads, join(dir, 'all.ndjson'));
    await runtimes.shift()?.close();
    const one = await spark();
    await landAndWait(one, 'orders', [file]);
    expect((await silverRows(one)).length).toBe(97);
    expect(coalesced).toEqual(await silverRows(one));
  });

  it('5,000 records streamed: at most 2 loads, Silver equal to one file of the records', async () => {
    const rt = await spark();
    const dir = tempDir();
    expect(await streamAtOnce(rt, dir, 5000)).toBe(5000);
    const loads = await loadsWithObjects(rt, 'orders');
    expect(loads.reduce((n, l) => n + l.keys.length, 0)).toBeGreaterThanOrEqual(10);
    expect(loads.length).toBeLessThanOrEqual(2);
    expect(loads.every((l) => l.load.status === 'SUCCEEDED')).toBe(true);

    const coalesced = await silverRows(rt);
    await runtimes.shift()?.close();
    const one = await spark();
    await landAndWait(one, 'orders', [ndjson(dir, 'one.ndjson', orderRecords(5000, 211))]);
    expect((await silverRows(one)).length).toBe(211);
    expect(coalesced).toEqual(await silverRows(one));
  });
});
