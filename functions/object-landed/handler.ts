/**
 * object-landed: an object landed in the Bronze bucket (EventBridge "Object Created").
 * Maps it to its dataset, adds it to the dataset's pending objects and runs the dataset's
 * scheduler (a load of every pending object starts when none is in flight).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
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
  const { logger, metrics } = deps;
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
    logger.appendKeys({ dataset: result.dataset });
    metrics.addDimension('dataset', result.dataset);
    if (result.outcome === 'duplicate') {
      if (result.loadId) logger.appendKeys({ loadId: result.loadId, executionName: result.loadId });
      metrics.addMetric('DuplicateObjectEvents', MetricUnit.Count, 1);
      logger.info('object already given to the dataset: nothing added');
      return result;
    }
    metrics.addMetric('ObjectsPending', MetricUnit.Count, 1);
    const s = result.schedule;
    switch (s.outcome) {
      case 'started':
        logger.appendKeys({ loadId: s.loadId, executionName: s.loadId });
        metrics.addMetric('LoadsStarted', MetricUnit.Count, 1);
        logger.info('object pending; load started', { objects: s.objects });
        break;
      case 'in-flight':
        logger.info('object pending: it goes into the load after the one in flight', { inFlight: s.loadId });
        break;
      case 'paused':
        logger.warn('object pending: the dataset is paused; it loads when the dataset is resumed');
        break;
      case 'idle':
        logger.info('object pending: another scheduler took it');
        break;
    }
    return result;
  };
  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
