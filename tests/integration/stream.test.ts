import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { streamFile } from '../../cli/commands/stream.js';
import { UsageError } from '../../cli/context.js';
import { createObservability } from '../../functions/observability.js';
import { createHandler } from '../../functions/stream-upsert/handler.js';
import { localContext } from '../../local/lambda-context.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { compileChecks } from '../../shared/core/stream/micro-batch.js';
import type { ObjectStore } from '../../shared/ports.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';
import { kinesisEvent, type TestRecord } from '../helpers/kinesis.js';
import { silverDigest, startRuntime } from '../helpers/runtime.js';

let rt: LocalRuntime;
afterEach(async () => {
  await rt?.close();
});

/** The stream-upsert handler writing into the runtime's Bronze (or through `objects`). */
function streamHandler(objects: ObjectStore = rt.store) {
  return createHandler({
    ...createObservability('stream-upsert', { local: true, logLevel: 'SILENT' }),
    objects,
    config: {
      datasets: rt.contracts.datasets,
      routing: { partitionKeyDelimiter: '/' },
      bronzeBucket: LOCAL_LAYOUT.bronzeBucket,
      quarantineBucket: LOCAL_LAYOUT.quarantineBucket,
    },
    checks: compileChecks(rt.contracts.datasets),
  });
}

async function deliver(event: KinesisStreamEvent, objects?: ObjectStore) {
  const response = await streamHandler(objects)(event, localContext('stream-upsert'));
  await rt.idle();
  return response;
}

const silverRows = async () =>
  (
    await rt.warehouse.query(
      "SELECT order_id, status, strftime(updated_at, '%H:%M') AS at FROM silver.orders ORDER BY 1",
    )
  ).rows;

function batch(n: number): TestRecord[] {
  // n orders, each updated twice in the batch (the later update wins).
  return Array.from({ length: n * 2 }, (_, i) => {
    const id = `o${i % n}`;
    const second = i >= n;
    return {
      value: order(id, second ? '2026-11-27T10:00:00Z' : '2026-11-27T09:00:00Z', {
        status: second ? 'paid' : 'placed',
      }),
      partitionKey: `orders/${id}`,
    };
  });
}

describe('stream-upsert on the local runtime', () => {
  it("leaves exactly one copy of each record's effect when a batch is delivered three times and split by bisect", async () => {
    ({ rt } = await startRuntime());
    const records = batch(10);
    const event = kinesisEvent(records);
    for (let i = 0; i < 3; i++) expect(await deliver(event)).toEqual({ batchItemFailures: [] });
    const loads = await rt.ledger.list({});
    expect(loads).toHaveLength(1);
    expect(loads[0]?.counts).toMatchObject({ rowsIn: 10, inserted: 10 });
    const once = await silverDigest(rt);

    // Bisect: the same records again as two halves (new objects, new loads, no new effect).
    await deliver(kinesisEvent(records.slice(0, 10), 1));
    await deliver(kinesisEvent(records.slice(10), 11));
    const all = await rt.ledger.list({});
    expect(all).toHaveLength(3);
    expect(all.every((l) => l.status === 'SUCCEEDED')).toBe(true);
    expect(await silverDigest(rt)).toEqual(once);
    expect(await silverRows()).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ order_id: `o${i}`, status: 'paid', at: '10:00' })).sort(
        (a, b) => a.order_id.localeCompare(b.order_id),
      ),
    );
    const commits = await rt.warehouse.commits('orders');
    // The first half holds the older versions (stale: counted in none); the second the newer
    // ones, each replacing itself (counted as updates by the contract's rule, as Hudi rewrites them).
    expect(commits.map((c) => [c.inserted, c.updated])).toEqual([
      [10, 0],
      [0, 0],
      [0, 10],
    ]);
  });

  it('lands every good record and quarantines every bad one: records in = Silver + deduplicated + quarantined', async () => {
    ({ rt } = await startRuntime());
    const records: TestRecord[] = [
      ...batch(5),
      { base64: 'not*base64!', partitionKey: 'orders/x' },
      { bytes: Buffer.from([0xff, 0xfe, 0x7b]), partitionKey: 'orders/x' },
      { value: '{"order_id":', partitionKey: 'orders/x' },
      { value: order('x', '2026-11-27T09:00:00Z', { order_id: null }), partitionKey: 'orders/x' },
      { value: order('x', '2026-11-27T09:00:00Z', { order_total: 'lots' }), partitionKey: 'orders/x' },
      {
        value: order('x', '2026-11-27T09:00:00Z', { note: 'z'.repeat(1_100_000) }),
        partitionKey: 'orders/x',
      },
      { value: order('x', '2026-11-27T09:00:00Z'), partitionKey: 'invoices/x' },
    ];
    expect(await deliver(kinesisEvent(records))).toEqual({ batchItemFailures: [] });
    const silver = await silverRows();
    expect(silver).toHaveLength(5);
    const quarantined = (await rt.store.get(
      LOCAL_LAYOUT.quarantineBucket,
      `stream/date=2026-11-27/shardId-000000000000-${kinesisEvent(records).Records[10]!.kinesis.sequenceNumber}-${kinesisEvent(records).Records[16]!.kinesis.sequenceNumber}.ndjson`,
    ))!;
    const reasons = new TextDecoder()
      .decode(quarantined)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).reason as string);
    expect(reasons).toHaveLength(7);
    expect(reasons).toEqual([
      'data is not base64',
      'not valid UTF-8: byte 0xff at offset 0',
      'not valid JSON: Expecting value: line 1 column 13 (char 12)',
      'field order_id: null (record key field)',
      'field order_total: "lots" is not a decimal(12,2)',
      expect.stringMatching(/^record is \d+ bytes/),
      expect.stringMatching(/^unknown dataset "invoices"/),
    ]);
    const deduplicated = 5; // each order came twice
    expect(records.length).toBe(silver.length + deduplicated + reasons.length);
  });

  it('reports the records of an object S3 refused, and the retry completes without duplicates', async () => {
    ({ rt } = await startRuntime());
    let refuse = true;
    const flaky: ObjectStore = {
      put: async (bucket, key, body) => {
        if (refuse && key.startsWith('order_items/')) {
          refuse = false;
          throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
        }
        return rt.store.put(bucket, key, body);
      },
      get: (bucket, key, versionId) => rt.store.get(bucket, key, versionId),
    };
    const line = (id: string) => ({
      value: {
        Op: 'I',
        dms_commit_ts: '2026-11-27T01:00:00Z',
        order_id: id,
        line_no: 1,
        sku: 's',
        quantity: 2,
        unit_price: 3,
        order_date: '2026-11-27',
      },
      partitionKey: `order_items/${id}`,
    });
    const records: TestRecord[] = [
      { value: order('o1', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o1' },
      line('a'),
      { value: order('o2', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o2' },
      line('b'),
    ];
    const event = kinesisEvent(records);
    const response = await deliver(event, flaky);
    const firstItem = event.Records[1]!.kinesis.sequenceNumber;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: firstItem }] });
    // Lambda retries from the reported record: records 1.. again (the orders record o2 twice).
    expect(await deliver({ Records: event.Records.slice(1) }, flaky)).toEqual({ batchItemFailures: [] });
    expect(await silverRows()).toHaveLength(2);
    expect((await rt.warehouse.query('SELECT order_id FROM silver.order_items ORDER BY 1')).rows).toEqual([
      { order_id: 'a' },
      { order_id: 'b' },
    ]);
    expect((await rt.ledger.list({ status: 'FAILED' })).length).toBe(0);
  });

  it('carries records from the local Kinesis stream through the event source mapping into Silver', async () => {
    ({ rt } = await startRuntime());
    const stream = await rt.stream();
    const file = ndjson(
      tempDir(),
      'events.ndjson',
      batch(30).map((r) => r.value as Record<string, unknown>),
    );
    const { streamEntries } = await import('../../local/stream/local-stream.js');
    await stream.putRecords('orders', streamEntries(file, 'orders', ['order_id']));
    await rt.idle();
    const silver = await silverRows();
    expect(silver).toHaveLength(30);
    expect(silver.every((r) => r.status === 'paid')).toBe(true);
    expect(stream.mapping.stats.batchesSentToOnFailure).toBe(0);
  });

  it('streams a gzipped file as its records, and refuses a truncated one whole, naming it, with nothing put', async () => {
    ({ rt } = await startRuntime());
    const dir = tempDir();
    const plain = ndjson(
      dir,
      'events.ndjson',
      batch(20).map((r) => r.value as Record<string, unknown>),
    );
    const gz = join(dir, 'events.ndjson.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    const out = await streamFile(rt, 'orders', gz);
    expect({ put: out.recordsPut, quarantined: out.quarantined }).toEqual({ put: 40, quarantined: 0 });
    expect(await silverRows()).toHaveLength(20);

    const whole = gzipSync(
      Buffer.from(`${JSON.stringify(order('late-1', '2026-12-01T00:00:00Z'))}\n`.repeat(50)),
    );
    const cut = join(dir, 'cut.ndjson.gz');
    writeFileSync(cut, whole.subarray(0, whole.length - 12));
    const refused = await streamFile(rt, 'orders', cut).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as Error).message).toMatch(
      /cut\.ndjson\.gz is not a complete gzip file \(.+\): nothing of it was put on the stream\. Get the complete file and stream it again\./,
    );
    expect(await silverRows()).toHaveLength(20);
  });
});
