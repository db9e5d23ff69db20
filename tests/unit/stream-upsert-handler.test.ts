import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObservability } from '../../functions/observability.js';
import { createHandler, InvalidKinesisEventError } from '../../functions/stream-upsert/handler.js';
import { localContext } from '../../local/lambda-context.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { compileChecks } from '../../shared/core/stream/micro-batch.js';
import { contract, order } from '../helpers/fixtures.js';
import { kinesisEvent, sequence } from '../helpers/kinesis.js';

const s3 = mockClient(S3Client);
const orders = contract('orders');
const items = contract('order_items');
const datasets = new Map([
  [orders.name, orders],
  [items.name, items],
]);

function handler() {
  return createHandler({
    ...createObservability('stream-upsert', { local: true, logLevel: 'SILENT' }),
    objects: new S3ObjectStore(
      new S3Client({
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9',
        maxAttempts: 1,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      }),
    ),
    config: {
      datasets,
      routing: { partitionKeyDelimiter: '/' },
      bronzeBucket: 'lake-bronze',
      quarantineBucket: 'lake-quarantine',
    },
    checks: compileChecks(datasets),
  });
}

function throttled(): S3ServiceException {
  return new S3ServiceException({
    name: 'SlowDown',
    $fault: 'server',
    $metadata: { httpStatusCode: 503 },
    message: 'Please reduce your request rate.',
  });
}

const item = (orderId: string, ts: string) => ({
  value: {
    Op: 'I',
    dms_commit_ts: ts,
    order_id: orderId,
    line_no: 1,
    sku: 's',
    quantity: 1,
    unit_price: 2,
    order_date: '2026-11-27',
  },
  partitionKey: `order_items/${orderId}`,
});

beforeEach(() => {
  s3.reset();
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
});
afterEach(() => vi.unstubAllEnvs());

describe('stream-upsert handler', () => {
  it('puts one gzip NDJSON micro-batch per dataset and reports no failure', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"abc"', VersionId: 'v1' });
    const event = kinesisEvent([
      { value: order('o1', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o1' },
      item('a', '2026-11-27T01:00:00Z'),
      { value: order('o1', '2026-11-27T10:00:00Z', { status: 'paid' }), partitionKey: 'orders/o1' },
    ]);
    const response = await handler()(event, localContext('stream-upsert'));
    expect(response).toEqual({ batchItemFailures: [] });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key])).toEqual([
      [
        'lake-bronze',
        `orders/stream/date=2026-11-27/shardId-000000000000-${sequence(1)}-${sequence(3)}.ndjson.gz`,
      ],
      [
        'lake-bronze',
        `order_items/stream/date=2026-11-27/shardId-000000000000-${sequence(2)}-${sequence(2)}.ndjson.gz`,
      ],
    ]);
    const lines = gunzipSync(puts[0]!.Body as Uint8Array)
      .toString('utf8')
      .trim()
      .split('\n');
    expect(lines.map((l) => JSON.parse(l).status)).toEqual(['paid']);
  });

  it('reports the first record of an object S3 refused, and nothing for what was written', async () => {
    s3.on(PutObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.startsWith('order_items/')) throw throttled();
      return { ETag: '"abc"' };
    });
    const event = kinesisEvent([
      { value: order('o1', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o1' },
      { value: order('o2', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o2' },
      item('a', '2026-11-27T01:00:00Z'),
      { value: order('o3', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o3' },
      item('b', '2026-11-27T01:00:00Z'),
    ]);
    const response = await handler()(event, localContext('stream-upsert'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequence(3) }] });
  });

  it('treats bad records as quarantined, not failed; a failed quarantine write is a failure from the first bad record', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"abc"' });
    const event = kinesisEvent([
      { value: order('o1', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o1' },
      { value: 'not json', partitionKey: 'orders/o2' },
    ]);
    expect(await handler()(event, localContext('stream-upsert'))).toEqual({ batchItemFailures: [] });
    const quarantine = s3
      .commandCalls(PutObjectCommand)
      .find((c) => c.args[0].input.Bucket === 'lake-quarantine');
    expect(JSON.parse(new TextDecoder().decode(quarantine?.args[0].input.Body as Uint8Array))).toMatchObject({
      reason: 'not valid JSON: Expecting value: line 1 column 1 (char 0)',
      sequenceNumber: sequence(2),
    });

    s3.reset();
    s3.on(PutObjectCommand).callsFake((input: { Bucket: string }) => {
      if (input.Bucket === 'lake-quarantine') throw throttled();
      return { ETag: '"abc"' };
    });
    expect(await handler()(event, localContext('stream-upsert'))).toEqual({
      batchItemFailures: [{ itemIdentifier: sequence(2) }],
    });
  });

  it('refuses an event that is not a Kinesis batch, naming the field', async () => {
    const bad = kinesisEvent([{ value: order('o1', '2026-11-27T09:00:00Z') }]);
    const record = bad.Records[0]!;
    const broken = { Records: [{ ...record, kinesis: { ...record.kinesis, data: undefined } }] };
    await expect(handler()(broken, localContext('stream-upsert'))).rejects.toThrow(InvalidKinesisEventError);
    await expect(handler()(broken, localContext('stream-upsert'))).rejects.toThrow(
      /Records\.0\.kinesis\.data/,
    );
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
