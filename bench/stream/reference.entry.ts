/**
 * bench:stream contender: the plain pattern the Powertools batch docs show for Kinesis
 * (BatchProcessor + processPartialResponse; per record JSON.parse of the base64 data and a zod
 * schema), with the work stream-upsert must do: keep the latest record per key (updated_at, a tie
 * to the later sequence number), write the records as received (Bronze keeps them as they came)
 * as one gzip NDJSON object, level 1 like the handler.
 */
import { gzipSync } from 'node:zlib';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { z } from 'zod';
import { localContext } from '../../local/lambda-context.js';
import { type Contender, MemoryStore } from './contender.js';

const order = z.object({
  order_id: z.string().min(1),
  customer_id: z.string(),
  customer_email: z.string().nullish(),
  status: z.string(),
  order_ts: z.iso.datetime({ offset: true }),
  order_total: z.number(),
  currency: z.string(),
  fx_rate: z.number(),
  updated_at: z.iso.datetime({ offset: true }),
});

const processor = new BatchProcessor(EventType.KinesisDataStreams);
const store = new MemoryStore();
const context = localContext('stream-upsert-reference');

interface Winner {
  readonly at: number;
  readonly sequence: string;
  readonly index: number;
  readonly line: string;
}

function later(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}

async function handler(event: KinesisStreamEvent) {
  const winners = new Map<string, Winner>();
  let index = 0;
  const recordHandler = async (record: KinesisStreamRecord): Promise<void> => {
    const line = Buffer.from(record.kinesis.data, 'base64').toString('utf8');
    const data = order.parse(JSON.parse(line));
    const at = Date.parse(data.updated_at);
    const sequence = record.kinesis.sequenceNumber;
    const current = winners.get(data.order_id);
    if (!current || at > current.at || (at === current.at && later(sequence, current.sequence))) {
      winners.set(data.order_id, { at, sequence, index, line });
    }
    index++;
  };
  const response = await processPartialResponse(event, recordHandler, processor, { context });
  const lines = [...winners.values()].sort((a, b) => a.index - b.index).map((w) => w.line);
  await store.put('bronze', 'orders/stream/batch.ndjson.gz', gzipSync(`${lines.join('\n')}\n`, { level: 1 }));
  return response;
}

export const contender: Contender = {
  async run(event: KinesisStreamEvent) {
    const response = await handler(event);
    if (response.batchItemFailures.length > 0) throw new Error('the reference reported failures');
    return store.take();
  },
};
