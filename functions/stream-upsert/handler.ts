/**
 * stream-upsert: a Kinesis event source mapping batch (ReportBatchItemFailures) → Bronze
 * micro-batches per (dataset, shard), bad records to quarantine. The written objects start the
 * normal load path through their S3 events.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { describeEventIssues } from '../../shared/core/events.js';
import { kinesisStreamEvent } from '../../shared/core/stream/kinesis-event.js';
import { kinesisStreamRecords } from '../../shared/core/stream/kinesis-records.js';
import type { StreamRecord } from '../../shared/core/stream/micro-batch.js';
import { onStreamBatch, type StreamUpsertDeps } from '../../shared/usecases/stream-upsert.js';
import type { Observability } from '../observability.js';

export type StreamUpsertHandlerDeps = StreamUpsertDeps & Observability & { readonly now?: () => number };

/** The event is not a Kinesis event source mapping batch. */
export class InvalidKinesisEventError extends Error {
  override readonly name = 'InvalidKinesisEventError';
}

/** The records of an event the fast reader did not take: the schema's verdict, and why not. */
function recordsOf(event: unknown): StreamRecord[] {
  const parsed = kinesisStreamEvent.safeParse(event);
  if (!parsed.success) {
    throw new InvalidKinesisEventError(
      `not a Kinesis event source mapping batch: ${describeEventIssues(parsed.error)}`,
    );
  }
  return parsed.data.Records.map((r) => ({
    shardId: r.eventID.slice(0, r.eventID.indexOf(':')),
    sequenceNumber: r.kinesis.sequenceNumber,
    partitionKey: r.kinesis.partitionKey,
    data: r.kinesis.data,
    arrivalSeconds: r.kinesis.approximateArrivalTimestamp,
  }));
}

export function createHandler(deps: StreamUpsertHandlerDeps) {
  const { logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const run = async (event: unknown, _context: Context): Promise<KinesisStreamBatchResponse> => {
    const records = kinesisStreamRecords(event) ?? recordsOf(event);
    const { plan, retryFrom, failures } = await onStreamBatch(records, deps);
    metrics.addMetric('StreamRecordsIn', MetricUnit.Count, plan.recordsIn);
    metrics.addMetric('StreamRecordsWritten', MetricUnit.Count, plan.written);
    metrics.addMetric('StreamRecordsDeduplicated', MetricUnit.Count, plan.deduplicated);
    metrics.addMetric('StreamRecordsQuarantined', MetricUnit.Count, plan.quarantined);
    if (plan.oldestArrivalSeconds !== undefined) {
      metrics.addMetric(
        'StreamBatchAge',
        MetricUnit.Milliseconds,
        Math.max(0, now() - plan.oldestArrivalSeconds * 1000),
      );
    }
    const summary = {
      recordsIn: plan.recordsIn,
      written: plan.written,
      deduplicated: plan.deduplicated,
      quarantined: plan.quarantined,
      objects: plan.objects.map((o) => `s3://${o.bucket}/${o.key}`),
    };
    if (retryFrom) {
      logger.error('objects not written: Lambda retries the batch from the first record they carry', {
        ...summary,
        retryFrom,
        failures,
      });
      return { batchItemFailures: [{ itemIdentifier: retryFrom }] };
    }
    if (plan.quarantined > 0) logger.warn('records quarantined', summary);
    else logger.info('batch written', summary);
    return { batchItemFailures: [] };
  };
  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
