import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoControl } from '../../shared/aws/dynamo-control.js';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { StepFunctionsOrchestrator } from '../../shared/aws/sfn-orchestrator.js';
import { layoutFromEnvironment, readEnvironment } from '../../shared/config.js';
import { loadContractsDir } from '../../shared/contracts-dir.js';
import { createObservability } from '../observability.js';
import type { ObjectLandedHandlerDeps } from './handler.js';

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(): ObjectLandedHandlerDeps {
  const env = readEnvironment();
  const dynamo = new DynamoDBClient({});
  return {
    ...createObservability('object-landed'),
    contracts: loadContractsDir(
      env.LAKEPLANE_DATASETS_DIR ?? `${process.env.LAMBDA_TASK_ROOT ?? '.'}/datasets`,
    ),
    ledger: new DynamoLedger(dynamo, env.LEDGER_TABLE),
    ...(env.CONTROL_TABLE ? { control: new DynamoControl(dynamo, env.CONTROL_TABLE) } : {}),
    orchestrator: new StepFunctionsOrchestrator(new SFNClient({}), env.STATE_MACHINE_ARN),
    layout: layoutFromEnvironment(env),
    now: () => new Date(),
  };
}
