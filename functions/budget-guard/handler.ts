/**
 * budget-guard: the first state of every load-dataset execution. Refuses the load when its
 * dataset has spent its EMR step-hours of the UTC day (error Lakeplane.BudgetExceeded, which
 * the state machine turns into a failed load), so nothing runs on the cluster.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { BudgetCheck } from '../../shared/core/budget.js';
import {
  BudgetExceededError,
  type BudgetGuardDeps,
  guardLoadBudget,
} from '../../shared/usecases/budget-guard.js';
import type { Observability } from '../observability.js';

export type BudgetGuardHandlerDeps = BudgetGuardDeps & Observability;

/** The Payload the state machine sends (statemachines/load-dataset.asl.json, CheckBudget). */
export const budgetGuardEvent = z.object({
  loadId: z.string().min(1),
  dataset: z.string().min(1),
  attempt: z.number().int().positive(),
});

/** The payload was not what CheckBudget sends. */
export class InvalidBudgetRequestError extends Error {
  override readonly name = 'InvalidBudgetRequestError';
}

export function createHandler(deps: BudgetGuardHandlerDeps) {
  const { logger, metrics } = deps;
  const run = async (event: unknown, _context: Context): Promise<BudgetCheck> => {
    const parsed = budgetGuardEvent.safeParse(event);
    if (!parsed.success)
      throw new InvalidBudgetRequestError(
        `not a budget check request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ')}`,
      );
    const { loadId, dataset, attempt } = parsed.data;
    logger.appendKeys({ loadId, dataset, executionName: attempt > 1 ? `${loadId}-a${attempt}` : loadId });
    metrics.addDimension('dataset', dataset);
    try {
      const check = await guardLoadBudget({ loadId, dataset }, deps);
      metrics.addMetric('EmrStepHoursSpentToday', MetricUnit.Count, check.spentHours);
      logger.info('load within its EMR budget', { ...check });
      return check;
    } catch (e) {
      if (e instanceof BudgetExceededError) {
        metrics.addMetric('LoadsRefusedForBudget', MetricUnit.Count, 1);
        logger.warn('load refused: EMR budget of the day spent', { reason: e.message });
      }
      throw e;
    }
  };
  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
