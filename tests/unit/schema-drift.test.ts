/**
 * The schema-drift Lambda handler with the real GlueCatalog adapter over a mocked GlueClient
 * (GetTableVersions in the shape the SDK returns it: dates as Date, every Glue field), the real
 * EventBridgePublisher over a mocked EventBridgeClient, and in-memory dataset control, drift log
 * and notifier.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import {
  EntityNotFoundException,
  GetTableVersionsCommand,
  type GetTableVersionsCommandInput,
  GlueClient,
  type TableVersion,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObservability } from '../../functions/observability.js';
import { createHandler, InvalidGlueCatalogEventError } from '../../functions/schema-drift/handler.js';
import { localContext } from '../../local/lambda-context.js';
import { EventBridgePublisher, EventPublishError } from '../../shared/aws/eventbridge-publisher.js';
import { GlueCatalog } from '../../shared/aws/glue-catalog.js';
import { buildContractSet } from '../../shared/core/contract/parse.js';
import type { SlackMessage } from '../../shared/core/messages/slack.js';
import type { DatasetControl, DatasetState, DriftLog, DriftRecord, Notifier } from '../../shared/ports.js';
import {
  DriftAnnouncementError,
  type SchemaDriftResult,
  type TableDriftOutcome,
} from '../../shared/usecases/schema-drift.js';
import { contract } from '../helpers/fixtures.js';

const OFFLINE = {
  region: 'eu-west-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
};
const BRONZE = 'lakeplane_bronze';
const BUS = 'lakeplane-prod-bus';
const NOW = new Date('2026-11-20T06:04:00.000Z');

const ordersEvolve = { ...contract('orders'), drift: { policy: 'evolve' as const } };
const orderItems = contract('order_items');
const contracts = buildContractSet([ordersEvolve, orderItems]);

const event = (name: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(resolve(import.meta.dirname, '../fixtures/glue-events', `${name}.json`), 'utf8'),
  ) as Record<string, unknown>;

/** The UpdateTable fixture for another table. */
function updateTable(table: string): Record<string, unknown> {
  const e = event('update-table');
  return {
    ...e,
    resources: [`arn:aws:glue:eu-west-1:123456789012:table/${BRONZE}/${table}`],
    detail: { ...(e.detail as Record<string, unknown>), tableName: table },
  };
}

type Cols = readonly (readonly [string, string])[];

/** One TableVersion as GetTableVersions returns it through the SDK (a JSON-crawled table). */
function tableVersion(table: string, versionId: string, columns: Cols, updated: string): TableVersion {
  return {
    VersionId: versionId,
    Table: {
      Name: table,
      DatabaseName: BRONZE,
      Owner: 'owner',
      CreateTime: new Date('2026-10-05T08:12:44Z'),
      UpdateTime: new Date(updated),
      LastAccessTime: new Date(0),
      Retention: 0,
      StorageDescriptor: {
        Columns: columns.map(([Name, Type]) => ({ Name, Type })),
        Location: `s3://lakeplane-bronze-123456789012/${table}/`,
        InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        Compressed: false,
        NumberOfBuckets: -1,
        SerdeInfo: {
          SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          Parameters: { paths: columns.map(([n]) => n).join(',') },
        },
        BucketColumns: [],
        SortColumns: [],
        Parameters: {
          CrawlerSchemaDeserializerVersion: '1.0',
          CrawlerSchemaSerializerVersion: '1.0',
          UPDATED_BY_CRAWLER: 'lakeplane-bronze-crawler',
          classification: 'json',
          compressionType: 'none',
          typeOfData: 'file',
        },
        StoredAsSubDirectories: false,
      },
      PartitionKeys: [],
      TableType: 'EXTERNAL_TABLE',
      Parameters: { classification: 'json', compressionType: 'none', typeOfData: 'file' },
      CreatedBy: 'arn:aws:sts::123456789012:assumed-role/AWSGlueServiceRole-lakeplane/AWS-Crawler',
      IsRegisteredWithLakeFormation: false,
      CatalogId: '123456789012',
      VersionId: versionId,
    },
  };
}

/** The Bronze orders columns as the contract declares them. */
const ORDERS: Cols = [
  ['order_id', 'string'],
  ['customer_id', 'string'],
  ['customer_email', 'string'],
  ['status', 'string'],
  ['order_ts', 'timestamp'],
  ['order_total', 'decimal(12,2)'],
  ['currency', 'string'],
  ['fx_rate', 'double'],
  ['updated_at', 'timestamp'],
];
const ORDER_ITEMS: Cols = [
  ['op', 'string'],
  ['dms_commit_ts', 'timestamp'],
  ['order_id', 'string'],
  ['line_no', 'int'],
  ['sku', 'string'],
  ['quantity', 'int'],
  ['unit_price', 'decimal(12,2)'],
  ['order_date', 'date'],
];

class MemoryControl implements DatasetControl {
  readonly states = new Map<string, DatasetState>();
  readonly pauses: { dataset: string; reason: string; by: string }[] = [];

  async get(dataset: string): Promise<DatasetState | undefined> {
    return this.states.get(dataset);
  }

  async pause(dataset: string, reason: string, by: string): Promise<DatasetState> {
    this.pauses.push({ dataset, reason, by });
    const at = new Date().toISOString();
    const state = { dataset, paused: true, reason, pausedAt: at, pausedBy: by, updatedAt: at };
    this.states.set(dataset, state);
    return state;
  }

  async resume(dataset: string, _by: string, acceptedSchemaVersion?: string): Promise<DatasetState> {
    const state = {
      dataset,
      paused: false,
      ...(acceptedSchemaVersion ? { acceptedSchemaVersion } : {}),
      updatedAt: new Date().toISOString(),
    };
    this.states.set(dataset, state);
    return state;
  }
}

/** Keyed like the DynamoDB adapter: one record per table version, written once. */
class MemoryDriftLog implements DriftLog {
  readonly records = new Map<string, DriftRecord>();
  attempts = 0;

  async record(drift: DriftRecord): Promise<boolean> {
    this.attempts++;
    const key = `${drift.database}.${drift.table}#${drift.toVersion}`;
    if (this.records.has(key)) return false;
    this.records.set(key, drift);
    return true;
  }

  async list(query: { readonly dataset?: string; readonly limit?: number }): Promise<DriftRecord[]> {
    return [...this.records.values()].filter((r) => !query.dataset || r.dataset === query.dataset);
  }
}

class RecordingNotifier implements Notifier {
  readonly messages: SlackMessage[] = [];
  async notify(message: SlackMessage): Promise<void> {
    this.messages.push(message);
  }
}

const glueMock = mockClient(GlueClient);
const ebMock = mockClient(EventBridgeClient);
let control: MemoryControl;
let driftLog: MemoryDriftLog;
let notifier: RecordingNotifier;

function handler() {
  return createHandler({
    ...createObservability('schema-drift', { local: true, logLevel: 'SILENT' }),
    contracts,
    catalog: new GlueCatalog(new GlueClient(OFFLINE)),
    control,
    driftLog,
    notifier,
    events: new EventBridgePublisher(new EventBridgeClient(OFFLINE), BUS),
    bronzeDatabase: BRONZE,
    stage: 'prod',
    now: () => NOW,
  });
}

async function invoke(e: unknown): Promise<SchemaDriftResult> {
  return handler()(e, localContext('schema-drift'));
}

/** The outcome of the only table of a processed event. */
function only(result: SchemaDriftResult): TableDriftOutcome {
  expect(result.outcome).toBe('processed');
  const tables = result.outcome === 'processed' ? result.tables : [];
  expect(tables).toHaveLength(1);
  return tables[0]!;
}

function versionCalls(): GetTableVersionsCommandInput[] {
  return glueMock.commandCalls(GetTableVersionsCommand).map((c) => c.args[0].input);
}

function putEntries(): NonNullable<PutEventsCommandInput['Entries']> {
  return ebMock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
}

function detailOf(entry: { Detail?: string | undefined }): Record<string, unknown> {
  return JSON.parse(entry.Detail ?? 'null') as Record<string, unknown>;
}

const text = (m: SlackMessage) => JSON.stringify(m);

beforeEach(() => {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  glueMock.reset();
  ebMock.reset();
  ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  control = new MemoryControl();
  driftLog = new MemoryDriftLog();
  notifier = new RecordingNotifier();
});

afterAll(() => {
  vi.unstubAllEnvs();
  glueMock.restore();
  ebMock.restore();
});

describe('schema-drift handler', () => {
  it('an additive change on an evolve dataset is accepted: one Slack message, one event, no pause', async () => {
    // Two pages, newest first: version 2 on the first, version 1 behind the NextToken.
    glueMock.on(GetTableVersionsCommand).callsFake((input: GetTableVersionsCommandInput) =>
      input.NextToken === 'page-2'
        ? { TableVersions: [tableVersion('orders', '1', ORDERS, '2026-10-05T08:12:44Z')] }
        : {
            TableVersions: [
              tableVersion('orders', '2', [...ORDERS, ['loyalty_tier', 'string']], '2026-11-20T06:03:51Z'),
            ],
            NextToken: 'page-2',
          },
    );

    const outcome = only(await invoke(event('update-table')));

    expect(versionCalls()).toEqual([
      { DatabaseName: BRONZE, TableName: 'orders', MaxResults: 100 },
      { DatabaseName: BRONZE, TableName: 'orders', MaxResults: 100, NextToken: 'page-2' },
    ]);
    expect(outcome).toMatchObject({
      outcome: 'recorded',
      dataset: 'orders',
      fromVersion: '1',
      toVersion: '2',
      action: 'accept',
      breaking: false,
      paused: false,
    });
    expect(control.pauses).toHaveLength(0);
    expect([...driftLog.records.values()]).toEqual([
      {
        dataset: 'orders',
        database: BRONZE,
        table: 'orders',
        fromVersion: '1',
        toVersion: '2',
        action: 'accept',
        breaking: false,
        changes: [
          expect.objectContaining({
            kind: 'column-added',
            path: 'loyalty_tier',
            newType: 'string',
            severity: 'additive',
            declared: false,
          }),
        ],
        detectedAt: NOW.toISOString(),
      },
    ]);

    expect(notifier.messages).toHaveLength(1);
    const message = notifier.messages[0]!;
    expect(message.channel).toBe('#orders-data');
    expect(text(message)).toContain('Schema evolved: orders');
    expect(text(message)).toContain('`loyalty_tier` column added');
    expect(text(message)).toContain('Accepted into Silver');
    expect(text(message)).toContain(
      'New columns are not loaded into Silver until the contract declares them',
    );

    const entries = putEntries();
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry).toMatchObject({
      Source: 'lakeplane',
      DetailType: 'Schema Drift Detected',
      EventBusName: BUS,
    });
    const detail = detailOf(entry);
    expect(detail).toMatchObject({
      dataset: 'orders',
      database: BRONZE,
      table: 'orders',
      fromVersion: '1',
      toVersion: '2',
      action: 'accept',
      breaking: false,
      policy: 'evolve',
      typeOfChange: 'UpdateTable',
      omittedChanges: 0,
      detectedAt: NOW.toISOString(),
    });
    expect(detail.summary).toMatchObject({ total: 1, drift: 1, declared: 0, breaking: false });
    expect(detail.changes).toEqual([
      {
        kind: 'column-added',
        path: 'loyalty_tier',
        column: 'loyalty_tier',
        newType: 'string',
        severity: 'additive',
        reason: expect.stringContaining('new column'),
        declared: false,
      },
    ]);
  });

  it('an incompatible type change on a block dataset pauses it, says PAUSED with the resume command, and publishes once', async () => {
    const changed = ORDER_ITEMS.map(([n, t]) => [n, n === 'order_date' ? 'bigint' : t] as const);
    glueMock.on(GetTableVersionsCommand, { DatabaseName: BRONZE, TableName: 'order_items' }).resolves({
      TableVersions: [
        tableVersion('order_items', '3', changed, '2026-11-20T06:03:51Z'),
        tableVersion('order_items', '2', ORDER_ITEMS, '2026-11-12T22:41:10Z'),
        tableVersion('order_items', '1', ORDER_ITEMS.slice(0, 7), '2026-09-14T12:00:03Z'),
      ],
    });

    const outcome = only(await invoke(updateTable('order_items')));

    expect(outcome).toMatchObject({
      outcome: 'recorded',
      dataset: 'order_items',
      fromVersion: '2',
      toVersion: '3',
      action: 'pause',
      breaking: true,
      paused: true,
    });
    expect(control.pauses).toEqual([
      {
        dataset: 'order_items',
        by: 'schema-drift',
        reason: expect.stringMatching(/breaking schema drift .*lakeplane_bronze\.order_items version 2 → 3/),
      },
    ]);
    expect(control.pauses[0]!.reason).toContain('order_date type-incompatible (date → bigint)');
    expect((await control.get('order_items'))?.paused).toBe(true);

    expect(notifier.messages).toHaveLength(1);
    const slack = text(notifier.messages[0]!);
    expect(slack).toContain('Dataset paused: schema drift: order_items');
    expect(slack).toContain('PAUSED');
    expect(slack).toContain('files keep landing in Bronze, no Silver loads until it is resumed');
    expect(slack).toContain('`lakeplane dataset resume order_items --accept-schema 3 --stage prod`');
    expect(slack).toContain('`order_date` type changed incompatibly: `date` → `bigint`');

    const entries = putEntries();
    expect(entries).toHaveLength(1);
    expect(detailOf(entries[0]!)).toMatchObject({
      dataset: 'order_items',
      action: 'pause',
      breaking: true,
      policy: 'block',
      fromVersion: '2',
      toVersion: '3',
      changes: [expect.objectContaining({ kind: 'type-incompatible', path: 'order_date', oldType: 'date' })],
    });
  });

  it('a breaking change on an evolve dataset alerts and is not accepted', async () => {
    const withoutEmail = ORDERS.filter(([n]) => n !== 'customer_email');
    glueMock.on(GetTableVersionsCommand).resolves({
      TableVersions: [
        tableVersion('orders', '5', withoutEmail, '2026-11-20T06:03:51Z'),
        tableVersion('orders', '4', ORDERS, '2026-11-02T09:14:27Z'),
      ],
    });

    const outcome = only(await invoke(event('update-table')));

    expect(outcome).toMatchObject({ outcome: 'recorded', action: 'alert', breaking: true, paused: false });
    expect(control.pauses).toHaveLength(0);
    expect(notifier.messages).toHaveLength(1);
    const slack = text(notifier.messages[0]!);
    expect(slack).toContain('Schema drift: orders');
    expect(slack).toContain('Not accepted');
    expect(slack).toContain('`customer_email` column removed');
    expect(slack).toContain('lakeplane dataset resume orders --accept-schema 5 --stage prod');
    expect(detailOf(putEntries()[0]!)).toMatchObject({ action: 'alert', breaking: true, policy: 'evolve' });
  });

  it('a change the contract already declares is no drift: recorded as none, nothing sent', async () => {
    const withoutFx = ORDERS.filter(([n]) => n !== 'fx_rate');
    glueMock.on(GetTableVersionsCommand).resolves({
      TableVersions: [
        tableVersion('orders', '2', ORDERS, '2026-11-20T06:03:51Z'),
        tableVersion('orders', '1', withoutFx, '2026-10-05T08:12:44Z'),
      ],
    });

    const outcome = only(await invoke(event('update-table')));

    expect(outcome).toMatchObject({ outcome: 'recorded', action: 'none', breaking: false });
    expect([...driftLog.records.values()][0]).toMatchObject({
      action: 'none',
      changes: [expect.objectContaining({ kind: 'column-added', path: 'fx_rate', declared: true })],
    });
    expect(notifier.messages).toHaveLength(0);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(control.pauses).toHaveLength(0);
  });

  it('the same event twice: the second finds the version recorded and does nothing', async () => {
    const changed = ORDER_ITEMS.map(([n, t]) => [n, n === 'order_date' ? 'bigint' : t] as const);
    glueMock.on(GetTableVersionsCommand).resolves({
      TableVersions: [
        tableVersion('order_items', '3', changed, '2026-11-20T06:03:51Z'),
        tableVersion('order_items', '2', ORDER_ITEMS, '2026-11-12T22:41:10Z'),
      ],
    });
    const e = updateTable('order_items');

    const first = only(await invoke(e));
    await control.resume('order_items', 'oncall', '3');
    const second = only(await invoke(e));

    expect(first.outcome).toBe('recorded');
    expect(second).toEqual({
      outcome: 'duplicate',
      dataset: 'order_items',
      table: 'order_items',
      fromVersion: '2',
      toVersion: '3',
    });
    expect(driftLog.attempts).toBe(2);
    expect(driftLog.records.size).toBe(1);
    expect(control.pauses).toHaveLength(1);
    // The engineer's resume stands: the repeated event does not pause again.
    expect((await control.get('order_items'))?.paused).toBe(false);
    expect(notifier.messages).toHaveLength(1);
    expect(putEntries()).toHaveLength(1);
  });

  it('a table with one version only (CreateTable) has nothing to compare: nothing recorded or sent', async () => {
    glueMock.on(GetTableVersionsCommand).resolves({
      TableVersions: [tableVersion('orders', '1', ORDERS, '2026-10-05T08:12:44Z')],
    });

    const outcome = only(await invoke(event('create-table')));

    expect(outcome).toEqual({
      outcome: 'nothing-to-compare',
      dataset: 'orders',
      table: 'orders',
      versions: 1,
    });
    expect(versionCalls()).toHaveLength(1);
    expect(driftLog.attempts).toBe(0);
    expect(notifier.messages).toHaveLength(0);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('a table Glue no longer has (EntityNotFoundException) has nothing to compare', async () => {
    glueMock
      .on(GetTableVersionsCommand)
      .rejects(new EntityNotFoundException({ message: 'Table orders not found.', $metadata: {} }));

    const outcome = only(await invoke(event('update-table')));

    expect(outcome).toMatchObject({ outcome: 'nothing-to-compare', versions: 0 });
    expect(driftLog.attempts).toBe(0);
  });

  it('DeleteTable is a breaking alert, recorded once, without reading the catalog', async () => {
    const first = only(await invoke(event('delete-table')));
    const second = only(await invoke(event('delete-table')));

    expect(first).toMatchObject({
      outcome: 'recorded',
      dataset: 'orders',
      toVersion: 'deleted@2026-11-21T14:27:09Z',
      action: 'alert',
      breaking: true,
      paused: false,
    });
    expect(second.outcome).toBe('duplicate');
    expect(versionCalls()).toHaveLength(0);
    expect(control.pauses).toHaveLength(0);
    expect(notifier.messages).toHaveLength(1);
    const slack = text(notifier.messages[0]!);
    expect(slack).toContain('Bronze table deleted: orders');
    expect(slack).toContain('lakeplane_bronze.orders');
    const entries = putEntries();
    expect(entries).toHaveLength(1);
    expect(detailOf(entries[0]!)).toMatchObject({
      dataset: 'orders',
      table: 'orders',
      action: 'alert',
      breaking: true,
      typeOfChange: 'DeleteTable',
      changes: [{ kind: 'table-deleted', path: 'orders', severity: 'breaking' }],
    });
  });

  it('BatchDeleteTable alerts once per dataset table (no pause, even under block) and skips other tables', async () => {
    const e = event('delete-table');
    const batch = {
      ...e,
      detail: {
        databaseName: BRONZE,
        typeOfChange: 'BatchDeleteTable',
        changedTables: ['orders', 'clickstream', 'order_items'],
      },
    };

    const result = await invoke(batch);

    expect(result.outcome === 'processed' ? result.tables.map((t) => [t.table, t.outcome]) : []).toEqual([
      ['orders', 'recorded'],
      ['clickstream', 'ignored'],
      ['order_items', 'recorded'],
    ]);
    expect(control.pauses).toHaveLength(0);
    expect(notifier.messages.map((m) => m.blocks[0])).toEqual([
      { type: 'header', text: { type: 'plain_text', text: ':x: Bronze table deleted: orders' } },
      { type: 'header', text: { type: 'plain_text', text: ':x: Bronze table deleted: order_items' } },
    ]);
    expect(putEntries().map((p) => detailOf(p).table)).toEqual(['orders', 'order_items']);
  });

  it('ignores partition changes and other databases without calling Glue', async () => {
    const partitions = await invoke(event('batch-create-partition'));
    const e = event('update-table');
    const other = await invoke({
      ...e,
      detail: { ...(e.detail as object), databaseName: 'lakeplane_silver' },
    });

    expect(partitions).toEqual({
      outcome: 'ignored',
      reason: 'BatchCreatePartition does not change a table definition',
    });
    expect(other.outcome).toBe('ignored');
    expect(glueMock.calls()).toHaveLength(0);
    expect(notifier.messages).toHaveLength(0);
  });

  it('ignores a Bronze table that is no dataset', async () => {
    const outcome = only(await invoke(updateTable('clickstream')));

    expect(outcome).toEqual({
      outcome: 'ignored',
      table: 'clickstream',
      reason: 'no dataset contract named clickstream',
    });
    expect(glueMock.calls()).toHaveLength(0);
  });

  it('a failed PutEvents entry fails the invocation with the error code, after the Slack message', async () => {
    glueMock.on(GetTableVersionsCommand).resolves({
      TableVersions: [
        tableVersion('orders', '2', [...ORDERS, ['loyalty_tier', 'string']], '2026-11-20T06:03:51Z'),
        tableVersion('orders', '1', ORDERS, '2026-10-05T08:12:44Z'),
      ],
    });
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error.' }],
    });

    const failure = invoke(event('update-table'));

    await expect(failure).rejects.toBeInstanceOf(DriftAnnouncementError);
    await expect(failure).rejects.toThrow(
      /orders version 2 \(dataset orders\) is recorded, but event failed \(EventPublishError: .*InternalFailure: Internal service error\.\)/,
    );
    const error = await failure.catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(EventPublishError);
    expect((error as EventPublishError & { cause: EventPublishError }).cause.errorCode).toBe(
      'InternalFailure',
    );
    expect((error as Error).message).toContain(BUS);
    expect(notifier.messages).toHaveLength(1);
    expect(driftLog.records.size).toBe(1);
  });

  it('a failed Slack post still publishes the event and names the step that failed', async () => {
    glueMock.on(GetTableVersionsCommand).resolves({
      TableVersions: [
        tableVersion('orders', '2', [...ORDERS, ['loyalty_tier', 'string']], '2026-11-20T06:03:51Z'),
        tableVersion('orders', '1', ORDERS, '2026-10-05T08:12:44Z'),
      ],
    });
    notifier.notify = async () => {
      throw new Error('Slack webhook answered 500: boom');
    };

    await expect(invoke(event('update-table'))).rejects.toThrow(
      /is recorded, but slack failed \(Error: Slack webhook answered 500: boom\); a retry of the event will not repeat it/,
    );
    expect(putEntries()).toHaveLength(1);
  });

  it('rejects a malformed event with InvalidGlueCatalogEventError naming the field', async () => {
    const malformed = invoke(event('malformed-update-table'));
    await expect(malformed).rejects.toBeInstanceOf(InvalidGlueCatalogEventError);
    await expect(malformed).rejects.toThrow(/detail\.databaseName/);

    const e = event('update-table');
    const { tableName: _gone, ...detail } = e.detail as Record<string, unknown>;
    const noTable = invoke({ ...e, detail });
    await expect(noTable).rejects.toBeInstanceOf(InvalidGlueCatalogEventError);
    await expect(noTable).rejects.toThrow(/detail\.tableName: UpdateTable names no table/);

    await expect(invoke({ ...e, 'detail-type': 'Glue Crawler State Change' })).rejects.toThrow(/detail-type/);
    expect(glueMock.calls()).toHaveLength(0);
    expect(driftLog.attempts).toBe(0);
  });
});

describe('GlueCatalog', () => {
  it('reads every page and returns the versions newest first, with ISO dates', async () => {
    glueMock
      .on(GetTableVersionsCommand)
      .resolvesOnce({
        TableVersions: [tableVersion('orders', '1', ORDERS, '2026-10-05T08:12:44Z')],
        NextToken: 'next',
      })
      .resolvesOnce({
        TableVersions: [
          tableVersion('orders', '3', ORDERS, '2026-11-20T06:03:51Z'),
          tableVersion('orders', '2', ORDERS, '2026-11-02T09:14:27Z'),
        ],
      });

    const versions = await new GlueCatalog(new GlueClient(OFFLINE), {
      catalogId: '123456789012',
    }).tableVersions(BRONZE, 'orders');

    expect(versions.map((v) => v.VersionId)).toEqual(['3', '2', '1']);
    expect(versions[0]!.Table).toMatchObject({
      Name: 'orders',
      DatabaseName: BRONZE,
      UpdateTime: '2026-11-20T06:03:51.000Z',
      VersionId: '3',
    });
    expect(versions[0]!.Table.StorageDescriptor?.Columns).toHaveLength(ORDERS.length);
    expect(versionCalls().map((c) => [c.CatalogId, c.NextToken])).toEqual([
      ['123456789012', undefined],
      ['123456789012', 'next'],
    ]);
  });
});
