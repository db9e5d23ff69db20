/**
 * bench:stream contender: the stream-upsert function as deployed (functions/stream-upsert: middy,
 * Powertools logger/metrics/tracer middleware, the zod envelope, record checks, dedupe, gzip),
 * its dependencies built by the function's own streamUpsertDeps, with the S3 store in memory.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { createObservability } from '../../functions/observability.js';
import { streamUpsertDeps } from '../../functions/stream-upsert/aws.js';
import { createHandler } from '../../functions/stream-upsert/handler.js';
import { localContext } from '../../local/lambda-context.js';
import { type Contender, MemoryStore } from './contender.js';

const store = new MemoryStore();
const handler = createHandler({ ...createObservability('stream-upsert'), ...streamUpsertDeps(store) });
const context = localContext('stream-upsert');

export const contender: Contender = {
  async run(event: KinesisStreamEvent) {
    const response = await handler(event, context);
    if (response.batchItemFailures.length > 0) throw new Error('the handler reported failures');
    return store.take();
  },
};
