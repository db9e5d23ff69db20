/**
 * A deployed stage `dev` for the on-call commands' tests: its stack outputs, and SDK client
 * settings that point at a closed loopback port should a call ever get past the mocks.
 */
export const OFFLINE = {
  region: 'eu-west-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
};

const machine = (name: string) => `arn:aws:states:eu-west-1:111122223333:stateMachine:lakeplane-dev-${name}`;

/** The outputs of the stack `lakeplane-dev` (serverless.yml Outputs). */
export const STAGE_OUTPUTS: Readonly<Record<string, string>> = {
  LedgerTableName: 'lakeplane-dev-ledger',
  SchedulerTableName: 'lakeplane-dev-scheduler',
  LoadDatasetStateMachineArn: machine('load-dataset'),
  RollbackDatasetStateMachineArn: machine('rollback-dataset'),
  QueryDatasetStateMachineArn: machine('query-dataset'),
  BronzeBucketName: 'lakeplane-dev-bronze',
  SilverBucketName: 'lakeplane-dev-silver',
  GoldBucketName: 'lakeplane-dev-gold',
  QuarantineBucketName: 'lakeplane-dev-quarantine',
  ArtifactsBucketName: 'lakeplane-dev-artifacts',
  SilverDatabase: 'lake_silver',
  GoldDatabase: 'lake_gold',
  EmrClusterId: 'j-2AXXXXXXGAPLF',
  DqRouterFunctionName: 'lakeplane-dev-dq-router',
  BudgetGuardFunctionName: 'lakeplane-dev-budget-guard',
  ControlTableName: 'lakeplane-dev-control',
  BronzeDatabaseName: 'lake_bronze',
  StreamName: 'lakeplane-dev-events',
};

/** The DescribeStacks answer of `lakeplane-dev` with these outputs. */
export function describeStack(outputs: Readonly<Record<string, string>>) {
  return {
    Stacks: [
      {
        StackName: 'lakeplane-dev',
        StackStatus: 'UPDATE_COMPLETE' as const,
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}
