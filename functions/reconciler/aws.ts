import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { KinesisRangeReader } from '../../shared/aws/kinesis-range-reader.js';
import { lambdaContracts } from '../../shared/aws/lambda-contracts.js';
import { awsLineage } from '../../shared/aws/lineage-deps.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { awsScheduler } from '../../shared/aws/scheduler-deps.js';
import { StepFunctionsHistory } from '../../shared/aws/sfn-orchestrator.js';
import { SlackWebhookNotifier } from '../../shared/aws/slack-webhook-notifier.js';
import { slackWebhookFromSsm } from '../../shared/aws/slack-webhook-parameter.js';
import { layoutFromEnvironment, readEnvironment } from '../../shared/config.js';
import { createObservability } from '../observability.js';
import { readSchemaDriftEnvironment, schemaDriftDeps } from '../schema-drift/aws.js';
import { streamUpsertDeps } from '../stream-upsert/aws.js';
import type { ReconcilerHandlerDeps } from './handler.js';

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(): ReconcilerHandlerDeps {
  const env = readEnvironment();
  const obs = createObservability('reconciler');
  const dynamo = new DynamoDBClient({});
  const s3 = new S3Client({});
  const sfn = new SFNClient({});
  const ledger = new DynamoLedger(dynamo, env.LEDGER_TABLE);
  const contracts = lambdaContracts(env.LAKEPLANE_DATASETS_DIR);
  const scheduler = awsScheduler(env, { dynamo, s3, sfn }, contracts, ledger);
  const objects = new S3ObjectStore(s3);
  const now = () => new Date();
  const warn = (message: string, error?: unknown) => obs.logger.warn(message, { error });
  const driftEnv = readSchemaDriftEnvironment();
  const lineage = awsLineage(
    process.env,
    env.STAGE,
    layoutFromEnvironment(env),
    driftEnv.BRONZE_DATABASE,
    contracts,
    warn,
  );
  return {
    ...obs,
    status: {
      ...(lineage ? { lineage } : {}),
      ledger,
      objects,
      scheduler,
      contracts,
      stage: env.STAGE,
      notifier: new SlackWebhookNotifier(
        slackWebhookFromSsm(env.SLACK_WEBHOOK_PARAMETER, 'failed-load alerts'),
      ),
    },
    history: new StepFunctionsHistory(sfn),
    stateMachineArn: env.STATE_MACHINE_ARN,
    ...(env.ROLLBACK_STATE_MACHINE_ARN ? { rollbackStateMachineArn: env.ROLLBACK_STATE_MACHINE_ARN } : {}),
    landed: { contracts, ledger, scheduler, layout: layoutFromEnvironment(env), now },
    bronze: objects,
    stream: { reader: new KinesisRangeReader(new KinesisClient({})), upsert: streamUpsertDeps(objects) },
    drift: schemaDriftDeps(driftEnv, warn, { lineage, contracts }),
    now,
  };
}
