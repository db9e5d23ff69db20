/**
 * The batch every bench:stream contender gets: one Kinesis event source mapping batch of
 * ~300-byte JSON orders, 20% of the records repeating an earlier key with a later update.
 */
import type { KinesisStreamEvent } from 'aws-lambda';

export const DUPLICATE_SHARE = 0.2;

export function makeEvent(records: number): KinesisStreamEvent {
  const arrival = Date.parse('2026-11-27T10:00:00Z') / 1000;
  const distinct = Math.floor(records * (1 - DUPLICATE_SHARE));
  const Records = Array.from({ length: records }, (_, i) => {
    const id = i % distinct;
    const json = JSON.stringify({
      order_id: `ord-${String(id).padStart(8, '0')}`,
      customer_id: `cus-${id % 5000}`,
      customer_email: `customer${id % 9000}@example.com`,
      status: i < distinct ? 'placed' : 'paid',
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
