/**
 * reconciler: brings every load of a stage to its true state (shared/usecases/reconcile.ts).
 * On its schedule it reads back settled REGISTERED/RUNNING loads from the execution history and
 * sweeps Bronze for objects no load knows; from the dead-letter queues of object-landed,
 * load-events and schema-drift (rule target DLQs and on-failure destinations) it redrives each
 * event through the same use cases, and the batches the stream mapping discarded through
 * stream-upsert's. SQS messages it cannot handle stay on the queue (partial batch response).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import {
  type ReconcileDeps,
  type ReconcileRun,
  reconcile,
  redrive,
} from '../../shared/usecases/reconcile.js';
import type { Observability } from '../observability.js';

export type ReconcilerHandlerDeps = ReconcileDeps & Observability;

const sqsEvent = z.object({
  Records: z
    .array(z.object({ eventSource: z.literal('aws:sqs'), messageId: z.string(), body: z.string() }))
    .min(1),
});

/** A message the reconciler could not make sense of: it stays on its queue for a person. */
export class UnknownDeadLetterError extends Error {
  override readonly name = 'UnknownDeadLetterError';
}

export function createHandler(deps: ReconcilerHandlerDeps) {
  const { logger, metrics } = deps;
  const processor = new BatchProcessor(EventType.SQS);

  const onMessage = async (record: SQSRecord) => {
    const outcome = await redrive(record.body, deps);
    logger.info('dead letter redriven', { messageId: record.messageId, ...outcome });
    if (outcome.kind === 'unknown')
      throw new UnknownDeadLetterError(`message ${record.messageId}: ${outcome.reason}`);
    metrics.addMetric('DeadLettersRedriven', MetricUnit.Count, 1);
    return outcome;
  };

  const run = async (event: unknown, context: Context): Promise<ReconcileRun | SQSBatchResponse> => {
    if (sqsEvent.safeParse(event).success)
      return processPartialResponse(event as SQSEvent, onMessage, processor, { context });
    const out = await reconcile(deps);
    for (const r of out.recorded)
      logger.warn('recorded a load end the ledger had missed', { loadId: r.loadId, status: r.status });
    for (const r of out.registered)
      logger.warn('registered a Bronze object no load knew', { dataset: r.dataset, key: r.key });
    metrics.addMetric('LoadsReconciled', MetricUnit.Count, out.recorded.length);
    metrics.addMetric('BronzeObjectsRegistered', MetricUnit.Count, out.registered.length);
    return out;
  };
  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
