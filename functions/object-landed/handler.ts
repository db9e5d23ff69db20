/**
 * object-landed: an object landed in the Bronze bucket (EventBridge "Object Created").
 * Maps it to its dataset, registers the load and starts the load-dataset execution.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeEventIssues, objectCreatedEvent } from '../../shared/core/events.js';
import {
  type LandedOutcome,
  type ObjectLandedDeps,
  onObjectLanded,
} from '../../shared/usecases/object-landed.js';
import type { Observability } from '../observability.js';

export type ObjectLandedHandlerDeps = ObjectLandedDeps & Observability;

/** The event was not an S3 "Object Created" event of the shape we rely on. */
export class InvalidObjectEventError extends Error {
  override readonly name = 'InvalidObjectEventError';
}

export function createHandler(deps: ObjectLandedHandlerDeps) {
  const { logger, metrics, tracer } = deps;
  const run = async (event: unknown, _context: Context): Promise<LandedOutcome> => {
    const parsed = objectCreatedEvent.safeParse(event);
    if (!parsed.success) {
      throw new InvalidObjectEventError(
        `not an S3 Object Created event: ${describeEventIssues(parsed.error)}`,
      );
    }
    const { bucket, object } = parsed.data.detail;
    logger.appendKeys({ bucket: bucket.name, key: object.key });
    const result = await onObjectLanded(parsed.data, deps);
    if (result.outcome === 'rejected') {
      metrics.addMetric('ObjectsRejected', MetricUnit.Count, 1);
      logger.warn('object not loaded: it stays in Bronze', { reason: result.reason, detail: result.message });
      return result;
    }
    logger.appendKeys({ loadId: result.loadId, dataset: result.dataset, executionName: result.loadId });
    metrics.addDimension('dataset', result.dataset);
    switch (result.outcome) {
      case 'started':
        metrics.addMetric('LoadsStarted', MetricUnit.Count, 1);
        logger.info('load registered and started', { executionArn: result.executionArn });
        break;
      case 'duplicate':
        metrics.addMetric('DuplicateObjectEvents', MetricUnit.Count, 1);
        logger.info('object already registered: nothing started', { status: result.status });
        break;
      case 'held':
        metrics.addMetric('LoadsHeld', MetricUnit.Count, 1);
        logger.warn('load held: dataset paused', { reason: result.reason });
        break;
    }
    return result;
  };
  return middy(run)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
