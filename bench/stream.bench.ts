/**
 * bench:stream — the stream-upsert handler on one 10,000-record Kinesis batch (~300-byte JSON
 * orders, 20% duplicate keys), object writes stubbed in memory. In one process it also times:
 * the floor (base64 decode + JSON.parse of the same records, nothing else) and the reference
 * pattern from the Powertools docs (BatchProcessor with the parser integration and a zod
 * schema per record, doing the same dedupe). Medians of 30 runs after 5 warm-ups; one JSON line.
 * Targets: handler ≤ 4× floor, reference ≥ 20× handler.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { createObservability } from '../functions/observability.js';
import { createHandler } from '../functions/stream-upsert/handler.js';
import { localContext } from '../local/lambda-context.js';
import { compileChecks } from '../shared/core/stream/micro-batch.js';
import type { ObjectInfo, ObjectStore } from '../shared/ports.js';
import { contract } from '../tests/helpers/fixtures.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const RECORDS = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

function makeEvent(): KinesisStreamEvent {
  const arrival = Date.parse('2026-11-27T10:00:00Z') / 1000;
  const Records = Array.from({ length: RECORDS }, (_, i) => {
    const id = i % Math.floor(RECORDS * 0.8); // 20% of the records repeat an earlier key
    const json = JSON.stringify({
      order_id: `ord-${String(id).padStart(8, '0')}`,
      customer_id: `cus-${id % 5000}`,
      customer_email: `customer${id % 9000}@example.com`,
      status: i < RECORDS * 0.8 ? 'placed' : 'paid',
      order_ts: '2026-11-27T09:00:00Z',
      order_total: (id % 100000) / 100,
      currency: 'EUR',
      fx_rate: 1.08,
      updated_at: `2026-11-27T09:${String(i % 60).padStart(2, '0')}:00.${String(i % 1000).padStart(3, '0')}Z`,
      channel: 'web',
      note: 'x'.repeat(20),
    });
    const seq = `4959033827149025660855969253836${String(1_000_000_000 + i)}`;
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: `orders/${id}`,
        sequenceNumber: seq,
        data: Buffer.from(json).toString('base64'),
        approximateArrivalTimestamp: arrival + i / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/stream-upsert',
      awsRegion: 'eu-west-1',
      eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/lakeplane-events',
    };
  });
  return { Records };
}

class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array | string>();
  async put(bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    this.objects.set(`${bucket}/${key}`, body);
    return { bucket, key, etag: 'stub', size: typeof body === 'string' ? body.length : body.byteLength };
  }
  async get(): Promise<Uint8Array | undefined> {
    return undefined;
  }
}

const orders = contract('orders');
const datasets = new Map([[orders.name, orders]]);
const store = new MemoryStore();
const handler = createHandler({
  ...createObservability('stream-upsert', { local: true, logLevel: 'SILENT' }),
  objects: store,
  config: {
    datasets,
    routing: { partitionKeyDelimiter: '/' },
    bronzeBucket: 'bronze',
    quarantineBucket: 'quarantine',
  },
  checks: compileChecks(datasets),
});

/** The floor: decode and parse every record, nothing else. */
async function floor(event: KinesisStreamEvent): Promise<number> {
  let n = 0;
  for (const r of event.Records) {
    const value = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as { order_id: string };
    if (value.order_id) n++;
  }
  return n;
}

/** The pattern the Powertools docs show: BatchProcessor + parser integration + a zod schema. */
const orderSchema = z.object({
  order_id: z.string(),
  customer_id: z.string(),
  customer_email: z.string().nullable().optional(),
  status: z.string(),
  order_ts: z.iso.datetime({ offset: true }),
  order_total: z.number(),
  currency: z.string(),
  fx_rate: z.number(),
  updated_at: z.iso.datetime({ offset: true }),
});
type Order = z.infer<typeof orderSchema>;
const processor = new BatchProcessor(EventType.KinesisDataStreams, {
  parser,
  innerSchema: orderSchema,
  transformer: 'base64',
});
async function reference(event: KinesisStreamEvent, context: Context): Promise<number> {
  const winners = new Map<string, { at: number; seq: string; data: Order }>();
  await processPartialResponse(
    event,
    async (record: { kinesis: { data: Order; sequenceNumber: string } }) => {
      const data = record.kinesis.data;
      const at = Date.parse(data.updated_at);
      const current = winners.get(data.order_id);
      if (!current || at > current.at || (at === current.at && record.kinesis.sequenceNumber > current.seq)) {
        winners.set(data.order_id, { at, seq: record.kinesis.sequenceNumber, data });
      }
    },
    processor,
    { context },
  );
  await store.put(
    'bronze',
    'reference.ndjson',
    [...winners.values()].map((w) => JSON.stringify(w.data)).join('\n'),
  );
  return winners.size;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

const event = makeEvent();
const context = localContext('stream-upsert');
const response = await handler(event, context);
if (response.batchItemFailures.length > 0) throw new Error('the handler reported failures');
const written = [...store.objects.keys()].filter((k) => k.startsWith('bronze/orders/'));
if (written.length !== 1) throw new Error(`expected one micro-batch, got ${written.length}`);
if ((await reference(event, context)) !== RECORDS * 0.8) throw new Error('reference dedupe is wrong');

const floorMs = await time(() => floor(event));
const handlerMs = await time(() => handler(event, context));
const referenceMs = await time(() => reference(event, context));
const r2 = (n: number) => Number(n.toFixed(2));
console.log(
  JSON.stringify({
    bench: 'stream',
    records: RECORDS,
    duplicateShare: 0.2,
    floorMs: r2(floorMs),
    handlerMs: r2(handlerMs),
    referenceMs: r2(referenceMs),
    handlerOverFloor: r2(handlerMs / floorMs),
    referenceOverHandler: r2(referenceMs / handlerMs),
    targets: { handlerOverFloor: 4, referenceOverHandler: 20 },
  }),
);
