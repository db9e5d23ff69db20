/**
 * load-scheduler: the coalesced-load scheduler's safety net (EventBridge Scheduler, every few
 * minutes; a timer and every start in the local runtime). Runs every dataset's scheduler, so an
 * object whose landing event's scheduler died, or a load whose end event was lost, is picked up.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import { type ScheduleDeps, scheduleAll } from '../../shared/usecases/schedule-loads.js';
import type { Observability } from '../observability.js';

export interface LoadSchedulerHandlerDeps extends Observability {
  readonly contracts: ContractSet;
  readonly scheduler: ScheduleDeps;
}

/** What one safety-net run did: datasets whose load it started, and those it could not look at. */
export interface SafetyNetRun {
  readonly started: { readonly dataset: string; readonly loadId: string; readonly objects: number }[];
  readonly failed: { readonly dataset: string; readonly error: string }[];
}

/** One run over every dataset; one dataset's failure does not stop the others (they are reported). */
export async function runSafetyNet(deps: Omit<LoadSchedulerHandlerDeps, 'metrics'>): Promise<SafetyNetRun> {
  const results = await scheduleAll(deps.contracts.datasets.keys(), deps.scheduler);
  const run: SafetyNetRun = { started: [], failed: [] };
  for (const r of results) {
    if (r.error !== undefined) {
      const error = r.error instanceof Error ? `${r.error.name}: ${r.error.message}` : String(r.error);
      run.failed.push({ dataset: r.dataset, error });
      deps.logger.error('the safety net could not schedule a dataset', { dataset: r.dataset, error });
    } else if (r.outcome?.outcome === 'started') {
      run.started.push({ dataset: r.dataset, loadId: r.outcome.loadId, objects: r.outcome.objects });
      deps.logger.warn('the safety net started a load nothing else had', {
        dataset: r.dataset,
        loadId: r.outcome.loadId,
        executionName: r.outcome.loadId,
        objects: r.outcome.objects,
      });
    }
  }
  return run;
}

export function createHandler(deps: LoadSchedulerHandlerDeps) {
  const { logger, metrics } = deps;
  const run = async (_event: unknown, _context: Context): Promise<SafetyNetRun> => {
    const out = await runSafetyNet(deps);
    metrics.addMetric('SafetyNetLoadsStarted', MetricUnit.Count, out.started.length);
    metrics.addMetric('SafetyNetDatasetsFailed', MetricUnit.Count, out.failed.length);
    // A dataset it could not look at is retried by the next run; the function fails so that the
    // failure shows in its error metric and alarm.
    if (out.failed.length > 0)
      throw new Error(`the safety net could not schedule ${out.failed.map((f) => f.dataset).join(', ')}`);
    return out;
  };
  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
