import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { SlackWebhookNotifier } from '../../shared/aws/slack-webhook-notifier.js';
import { readEnvironment } from '../../shared/config.js';
import { createObservability } from '../observability.js';
import type { LoadEventsHandlerDeps } from './handler.js';

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(): LoadEventsHandlerDeps {
  const env = readEnvironment();
  const obs = createObservability('load-events');
  return {
    ...obs,
    ledger: new DynamoLedger(new DynamoDBClient({}), env.LEDGER_TABLE),
    objects: new S3ObjectStore(new S3Client({})),
    notifier: new SlackWebhookNotifier(webhookUrlFromSsm(env.SLACK_WEBHOOK_PARAMETER)),
    stage: env.STAGE,
  };
}

/**
 * Reads the webhook URL (a SecureString parameter) through Powertools Parameters, which
 * caches it for the container; the URL is never logged.
 */
function webhookUrlFromSsm(parameterName: string | undefined): () => Promise<string> {
  return async () => {
    if (!parameterName)
      throw new Error('SLACK_WEBHOOK_PARAMETER is not set: failed-load alerts cannot be sent');
    const value = await getParameter(parameterName, { decrypt: true, maxAge: 300 });
    if (!value) throw new Error(`SSM parameter ${parameterName} has no value`);
    return value;
  };
}
