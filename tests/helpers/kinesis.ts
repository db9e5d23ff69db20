import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

export interface TestRecord {
  /** JSON value to encode, or raw bytes / a raw base64 string for bad-record tests. */
  readonly value?: unknown;
  readonly bytes?: Uint8Array;
  readonly base64?: string;
  readonly partitionKey?: string;
  readonly shardId?: string;
}

const ARRIVAL = Date.parse('2026-11-27T10:00:00Z') / 1000;

/** A sequence number of Kinesis' shape (56 digits), ordered by n. */
export function sequence(n: number): string {
  return `4968061347804552${String(n).padStart(40, '0')}`;
}

/** Builds a Kinesis event source mapping batch; record i gets sequence(first + i). */
export function kinesisEvent(records: readonly TestRecord[], first = 1): KinesisStreamEvent {
  return {
    Records: records.map((r, i): KinesisStreamRecord => {
      const seq = sequence(first + i);
      const shardId = r.shardId ?? 'shardId-000000000000';
      const data =
        r.base64 ??
        Buffer.from(
          r.bytes ?? Buffer.from(typeof r.value === 'string' ? r.value : JSON.stringify(r.value)),
        ).toString('base64');
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.partitionKey ?? 'orders/x',
          sequenceNumber: seq,
          data,
          approximateArrivalTimestamp: ARRIVAL + i / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${seq}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/stream-upsert',
        awsRegion: 'eu-west-1',
        eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/lakeplane-events',
      };
    }),
  };
}
