/**
 * The object-landed Lambda handler with the real DynamoDB and Step Functions adapters over
 * mocked SDK clients. DynamoLedger writes through DynamoDBDocumentClient, whose send() is its
 * own (it only borrows the DynamoDBClient's config and middleware), so the document client is
 * the one mocked, with the lib-dynamodb commands.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseDocument } from 'yaml';
import { createHandler, InvalidObjectEventError } from '../../functions/object-landed/handler.js';
import { createObservability } from '../../functions/observability.js';
import { localContext } from '../../local/lambda-context.js';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { executionArnOf, StepFunctionsOrchestrator } from '../../shared/aws/sfn-orchestrator.js';
import { buildContractSet, type ContractSet, parseContract } from '../../shared/core/contract/index.js';
import { type LoadRecord, loadIdFor } from '../../shared/core/load.js';
import { planLoad } from '../../shared/core/plan.js';
import { TEST_LAYOUT } from '../helpers/fixtures.js';

const DATASETS = resolve(import.meta.dirname, '../../datasets');
const ORDERS_YAML = readFileSync(resolve(DATASETS, 'orders.yaml'), 'utf8');
const orders = parseContract(ORDERS_YAML, 'datasets/orders.yaml');
const orderItems = parseContract(
  readFileSync(resolve(DATASETS, 'order_items.yaml'), 'utf8'),
  'datasets/order_items.yaml',
);
const CONTRACTS = buildContractSet([orders, orderItems]);

const TABLE = 'lakeplane-ledger';
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:lakeplane-prod-load-dataset';
const NOW = new Date('2024-05-01T10:00:00.000Z');
const layout = TEST_LAYOUT;
/** Should a call ever get past the mocks, it fails on a closed loopback port, never reaching AWS. */
const OFFLINE = {
  region: 'eu-west-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
};

const KEY = 'orders/2024/05/01/part-0001.ndjson';
const ETAG = 'b1946ac92492d2347c6235b4d2611184';
const VERSION = 'IYV3p45BT0ac8hjHg1houSdS1a.Mppz';
const LOAD_ID = loadIdFor('orders', { bucket: 'lake-bronze', key: KEY, etag: ETAG });
const SOURCE = { bucket: 'lake-bronze', key: KEY, etag: ETAG, size: 1024, versionId: VERSION };

/** S3 "Object Created" as EventBridge delivers it (the S3 User Guide's sample event). */
function objectCreated(bucket = 'lake-bronze', key = KEY) {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    time: '2024-05-01T10:00:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 1024, etag: ETAG, 'version-id': VERSION, sequencer: '617f08299329d189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '111122223333',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
    },
  };
}

const docMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);

function handlerWith(contracts: ContractSet = CONTRACTS) {
  return createHandler({
    ...createObservability('object-landed', { local: true, logLevel: 'SILENT' }),
    contracts,
    ledger: new DynamoLedger(new DynamoDBClient(OFFLINE), TABLE),
    orchestrator: new StepFunctionsOrchestrator(new SFNClient(OFFLINE), STATE_MACHINE_ARN),
    layout,
    now: () => NOW,
  });
}

async function invoke(event: unknown, contracts?: ContractSet) {
  return handlerWith(contracts)(event, localContext('object-landed'));
}

function existing(status: LoadRecord['status']): LoadRecord {
  return {
    loadId: LOAD_ID,
    dataset: 'orders',
    status,
    source: SOURCE,
    executionName: LOAD_ID,
    attempts: 1,
    registeredAt: '2024-05-01T09:59:00.000Z',
    history: [{ status: 'REGISTERED', at: '2024-05-01T09:59:00.000Z' }],
  };
}

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** Step Functions answering StartExecution as for a new execution, started just now. */
function sfnStartsNow(): void {
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: executionArnOf(STATE_MACHINE_ARN, input.name),
    startDate: new Date(),
  }));
}

function startCalls() {
  return sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
}

const expectedInput = planLoad(orders, { loadId: LOAD_ID, source: SOURCE, attempt: 1 }, layout);
const EXECUTION_ARN = `arn:aws:states:eu-west-1:111122223333:execution:lakeplane-prod-load-dataset:${LOAD_ID}`;

beforeEach(() => {
  // As in the local runtime: no EMF lines on stdout.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  docMock.reset();
  sfnMock.reset();
});

afterAll(() => {
  vi.unstubAllEnvs();
  docMock.restore();
  sfnMock.restore();
});

describe('object-landed handler', () => {
  it('registers the load with a conditional put and starts the execution named after it', async () => {
    docMock.on(PutCommand).resolves({});
    sfnStartsNow();

    const result = await invoke(objectCreated());

    expect(result).toEqual({
      outcome: 'started',
      loadId: LOAD_ID,
      dataset: 'orders',
      executionArn: EXECUTION_ARN,
    });
    const puts = docMock.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    const put = puts[0]!.args[0].input;
    expect(put.TableName).toBe(TABLE);
    expect(put.ConditionExpression).toBe('attribute_not_exists(loadId)');
    expect(put.Item).toEqual({
      loadId: LOAD_ID,
      dataset: 'orders',
      status: 'REGISTERED',
      source: SOURCE,
      executionName: LOAD_ID,
      attempts: 1,
      registeredAt: '2024-05-01T10:00:00.000Z',
      history: [{ status: 'REGISTERED', at: '2024-05-01T10:00:00.000Z' }],
    });

    const starts = startCalls();
    expect(starts).toHaveLength(1);
    expect(starts[0]!.name).toBe(LOAD_ID);
    expect(starts[0]!.stateMachineArn).toBe(STATE_MACHINE_ARN);
    const input = JSON.parse(starts[0]!.input!);
    expect(input).toEqual(expectedInput);
    expect(input.steps.stage.args).toEqual(
      expect.arrayContaining([
        '--dataset',
        'orders',
        '--contract',
        's3://lake-artifacts/contracts/orders.json',
      ]),
    );
    const stageArgs: string[] = input.steps.stage.args;
    expect(stageArgs.slice(stageArgs.indexOf('--input'), stageArgs.indexOf('--input') + 4)).toEqual([
      '--input',
      `s3://lake-bronze/${KEY}`,
      '--input-version',
      VERSION,
    ]);
    expect(input.steps.upsert.args).toContain('s3://lake-silver/orders/');
  });

  it('strips the quotes of a quoted ETag before it goes into the record and the load id', async () => {
    docMock.on(PutCommand).resolves({});
    sfnStartsNow();
    const event = objectCreated();
    event.detail.object.etag = `"${ETAG}"`;

    const result = await invoke(event);

    expect(result.outcome === 'started' && result.loadId).toBe(LOAD_ID);
    expect(docMock.commandCalls(PutCommand)[0]!.args[0].input.Item?.source).toEqual(SOURCE);
  });

  it('a duplicate event of a running load starts nothing', async () => {
    docMock.on(PutCommand).rejects(conditionFailed());
    docMock.on(GetCommand).resolves({ Item: existing('RUNNING') });
    sfnStartsNow();

    const result = await invoke(objectCreated());

    expect(result).toEqual({ outcome: 'duplicate', loadId: LOAD_ID, dataset: 'orders', status: 'RUNNING' });
    const gets = docMock.commandCalls(GetCommand);
    expect(gets).toHaveLength(1);
    expect(gets[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { loadId: LOAD_ID },
      ConsistentRead: true,
    });
    expect(startCalls()).toHaveLength(0);
  });

  it('a duplicate event of a load still REGISTERED (its start was lost) starts it, same name and input', async () => {
    docMock.on(PutCommand).rejects(conditionFailed());
    docMock.on(GetCommand).resolves({ Item: existing('REGISTERED') });
    sfnStartsNow();

    const result = await invoke(objectCreated());

    const starts = startCalls();
    expect(starts).toHaveLength(1);
    expect(starts[0]!.name).toBe(LOAD_ID);
    expect(starts[0]!.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(JSON.parse(starts[0]!.input!)).toEqual(expectedInput);
    expect(result).toEqual({
      outcome: 'started',
      loadId: LOAD_ID,
      dataset: 'orders',
      executionArn: EXECUTION_ARN,
    });
  });

  it('a duplicate of a REGISTERED load whose execution exists (ExecutionAlreadyExists) is a duplicate', async () => {
    docMock.on(PutCommand).rejects(conditionFailed());
    docMock.on(GetCommand).resolves({ Item: existing('REGISTERED') });
    sfnMock.on(StartExecutionCommand).rejects(
      new ExecutionAlreadyExists({
        message: `Execution Already Exists: '${EXECUTION_ARN}'`,
        $metadata: {},
      }),
    );

    const result = await invoke(objectCreated());

    expect(startCalls()).toHaveLength(1);
    expect(result).toEqual({
      outcome: 'duplicate',
      loadId: LOAD_ID,
      dataset: 'orders',
      status: 'REGISTERED',
    });
  });

  it('ExecutionAlreadyExists after a fresh registration is a duplicate too: nothing was started', async () => {
    docMock.on(PutCommand).resolves({});
    sfnMock.on(StartExecutionCommand).rejects(
      new ExecutionAlreadyExists({
        message: `Execution Already Exists: '${EXECUTION_ARN}'`,
        $metadata: {},
      }),
    );

    const result = await invoke(objectCreated());

    expect(startCalls()).toHaveLength(1);
    expect(result.outcome).toBe('duplicate');
  });

  it.each([
    [
      'a key under no dataset prefix',
      objectCreated('lake-bronze', 'customers/2024/part-0001.ndjson'),
      'no-dataset',
    ],
    ['a key with ".."', objectCreated('lake-bronze', 'orders/../order_items/part-0001.ndjson'), 'unsafe-key'],
    ['a non-NDJSON file', objectCreated('lake-bronze', 'orders/2024/part-0001.csv'), 'not-a-data-file'],
    ['another bucket than Bronze', objectCreated('lake-silver', KEY), 'wrong-bucket'],
  ])('rejects %s without touching DynamoDB or Step Functions', async (_what, event, reason) => {
    const result = await invoke(event);

    expect(result.outcome).toBe('rejected');
    expect(result.outcome === 'rejected' && result.reason).toBe(reason);
    expect(docMock.calls()).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('holds the load of a paused dataset: registered HELD, nothing started', async () => {
    const doc = parseDocument(ORDERS_YAML);
    doc.set('paused', true);
    const paused = buildContractSet([parseContract(doc.toString(), 'datasets/orders.yaml'), orderItems]);
    docMock.on(PutCommand).resolves({});
    sfnStartsNow();

    const result = await invoke(objectCreated(), paused);

    expect(result).toEqual({
      outcome: 'held',
      loadId: LOAD_ID,
      dataset: 'orders',
      reason: 'dataset is paused in its contract',
    });
    const item = docMock.commandCalls(PutCommand)[0]!.args[0].input.Item as LoadRecord;
    expect(item.status).toBe('HELD');
    expect(item.history).toEqual([
      { status: 'HELD', at: '2024-05-01T10:00:00.000Z', note: 'dataset is paused in its contract' },
    ]);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('rejects a malformed event with InvalidObjectEventError naming the missing field', async () => {
    const event = objectCreated();
    const { etag: _missing, ...object } = event.detail.object;
    const malformed = { ...event, detail: { ...event.detail, object } };

    const failure = invoke(malformed);

    await expect(failure).rejects.toBeInstanceOf(InvalidObjectEventError);
    await expect(failure).rejects.toThrow(/detail\.object\.etag/);
    expect(docMock.calls()).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});
