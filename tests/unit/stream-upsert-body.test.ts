import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compileChecks, type StreamRecord } from '../../shared/core/stream/micro-batch.js';
import type { ObjectInfo, ObjectStore } from '../../shared/ports.js';
import { onStreamBatch } from '../../shared/usecases/stream-upsert.js';
import { contract, order } from '../helpers/fixtures.js';
import { kinesisEvent, type TestRecord } from '../helpers/kinesis.js';

const orders = contract('orders');
const items = contract('order_items');
const datasets = new Map([
  [orders.name, orders],
  [items.name, items],
]);

class Store implements ObjectStore {
  readonly bodies = new Map<string, Uint8Array | string>();
  async put(bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    this.bodies.set(`${bucket}/${key}`, body);
    return { bucket, key, etag: 'e', size: typeof body === 'string' ? body.length : body.byteLength };
  }
  async get(): Promise<Uint8Array | undefined> {
    return undefined;
  }
}

function records(rs: readonly TestRecord[]): StreamRecord[] {
  return kinesisEvent(rs).Records.map((r) => ({
    shardId: r.eventID.split(':')[0]!,
    sequenceNumber: r.kinesis.sequenceNumber,
    partitionKey: r.kinesis.partitionKey,
    data: r.kinesis.data,
    arrivalSeconds: r.kinesis.approximateArrivalTimestamp,
  }));
}

describe('onStreamBatch body', () => {
  it('writes each Bronze object as its planned lines, each ended by a line feed, gzipped', async () => {
    const json = (v: unknown) => JSON.stringify(v);
    const store = new Store();
    const { plan } = await onStreamBatch(
      records([
        // a byte order mark, dropped
        {
          bytes: Buffer.from(`\ufeff${json(order('bom', '2026-11-27T09:00:00Z'))}`),
          partitionKey: 'orders/a',
        },
        // line breaks between tokens, each a space
        {
          value: json(order('crlf', '2026-11-27T09:00:00Z')).replace(',', ',\r\n'),
          partitionKey: 'orders/b',
        },
        // text beyond ASCII
        { value: order('ünï-çødé', '2026-11-27T09:00:00Z', { status: 'payé ✓' }), partitionKey: 'orders/c' },
        { value: order('bom', '2026-11-27T08:00:00Z'), partitionKey: 'orders/a' },
        { value: 'not json', partitionKey: 'orders/d' },
      ]),
      {
        objects: store,
        config: {
          datasets,
          routing: { partitionKeyDelimiter: '/' },
          bronzeBucket: 'b',
          quarantineBucket: 'q',
        },
        checks: compileChecks(datasets),
      },
    );
    const bronze = plan.objects.find((o) => o.kind === 'bronze')!;
    expect(bronze.lines).toHaveLength(3);
    expect(bronze.lines[0]!.startsWith('{"order_id":"bom"')).toBe(true);
    expect(bronze.lines[1]).toContain(',  "customer_id"');
    const body = store.bodies.get(`b/${bronze.key}`) as Uint8Array;
    expect(gunzipSync(body).toString('utf8')).toBe(`${bronze.lines.join('\n')}\n`);
    expect(bronze.utf8?.map((b) => Buffer.from(b).toString('utf8'))).toEqual(bronze.lines);
    const quarantine = plan.objects.find((o) => o.kind === 'quarantine')!;
    expect(store.bodies.get(`q/${quarantine.key}`)).toBe(`${quarantine.lines.join('\n')}\n`);
  });
});
