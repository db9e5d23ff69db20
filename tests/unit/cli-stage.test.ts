/**
 * The on-call commands against a deployed stage: stageDeps reads the stack outputs and builds the
 * AWS adapters; the replay use case runs through them. Every SDK client is mocked (the document
 * client too: DynamoLedger sends through DynamoDBDocumentClient, whose send() is its own), and
 * each points at a closed loopback port should a call ever get past the mocks.
 */
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetTableVersionsCommand, GlueClient } from '@aws-sdk/client-glue';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { resumeOnStage } from '../../cli/commands/resume.js';
import { STAGE_OUTPUT_KEYS, type StageOptions, stageDeps } from '../../cli/stage.js';
import { executionArnOf } from '../../shared/aws/sfn-orchestrator.js';
import { type LoadRecord, loadIdFor } from '../../shared/core/load.js';
import { planLoad } from '../../shared/core/plan.js';
import { replayLoad } from '../../shared/usecases/replay.js';
import { contract, DATASETS } from '../helpers/fixtures.js';
import { describeStack, OFFLINE, STAGE_OUTPUTS } from '../helpers/stage.js';

const OUTPUTS = STAGE_OUTPUTS;
const STATE_MACHINE_ARN = STAGE_OUTPUTS.LoadDatasetStateMachineArn!;

const cfnMock = mockClient(CloudFormationClient);
const docMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);
const glueMock = mockClient(GlueClient);

beforeEach(() => {
  cfnMock.reset();
  docMock.reset();
  sfnMock.reset();
  glueMock.reset();
});
afterAll(() => {
  cfnMock.restore();
  docMock.restore();
  sfnMock.restore();
  glueMock.restore();
});

function options(): StageOptions {
  return {
    stage: 'dev',
    region: 'eu-west-1',
    datasets: DATASETS,
    clients: {
      cloudFormation: new CloudFormationClient(OFFLINE),
      dynamodb: new DynamoDBClient(OFFLINE),
      sfn: new SFNClient(OFFLINE),
      glue: new GlueClient(OFFLINE),
    },
  };
}

function stackWith(outputs: Record<string, string>): void {
  cfnMock.on(DescribeStacksCommand, { StackName: 'lakeplane-dev' }).resolves(describeStack(outputs));
}

describe('stageDeps', () => {
  it('reads the outputs of lakeplane-<stage> once and builds the layout from them', async () => {
    stackWith(OUTPUTS);
    const deps = await stageDeps(options());
    expect(cfnMock.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    expect(deps.stackName).toBe('lakeplane-dev');
    expect(deps.layout).toEqual({
      bronzeBucket: 'lakeplane-dev-bronze',
      silverBucket: 'lakeplane-dev-silver',
      goldBucket: 'lakeplane-dev-gold',
      quarantineBucket: 'lakeplane-dev-quarantine',
      artifactsBucket: 'lakeplane-dev-artifacts',
      silverDatabase: 'lake_silver',
      goldDatabase: 'lake_gold',
      clusterId: 'j-2AXXXXXXGAPLF',
      dqRouterFunction: 'lakeplane-dev-dq-router',
      budgetGuardFunction: 'lakeplane-dev-budget-guard',
    });
    expect([...deps.contracts.datasets.keys()].sort()).toEqual(['order_items', 'orders']);
    deps.close();
  });

  it('names the stack and every missing output', async () => {
    const { LedgerTableName: _l, EmrClusterId: _e, ...partial } = OUTPUTS;
    stackWith(partial);
    await expect(stageDeps(options())).rejects.toThrow(
      /stack lakeplane-dev in eu-west-1 has no output LedgerTableName, EmrClusterId/,
    );
    expect(STAGE_OUTPUT_KEYS).toContain('LedgerTableName');
  });

  it('says to deploy the stage first when the stack does not exist', async () => {
    cfnMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        message: 'Stack with id lakeplane-dev does not exist',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(stageDeps(options())).rejects.toThrow(
      /stack lakeplane-dev in eu-west-1 does not exist: deploy the stage first/,
    );
  });

  it('points at the credentials when access is denied', async () => {
    cfnMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: 'User is not authorized to perform: cloudformation:DescribeStacks',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    await expect(stageDeps(options())).rejects.toThrow(
      /cannot read stack lakeplane-dev.*\n.*AWS credentials/,
    );
  });
});

describe('replay on a deployed stage', () => {
  const source = {
    bucket: 'lakeplane-dev-bronze',
    key: 'orders/2026/11/20/part-0001.ndjson',
    etag: 'b1946ac92492d2347c6235b4d2611184',
    size: 1024,
    versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mppz',
  };
  const loadId = loadIdFor('orders', source);
  const failed: LoadRecord = {
    loadId,
    dataset: 'orders',
    status: 'FAILED',
    source,
    executionName: loadId,
    attempts: 1,
    registeredAt: '2026-11-20T10:00:00.000Z',
    history: [
      { status: 'REGISTERED', at: '2026-11-20T10:00:00.000Z' },
      { status: 'FAILED', at: '2026-11-20T10:05:00.000Z' },
    ],
    cause: { error: 'States.TaskFailed', message: 'upsert failed' },
  };

  it('starts one execution <load id>-a2 with the planned input on the stage state machine', async () => {
    stackWith(OUTPUTS);
    docMock.on(GetCommand, { TableName: 'lakeplane-dev-ledger', Key: { loadId } }).resolves({ Item: failed });
    docMock.on(QueryCommand).resolves({ Items: [failed] });
    docMock.on(UpdateCommand).resolves({});
    docMock.on(UpdateCommand, { TableName: 'lakeplane-dev-ledger' }).resolves({
      Attributes: { ...failed, status: 'REGISTERED', attempts: 2, executionName: `${loadId}-a2` },
    });
    sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
      executionArn: executionArnOf(STATE_MACHINE_ARN, input.name),
      startDate: new Date(),
    }));

    const deps = await stageDeps(options());
    const outcome = await replayLoad(loadId, deps);
    deps.close();

    expect(outcome).toMatchObject({
      outcome: 'started',
      executionArn: executionArnOf(STATE_MACHINE_ARN, `${loadId}-a2`),
    });
    // The replay takes the dataset's slot on the scheduler table first, then moves the ledger record.
    const update = docMock.commandCalls(UpdateCommand);
    expect(update).toHaveLength(2);
    expect(update[0]!.args[0].input).toMatchObject({
      TableName: 'lakeplane-dev-scheduler',
      Key: { pk: 'slot#orders', sk: 'slot' },
      ExpressionAttributeValues: { ':l': loadId },
    });
    expect(update[1]!.args[0].input).toMatchObject({ TableName: 'lakeplane-dev-ledger', Key: { loadId } });
    const starts = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(starts[0]!.name).toBe(`${loadId}-a2`);
    expect(JSON.parse(starts[0]!.input!)).toEqual(
      planLoad(contract('orders'), { loadId, source, attempt: 2 }, deps.layout),
    );
  });

  it('with --dry-run changes nothing and starts nothing', async () => {
    stackWith(OUTPUTS);
    docMock.on(GetCommand).resolves({ Item: failed });
    docMock.on(QueryCommand).resolves({ Items: [failed] });
    const deps = await stageDeps(options());
    const outcome = await replayLoad(loadId, deps, { dryRun: true });
    deps.close();
    expect(outcome).toMatchObject({ outcome: 'would-start', attempt: 2 });
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('dataset resume on a deployed stage', () => {
  const how = { stage: 'dev', where: ' --stage dev', by: 'oncall' };
  const version = (id: string) => ({
    VersionId: id,
    Table: {
      Name: 'order_items',
      DatabaseName: 'lake_bronze',
      StorageDescriptor: { Columns: [{ Name: 'order_id', Type: 'string' }] },
      PartitionKeys: [],
    },
  });

  beforeEach(() => {
    stackWith(OUTPUTS);
    // Newest first, as Glue lists them.
    glueMock
      .on(GetTableVersionsCommand, { DatabaseName: 'lake_bronze', TableName: 'order_items' })
      .resolves({ TableVersions: [version('2'), version('1')] });
    docMock.on(GetCommand).resolves({});
    docMock
      .on(GetCommand, { TableName: 'lakeplane-dev-control', Key: { pk: 'dataset#order_items' } })
      .resolves({
        Item: { pk: 'dataset#order_items', dataset: 'order_items', paused: true, updatedAt: 'x' },
      });
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock.on(UpdateCommand, { TableName: 'lakeplane-dev-control' }).callsFake((input) => ({
      Attributes: {
        dataset: 'order_items',
        paused: false,
        updatedAt: 'now',
        acceptedSchemaVersion: input.ExpressionAttributeValues[':v'],
      },
    }));
  });

  it('refuses a version the stage catalog does not have, naming those it has, and changes nothing', async () => {
    const deps = await stageDeps(options());
    await expect(resumeOnStage('order_items', '7', deps, how)).rejects.toThrow(
      'dataset order_items has no Bronze table version 7 (its versions: 1, 2); nothing was changed. Accept one that exists, e.g. the newest: `lakeplane dataset resume order_items --accept-schema 2 --stage dev`',
    );
    deps.close();
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('records the version accepted in the control table and says which (the newest without a value)', async () => {
    const deps = await stageDeps(options());
    const lines = await resumeOnStage('order_items', true, deps, how);
    deps.close();
    expect(lines).toEqual([
      'dataset order_items resumed on dev; accepted Bronze schema version 2; 0 loads started',
    ]);
    const [update] = docMock.commandCalls(UpdateCommand, { TableName: 'lakeplane-dev-control' });
    expect(update!.args[0].input).toMatchObject({
      Key: { pk: 'dataset#order_items' },
      ExpressionAttributeValues: { ':f': false, ':by': 'oncall', ':v': '2' },
    });
  });
});
