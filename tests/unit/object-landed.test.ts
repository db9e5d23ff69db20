/**
 * The object-landed Lambda handler with the real DynamoDB, S3 and Step Functions adapters over
 * mocked SDK clients: the SDK contract of one landing (the scheduler's behaviour under races is
 * tested over dynalite in tests/integration/dynamo-scheduler.test.ts). The ledger, control and
 * scheduler adapters write through DynamoDBDocumentClient, whose send() is its own (it only
 * borrows the DynamoDBClient's config and middleware), so the document client is the one
 * mocked, with the lib-dynamodb commands, told apart by TableName.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseDocument } from 'yaml';
import { createHandler, InvalidObjectEventError } from '../../functions/object-landed/handler.js';
import { createObservability } from '../../functions/observability.js';
import { localContext } from '../../local/lambda-context.js';
import { DynamoControl } from '../../shared/aws/dynamo-control.js';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { DynamoSchedulerStores } from '../../shared/aws/dynamo-scheduler.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { executionArnOf, StepFunctionsOrchestrator } from '../../shared/aws/sfn-orchestrator.js';
import { buildContractSet, type ContractSet, parseContract } from '../../shared/core/contract/index.js';
import { type LoadRecord, loadIdFor } from '../../shared/core/load.js';
import { parseManifest } from '../../shared/core/manifest.js';
import { DEFAULT_LOAD_LIMITS } from '../../shared/core/schedule.js';
import { scheduleDepsOver } from '../../shared/usecases/scheduled-loads.js';
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
const SCHEDULER = 'lakeplane-scheduler';
const CONTROL = 'lakeplane-control';
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
const s3Mock = mockClient(S3Client);

function handlerWith(contracts: ContractSet = CONTRACTS) {
  const dynamo = new DynamoDBClient(OFFLINE);
  const ledger = new DynamoLedger(dynamo, TABLE);
  const stores = new DynamoSchedulerStores(dynamo, SCHEDULER);
  return createHandler({
    ...createObservability('object-landed', { local: true, logLevel: 'SILENT' }),
    contracts,
    ledger,
    scheduler: scheduleDepsOver({
      contracts,
      ledger,
      store: new S3ObjectStore(new S3Client(OFFLINE)),
      pending: stores.pending,
      slots: stores.slots,
      orchestrator: new StepFunctionsOrchestrator(new SFNClient(OFFLINE), STATE_MACHINE_ARN),
      layout,
      limits: DEFAULT_LOAD_LIMITS,
      control: new DynamoControl(dynamo, CONTROL),
      now: () => NOW,
    }),
    layout,
    now: () => NOW,
  });
}

async function invoke(event: unknown, contracts?: ContractSet) {
  return handlerWith(contracts)(event, localContext('object-landed'));
}

const PENDING = {
  dataset: 'orders',
  bucket: 'lake-bronze',
  key: KEY,
  etag: ETAG,
  size: 1024,
  versionId: VERSION,
  landedAt: NOW.toISOString(),
};
const MANIFEST_URI = `s3://lake-artifacts/runs/${LOAD_ID}/manifest.json`;

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** An idle dataset: nothing in the ledger, a free slot, the landed object the only one pending. */
function idleDataset(): void {
  docMock.on(GetCommand).resolves({});
  docMock.on(PutCommand).resolves({});
  docMock.on(UpdateCommand).resolves({});
  docMock
    .on(QueryCommand, { TableName: SCHEDULER, IndexName: 'pending' })
    .resolves({ Items: [{ object: PENDING }] });
  docMock.on(BatchGetCommand).resolves({ Responses: { [SCHEDULER]: [{ object: PENDING }] } });
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"m"' });
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: executionArnOf(STATE_MACHINE_ARN, input.name),
    startDate: new Date(),
  }));
}

function putsTo(table: string) {
  return docMock
    .commandCalls(PutCommand)
    .map((c) => c.args[0].input)
    .filter((i) => i.TableName === table);
}

function startCalls() {
  return sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
}

beforeEach(() => {
  // As in the local runtime: no EMF lines on stdout.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  docMock.reset();
  sfnMock.reset();
  s3Mock.reset();
});

afterAll(() => {
  vi.unstubAllEnvs();
  docMock.restore();
  sfnMock.restore();
  s3Mock.restore();
});

describe('object-landed handler', () => {
  it('adds the object as pending and, the dataset idle, starts a load of it: manifest, slot, claim, record, execution', async () => {
    idleDataset();

    const result = await invoke(objectCreated());

    expect(result).toEqual({
      outcome: 'pending',
      dataset: 'orders',
      schedule: { outcome: 'started', loadId: LOAD_ID, objects: 1 },
    });
    // Pending: a conditional put keyed by bucket, key and ETag (the same content again adds nothing).
    const [pending] = putsTo(SCHEDULER);
    expect(pending).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: 'obj#orders',
        sk: `lake-bronze/${KEY}#${ETAG}`,
        pendingDataset: 'orders',
        pendingOrder: `${NOW.toISOString()}#lake-bronze/${KEY}#${ETAG}`,
        object: PENDING,
      },
    });
    // The manifest is written before the slot names the load.
    const manifestPut = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(manifestPut.Bucket).toBe('lake-artifacts');
    expect(manifestPut.Key).toBe(`runs/${LOAD_ID}/manifest.json`);
    const manifest = parseManifest(new TextDecoder().decode(manifestPut.Body as Uint8Array), MANIFEST_URI);
    expect(manifest).toEqual({
      version: 1,
      loadId: LOAD_ID,
      dataset: 'orders',
      objects: [
        {
          bucket: 'lake-bronze',
          key: KEY,
          versionId: VERSION,
          etag: ETAG,
          size: 1024,
          landedAt: NOW.toISOString(),
        },
      ],
    });
    const updates = docMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates[0]).toMatchObject({
      TableName: SCHEDULER,
      Key: { pk: 'slot#orders', sk: 'slot' },
      ConditionExpression: 'attribute_not_exists(holder) OR holder = :l',
      ExpressionAttributeValues: { ':l': LOAD_ID },
    });
    expect(updates[1]).toMatchObject({
      TableName: SCHEDULER,
      Key: { pk: 'obj#orders', sk: `lake-bronze/${KEY}#${ETAG}` },
      UpdateExpression: 'SET claimedBy = :l REMOVE pendingDataset, pendingOrder',
    });
    // The ledger record refers to the manifest; its source is the first object.
    const [record] = putsTo(TABLE);
    expect(record?.ConditionExpression).toBe('attribute_not_exists(loadId)');
    expect(record?.Item).toEqual({
      loadId: LOAD_ID,
      dataset: 'orders',
      status: 'REGISTERED',
      source: SOURCE,
      manifest: { uri: MANIFEST_URI, objects: 1, bytes: 1024 },
      executionName: LOAD_ID,
      attempts: 1,
      registeredAt: NOW.toISOString(),
      history: [{ status: 'REGISTERED', at: NOW.toISOString(), note: '1 object' }],
    });
    const starts = startCalls();
    expect(starts).toHaveLength(1);
    expect(starts[0]!.name).toBe(LOAD_ID);
    expect(starts[0]!.stateMachineArn).toBe(STATE_MACHINE_ARN);
    const stageArgs: string[] = JSON.parse(starts[0]!.input!).steps.stage.args;
    expect(stageArgs.slice(stageArgs.indexOf('--manifest'), stageArgs.indexOf('--manifest') + 2)).toEqual([
      '--manifest',
      MANIFEST_URI,
    ]);
    expect(stageArgs).not.toContain('--input');
  });

  it('strips the quotes of a quoted ETag before it goes into the pending item and the load id', async () => {
    idleDataset();
    const event = objectCreated();
    event.detail.object.etag = `"${ETAG}"`;

    const result = await invoke(event);

    expect(result.outcome === 'pending' && result.schedule).toMatchObject({ loadId: LOAD_ID });
    expect(putsTo(SCHEDULER)[0]?.Item?.object).toEqual(PENDING);
  });

  it('the same content again (a duplicate event, or the file landed again) adds nothing and starts nothing', async () => {
    docMock.on(GetCommand).resolves({});
    docMock.on(PutCommand, { TableName: SCHEDULER }).rejects(conditionFailed());
    docMock
      .on(QueryCommand, { TableName: SCHEDULER })
      .resolves({ Items: [{ object: PENDING, claimedBy: 'orders-m0123456789abcdef012' }] });

    const result = await invoke(objectCreated());

    expect(result).toEqual({
      outcome: 'duplicate',
      dataset: 'orders',
      loadId: 'orders-m0123456789abcdef012',
    });
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('an object a load from before coalescing took (its own id, no manifest) is a duplicate too', async () => {
    docMock.on(GetCommand, { TableName: TABLE, Key: { loadId: LOAD_ID } }).resolves({
      Item: {
        loadId: LOAD_ID,
        dataset: 'orders',
        status: 'SUCCEEDED',
        source: SOURCE,
        executionName: LOAD_ID,
        attempts: 1,
        registeredAt: '2024-04-30T10:00:00.000Z',
        history: [{ status: 'REGISTERED', at: '2024-04-30T10:00:00.000Z' }],
      } satisfies LoadRecord,
    });

    const result = await invoke(objectCreated());

    expect(result).toEqual({ outcome: 'duplicate', dataset: 'orders', loadId: LOAD_ID });
    expect(docMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('a load of the dataset in flight: the object stays pending for the next load', async () => {
    idleDataset();
    docMock
      .on(GetCommand, { TableName: SCHEDULER })
      .resolves({ Item: { holder: 'orders-m00000000000000000ff' } });
    docMock.on(GetCommand, { TableName: TABLE, Key: { loadId: 'orders-m00000000000000000ff' } }).resolves({
      Item: { loadId: 'orders-m00000000000000000ff', status: 'RUNNING' },
    });

    const result = await invoke(objectCreated());

    expect(result).toEqual({
      outcome: 'pending',
      dataset: 'orders',
      schedule: { outcome: 'in-flight', loadId: 'orders-m00000000000000000ff' },
    });
    expect(putsTo(SCHEDULER)).toHaveLength(1);
    expect(putsTo(TABLE)).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it.each([
    ['in its contract', true],
    ['by schema-drift (control table)', false],
  ])('a dataset paused %s keeps the object pending and starts nothing', async (_how, inContract) => {
    idleDataset();
    let contracts = CONTRACTS;
    if (inContract) {
      const doc = parseDocument(ORDERS_YAML);
      doc.set('paused', true);
      contracts = buildContractSet([parseContract(doc.toString(), 'datasets/orders.yaml'), orderItems]);
    } else {
      docMock.on(GetCommand, { TableName: CONTROL }).resolves({
        Item: {
          pk: 'dataset#orders',
          dataset: 'orders',
          paused: true,
          reason: 'drift',
          updatedAt: NOW.toISOString(),
        },
      });
    }

    const result = await invoke(objectCreated(), contracts);

    expect(result).toEqual({ outcome: 'pending', dataset: 'orders', schedule: { outcome: 'paused' } });
    expect(putsTo(SCHEDULER)).toHaveLength(1);
    expect(putsTo(TABLE)).toHaveLength(0);
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
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
