/**
 * schema-drift: a Glue Data Catalog table changed (EventBridge "Glue Data Catalog Table State
 * Change" / "Glue Data Catalog Database State Change"). Compares the Bronze table's newest
 * version with the previous one against the dataset contract, and accepts, alerts or pauses the
 * dataset by its drift policy.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeEventIssues } from '../../shared/core/events.js';
import { glueCatalogChangeEvent } from '../../shared/core/events-glue.js';
import {
  onGlueCatalogChange,
  type SchemaDriftDeps,
  type SchemaDriftResult,
} from '../../shared/usecases/schema-drift.js';
import type { Observability } from '../observability.js';

export type SchemaDriftHandlerDeps = SchemaDriftDeps & Observability;

/** The event was not a Glue Data Catalog table or database state change of the shape we rely on. */
export class InvalidGlueCatalogEventError extends Error {
  override readonly name = 'InvalidGlueCatalogEventError';
}

export function createHandler(deps: SchemaDriftHandlerDeps) {
  const { logger, metrics } = deps;
  const run = async (event: unknown, _context: Context): Promise<SchemaDriftResult> => {
    const parsed = glueCatalogChangeEvent.safeParse(event);
    if (!parsed.success) {
      throw new InvalidGlueCatalogEventError(
        `not a Glue Data Catalog state change: ${describeEventIssues(parsed.error)}`,
      );
    }
    const d = parsed.data.detail;
    logger.appendKeys({ database: d.databaseName, typeOfChange: d.typeOfChange, eventId: parsed.data.id });
    const result = await onGlueCatalogChange(parsed.data, deps);
    if (result.outcome === 'ignored') {
      logger.info('catalog change ignored', { reason: result.reason });
      return result;
    }
    for (const t of result.tables) {
      switch (t.outcome) {
        case 'ignored':
          logger.info('table ignored', { table: t.table, reason: t.reason });
          break;
        case 'nothing-to-compare':
          logger.info('table has no previous version: nothing to compare, nothing recorded', {
            dataset: t.dataset,
            table: t.table,
            versions: t.versions,
          });
          break;
        case 'unchanged':
          logger.info('schema unchanged between the two newest versions', {
            dataset: t.dataset,
            table: t.table,
            fromVersion: t.fromVersion,
            toVersion: t.toVersion,
          });
          break;
        case 'duplicate':
          metrics.addMetric('SchemaDriftDuplicates', MetricUnit.Count, 1);
          logger.info('table version already recorded: nothing done', {
            dataset: t.dataset,
            table: t.table,
            toVersion: t.toVersion,
          });
          break;
        case 'recorded': {
          const details = {
            dataset: t.dataset,
            table: t.table,
            fromVersion: t.fromVersion,
            toVersion: t.toVersion,
            action: t.action,
            breaking: t.breaking,
            summary: t.summary,
          };
          if (t.action === 'none') {
            logger.info('schema changed as the contract declares: no drift', details);
            break;
          }
          metrics.addMetric('SchemaDriftDetected', MetricUnit.Count, 1);
          if (t.breaking) metrics.addMetric('SchemaDriftBreaking', MetricUnit.Count, 1);
          if (t.paused) {
            metrics.addMetric('DatasetsPausedForDrift', MetricUnit.Count, 1);
            logger.warn('dataset paused for schema drift', details);
          } else {
            logger.warn('schema drift announced', details);
          }
          break;
        }
      }
    }
    return result;
  };
  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
