import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  ConfigurationError,
  type LambdaEnvironment,
  layoutFromEnvironment,
  readEnvironment,
} from '../config.js';
import type { ContractSet } from '../core/contract/parse.js';
import type { Ledger } from '../ports.js';
import type { ScheduleDeps } from '../usecases/schedule-loads.js';
import { loadLimitsFrom, scheduleDepsOver } from '../usecases/scheduled-loads.js';
import { DynamoControl } from './dynamo-control.js';
import { DynamoLedger } from './dynamo-ledger.js';
import { DynamoSchedulerStores } from './dynamo-scheduler.js';
import { lambdaContracts } from './lambda-contracts.js';
import { S3ObjectStore } from './s3-object-store.js';
import { StepFunctionsOrchestrator } from './sfn-orchestrator.js';

/** The coalesced-load scheduler of a stage in AWS (object-landed, load-events, the safety net). */
export function awsScheduler(
  env: LambdaEnvironment,
  clients: { readonly dynamo: DynamoDBClient; readonly s3: S3Client; readonly sfn: SFNClient },
  contracts: ContractSet,
  ledger: Ledger,
): ScheduleDeps {
  if (!env.SCHEDULER_TABLE)
    throw new ConfigurationError(
      'lakeplane function environment is incomplete: SCHEDULER_TABLE (the scheduler table, serverless.yml SchedulerTable) is not set',
    );
  const stores = new DynamoSchedulerStores(clients.dynamo, env.SCHEDULER_TABLE);
  return scheduleDepsOver({
    contracts,
    ledger,
    store: new S3ObjectStore(clients.s3),
    pending: stores.pending,
    slots: stores.slots,
    orchestrator: new StepFunctionsOrchestrator(clients.sfn, env.STATE_MACHINE_ARN),
    layout: layoutFromEnvironment(env),
    limits: loadLimitsFrom(env),
    control: env.CONTROL_TABLE ? new DynamoControl(clients.dynamo, env.CONTROL_TABLE) : undefined,
    now: () => new Date(),
  });
}

/**
 * What the scheduler's functions (object-landed, load-scheduler) build at cold start: their
 * environment, the contracts they ship, the ledger and the scheduler over them.
 */
export function awsSchedulerFunction(): {
  readonly env: LambdaEnvironment;
  readonly contracts: ContractSet;
  readonly ledger: DynamoLedger;
  readonly scheduler: ScheduleDeps;
} {
  const env = readEnvironment();
  const dynamo = new DynamoDBClient({});
  const contracts = lambdaContracts(env.LAKEPLANE_DATASETS_DIR);
  const ledger = new DynamoLedger(dynamo, env.LEDGER_TABLE);
  const scheduler = awsScheduler(
    env,
    { dynamo, s3: new S3Client({}), sfn: new SFNClient({}) },
    contracts,
    ledger,
  );
  return { env, contracts, ledger, scheduler };
}
