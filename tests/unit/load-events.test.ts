/**
 * The load-events Lambda handler with the real DynamoLedger over a mocked DynamoDB document
 * client (DynamoLedger sends through DynamoDBDocumentClient, whose send() is its own), an
 * in-memory object store holding the step results and a recording notifier.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler, InvalidExecutionEventError } from '../../functions/load-events/handler.js';
import { createObservability } from '../../functions/observability.js';
import { localContext } from '../../local/lambda-context.js';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { parseContract } from '../../shared/core/contract/index.js';
import { columnLineageMap } from '../../shared/core/lineage/contract-lineage.js';
import { producerOf, type RunEvent } from '../../shared/core/lineage/openlineage.js';
import { type LoadRecord, loadIdFor, type SourceObject } from '../../shared/core/load.js';
import type { SlackMessage } from '../../shared/core/messages/slack.js';
import { planLoad } from '../../shared/core/plan.js';
import { parseS3Uri } from '../../shared/core/run-results.js';
import type { LineageSink, Notifier, ObjectInfo, ObjectStore } from '../../shared/ports.js';
import type { LineageDeps } from '../../shared/usecases/lineage.js';
import { TEST_LAYOUT } from '../helpers/fixtures.js';
import { specViolations } from '../helpers/openlineage-spec.js';

const orders = parseContract(
  readFileSync(resolve(import.meta.dirname, '../../datasets/orders.yaml'), 'utf8'),
  'datasets/orders.yaml',
);
const TABLE = 'lakeplane-ledger';
const OFFLINE = {
  region: 'eu-west-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
};
const layout = TEST_LAYOUT;
const SOURCE: SourceObject = {
  bucket: 'lake-bronze',
  key: 'orders/2024/05/01/part-0001.ndjson',
  etag: 'b1946ac92492d2347c6235b4d2611184',
  size: 1024,
  versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mppz',
};
const LOAD_ID = loadIdFor('orders', SOURCE);
const PLAN = planLoad(orders, { loadId: LOAD_ID, source: SOURCE, attempt: 1 }, layout);
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:lakeplane-prod-load-dataset';
const EXECUTION_ARN = `arn:aws:states:eu-west-1:111122223333:execution:lakeplane-prod-load-dataset:${LOAD_ID}`;
const START = Date.parse('2024-05-01T10:00:01.000Z');
const STOP = Date.parse('2024-05-01T10:01:06.500Z');

/** An ObjectStore in memory, keyed by bucket and key. */
class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Uint8Array>();

  async put(bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    this.objects.set(`${bucket}/${key}`, bytes);
    return { bucket, key, etag: createHash('md5').update(bytes).digest('hex'), size: bytes.byteLength };
  }

  async get(bucket: string, key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(`${bucket}/${key}`);
  }

  async putJson(uri: string, value: unknown): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await this.put(bucket, key, JSON.stringify(value));
  }
}

class RecordingNotifier implements Notifier {
  readonly messages: SlackMessage[] = [];
  async notify(message: SlackMessage): Promise<void> {
    this.messages.push(message);
  }
}

const STAGE_RESULT = {
  phase: 'stage',
  loadId: LOAD_ID,
  dataset: 'orders',
  rowsIn: 120,
  rowsQuarantined: 3,
  rowsStaged: 110,
  duplicatesDropped: 7,
};
const UPSERT_RESULT = {
  phase: 'upsert',
  loadId: LOAD_ID,
  dataset: 'orders',
  commitId: '20240501100105123',
  inserted: 100,
  updated: 10,
  deleted: 0,
};

const REGISTERED: LoadRecord = {
  loadId: LOAD_ID,
  dataset: 'orders',
  status: 'REGISTERED',
  source: SOURCE,
  executionName: LOAD_ID,
  attempts: 1,
  registeredAt: '2024-05-01T10:00:00.000Z',
  history: [{ status: 'REGISTERED', at: '2024-05-01T10:00:00.000Z' }],
};

/** "Step Functions Execution Status Change" as EventBridge delivers it. */
function statusChange(
  status: string,
  detail: {
    input?: string | null;
    output?: string | null;
    error?: string | null;
    cause?: string | null;
    stopDate?: number | null;
  } = {},
) {
  const ended = status !== 'RUNNING';
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '111122223333',
    time: '2024-05-01T10:01:06Z',
    region: 'eu-west-1',
    resources: [EXECUTION_ARN],
    detail: {
      executionArn: EXECUTION_ARN,
      stateMachineArn: STATE_MACHINE_ARN,
      name: LOAD_ID,
      status,
      startDate: START,
      stopDate: ended ? STOP : null,
      input: JSON.stringify(PLAN),
      output: status === 'SUCCEEDED' ? '{}' : null,
      error: null,
      cause: null,
      ...detail,
    },
  };
}

/**
 * What DynamoDB returns (ALL_NEW) for the update applied to `record`: evaluates the SET
 * clauses of the expression (`#a = :v` and `#h = list_append(#h, :v)`).
 */
function applySet(record: LoadRecord, input: UpdateCommandInput): LoadRecord {
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const out: Record<string, unknown> = { ...record };
  const expression = (input.UpdateExpression ?? '').replace(/^SET\s+/, '');
  for (const m of expression.matchAll(/(#\w+)\s*=\s*(?:list_append\(\s*(#\w+)\s*,\s*(:\w+)\s*\)|(:\w+))/g)) {
    const field = names[m[1]!]!;
    out[field] = m[3]
      ? [...(out[names[m[2]!]!] as unknown[]), ...(values[m[3]] as unknown[])]
      : values[m[4]!];
  }
  return out as unknown as LoadRecord;
}

/** The statuses the update's condition allows the load to come from. */
function allowedFrom(input: UpdateCommandInput): unknown[] {
  const m = /(#\w+) IN \(([^)]*)\)/.exec(input.ConditionExpression ?? '');
  expect(m, input.ConditionExpression).not.toBeNull();
  expect(input.ExpressionAttributeNames?.[m![1]!]).toBe('status');
  return m![2]!.split(',').map((v) => input.ExpressionAttributeValues?.[v.trim()]);
}

const docMock = mockClient(DynamoDBDocumentClient);
let objects: MemoryObjectStore;
let notifier: RecordingNotifier;

function handler() {
  return createHandler({
    ...createObservability('load-events', { local: true, logLevel: 'SILENT' }),
    ledger: new DynamoLedger(new DynamoDBClient(OFFLINE), TABLE),
    objects,
    notifier,
    stage: 'prod',
    contracts: { datasets: new Map([['orders', { ...orders, alerts: { slackChannel: '#orders-oncall' } }]]) },
  });
}

async function invoke(event: unknown) {
  return handler()(event, localContext('load-events'));
}

function updates(): UpdateCommandInput[] {
  return docMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
}

function messageText(message: SlackMessage): string {
  return JSON.stringify(message);
}

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const emrCause = JSON.stringify({
  Step: {
    Id: 's-1XXXXXXXXXXA',
    Name: `orders upsert ${LOAD_ID}#1`,
    Status: {
      State: 'FAILED',
      FailureDetails: {
        Reason: 'Unknown Error.',
        Message: 'org.apache.hudi.exception.HoodieUpsertException: Failed to upsert',
        LogFile: 's3://lake-logs/j-2AXXXXXXGAPLF/steps/s-1XXXXXXXXXXA/stderr.gz',
      },
    },
  },
});

beforeEach(() => {
  // As in the local runtime: no EMF lines on stdout.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  docMock.reset();
  // No failed loads of the dataset for a success to resolve (the ledger's status queries).
  docMock.on(QueryCommand).resolves({ Items: [] });
  docMock.on(GetCommand).resolves({});
  objects = new MemoryObjectStore();
  notifier = new RecordingNotifier();
});

afterAll(() => {
  vi.unstubAllEnvs();
  docMock.restore();
});

describe('load-events handler', () => {
  it('RUNNING moves a REGISTERED load to RUNNING with its execution ARN and start time', async () => {
    docMock
      .on(UpdateCommand)
      .callsFake((input: UpdateCommandInput) => ({ Attributes: applySet(REGISTERED, input) }));

    const result = await invoke(statusChange('RUNNING'));

    const [update, ...more] = updates();
    expect(more).toHaveLength(0);
    expect(update!.TableName).toBe(TABLE);
    expect(update!.Key).toEqual({ loadId: LOAD_ID });
    expect(allowedFrom(update!)).toEqual(['REGISTERED']);
    expect(update!.ReturnValues).toBe('ALL_NEW');
    expect(result.outcome).toBe('recorded');
    const load = result.outcome === 'recorded' ? result.load : undefined;
    expect(load).toMatchObject({
      status: 'RUNNING',
      executionArn: EXECUTION_ARN,
      startedAt: '2024-05-01T10:00:01.000Z',
    });
    expect(load?.history.map((h) => h.status)).toEqual(['REGISTERED', 'RUNNING']);
    expect(notifier.messages).toHaveLength(0);
  });

  it('SUCCEEDED records the counts of the stage and upsert results, the commit and the duration', async () => {
    await objects.putJson(PLAN.results.stage, STAGE_RESULT);
    await objects.putJson(PLAN.results.upsert, UPSERT_RESULT);
    const running = applySet(REGISTERED, {
      TableName: TABLE,
      Key: { loadId: LOAD_ID },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'RUNNING' },
    });
    docMock
      .on(UpdateCommand)
      .callsFake((input: UpdateCommandInput) => ({ Attributes: applySet(running, input) }));

    const result = await invoke(statusChange('SUCCEEDED'));

    const [update] = updates();
    expect(updates()).toHaveLength(1);
    expect(allowedFrom(update!)).toEqual(['REGISTERED', 'RUNNING']);
    const load = result.outcome === 'recorded' ? result.load : undefined;
    expect(load).toMatchObject({
      status: 'SUCCEEDED',
      executionArn: EXECUTION_ARN,
      startedAt: '2024-05-01T10:00:01.000Z',
      finishedAt: '2024-05-01T10:01:06.500Z',
      durationMs: 65_500,
      commitId: '20240501100105123',
      counts: {
        rowsIn: 120,
        rowsQuarantined: 3,
        rowsStaged: 110,
        duplicatesDropped: 7,
        inserted: 100,
        updated: 10,
        deleted: 0,
      },
    });
    expect(load?.cause).toBeUndefined();
    expect(notifier.messages).toHaveLength(0);
  });

  it('SUCCEEDED resolves an earlier FAILED load of the same object key: a conditional move to RESOLVED naming this load', async () => {
    await objects.putJson(PLAN.results.stage, STAGE_RESULT);
    await objects.putJson(PLAN.results.upsert, UPSERT_RESULT);
    const failed: LoadRecord = {
      ...REGISTERED,
      loadId: 'orders-00000000000000000001',
      status: 'FAILED',
      registeredAt: '2024-05-01T09:00:00.000Z',
    };
    docMock.on(UpdateCommand).callsFake((input: UpdateCommandInput) => ({
      Attributes: applySet(input.Key?.loadId === LOAD_ID ? REGISTERED : failed, input),
    }));
    docMock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues?: Record<string, unknown> }) => ({
      Items: input.ExpressionAttributeValues?.[':s'] === 'FAILED' ? [failed] : [],
    }));

    await invoke(statusChange('SUCCEEDED'));

    const resolve = updates().find((u) => u.Key?.loadId === failed.loadId);
    expect(resolve).toBeDefined();
    expect(resolve!.ExpressionAttributeValues?.[':to']).toBe('RESOLVED');
    expect(allowedFrom(resolve!)).toEqual(['FAILED', 'FAILED_QUALITY']);
    expect(resolve!.ExpressionAttributeValues?.[':resolvedBy']).toBe(LOAD_ID);
  });

  it('FAILED with an EMR step cause records FAILED and the cause, and alerts once naming the load', async () => {
    await objects.putJson(PLAN.results.stage, STAGE_RESULT);
    docMock
      .on(UpdateCommand)
      .callsFake((input: UpdateCommandInput) => ({ Attributes: applySet(REGISTERED, input) }));

    const result = await invoke(statusChange('FAILED', { error: 'States.TaskFailed', cause: emrCause }));

    const [update] = updates();
    expect(allowedFrom(update!)).toEqual(['REGISTERED', 'RUNNING']);
    const load = result.outcome === 'recorded' ? result.load : undefined;
    expect(load?.status).toBe('FAILED');
    expect(load?.cause).toEqual({
      error: 'States.TaskFailed',
      message:
        `step "orders upsert ${LOAD_ID}#1" failed: Unknown Error.: ` +
        'org.apache.hudi.exception.HoodieUpsertException: Failed to upsert: ' +
        'log: s3://lake-logs/j-2AXXXXXXGAPLF/steps/s-1XXXXXXXXXXA/stderr.gz',
    });
    expect(load?.durationMs).toBe(65_500);
    // The stage step finished, the upsert did not: staged counts, nothing merged, no commit.
    expect(load?.counts).toEqual({
      rowsIn: 120,
      rowsQuarantined: 3,
      rowsStaged: 110,
      duplicatesDropped: 7,
      inserted: 0,
      updated: 0,
      deleted: 0,
    });
    expect(load?.commitId).toBeUndefined();

    expect(notifier.messages).toHaveLength(1);
    const text = messageText(notifier.messages[0]!);
    expect(text).toContain(LOAD_ID);
    expect(text).toContain('HoodieUpsertException: Failed to upsert');
    expect(text).toContain(`lakeplane replay ${LOAD_ID} --stage prod`);
  });

  it('the same FAILED event again changes nothing and sends no second alert', async () => {
    docMock
      .on(UpdateCommand)
      .callsFakeOnce((input: UpdateCommandInput) => ({ Attributes: applySet(REGISTERED, input) }))
      .rejectsOnce(conditionFailed());
    const event = statusChange('FAILED', { error: 'States.TaskFailed', cause: emrCause });

    const first = await invoke(event);
    const second = await invoke(event);

    expect(first.outcome).toBe('recorded');
    expect(second.outcome).toBe('ignored');
    expect(updates()).toHaveLength(2);
    expect(notifier.messages).toHaveLength(1);
  });

  it('TIMED_OUT fails the load with cause States.TIMED_OUT', async () => {
    docMock
      .on(UpdateCommand)
      .callsFake((input: UpdateCommandInput) => ({ Attributes: applySet(REGISTERED, input) }));

    const result = await invoke(statusChange('TIMED_OUT'));

    expect(allowedFrom(updates()[0]!)).toEqual(['REGISTERED', 'RUNNING']);
    const load = result.outcome === 'recorded' ? result.load : undefined;
    expect(load?.status).toBe('FAILED');
    expect(load?.cause).toEqual({ error: 'States.TIMED_OUT', message: 'the execution timed out' });
    expect(load?.finishedAt).toBe('2024-05-01T10:01:06.500Z');
    expect(notifier.messages).toHaveLength(1);
    expect(messageText(notifier.messages[0]!)).toContain('States.TIMED_OUT');
  });

  it.each([
    ['another state machine input', JSON.stringify({ orderId: 'o-1' })],
    ['input that is not JSON', 'not json'],
    ['no input', null],
  ])('ignores an execution with %s, without touching DynamoDB', async (_what, input) => {
    const result = await invoke(statusChange('FAILED', { input, error: 'States.TaskFailed', cause: 'x' }));

    expect(result.outcome).toBe('ignored');
    expect(docMock.calls()).toHaveLength(0);
    expect(notifier.messages).toHaveLength(0);
  });

  it('rejects a malformed event with InvalidExecutionEventError naming the field', async () => {
    const event = statusChange('FAILED');
    const malformed = { ...event, detail: { ...event.detail, status: 'EXPLODED', startDate: 'yesterday' } };

    const failure = invoke(malformed);

    await expect(failure).rejects.toBeInstanceOf(InvalidExecutionEventError);
    await expect(failure).rejects.toThrow(/detail\.status/);
    await expect(failure).rejects.toThrow(/detail\.startDate/);
    expect(docMock.calls()).toHaveLength(0);
  });
});

describe('load-events: a savepoint that failed after the commit', () => {
  const running = () =>
    applySet(REGISTERED, {
      TableName: TABLE,
      Key: { loadId: LOAD_ID },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'RUNNING' },
    });
  const savepointCause = JSON.stringify({
    Step: {
      Name: `orders savepoint ${LOAD_ID}#1`,
      Status: {
        State: 'FAILED',
        FailureDetails: {
          Reason: 'Unknown Error.',
          Message:
            'lakeplane savepoint failed: create_savepoint of commit 20240501100105123 returned false <!here> `x`',
          LogFile: 's3://lake-logs/j-2AXXXXXXGAPLF/steps/s-2XXXXXXXXXXB/stderr.gz',
        },
      },
    },
  });
  const withSavepointError = JSON.stringify({
    ...PLAN,
    savepointError: { Error: 'States.TaskFailed', Cause: savepointCause },
  });

  beforeEach(async () => {
    await objects.putJson(PLAN.results.stage, STAGE_RESULT);
    await objects.putJson(PLAN.results.upsert, UPSERT_RESULT);
    const from = running();
    docMock
      .on(UpdateCommand)
      .callsFake((input: UpdateCommandInput) => ({ Attributes: applySet(from, input) }));
  });

  it('$.savepointError in the output: a SAVEPOINT_FAILED warning on the load and one Slack warning in the dataset channel', async () => {
    const result = await invoke(statusChange('SUCCEEDED', { output: withSavepointError }));

    const [update, ...more] = updates();
    expect(more).toHaveLength(0);
    const warning = {
      kind: 'SAVEPOINT_FAILED',
      commitId: '20240501100105123',
      attempt: 1,
      at: '2024-05-01T10:01:06.500Z',
      error: 'States.TaskFailed',
      message:
        `step "orders savepoint ${LOAD_ID}#1" failed: Unknown Error.: lakeplane savepoint failed: create_savepoint of commit 20240501100105123 returned false <!here> \`x\`: ` +
        'log: s3://lake-logs/j-2AXXXXXXGAPLF/steps/s-2XXXXXXXXXXB/stderr.gz',
    };
    expect(Object.values(update!.ExpressionAttributeValues ?? {})).toContainEqual([warning]);
    const load = result.outcome === 'recorded' ? result.load : undefined;
    expect(load).toMatchObject({ status: 'SUCCEEDED', commitId: '20240501100105123', warnings: [warning] });

    expect(notifier.messages).toHaveLength(1);
    const m = notifier.messages[0]!;
    expect(m.channel).toBe('#orders-oncall');
    expect(m.text).toContain(
      `Savepoint failed: orders commit 20240501100105123 (${LOAD_ID}) has no savepoint`,
    );
    const text = messageText(m);
    expect(text).toContain('cannot be a rollback target once a second commit follows it');
    expect(text).toContain(`lakeplane loads show ${LOAD_ID} --stage prod`);
    expect(text).toContain('lakeplane commits orders --stage prod');
    // Escaped: no mention, no link, and in the blocks no code span opened by the data.
    expect(text).not.toContain('<!here>');
    expect(text).toContain('&lt;!here&gt;');
    expect(JSON.stringify(m.blocks)).not.toContain('`x`');
    expect(JSON.stringify(m).length).toBeLessThan(4000);
  });

  it('no $.savepointError: no warning, no message', async () => {
    const result = await invoke(statusChange('SUCCEEDED', { output: JSON.stringify(PLAN) }));

    expect(JSON.stringify(updates()[0])).not.toContain('warnings');
    const load = result.outcome === 'recorded' ? result.load : undefined;
    expect(load?.warnings).toBeUndefined();
    expect(notifier.messages).toHaveLength(0);
  });

  it('no output in the event (too large for it): the savepoint result decides', async () => {
    await objects.putJson(PLAN.results.savepoint, {
      phase: 'savepoint',
      loadId: LOAD_ID,
      dataset: 'orders',
      commitId: '20240501100105123',
      created: true,
      deleted: [],
      keep: 20,
    });
    const fine = await invoke(statusChange('SUCCEEDED', { output: null }));
    expect(fine.outcome === 'recorded' ? fine.load.warnings : 'not recorded').toBeUndefined();
    expect(notifier.messages).toHaveLength(0);

    await objects.putJson(PLAN.results.savepoint, {
      phase: 'savepoint',
      loadId: LOAD_ID,
      dataset: 'orders',
      error: 'lake_silver.orders: create_savepoint of commit 20240501100105123 returned false',
    });
    const failed = await invoke(statusChange('SUCCEEDED', { output: null }));
    expect(failed.outcome === 'recorded' ? failed.load.warnings : undefined).toEqual([
      expect.objectContaining({
        kind: 'SAVEPOINT_FAILED',
        commitId: '20240501100105123',
        error: 'Lakeplane.SavepointFailed',
        message: 'lake_silver.orders: create_savepoint of commit 20240501100105123 returned false',
      }),
    ]);
    expect(notifier.messages).toHaveLength(1);
  });

  it('FAILED after the commit (Gold) with no savepoint result: the warning is recorded, only the failure alert is sent', async () => {
    const result = await invoke(statusChange('FAILED', { error: 'States.TaskFailed', cause: emrCause }));

    const load = result.outcome === 'recorded' ? result.load : undefined;
    expect(load?.status).toBe('FAILED');
    expect(load?.warnings).toEqual([
      expect.objectContaining({
        kind: 'SAVEPOINT_FAILED',
        commitId: '20240501100105123',
        error: 'Lakeplane.SavepointMissing',
        message: `no savepoint result of commit 20240501100105123 at ${PLAN.results.savepoint}: the savepoint step did not finish`,
      }),
    ]);
    expect(notifier.messages).toHaveLength(1);
    expect(notifier.messages[0]!.text).toMatch(/^Load of orders failed/);
  });
});

describe('load-events lineage', () => {
  const recorded: RunEvent[] = [];
  const warned: string[] = [];
  const lineage = (
    sink: LineageSink,
    columns = () => Promise.resolve(columnLineageMap([])),
  ): LineageDeps => ({
    sink,
    context: {
      producer: producerOf('0.1.0'),
      version: '0.1.0',
      scope: {
        stage: 'prod',
        region: 'eu-west-1',
        account: '111122223333',
        layout,
        bronzeDatabase: 'bronze',
      },
    },
    contracts: { datasets: new Map([['orders', orders]]) },
    columnLineage: columns,
    warn: (m) => warned.push(m),
  });
  const withLineage = (l: LineageDeps) =>
    createHandler({
      ...createObservability('load-events', { local: true, logLevel: 'SILENT' }),
      ledger: new DynamoLedger(new DynamoDBClient(OFFLINE), TABLE),
      objects,
      notifier,
      stage: 'prod',
      contracts: { datasets: new Map([['orders', orders]]) },
      lineage: l,
    });

  beforeEach(() => {
    recorded.length = 0;
    warned.length = 0;
  });

  it('an end with no RUNNING recorded before it (the RUNNING event was lost) sends the START first, the execution as parent', async () => {
    await objects.putJson(PLAN.results.stage, STAGE_RESULT);
    await objects.putJson(PLAN.results.upsert, UPSERT_RESULT);
    docMock
      .on(UpdateCommand)
      .callsFake((input: UpdateCommandInput) => ({ Attributes: applySet(REGISTERED, input) }));
    const sink = { send: async (e: RunEvent) => void recorded.push(e) };
    const result = await withLineage(lineage(sink))(statusChange('SUCCEEDED'), localContext('load-events'));
    expect(result.outcome).toBe('recorded');
    expect(recorded.map((e) => `${e.job.name} ${e.eventType} ${e.eventTime}`)).toEqual([
      'orders.load START 2024-05-01T10:00:01.000Z',
      'orders.load COMPLETE 2024-05-01T10:01:06.500Z',
    ]);
    expect(recorded[1]?.run.facets?.parent).toMatchObject({
      job: { namespace: 'lakeplane.prod', name: 'lakeplane-prod-load-dataset' },
    });
    expect(recorded[1]?.outputs[0]).toMatchObject({
      namespace: 'arn:aws:glue:eu-west-1:111122223333',
      name: `table/${layout.silverDatabase}/orders`,
      outputFacets: { outputStatistics: { rowCount: 110 } },
    });
    expect(recorded.flatMap((e) => specViolations(e))).toEqual([]);
  });

  it('a consumer that fails and a column lineage that cannot be built cost their events, never the status change', async () => {
    docMock
      .on(UpdateCommand)
      .callsFake((input: UpdateCommandInput) => ({ Attributes: applySet(REGISTERED, input) }));
    const failing = lineage(
      {
        send: async () => {
          throw new Error('connect ECONNREFUSED');
        },
      },
      () => Promise.reject(new Error('parser gone')),
    );
    const result = await withLineage(failing)(statusChange('RUNNING'), localContext('load-events'));
    expect(result.outcome).toBe('recorded');
    expect(warned).toEqual(['lineage: the events of execution ' + LOAD_ID + ' could not be built']);
    const sending = lineage({
      send: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    const again = await withLineage(sending)(statusChange('RUNNING'), localContext('load-events'));
    expect(again.outcome).toBe('recorded');
    expect(warned[1]).toMatch(
      /^lineage: the START event of orders\.load \(run [0-9a-f-]{36}\) was not sent$/,
    );
  });
});
