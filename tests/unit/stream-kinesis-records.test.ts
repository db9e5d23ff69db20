import { describe, expect, it } from 'vitest';
import { kinesisStreamEvent } from '../../shared/core/stream/kinesis-event.js';
import { kinesisStreamRecords } from '../../shared/core/stream/kinesis-records.js';
import { order } from '../helpers/fixtures.js';
import { kinesisEvent } from '../helpers/kinesis.js';

const event = kinesisEvent([
  { value: order('o1', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o1' },
  { value: order('o2', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o2', shardId: 'shardId-000000000007' },
  { value: order('o3', '2026-11-27T09:00:00Z'), partitionKey: 'orders/o3' },
]);

/** What the handler built from the schema's output before the fast reader. */
function viaSchema(e: unknown) {
  const parsed = kinesisStreamEvent.safeParse(e);
  return parsed.success
    ? parsed.data.Records.map((r) => ({
        shardId: r.eventID.slice(0, r.eventID.indexOf(':')),
        sequenceNumber: r.kinesis.sequenceNumber,
        partitionKey: r.kinesis.partitionKey,
        data: r.kinesis.data,
        arrivalSeconds: r.kinesis.approximateArrivalTimestamp,
      }))
    : undefined;
}

/** The event with one field of its second record replaced. */
function withField(path: string, value: unknown): unknown {
  const copy = structuredClone(event) as unknown as { Records: Record<string, unknown>[] };
  const r = copy.Records[1]!;
  const [a, b] = path.split('.');
  if (b === undefined) r[a!] = value;
  else (r[a!] as Record<string, unknown>)[b] = value;
  return copy;
}

describe('kinesisStreamRecords', () => {
  it('reads a batch as the schema does, each record with its own shard', () => {
    const records = kinesisStreamRecords(event);
    expect(records).toEqual(viaSchema(event));
    expect(records?.map((r) => r.shardId)).toEqual([
      'shardId-000000000000',
      'shardId-000000000007',
      'shardId-000000000000',
    ]);
    expect(kinesisStreamRecords({ Records: [] })).toEqual([]);
  });

  it('takes no event the schema refuses (the schema then names the fault)', () => {
    const refused: unknown[] = [
      undefined,
      null,
      [],
      { Records: {} },
      { Records: [null] },
      { Records: [[]] },
      withField('eventID', 'no-colon'),
      withField('eventID', ':starts-with-colon'),
      withField('eventID', 42),
      withField('eventSourceARN', undefined),
      withField('kinesis', null),
      withField('kinesis', []),
      withField('kinesis.sequenceNumber', ''),
      withField('kinesis.sequenceNumber', 1),
      withField('kinesis.partitionKey', undefined),
      withField('kinesis.data', undefined),
      withField('kinesis.data', Buffer.from('x')),
      withField('kinesis.approximateArrivalTimestamp', '1'),
      withField('kinesis.approximateArrivalTimestamp', Number.NaN),
      withField('kinesis.approximateArrivalTimestamp', Number.POSITIVE_INFINITY),
    ];
    for (const e of refused) {
      expect(viaSchema(e)).toBeUndefined();
      expect(kinesisStreamRecords(e)).toBeUndefined();
    }
  });

  it('takes what the schema takes: extra fields, a colon inside the sequence part, a one-character shard', () => {
    for (const e of [
      withField('kinesis.extra', 'x'),
      withField('eventID', 'a:b:c'),
      withField('eventID', 's:'),
      withField('kinesis.partitionKey', ''),
      withField('kinesis.data', ''),
    ]) {
      expect(viaSchema(e)).toBeDefined();
      expect(kinesisStreamRecords(e)).toEqual(viaSchema(e));
    }
  });
});
