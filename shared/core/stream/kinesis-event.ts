import * as z from 'zod';

/**
 * A Kinesis event source mapping batch, the fields stream-upsert reads.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
 */
export const kinesisStreamEvent = z.object({
  Records: z.array(
    z.object({
      eventID: z.string().regex(/^[^:]+:/, 'must be "<shardId>:<sequenceNumber>"'),
      eventSourceARN: z.string(),
      kinesis: z.object({
        sequenceNumber: z.string().min(1),
        partitionKey: z.string(),
        data: z.string(),
        approximateArrivalTimestamp: z.number(),
      }),
    }),
  ),
});
export type KinesisStreamEventInput = z.infer<typeof kinesisStreamEvent>;
