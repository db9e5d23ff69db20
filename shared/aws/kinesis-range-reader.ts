import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { compareSequence, type StreamRecord } from '../core/stream/micro-batch.js';
import type { StreamRangeReader } from '../usecases/reconcile.js';

/**
 * A shard's records from one sequence number to another (both included): an iterator
 * AT_SEQUENCE_NUMBER, then GetRecords until a record past the last one, the shard's end or its
 * tip (an empty page with MillisBehindLatest 0).
 */
export class KinesisRangeReader implements StreamRangeReader {
  constructor(private readonly client: KinesisClient) {}

  async read(streamArn: string, shardId: string, first: string, last: string): Promise<StreamRecord[]> {
    const it = await this.client.send(
      new GetShardIteratorCommand({
        StreamARN: streamArn,
        ShardId: shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: first,
      }),
    );
    const records: StreamRecord[] = [];
    let iterator = it.ShardIterator;
    while (iterator) {
      const page = await this.client.send(
        new GetRecordsCommand({ StreamARN: streamArn, ShardIterator: iterator }),
      );
      for (const r of page.Records ?? []) {
        if (!r.SequenceNumber) continue;
        if (compareSequence(r.SequenceNumber, last) > 0) return records;
        records.push({
          shardId,
          sequenceNumber: r.SequenceNumber,
          partitionKey: r.PartitionKey ?? '',
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          arrivalSeconds: (r.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
        });
      }
      if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
      iterator = page.NextShardIterator;
    }
    return records;
  }
}
