import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { SlackWebhookNotifier } from '../../shared/aws/slack-webhook-notifier.js';
import { slackWebhookFromSsm } from '../../shared/aws/slack-webhook-parameter.js';
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
    notifier: new SlackWebhookNotifier(
      slackWebhookFromSsm(env.SLACK_WEBHOOK_PARAMETER, 'failed-load alerts'),
    ),
    stage: env.STAGE,
  };
}
