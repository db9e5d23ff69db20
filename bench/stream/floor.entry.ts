/**
 * bench:stream contender: the floor, the work stream-upsert cannot avoid and nothing else, the
 * fastest plain way: decode the base64, JSON.parse, check the fields by hand (types, the record
 * key not empty, both timestamps real instants), keep the latest record per key (updated_at, a
 * tie to the later sequence number), serialise the winners as NDJSON in batch order, gzip level 1.
 * No framework, no envelope check, no quarantine, no error wording.
 */
import { gzipSync } from 'node:zlib';
import type { KinesisStreamEvent } from 'aws-lambda';
import { type Contender, MemoryStore } from './contender.js';

const store = new MemoryStore();

interface Order {
  order_id?: unknown;
  customer_id?: unknown;
  customer_email?: unknown;
  status?: unknown;
  order_ts?: unknown;
  order_total?: unknown;
  currency?: unknown;
  fx_rate?: unknown;
  updated_at?: unknown;
}

function instant(v: unknown): number {
  return typeof v === 'string' ? Date.parse(v) : Number.NaN;
}

function valid(o: Order, at: number): o is Order & { order_id: string } {
  return (
    typeof o.order_id === 'string' &&
    o.order_id !== '' &&
    typeof o.customer_id === 'string' &&
    (o.customer_email == null || typeof o.customer_email === 'string') &&
    typeof o.status === 'string' &&
    !Number.isNaN(instant(o.order_ts)) &&
    typeof o.order_total === 'number' &&
    typeof o.currency === 'string' &&
    typeof o.fx_rate === 'number' &&
    !Number.isNaN(at)
  );
}

export const contender: Contender = {
  async run(event: KinesisStreamEvent) {
    const records = event.Records;
    const lines: string[] = new Array(records.length);
    const winners = new Map<string, { at: number; sequence: string; index: number }>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!.kinesis;
      const line = Buffer.from(r.data, 'base64').toString('utf8');
      const o = JSON.parse(line) as Order;
      const at = instant(o.updated_at);
      if (!valid(o, at)) throw new Error(`record ${i} is not an order`);
      lines[i] = line;
      const current = winners.get(o.order_id);
      const s = r.sequenceNumber;
      if (
        !current ||
        at > current.at ||
        (at === current.at &&
          (s.length !== current.sequence.length ? s.length > current.sequence.length : s > current.sequence))
      ) {
        winners.set(o.order_id, { at, sequence: s, index: i });
      }
    }
    // Batch order without a sort: keep each winner's line where it was.
    const keep = new Uint8Array(records.length);
    for (const w of winners.values()) keep[w.index] = 1;
    let text = '';
    for (let i = 0; i < records.length; i++) if (keep[i]) text += `${lines[i]}\n`;
    await store.put('bronze', 'orders/stream/batch.ndjson.gz', gzipSync(text, { level: 1 }));
    return store.take();
  },
};
