import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { type CorpusSnapshot, runCorpus } from '../helpers/parity.js';
import { startRuntime } from '../helpers/runtime.js';

// The parity corpus on the default engine, held to the contract rules themselves (the Spark
// suite, tests/spark/parity.test.ts, then holds the Spark engine to these same snapshots).
let rt: LocalRuntime;
const snap: Record<string, CorpusSnapshot> = {};
beforeAll(async () => {
  ({ rt } = await startRuntime());
  for (const d of ['orders', 'order_items']) snap[d] = await runCorpus(rt, d);
});
afterAll(() => rt.close());

const row = (d: string, key: Record<string, unknown>) =>
  snap[d]!.silver.find((r) => Object.entries(key).every(([k, v]) => r[k] === v));

describe('the parity corpus on DuckDB follows the contract rules', () => {
  it('orders: half boundaries round half-up, the Silver SQL rounds a double as Spark does, overflow is NULL', () => {
    expect(row('orders', { order_id: 'o01' })).toMatchObject({ order_total: '10.01', status: 'paid' });
    expect(row('orders', { order_id: 'o02' })).toMatchObject({ order_total: '1.00', status: 'placed' });
    expect(row('orders', { order_id: 'o03' })).toMatchObject({ order_total_usd: '1.01', status: 'paid' });
    expect(row('orders', { order_id: 'o08' })).toMatchObject({
      order_total: '900000.00',
      order_total_usd: null,
    });
    expect(row('orders', { order_id: 'o09' })).toMatchObject({
      order_total: '2.68',
      order_ts: '2026-11-20T08:00:00',
    });
    expect(row('orders', { order_id: 'o10' })).toMatchObject({ order_ts: '2026-11-20T08:00:00.123456' });
  });

  it('orders: offsets to UTC, ties to the later line, stale updates ignored, partition moves', () => {
    expect(row('orders', { order_id: 'o05' })).toMatchObject({ order_ts: '2026-11-20T02:30:00' });
    expect(row('orders', { order_id: 'o06' })).toMatchObject({ status: 'paid' });
    expect(row('orders', { order_id: 'o07' })).toMatchObject({ status: 'shipped' });
    expect(row('orders', { order_id: 'o04' })).toMatchObject({ order_date: '2026-11-22', status: 'paid' });
    expect(snap.orders!.silver.filter((r) => r.order_id === 'o04')).toHaveLength(1);
    expect(snap.orders!.loads.map((l) => [l.file, l.status])).toEqual([
      ['01-first.ndjson', 'SUCCEEDED'],
      ['02-updates.ndjson', 'SUCCEEDED'],
      ['03-fails-gate.ndjson', 'FAILED_QUALITY'],
      ['04-warns.ndjson', 'SUCCEEDED'],
      ['05-unreadable.ndjson', 'FAILED'],
    ]);
  });

  it('orders: every bad line is quarantined with the reason casting.py gives', () => {
    expect(snap.orders!.loads[0]!.quarantined.map((q) => q.reason)).toEqual([
      'field customer_id: null (not nullable)',
      'field currency: missing (not nullable)',
      'field order_total: "12345678901.00" does not fit decimal(12,2)',
      'field fx_rate: "NaN" is not a double',
      'field updated_at: "2026-02-30T10:00:00Z" is not a timestamp (use ISO 8601, e.g. 2024-05-01T12:30:00Z)',
      'not valid JSON',
      'not a JSON object (the line is an array)',
    ]);
    expect(snap.orders!.loads[2]!.stagedBatchQuarantined).toBe(5);
  });

  it('order_items: ints written as 5.0 load, 5.5 and out of range are quarantined; CDC deletes in any case and padding', () => {
    expect(row('order_items', { order_id: 'a9' })).toMatchObject({ quantity: 5, unit_price: '1.01' });
    expect(snap.order_items!.loads[0]!.quarantined.map((q) => q.reason)).toEqual([
      'field quantity: "5.5" is not an int',
      'field quantity: "3000000000" is out of range for int',
    ]);
    for (const gone of ['a2', 'a3', 'a4']) expect(row('order_items', { order_id: gone })).toBeUndefined();
    expect(row('order_items', { order_id: 'zz' })).toBeUndefined();
    expect(row('order_items', { order_id: 'a5' })).toMatchObject({ quantity: 5 });
    expect(row('order_items', { order_id: 'a6' })).toBeDefined();
    expect(row('order_items', { order_id: 'a7' })).toMatchObject({ order_date: '2026-11-22' });
    expect(row('order_items', { order_id: 'a8' })).toMatchObject({ quantity: 4 });
    expect(row('order_items', { order_id: 'a11' })).toMatchObject({ quantity: 2, Op: 'I' });
    expect(row('order_items', { order_id: 'a20' })).toMatchObject({ unit_price: '0.14', Op: 'U' });
    expect(snap.order_items!.loads.map((l) => l.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'FAILED_QUALITY',
      'FAILED_QUALITY',
      'SUCCEEDED',
    ]);
  });

  it("upsert counts are each record's outcome: a partition move or an unchanged row is an update; stale records and deletes of unknown keys count in none", () => {
    const counts = (d: string, i: number) => {
      const c = snap[d]!.loads[i]!.counts!;
      return [c.inserted, c.updated, c.deleted];
    };
    // o01 newer, o03 tie, o04 and o30 move partition, o11 unchanged; o02 stale.
    expect(counts('orders', 1)).toEqual([0, 5, 0]);
    // a20 new; a1, a8, a11 (delete then insert: the insert is newer) updated and a7 moved;
    // a2, a3, a4 deleted; zz unknown, a5 and a6 stale.
    expect(counts('order_items', 1)).toEqual([1, 4, 3]);
  });
});
