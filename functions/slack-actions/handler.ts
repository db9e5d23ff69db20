/**
 * slack-actions: the Slack interactivity Request URL behind an API Gateway HTTP API (payload
 * format 2.0). A click on "Replay" or "Roll back & replay" in a failed-load alert arrives here;
 * shared/usecases/slack-action.ts verifies, authorises and runs it. The signature is checked
 * against the body bytes exactly as received (base64-decoded when API Gateway encoded them).
 *
 * Never logged: the signing secret, the X-Slack-Signature header, the raw body and the
 * response URL's token.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import {
  handleSlackAction,
  type SlackActionDeps,
  type SlackActionResult,
} from '../../shared/usecases/slack-action.js';
import type { Observability } from '../observability.js';

export type SlackActionsHandlerDeps = SlackActionDeps & Observability;

/** The HTTP answer: JSON. */
export type SlackActionsResponse = APIGatewayProxyStructuredResultV2 & {
  readonly statusCode: number;
  readonly body: string;
};

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

/** The request body as bytes, as API Gateway received it. */
export function rawBodyOf(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Uint8Array {
  if (event.body === undefined || event.body === null) return new Uint8Array(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

function respond(statusCode: number, body: unknown): SlackActionsResponse {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

/**
 * The slack-actions handler over its dependencies (AWS adapters in aws.ts; the local server
 * and the tests wire their own).
 */
export function createHandler(deps: SlackActionsHandlerDeps) {
  const { logger, metrics } = deps;

  const record = (result: SlackActionResult): void => {
    if (!result.handled) {
      const { refusal } = result;
      metrics.addMetric('SlackActionsRefused', MetricUnit.Count, 1);
      logger.warn('slack action refused', {
        status: result.status,
        ...refusal,
        ...(result.notice ? { notice: result.notice } : {}),
      });
      return;
    }
    const { request, run, answer } = result;
    logger.appendKeys({ loadId: request.loadId, dataset: request.dataset });
    metrics.addDimension('action', request.actionId);
    if (run.outcome === 'started') {
      metrics.addMetric('SlackActionsStarted', MetricUnit.Count, 1);
      logger.info('slack action started', { request, executionArn: run.executionArn });
    } else if (run.outcome === 'refused') {
      metrics.addMetric('SlackActionsDeclined', MetricUnit.Count, 1);
      logger.info('slack action declined', { request, reason: run.reason });
    } else {
      metrics.addMetric('SlackActionsFailed', MetricUnit.Count, 1);
      logger.error('slack action failed', { request, error: run.error });
    }
    if (!answer.delivered) {
      metrics.addMetric('SlackThreadAnswersLost', MetricUnit.Count, 1);
      logger.warn('thread answer not delivered', { reason: answer.reason });
    }
  };

  const run = async (event: APIGatewayProxyEventV2, _context: Context): Promise<SlackActionsResponse> => {
    const method = event.requestContext?.http?.method ?? 'POST';
    if (method !== 'POST') {
      metrics.addMetric('SlackActionsRefused', MetricUnit.Count, 1);
      logger.warn('slack action refused', { status: 405, stage: 'method', reason: `method ${method}` });
      return { ...respond(405, { error: 'POST only' }), headers: { ...JSON_HEADERS, allow: 'POST' } };
    }
    const result = await handleSlackAction({ headers: event.headers ?? {}, rawBody: rawBodyOf(event) }, deps);
    record(result);
    return respond(result.status, result.body);
  };

  return middy(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
