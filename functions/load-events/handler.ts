/**
 * load-events: a load-dataset execution changed status (EventBridge "Step Functions Execution
 * Status Change"). Records it in the ledger and alerts on failure, and warns when a load's commit
 * has no savepoint.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeEventIssues, executionStatusChangeEvent } from '../../shared/core/events.js';
import { loadWarningsOf } from '../../shared/core/load-warnings.js';
import {
  type ExecutionStatusDeps,
  onExecutionStatus,
  onRollbackStatus,
  type RollbackStatusOutcome,
  type StatusOutcome,
} from '../../shared/usecases/execution-status.js';
import type { Observability } from '../observability.js';

export type LoadEventsHandlerDeps = ExecutionStatusDeps &
  Observability & {
    /** Status changes of this state machine are rollbacks (they may carry replays to start). */
    readonly rollbackStateMachineArn?: string;
  };

/** The event was not a Step Functions execution status change. */
export class InvalidExecutionEventError extends Error {
  override readonly name = 'InvalidExecutionEventError';
}

export function createHandler(deps: LoadEventsHandlerDeps) {
  const { logger, metrics } = deps;
  const run = async (event: unknown, _context: Context): Promise<StatusOutcome | RollbackStatusOutcome> => {
    const parsed = executionStatusChangeEvent.safeParse(event);
    if (!parsed.success) {
      throw new InvalidExecutionEventError(
        `not a Step Functions execution status change: ${describeEventIssues(parsed.error)}`,
      );
    }
    const d = parsed.data.detail;
    logger.appendKeys({ executionName: d.name, executionStatus: d.status });
    if (deps.rollbackStateMachineArn && d.stateMachineArn === deps.rollbackStateMachineArn) {
      const rolled = await onRollbackStatus(parsed.data, deps);
      if (rolled.outcome === 'stopped') {
        metrics.addMetric('ReplayChainsStopped', MetricUnit.Count, 1);
        logger.error('rollback failed: its replays were not started', { ...rolled });
      } else logger.info('rollback status handled', { ...rolled });
      return rolled;
    }
    const result = await onExecutionStatus(parsed.data, deps);
    if (result.outcome === 'ignored') {
      logger.info('status change not recorded', { reason: result.reason });
      return result;
    }
    const load = result.load;
    logger.appendKeys({ loadId: load.loadId, dataset: load.dataset });
    metrics.addDimension('dataset', load.dataset);
    for (const warning of loadWarningsOf(load)) {
      metrics.addMetric('SavepointsFailed', MetricUnit.Count, 1);
      logger.warn('the savepoint of the load commit failed', { ...warning });
    }
    if (load.status === 'SUCCEEDED') {
      metrics.addMetric('LoadsSucceeded', MetricUnit.Count, 1);
      if (load.durationMs !== undefined)
        metrics.addMetric('LoadDuration', MetricUnit.Milliseconds, load.durationMs);
      logger.info('load succeeded', {
        commitId: load.commitId,
        counts: load.counts,
        durationMs: load.durationMs,
      });
    } else if (load.status === 'FAILED') {
      metrics.addMetric('LoadsFailed', MetricUnit.Count, 1);
      logger.error('load failed', { cause: load.cause });
    } else {
      logger.info('load status recorded', { status: load.status });
    }
    return result;
  };
  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
