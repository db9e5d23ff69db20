import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  compareSequence,
  compileChecks,
  planMicroBatches,
  type StreamConfig,
  type StreamRecord,
} from '../../shared/core/stream/micro-batch.js';
import { contract, order } from '../helpers/fixtures.js';
import { kinesisEvent, sequence, type TestRecord } from '../helpers/kinesis.js';

const orders = contract('orders');
const items = contract('order_items');
const datasets = new Map([
  [orders.name, orders],
  [items.name, items],
]);
const checks = compileChecks(datasets);
const config: StreamConfig = {
  datasets,
  routing: { partitionKeyDelimiter: '/' },
  bronzeBucket: 'bronze',
  quarantineBucket: 'quarantine',
};

function records(rs: readonly TestRecord[], first = 1): StreamRecord[] {
  return kinesisEvent(rs, first).Records.map((r) => ({
    shardId: r.eventID.split(':')[0]!,
    sequenceNumber: r.kinesis.sequenceNumber,
    partitionKey: r.kinesis.partitionKey,
    data: r.kinesis.data,
    arrivalSeconds: r.kinesis.approximateArrivalTimestamp,
  }));
}

const plan = (rs: readonly TestRecord[], cfg = config) => planMicroBatches(records(rs), cfg, checks);
const parsedLines = (lines: readonly string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('planMicroBatches', () => {
  it('writes one object per dataset and shard, named by shard and first-last sequence', () => {
    const p = plan([
      { value: order('o1', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o1' },
      {
        value: order('o2', '2026-11-27T09:00:00Z'),
        partitionKey: 'orders/o2',
        shardId: 'shardId-000000000001',
      },
      { value: order('o3', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o3' },
    ]);
    expect(p.objects.map((o) => [o.kind, o.bucket, o.key, o.lines.length])).toEqual([
      [
        'bronze',
        'bronze',
        `orders/stream/date=2026-11-27/shardId-000000000000-${sequence(1)}-${sequence(3)}.ndjson.gz`,
        2,
      ],
      [
        'bronze',
        'bronze',
        `orders/stream/date=2026-11-27/shardId-000000000001-${sequence(2)}-${sequence(2)}.ndjson.gz`,
        1,
      ],
    ]);
    expect(p).toMatchObject({ recordsIn: 3, written: 3, deduplicated: 0, quarantined: 0 });
  });

  it('keeps the record with the greatest precombine per key; a tie goes to the higher sequence number', () => {
    const p = plan([
      { value: order('o1', '2026-11-27T09:00:00Z', { status: 'placed' }), partitionKey: 'orders/o1' },
      { value: order('o1', '2026-11-27T11:00:00Z', { status: 'shipped' }), partitionKey: 'orders/o1' },
      { value: order('o1', '2026-11-27T10:00:00Z', { status: 'paid' }), partitionKey: 'orders/o1' },
      { value: order('o2', '2026-11-27T10:00:00Z', { status: 'first' }), partitionKey: 'orders/o2' },
      { value: order('o2', '2026-11-27T10:00:00Z', { status: 'second' }), partitionKey: 'orders/o2' },
    ]);
    expect(parsedLines(p.objects[0]!.lines).map((r) => [r.order_id, r.status])).toEqual([
      ['o1', 'shipped'],
      ['o2', 'second'],
    ]);
    expect(p).toMatchObject({ recordsIn: 5, written: 2, deduplicated: 3 });
  });

  it('orders timestamps by instant, offsets included', () => {
    const p = plan([
      { value: order('o1', '2026-11-27T11:30:00+02:00', { status: 'earlier' }), partitionKey: 'orders/o1' },
      { value: order('o1', '2026-11-27T10:00:00Z', { status: 'later' }), partitionKey: 'orders/o1' },
    ]);
    expect(parsedLines(p.objects[0]!.lines)[0]?.status).toBe('later');
  });

  it('dedupes composite keys', () => {
    const line = (lineNo: number, qty: number, ts: string) => ({
      value: {
        Op: 'U',
        dms_commit_ts: ts,
        order_id: 'a',
        line_no: lineNo,
        sku: 's',
        quantity: qty,
        unit_price: 1,
        order_date: '2026-11-27',
      },
      partitionKey: 'order_items/a',
    });
    const p = plan([
      line(1, 1, '2026-11-27T01:00:00Z'),
      line(2, 2, '2026-11-27T01:00:00Z'),
      line(1, 3, '2026-11-27T02:00:00Z'),
    ]);
    expect(parsedLines(p.objects[0]!.lines).map((r) => [r.line_no, r.quantity])).toEqual([
      [2, 2],
      [1, 3],
    ]);
  });

  it('quarantines every kind of bad record with its reason, shard and sequence number, and keeps the good ones', () => {
    const p = plan(
      [
        { value: order('good1', '2026-11-27T09:00:00Z'), partitionKey: 'orders/good1' },
        { base64: 'not*base64!', partitionKey: 'orders/x' },
        { bytes: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), partitionKey: 'orders/x' },
        { value: '{"order_id": "x", "status": "pla', partitionKey: 'orders/x' },
        { value: [1, 2, 3], partitionKey: 'orders/x' },
        { value: order('x', '2026-11-27T09:00:00Z', { order_id: null }), partitionKey: 'orders/x' },
        { value: order('x', '2026-11-27T09:00:00Z', { fx_rate: 'n/a' }), partitionKey: 'orders/x' },
        { value: order('x', 'yesterday'), partitionKey: 'orders/x' },
        {
          value: order('x', '2026-11-27T09:00:00Z', { note: 'y'.repeat(300_000) }),
          partitionKey: 'orders/x',
        },
        { value: order('x', '2026-11-27T09:00:00Z'), partitionKey: 'customers/x' },
        { value: order('x', '2026-11-27T09:00:00Z'), partitionKey: 'no-delimiter' },
        { value: order('good2', '2026-11-27T09:00:00Z'), partitionKey: 'orders/good2' },
      ],
      { ...config, maxRecordBytes: 256 * 1024 },
    );
    const quarantine = p.objects.find((o) => o.kind === 'quarantine')!;
    expect(quarantine.bucket).toBe('quarantine');
    expect(quarantine.key).toBe(
      `stream/date=2026-11-27/shardId-000000000000-${sequence(2)}-${sequence(11)}.ndjson`,
    );
    const bad = parsedLines(quarantine.lines);
    expect(bad.map((b) => [b.sequenceNumber, b.reason])).toEqual([
      [sequence(2), 'data is not base64'],
      [sequence(3), 'not valid UTF-8: byte 0xff at offset 2'],
      [sequence(4), 'not valid JSON: Unterminated string starting at: line 1 column 29 (char 28)'],
      [sequence(5), 'not a JSON object (the line is an array)'],
      [sequence(6), 'field order_id: null (record key field)'],
      [sequence(7), 'field fx_rate: "n/a" is not a double'],
      [
        sequence(8),
        'field updated_at: "yesterday" is not a timestamp (use ISO 8601, e.g. 2024-05-01T12:30:00Z)',
      ],
      [sequence(9), expect.stringMatching(/^record is \d+ bytes, more than the 262144 allowed$/)],
      [sequence(10), 'unknown dataset "customers" (known: orders, order_items)'],
      [sequence(11), 'the record names no dataset'],
    ]);
    expect(bad[0]).toMatchObject({
      shardId: 'shardId-000000000000',
      partitionKey: 'orders/x',
      data: 'not*base64!',
    });
    expect(bad[5]).toMatchObject({ dataset: 'orders' });
    const bronze = p.objects.find((o) => o.kind === 'bronze')!;
    expect(parsedLines(bronze.lines).map((r) => r.order_id)).toEqual(['good1', 'good2']);
    expect(p.recordsIn).toBe(p.written + p.deduplicated + p.quarantined);
    expect(p).toMatchObject({ recordsIn: 12, written: 2, quarantined: 10 });
  });

  it('routes by a record field, then by partition key, then to the default dataset', () => {
    const cfg = {
      ...config,
      routing: { datasetField: 'dataset', partitionKeyDelimiter: '/', defaultDataset: 'orders' },
    };
    const p = planMicroBatches(
      records([
        {
          value: { ...order('o1', '2026-11-27T09:00:00Z'), dataset: 'orders' },
          partitionKey: 'order_items/ignored',
        },
        { value: order('o2', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o2' },
        { value: order('o3', '2026-11-27T09:00:00Z'), partitionKey: 'plain-key' },
      ]),
      cfg,
      checks,
    );
    expect(p.objects).toHaveLength(1);
    expect(parsedLines(p.objects[0]!.lines).map((r) => r.order_id)).toEqual(['o1', 'o2', 'o3']);
  });

  it('writes a pretty-printed record on one line', () => {
    const p = plan([
      { value: JSON.stringify(order('o1', '2026-11-27T09:00:00Z'), null, 2), partitionKey: 'orders/o1' },
    ]);
    expect(p.objects[0]!.lines).toHaveLength(1);
    expect(p.objects[0]!.lines[0]).not.toContain('\n');
  });

  it('plans the same objects for the same batch', () => {
    const rs: TestRecord[] = [
      { value: order('o1', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o1' },
      { value: 'nope', partitionKey: 'orders/o1' },
    ];
    expect(plan(rs)).toEqual(plan(rs));
  });

  it('compares Kinesis sequence numbers numerically', () => {
    expect(compareSequence('9', '10')).toBeLessThan(0);
    expect(compareSequence(sequence(12), sequence(3))).toBeGreaterThan(0);
    expect(compareSequence(sequence(3), sequence(3))).toBe(0);
  });

  it('gzip-decodes to the planned lines (what stream-upsert writes)', async () => {
    const { onStreamBatch } = await import('../../shared/usecases/stream-upsert.js');
    const written = new Map<string, Uint8Array | string>();
    await onStreamBatch(
      records([{ value: order('o1', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o1' }]),
      {
        objects: {
          put: async (bucket, key, body) => {
            written.set(`${bucket}/${key}`, body);
            return { bucket, key, etag: 'e', size: 0 };
          },
          get: async () => undefined,
        },
        config,
        checks,
      },
    );
    const body = [...written.values()][0] as Uint8Array;
    expect(gunzipSync(body).toString('utf8')).toBe(
      `${JSON.stringify(order('o1', '2026-11-27T09:00:00Z'))}\n`,
    );
  });
});
