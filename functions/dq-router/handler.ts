/**
 * dq-router: the data-quality gate of load-dataset (a `.waitForTaskToken` task). Reads the
 * validation result, decides pass / warn / fail, alerts on warn and fail, and answers the task:
 * SendTaskSuccess on pass and warn, SendTaskFailure (`Lakeplane.QualityGateFailed` or
 * `Lakeplane.QualityResultUnreadable`) otherwise. The task token is a bearer credential for
 * the execution: it is never logged, returned, traced or put in an error.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeEventIssues } from '../../shared/core/events.js';
import { clip, TASK_ANSWER_LIMITS } from '../../shared/core/quality/verdict.js';
import { executionName } from '../../shared/usecases/object-landed.js';
import {
  isTaskClosedError,
  type QualityGateDeps,
  type QualityGateOutcome,
  qualityGateRequest,
  runQualityGate,
} from '../../shared/usecases/quality-gate.js';
import type { Observability } from '../observability.js';

/** What the handler needs: the gate's ports and the function's Powertools instances. */
export type DqRouterHandlerDeps = QualityGateDeps & Observability;

/** The error a task fails with when its payload is not a quality gate request. */
export const INVALID_GATE_REQUEST = 'Lakeplane.InvalidQualityGateRequest';

/** The event is not a quality gate request and carries no task token to answer. */
export class InvalidQualityGateEventError extends Error {
  override readonly name = 'InvalidQualityGateEventError';
}

/** A request that was answered with a failure because it was malformed. */
export interface RejectedGateRequest {
  readonly verdict: 'rejected';
  readonly reason: string;
  readonly taskClosed?: string;
}

export type DqRouterResult = QualityGateOutcome | RejectedGateRequest;

const METRIC_OF_VERDICT = {
  pass: 'QualityGatePassed',
  warn: 'QualityGateWarned',
  fail: 'QualityGateFailed',
  unreadable: 'QualityResultUnreadable',
} as const;

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  const v = field(value, key);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Removes the task token from text that may quote it (an SDK error, a stack). */
function redactor(token: string | undefined): (text: string) => string {
  return (text) => (token ? text.replaceAll(token, '<task token>') : text);
}

/** The error as it may leave the function: without the task token. */
function sanitised(e: unknown, redact: (text: string) => string): unknown {
  if (!(e instanceof Error)) return new Error(redact(String(e)));
  const message = redact(e.message);
  const stack = e.stack === undefined ? undefined : redact(e.stack);
  if (message === e.message && stack === e.stack) return e;
  const clean = new Error(message);
  clean.name = e.name;
  if (stack !== undefined) clean.stack = stack;
  return clean;
}

/**
 * The dq-router handler over its dependencies (AWS adapters in aws.ts; the local runtime wires
 * its own). Resolves with what the gate did; rejects only when the event is not a gate request
 * and has no token to answer, or when answering the task fails for another reason than the task
 * being closed (the error then carries no task token).
 */
export function createHandler(deps: DqRouterHandlerDeps) {
  const { logger, metrics } = deps;

  /** A malformed request: fail the task if there is one to fail, so the execution does not hang. */
  const reject = async (
    event: unknown,
    token: string | undefined,
    issues: string,
  ): Promise<RejectedGateRequest> => {
    const load = field(event, 'load');
    const loadId = stringField(load, 'loadId');
    const attempt = field(load, 'attempt');
    logger.appendKeys({
      ...(loadId ? { loadId } : {}),
      ...(stringField(load, 'dataset') ? { dataset: stringField(load, 'dataset') } : {}),
      ...(loadId
        ? { executionName: executionName(loadId, typeof attempt === 'number' && attempt > 1 ? attempt : 1) }
        : {}),
    });
    if (!token) throw new InvalidQualityGateEventError(`not a quality gate request: ${issues}`);
    metrics.addMetric('QualityGateRequestsRejected', MetricUnit.Count, 1);
    logger.error('not a quality gate request: failing the task', { issues });
    const cause = clip(`not a quality gate request: ${issues}`, TASK_ANSWER_LIMITS.causeChars);
    try {
      await deps.callbacks.fail(token, INVALID_GATE_REQUEST, cause);
      return { verdict: 'rejected', reason: issues };
    } catch (e) {
      if (!isTaskClosedError(e)) throw e;
      logger.warn('the task was no longer open: the execution has moved on', { error: e.name });
      return { verdict: 'rejected', reason: issues, taskClosed: e.name };
    }
  };

  const gate = async (event: unknown, token: string | undefined): Promise<DqRouterResult> => {
    const parsed = qualityGateRequest.safeParse(event);
    if (!parsed.success) return reject(event, token, describeEventIssues(parsed.error));
    const { load, validation } = parsed.data;
    logger.appendKeys({
      loadId: load.loadId,
      dataset: load.dataset,
      executionName: executionName(load.loadId, load.attempt),
    });
    metrics.addDimension('dataset', load.dataset);
    logger.info('quality gate: reading the validation result', {
      attempt: load.attempt,
      resultUri: validation.resultUri,
    });

    const outcome = await runQualityGate(parsed.data, deps);

    metrics.addMetric(METRIC_OF_VERDICT[outcome.verdict], MetricUnit.Count, 1);
    if (!outcome.contractFound)
      logger.warn('no contract for this dataset: only severities annotated in the result apply');
    const summary = {
      verdict: outcome.verdict,
      counts: outcome.counts,
      format: outcome.format,
      answer: outcome.answer,
    };
    switch (outcome.verdict) {
      case 'pass':
        logger.info('quality gate passed', summary);
        break;
      case 'warn':
        logger.warn('quality gate passed with warnings: batch loaded, alert sent', summary);
        break;
      case 'fail':
        logger.error('quality gate failed: batch blocked and quarantined', {
          ...summary,
          error: outcome.error,
        });
        break;
      case 'unreadable':
        logger.error('validation result unreadable: gate failed', { ...summary, reason: outcome.reason });
        break;
    }
    if (outcome.notifyError !== undefined) {
      metrics.addMetric('QualityAlertsFailed', MetricUnit.Count, 1);
      logger.error('quality alert could not be sent; the task was answered all the same', {
        error: outcome.notifyError,
      });
    }
    if (outcome.taskClosed !== undefined)
      logger.warn('the task was no longer open: the execution has moved on', { error: outcome.taskClosed });
    return outcome;
  };

  const run = async (event: unknown, _context: Context): Promise<DqRouterResult> => {
    const token = stringField(event, 'taskToken');
    try {
      return await gate(event, token);
    } catch (e) {
      throw sanitised(e, redactor(token));
    }
  };

  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(metrics));
}
