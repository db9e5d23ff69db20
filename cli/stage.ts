/** The on-call commands against a deployed stage: resource names from the stack's outputs, AWS adapters. */
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DEFAULT_DATASETS_DIR } from '../local/paths.js';
import { DynamoControl } from '../shared/aws/dynamo-control.js';
import { DynamoLedger } from '../shared/aws/dynamo-ledger.js';
import { DynamoSchedulerStores } from '../shared/aws/dynamo-scheduler.js';
import { GlueCatalog } from '../shared/aws/glue-catalog.js';
import { S3ObjectStore } from '../shared/aws/s3-object-store.js';
import { StepFunctionsExecutionRunner } from '../shared/aws/sfn-orchestrator.js';
import { loadContractsDir } from '../shared/contracts-dir.js';
import type { ContractSet } from '../shared/core/contract/parse.js';
import type { LakeLayout } from '../shared/core/plan.js';
import { DEFAULT_LOAD_LIMITS } from '../shared/core/schedule.js';
import type { Catalog, DatasetControl, ExecutionRunner, Ledger, ObjectStore } from '../shared/ports.js';
import type { ScheduleDeps } from '../shared/usecases/schedule-loads.js';
import { ledgerLoads, scheduleDepsOver } from '../shared/usecases/scheduled-loads.js';
import { UsageError } from './context.js';

/** The stack outputs (serverless.yml `Outputs`) the on-call commands need. */
export const STAGE_OUTPUT_KEYS = [
  'LedgerTableName',
  'SchedulerTableName',
  'LoadDatasetStateMachineArn',
  'RollbackDatasetStateMachineArn',
  'QueryDatasetStateMachineArn',
  'BronzeBucketName',
  'SilverBucketName',
  'GoldBucketName',
  'QuarantineBucketName',
  'ArtifactsBucketName',
  'SilverDatabase',
  'GoldDatabase',
  'EmrClusterId',
  'DqRouterFunctionName',
  'BudgetGuardFunctionName',
  'ControlTableName',
  'BronzeDatabaseName',
] as const;
export type StageOutputKey = (typeof STAGE_OUTPUT_KEYS)[number];
export type StageOutputs = Readonly<Record<StageOutputKey, string>>;

export interface StageOptions {
  readonly stage: string;
  /** Default: the SDK's region chain (AWS_REGION, the profile). */
  readonly region?: string;
  /** Folder of dataset contracts (default: $LAKEPLANE_DATASETS or the repo's datasets/). */
  readonly datasets?: string;
  /** Pre-built clients (tests); by default each is created with the standard credential chain. */
  readonly clients?: {
    readonly cloudFormation?: CloudFormationClient;
    readonly dynamodb?: DynamoDBClient;
    readonly sfn?: SFNClient;
    readonly s3?: S3Client;
    readonly glue?: GlueClient;
  };
  /** How often a wait for an execution polls it (default 10 s). */
  readonly pollMs?: number;
}

export interface StageDeps {
  readonly stackName: string;
  readonly outputs: StageOutputs;
  readonly ledger: Ledger;
  /** Load-dataset executions (start, and wait for one: replays after a rollback go in order). */
  readonly orchestrator: ExecutionRunner;
  /** Rollback-dataset executions. */
  readonly rollbacks: ExecutionRunner;
  /** Query-dataset executions (`query --as-of`). */
  readonly queries: ExecutionRunner;
  /** The stage's buckets (the steps' results in the artifacts bucket). */
  readonly store: ObjectStore;
  /** Pending objects and dataset slots of coalesced loads (`loads --key`; a replay takes the slot). */
  readonly scheduler: Pick<ScheduleDeps, 'pending' | 'slots' | 'loads'>;
  readonly layout: LakeLayout;
  readonly contracts: ContractSet;
  /** Pausing and resuming datasets (the control table). */
  readonly control: DatasetControl;
  /** The Bronze tables' versions in the Glue Data Catalog (`dataset resume --accept-schema`). */
  readonly catalog: Catalog;
  /** The scheduler's full dependencies: a resumed dataset starts the load of what waited. */
  readonly schedule: ScheduleDeps;
  /** Releases the SDK clients' sockets. */
  close(): void;
}

/** The CloudFormation stack of a stage (serverless.yml `service: lakeplane`). */
export function stackNameOf(stage: string): string {
  return `lakeplane-${stage}`;
}

/** The lake layout of a deployed stage, from its stack outputs. */
export function layoutFromOutputs(o: StageOutputs): LakeLayout {
  return {
    bronzeBucket: o.BronzeBucketName,
    silverBucket: o.SilverBucketName,
    goldBucket: o.GoldBucketName,
    quarantineBucket: o.QuarantineBucketName,
    artifactsBucket: o.ArtifactsBucketName,
    silverDatabase: o.SilverDatabase,
    goldDatabase: o.GoldDatabase,
    clusterId: o.EmrClusterId,
    dqRouterFunction: o.DqRouterFunctionName,
    budgetGuardFunction: o.BudgetGuardFunctionName,
  };
}

/** Reads the stack's outputs once; a missing stack, missing access or missing output is a UsageError. */
export async function readStageOutputs(
  client: CloudFormationClient,
  stage: string,
  region?: string,
): Promise<StageOutputs> {
  const stackName = stackNameOf(stage);
  const where = `stack ${stackName}${region ? ` in ${region}` : ''}`;
  let outputs: readonly Output[];
  try {
    const res = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = res.Stacks?.[0];
    if (!stack)
      throw new UsageError(
        `${where} does not exist: deploy the stage first (npm run deploy -- --stage ${stage})`,
      );
    outputs = stack.Outputs ?? [];
  } catch (e) {
    throw describeFailure(e, where, stage);
  }
  const byKey = new Map(outputs.map((o) => [o.OutputKey, o.OutputValue]));
  const missing = STAGE_OUTPUT_KEYS.filter((k) => !byKey.get(k));
  if (missing.length > 0) {
    throw new UsageError(
      `${where} has no output ${missing.join(', ')}: deploy the stage with this version of lakeplane (npm run deploy -- --stage ${stage})`,
    );
  }
  return Object.fromEntries(STAGE_OUTPUT_KEYS.map((k) => [k, byKey.get(k)!])) as Record<
    StageOutputKey,
    string
  >;
}

function describeFailure(e: unknown, where: string, stage: string): Error {
  if (e instanceof UsageError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  if (err.name === 'ValidationError' && /does not exist/i.test(err.message))
    return new UsageError(
      `${where} does not exist: deploy the stage first (npm run deploy -- --stage ${stage}), or check --stage and --region`,
    );
  if (
    /AccessDenied|UnauthorizedOperation|ExpiredToken|InvalidClientTokenId|UnrecognizedClient/.test(err.name)
  )
    return new UsageError(
      `cannot read ${where}: ${err.message}\n  check your AWS credentials (AWS_PROFILE, \`aws sts get-caller-identity\`) and that they may call cloudformation:DescribeStacks`,
    );
  if (err.name === 'CredentialsProviderError')
    return new UsageError(
      `cannot read ${where}: no AWS credentials found (${err.message}); set AWS_PROFILE or run \`aws sso login\``,
    );
  if (/region is missing/i.test(err.message))
    return new UsageError(`cannot read ${where}: no AWS region; pass --region or set AWS_REGION`);
  return err;
}

/** The use-case dependencies of a deployed stage: DynamoDB ledger, Step Functions, its layout, the contracts. */
export async function stageDeps(options: StageOptions): Promise<StageDeps> {
  const config = options.region ? { region: options.region } : {};
  const cloudFormation = options.clients?.cloudFormation ?? new CloudFormationClient(config);
  const dynamodb = options.clients?.dynamodb ?? new DynamoDBClient(config);
  const sfn = options.clients?.sfn ?? new SFNClient(config);
  const s3 = options.clients?.s3 ?? new S3Client(config);
  const glue = options.clients?.glue ?? new GlueClient(config);
  const close = () => {
    if (!options.clients?.glue) glue.destroy();
    if (!options.clients?.s3) s3.destroy();
    if (!options.clients?.cloudFormation) cloudFormation.destroy();
    if (!options.clients?.dynamodb) dynamodb.destroy();
    if (!options.clients?.sfn) sfn.destroy();
  };
  try {
    const outputs = await readStageOutputs(cloudFormation, options.stage, options.region);
    const poll = options.pollMs !== undefined ? { pollMs: options.pollMs } : {};
    const contracts = loadContractsDir(
      options.datasets ?? process.env.LAKEPLANE_DATASETS ?? DEFAULT_DATASETS_DIR,
    );
    const ledger = new DynamoLedger(dynamodb, outputs.LedgerTableName);
    const store = new S3ObjectStore(s3);
    const layout = layoutFromOutputs(outputs);
    const stores = new DynamoSchedulerStores(dynamodb, outputs.SchedulerTableName);
    const control = new DynamoControl(dynamodb, outputs.ControlTableName);
    const orchestrator = new StepFunctionsExecutionRunner(sfn, outputs.LoadDatasetStateMachineArn, poll);
    return {
      stackName: stackNameOf(options.stage),
      outputs,
      ledger,
      orchestrator,
      rollbacks: new StepFunctionsExecutionRunner(sfn, outputs.RollbackDatasetStateMachineArn, poll),
      queries: new StepFunctionsExecutionRunner(sfn, outputs.QueryDatasetStateMachineArn, poll),
      store,
      layout,
      scheduler: {
        pending: stores.pending,
        slots: stores.slots,
        loads: ledgerLoads({ ledger, store, layout, now: () => new Date() }),
      },
      contracts,
      control,
      catalog: new GlueCatalog(glue),
      // The stage's load limits are the functions' (serverless.yml); a resume starts one load of
      // what waited, and the scheduler's next runs take the rest at the stage's own limits.
      schedule: scheduleDepsOver({
        contracts,
        ledger,
        store,
        pending: stores.pending,
        slots: stores.slots,
        orchestrator,
        layout,
        limits: DEFAULT_LOAD_LIMITS,
        control,
        now: () => new Date(),
      }),
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}
