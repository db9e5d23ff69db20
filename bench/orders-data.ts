/** The order files the load benchmarks land: a base load with 10% duplicate keys, then an upsert batch. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function record(id: number, day: number, status: string): string {
  const ts = `2026-11-${String(day).padStart(2, '0')}T${String(id % 24).padStart(2, '0')}:${String(id % 60).padStart(2, '0')}:00Z`;
  return `{"order_id":"ord-${id}","customer_id":"cus-${id % 5000}","customer_email":"u${id % 9000}@example.com","status":"${status}","order_ts":"2026-11-${String(10 + (id % 10)).padStart(2, '0')}T10:00:00Z","order_total":${(id % 100000) / 100},"currency":"EUR","fx_rate":1.08,"updated_at":"${ts}"}`;
}

export interface OrderFiles {
  readonly base: string;
  readonly upsert: string;
}

/**
 * `baseRows` orders (10% duplicate keys), then `upsertRows` records: half updates of stored keys
 * (a tenth of them stale), half new keys.
 */
export function writeOrderFiles(dir: string, baseRows: number, upsertRows: number): OrderFiles {
  const base: string[] = [];
  for (let i = 0; i < baseRows; i++) base.push(record(i % Math.floor(baseRows * 0.9), 20, 'placed'));
  const upsert: string[] = [];
  for (let i = 0; i < upsertRows; i++) {
    if (i % 2 === 0) upsert.push(record(i * 3, i % 10 === 0 ? 19 : 21, i % 10 === 0 ? 'stale' : 'paid'));
    else upsert.push(record(baseRows + i, 21, 'placed'));
  }
  const paths = { base: join(dir, 'orders-base.ndjson'), upsert: join(dir, 'orders-upsert.ndjson') };
  writeFileSync(paths.base, `${base.join('\n')}\n`);
  writeFileSync(paths.upsert, `${upsert.join('\n')}\n`);
  return paths;
}
