import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { lambdaContracts } from '../../shared/aws/lambda-contracts.js';
import { awsLineage } from '../../shared/aws/lineage-deps.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { awsScheduler } from '../../shared/aws/scheduler-deps.js';
import { StepFunctionsOrchestrator } from '../../shared/aws/sfn-orchestrator.js';
import { SlackWebhookNotifier } from '../../shared/aws/slack-webhook-notifier.js';
import { slackWebhookFromSsm } from '../../shared/aws/slack-webhook-parameter.js';
import { layoutFromEnvironment, readEnvironment } from '../../shared/config.js';
import { createObservability } from '../observability.js';
import type { LoadEventsHandlerDeps } from './handler.js';

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(): LoadEventsHandlerDeps {
  const env = readEnvironment();
  const obs = createObservability('load-events');
  const dynamo = new DynamoDBClient({});
  const s3 = new S3Client({});
  const sfn = new SFNClient({});
  const ledger = new DynamoLedger(dynamo, env.LEDGER_TABLE);
  // The dataset's alert channel, and the plan of the next load of a Roll back & replay chain.
  const contracts = lambdaContracts(env.LAKEPLANE_DATASETS_DIR);
  // A load that ended frees its dataset's slot: the scheduler starts the next one.
  const scheduler = awsScheduler(env, { dynamo, s3, sfn }, contracts, ledger);
  // Run events of every load and rollback, when the stage has an OpenLineage consumer.
  const lineage = awsLineage(
    process.env,
    env.STAGE,
    layoutFromEnvironment(env),
    process.env.BRONZE_DATABASE ?? '',
    contracts,
    (message, error) => obs.logger.warn(message, { error }),
  );
  return {
    ...obs,
    ...(lineage ? { lineage } : {}),
    ledger,
    objects: new S3ObjectStore(s3),
    scheduler,
    notifier: new SlackWebhookNotifier(
      slackWebhookFromSsm(env.SLACK_WEBHOOK_PARAMETER, 'failed-load alerts and savepoint warnings'),
    ),
    stage: env.STAGE,
    contracts,
    // Roll back & replay chains (Slack): the next load of a chain is planned from its contract.
    ...(env.ROLLBACK_STATE_MACHINE_ARN
      ? {
          rollbackStateMachineArn: env.ROLLBACK_STATE_MACHINE_ARN,
          replays: {
            contracts,
            ledger,
            orchestrator: new StepFunctionsOrchestrator(sfn, env.STATE_MACHINE_ARN),
            layout: layoutFromEnvironment(env),
            scheduler,
          },
        }
      : {}),
  };
}
