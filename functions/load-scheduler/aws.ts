import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { awsScheduler } from '../../shared/aws/scheduler-deps.js';
import { readEnvironment } from '../../shared/config.js';
import { loadContractsDir } from '../../shared/contracts-dir.js';
import { createObservability } from '../observability.js';
import type { LoadSchedulerHandlerDeps } from './handler.js';

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(): LoadSchedulerHandlerDeps {
  const env = readEnvironment();
  const dynamo = new DynamoDBClient({});
  const contracts = loadContractsDir(
    env.LAKEPLANE_DATASETS_DIR ?? `${process.env.LAMBDA_TASK_ROOT ?? '.'}/datasets`,
  );
  const ledger = new DynamoLedger(dynamo, env.LEDGER_TABLE);
  return {
    ...createObservability('load-scheduler'),
    contracts,
    scheduler: awsScheduler(env, { dynamo, s3: new S3Client({}), sfn: new SFNClient({}) }, contracts, ledger),
  };
}
