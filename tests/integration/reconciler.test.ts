/**
 * The reconciler of a stage (functions/reconciler) over the real adapters: the ledger, control
 * and scheduler tables on dynalite, Step Functions (StartExecution, DescribeExecution) and S3
 * (ListObjectVersions) as mocked SDK clients, the artifacts in memory. Events are lost on
 * purpose; the reconciler must bring each load to its true state exactly as the event would have.
 */

import { gunzipSync } from 'node:zlib';
import { GetTableVersionsCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createObservability } from '../../functions/observability.js';
import { createHandler } from '../../functions/reconciler/handler.js';
import { localContext } from '../../local/lambda-context.js';
import { type LocalLedger, startLocalLedger } from '../../local/ledger/local-ledger.js';
import { GlueCatalog } from '../../shared/aws/glue-catalog.js';
import { KinesisRangeReader } from '../../shared/aws/kinesis-range-reader.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import {
  executionArnOf,
  StepFunctionsHistory,
  StepFunctionsOrchestrator,
} from '../../shared/aws/sfn-orchestrator.js';
import { loadContractsDir } from '../../shared/contracts-dir.js';
import type { ObjectCreatedEvent } from '../../shared/core/events.js';
import type { SlackMessage } from '../../shared/core/messages/slack.js';
import { DEFAULT_LOAD_LIMITS } from '../../shared/core/schedule.js';
import { compileChecks } from '../../shared/core/stream/micro-batch.js';
import type { ObjectInfo, ObjectStore } from '../../shared/ports.js';
import { onObjectLanded } from '../../shared/usecases/object-landed.js';
import { type ReconcileDeps, reconcile, statusEventOf } from '../../shared/usecases/reconcile.js';
import { scheduleDepsOver } from '../../shared/usecases/scheduled-loads.js';
import { DATASETS, order, TEST_LAYOUT } from '../helpers/fixtures.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:lakeplane-prod-load-dataset';
const OFFLINE = {
  region: 'eu-west-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
};
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const kinesis = mockClient(KinesisClient);
const glue = mockClient(GlueClient);
const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:111122223333:stream/lakeplane-prod-events';
const contracts = loadContractsDir(DATASETS);

class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  async put(bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    this.objects.set(`${bucket}/${key}`, bytes);
    return { bucket, key, etag: 'x', size: bytes.byteLength };
  }
  async get(bucket: string, key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(`${bucket}/${key}`);
  }
}

let local: LocalLedger;
let deps: ReconcileDeps;
let alerts: SlackMessage[];
/** Executions started, by name, with their input. */
let started: Map<string, string>;
let store: MemoryStore;
/** Custom events the redriven schema-drift published. */
let published: { source: string; detailType: string; detail: Record<string, unknown> }[];

beforeAll(async () => {
  local = await startLocalLedger(undefined);
});
afterAll(() => local.close());

beforeEach(async () => {
  await local.close();
  local = await startLocalLedger(undefined);
  sfn.reset();
  s3.reset();
  kinesis.reset();
  glue.reset();
  alerts = [];
  published = [];
  started = new Map();
  sfn.on(StartExecutionCommand).callsFake((input: { name: string; input: string }) => {
    started.set(input.name, input.input);
    return { executionArn: executionArnOf(SM, input.name), startDate: new Date() };
  });
  s3.on(ListObjectVersionsCommand).resolves({ Versions: [], IsTruncated: false });
  store = new MemoryStore();
  const now = () => new Date();
  const scheduler = scheduleDepsOver({
    contracts,
    ledger: local.ledger,
    store,
    pending: local.scheduler.pending,
    slots: local.scheduler.slots,
    orchestrator: new StepFunctionsOrchestrator(new SFNClient(OFFLINE), SM),
    layout: TEST_LAYOUT,
    limits: DEFAULT_LOAD_LIMITS,
    control: local.control,
    now,
  });
  deps = {
    status: {
      ledger: local.ledger,
      objects: store,
      scheduler,
      contracts,
      stage: 'prod',
      notifier: { notify: async (m) => void alerts.push(m) },
    },
    history: new StepFunctionsHistory(new SFNClient(OFFLINE)),
    stateMachineArn: SM,
    landed: { contracts, ledger: local.ledger, scheduler, layout: TEST_LAYOUT, now },
    bronze: new S3ObjectStore(new S3Client(OFFLINE)),
    now,
    settleMs: 0,
    stream: {
      reader: new KinesisRangeReader(new KinesisClient(OFFLINE)),
      upsert: {
        objects: store,
        config: {
          datasets: contracts.datasets,
          routing: { partitionKeyDelimiter: '/' },
          bronzeBucket: TEST_LAYOUT.bronzeBucket,
          quarantineBucket: TEST_LAYOUT.quarantineBucket,
        },
        checks: compileChecks(contracts.datasets),
      },
    },
    drift: {
      contracts,
      catalog: new GlueCatalog(new GlueClient(OFFLINE)),
      control: local.control,
      driftLog: local.control,
      notifier: { notify: async (m) => void alerts.push(m) },
      events: {
        publish: async (source, detailType, detail) => void published.push({ source, detailType, detail }),
      },
      bronzeDatabase: 'lakeplane_bronze',
      stage: 'prod',
      now,
    },
  };
});

/** SQS messages with these bodies, as the reconciler's queues deliver them. */
function sqs(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      receiptHandle: 'r',
      body,
      attributes: {} as never,
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:q',
      awsRegion: 'eu-west-1',
    })),
  };
}

function landedEvent(key: string, etag: string): ObjectCreatedEvent {
  return {
    version: '0',
    id: `e-${key}`,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    time: '2026-12-03T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      bucket: { name: TEST_LAYOUT.bronzeBucket },
      object: { key, size: 100, etag, 'version-id': `v-${etag}` },
    },
  };
}

/** DescribeExecution answers for the executions started so far. */
function history(status: 'RUNNING' | 'SUCCEEDED' | 'FAILED', extra: { error?: string; cause?: string } = {}) {
  sfn.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => {
    const name = executionArn.split(':').pop()!;
    const input = started.get(name);
    if (input === undefined)
      throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
    return {
      executionArn,
      stateMachineArn: SM,
      name,
      status,
      startDate: new Date(Date.now() - 60_000),
      ...(status === 'RUNNING' ? {} : { stopDate: new Date() }),
      input,
      ...(status === 'SUCCEEDED' ? { output: '{}' } : {}),
      ...extra,
    };
  });
}

describe('the reconciler', () => {
  it('records the end of a load whose events were lost, frees the slot and starts the pending objects', async () => {
    await onObjectLanded(landedEvent('orders/a.ndjson', 'aaa'), deps.landed);
    await onObjectLanded(landedEvent('orders/b.ndjson', 'bbb'), deps.landed);
    const [first] = [...started.keys()];
    expect(started.size).toBe(1);
    expect((await local.ledger.get(first!))?.status).toBe('REGISTERED');

    // Still running: nothing to record (the RUNNING event was lost too: the ledger hears of it now).
    history('RUNNING');
    expect((await reconcile(deps)).recorded).toEqual([{ loadId: first, status: 'RUNNING' }]);
    expect((await reconcile(deps)).recorded).toEqual([]);

    history('SUCCEEDED');
    const run = await reconcile(deps);
    expect(run.recorded).toEqual([{ loadId: first, status: 'SUCCEEDED' }]);
    // The slot went to the next load, of the object that was pending behind it.
    expect(started.size).toBe(2);
    const second = [...started.keys()][1]!;
    expect(await local.scheduler.slots.holder('orders')).toBe(second);
    expect(await local.scheduler.pending.list('orders')).toEqual([]);
    // The next run reads that load back too (it ended as well), and a run after it changes nothing.
    expect((await reconcile(deps)).recorded).toEqual([{ loadId: second, status: 'SUCCEEDED' }]);
    expect((await reconcile(deps)).recorded).toEqual([]);
  });

  it('a failed execution: FAILED in the ledger with its cause, one alert', async () => {
    await onObjectLanded(landedEvent('orders/a.ndjson', 'aaa'), deps.landed);
    history('FAILED', { error: 'States.TaskFailed', cause: 'the step failed' });
    const run = await reconcile(deps);
    expect(run.recorded).toHaveLength(1);
    expect(run.recorded[0]!.status).toBe('FAILED');
    expect(alerts).toHaveLength(1);
    await reconcile(deps);
    expect(alerts).toHaveLength(1);
  });

  it('registers the Bronze objects of the look-back window that no load knows, once', async () => {
    await onObjectLanded(landedEvent('orders/known.ndjson', 'kkk'), deps.landed);
    s3.on(ListObjectVersionsCommand, { Prefix: 'orders/' }).resolves({
      IsTruncated: false,
      Versions: [
        {
          Key: 'orders/known.ndjson',
          VersionId: 'v-kkk',
          ETag: '"kkk"',
          Size: 100,
          IsLatest: true,
          LastModified: new Date(),
        },
        {
          Key: 'orders/lost.ndjson',
          VersionId: 'v-lll',
          ETag: '"lll"',
          Size: 100,
          IsLatest: true,
          LastModified: new Date(),
        },
        {
          Key: 'orders/lost.ndjson',
          VersionId: 'v-old',
          ETag: '"old"',
          Size: 100,
          IsLatest: false,
          LastModified: new Date(),
        },
        {
          Key: 'orders/ancient.ndjson',
          VersionId: 'v-a',
          ETag: '"aaa"',
          Size: 100,
          IsLatest: true,
          LastModified: new Date(0),
        },
      ],
    });
    history('RUNNING');
    const run = await reconcile(deps);
    expect(run.registered).toEqual([{ dataset: 'orders', key: 'orders/lost.ndjson' }]);
    expect(run.objectsChecked).toBe(2);
    expect((await local.scheduler.pending.list('orders')).map((p) => [p.key, p.versionId])).toEqual([
      ['orders/lost.ndjson', 'v-lll'],
    ]);
    expect((await reconcile(deps)).registered).toEqual([]);
  });

  it('redrives dead letters (a rule DLQ event, an on-failure destination record); one it cannot read stays on its queue', async () => {
    await onObjectLanded(landedEvent('orders/a.ndjson', 'aaa'), deps.landed);
    const [first] = [...started.keys()];
    const failed = statusEventOf(
      {
        executionArn: executionArnOf(SM, first!),
        stateMachineArn: SM,
        name: first!,
        status: 'FAILED',
        startDate: Date.now() - 1000,
        stopDate: Date.now(),
        input: started.get(first!)!,
        error: 'States.TaskFailed',
        cause: 'boom',
      },
      'eu-west-1',
      '111122223333',
    );
    const handler = createHandler({
      ...createObservability('reconciler', { local: true, logLevel: 'SILENT' }),
      ...deps,
    });
    const response = (await handler(
      sqs([
        JSON.stringify(landedEvent('orders/b.ndjson', 'bbb')),
        JSON.stringify({ version: '1.0', requestContext: {}, requestPayload: failed }),
        'not json',
      ]),
      localContext('reconciler'),
    )) as { batchItemFailures: { itemIdentifier: string }[] };
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    expect((await local.ledger.get(first!))?.status).toBe('FAILED');
    // b was pending behind a: the failed end freed the slot and b's load started.
    expect(started.size).toBe(2);
  });

  it('redrives a Glue catalog change schema-drift missed: the drift recorded and alerted once, a second redrive a duplicate', async () => {
    const columns = [
      'order_id',
      'customer_id',
      'status',
      'order_ts',
      'order_total',
      'currency',
      'fx_rate',
      'updated_at',
    ];
    const version = (id: string, cols: string[]) => ({
      VersionId: id,
      Table: {
        Name: 'orders',
        DatabaseName: 'lakeplane_bronze',
        UpdateTime: new Date(`2026-12-0${id}T10:00:00Z`),
        StorageDescriptor: { Columns: cols.map((Name) => ({ Name, Type: 'string' })) },
        PartitionKeys: [],
      },
    });
    // Newest first: version 2 added a column the contract does not declare.
    glue.on(GetTableVersionsCommand).resolves({
      TableVersions: [version('2', [...columns, 'coupon_code']), version('1', columns)],
    });
    const change = {
      version: '0',
      id: 'glue-1',
      'detail-type': 'Glue Data Catalog Table State Change',
      source: 'aws.glue',
      account: '111122223333',
      time: '2026-12-02T10:00:00Z',
      region: 'eu-west-1',
      resources: ['arn:aws:glue:eu-west-1:111122223333:table/lakeplane_bronze/orders'],
      detail: {
        databaseName: 'lakeplane_bronze',
        changedPartitions: [],
        typeOfChange: 'UpdateTable',
        tableName: 'orders',
      },
    };
    const handler = createHandler({
      ...createObservability('reconciler', { local: true, logLevel: 'SILENT' }),
      ...deps,
    });
    // The rule's DLQ carries the event; the function's on-failure queue wraps it.
    const first = (await handler(sqs([JSON.stringify(change)]), localContext('reconciler'))) as {
      batchItemFailures: unknown[];
    };
    expect(first.batchItemFailures).toEqual([]);
    const drift = await local.control.list({ dataset: 'orders' });
    expect(drift.map((d) => ({ table: d.table, from: d.fromVersion, to: d.toVersion }))).toEqual([
      { table: 'orders', from: '1', to: '2' },
    ]);
    expect(alerts).toHaveLength(1);
    expect(JSON.stringify(alerts[0])).toContain('coupon_code');
    expect(published.map((p) => p.detailType)).toEqual(['Schema Drift Detected']);

    const again = (await handler(
      sqs([JSON.stringify({ version: '1.0', requestContext: {}, requestPayload: change })]),
      localContext('reconciler'),
    )) as { batchItemFailures: unknown[] };
    expect(again.batchItemFailures).toEqual([]);
    expect(await local.control.list({ dataset: 'orders' })).toHaveLength(1);
    expect(alerts).toHaveLength(1);
  });

  it("redrives a batch the stream mapping discarded: read back from the stream (its range only) and written to Bronze as stream-upsert does; one past the stream's retention stays on the queue", async () => {
    const record = (seq: string, id: string, status: string) => ({
      SequenceNumber: seq,
      PartitionKey: `orders/${id}`,
      Data: new TextEncoder().encode(
        JSON.stringify(order(id, `2026-12-03T10:00:0${seq.slice(-1)}Z`, { status })),
      ),
      ApproximateArrivalTimestamp: new Date('2026-12-03T10:00:00Z'),
    });
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    kinesis.on(GetRecordsCommand, { ShardIterator: 'it-1' }).resolves({
      Records: [record('101', 'o1', 'placed'), record('102', 'o1', 'paid')],
      NextShardIterator: 'it-2',
      MillisBehindLatest: 5,
    });
    kinesis.on(GetRecordsCommand, { ShardIterator: 'it-2' }).resolves({
      Records: [record('103', 'o2', 'placed'), record('104', 'o3', 'placed')],
      NextShardIterator: 'it-3',
      MillisBehindLatest: 0,
    });
    const info = (start: string, end: string, batchSize: number) =>
      JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted' },
        version: '1.0',
        KinesisBatchInfo: {
          shardId: 'shardId-000000000000',
          startSequenceNumber: start,
          endSequenceNumber: end,
          batchSize,
          streamArn: STREAM_ARN,
        },
      });
    const handler = createHandler({
      ...createObservability('reconciler', { local: true, logLevel: 'SILENT' }),
      ...deps,
    });
    const sqsOf = (bodies: string[]) =>
      ({
        Records: bodies.map((body, i) => ({ messageId: `m${i}`, body, eventSource: 'aws:sqs' })),
      }) as unknown as SQSEvent;
    const response = (await handler(
      sqsOf([info('101', '103', 3), info('90', '95', 6)]),
      localContext('reconciler'),
    )) as {
      batchItemFailures: { itemIdentifier: string }[];
    };
    // The second batch's records are gone from the stream (the reader found none in its range).
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(kinesis.commandCalls(GetShardIteratorCommand)[0]!.args[0].input).toMatchObject({
      StreamARN: STREAM_ARN,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: '101',
    });
    const bronze = [...store.objects.keys()].filter((k) =>
      k.startsWith(`${TEST_LAYOUT.bronzeBucket}/orders/stream/`),
    );
    expect(bronze).toEqual([
      `${TEST_LAYOUT.bronzeBucket}/orders/stream/date=2026-12-03/shardId-000000000000-101-103.ndjson.gz`,
    ]);
    const lines = gunzipSync(store.objects.get(bronze[0]!)!).toString('utf8').trim().split('\n');
    // o1 deduplicated to its later version; 104 is past the batch's last record.
    expect(lines.map((l) => [JSON.parse(l).order_id, JSON.parse(l).status])).toEqual([
      ['o1', 'paid'],
      ['o2', 'placed'],
    ]);
  });
});
