import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CrawlDeps, crawlDataset, listBronzeFiles } from '../../local/catalog/crawler.js';
import { DuckDbTypeError, duckDbTypeToGlue, parseDuckDbType } from '../../local/catalog/duckdb-glue-types.js';
import { LocalCatalog } from '../../local/catalog/local-catalog.js';
import { Warehouse } from '../../local/engine/warehouse.js';
import { type BusEvent, LocalEventBus } from '../../local/eventbus/bus.js';
import { DirObjectStore } from '../../local/object-store/dir-object-store.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { classifyTableChange } from '../../shared/core/drift/classify.js';
import { parseGlueType, printGlueType } from '../../shared/core/drift/glue-type.js';
import { readTableVersions } from '../../shared/core/drift/table.js';
import {
  GLUE_DATABASE_STATE_CHANGE,
  GLUE_TABLE_STATE_CHANGE,
  glueCatalogChangeEvent,
} from '../../shared/core/events-glue.js';
import { contract, order, tempDir } from '../helpers/fixtures.js';

const BRONZE = LOCAL_LAYOUT.bronzeBucket;
const DB = 'bronze';
const orders = contract('orders');
const items = contract('order_items');

/** The columns of a JSON-crawled `order()` record, as Glue types them. */
const ORDER_COLUMNS = [
  { Name: 'order_id', Type: 'string' },
  { Name: 'customer_id', Type: 'string' },
  { Name: 'customer_email', Type: 'string' },
  { Name: 'status', Type: 'string' },
  { Name: 'order_ts', Type: 'string' },
  { Name: 'order_total', Type: 'double' },
  { Name: 'currency', Type: 'string' },
  { Name: 'fx_rate', Type: 'double' },
  { Name: 'updated_at', Type: 'string' },
];

describe('DuckDB → Glue type mapping', () => {
  it.each([
    ['BOOLEAN', 'boolean'],
    ['TINYINT', 'tinyint'],
    ['SMALLINT', 'smallint'],
    ['INTEGER', 'int'],
    ['BIGINT', 'bigint'],
    ['UTINYINT', 'smallint'],
    ['USMALLINT', 'int'],
    ['UINTEGER', 'bigint'],
    ['UBIGINT', 'decimal(20,0)'],
    ['HUGEINT', 'decimal(38,0)'],
    ['FLOAT', 'float'],
    ['DOUBLE', 'double'],
    ['DECIMAL(12,2)', 'decimal(12,2)'],
    ['DECIMAL', 'decimal(18,3)'],
    ['VARCHAR', 'string'],
    ['JSON', 'string'],
    ['UUID', 'string'],
    ["ENUM('a', 'b''c')", 'string'],
    ['BLOB', 'binary'],
    ['DATE', 'date'],
    ['TIME', 'string'],
    ['INTERVAL', 'string'],
    ['TIMESTAMP', 'timestamp'],
    ['TIMESTAMP_NS', 'timestamp'],
    ['TIMESTAMP WITH TIME ZONE', 'timestamp'],
    ['BIGINT[]', 'array<bigint>'],
    ['BIGINT[][]', 'array<array<bigint>>'],
    ['INTEGER[2]', 'array<int>'],
    ['MAP(VARCHAR, BIGINT)', 'map<string,bigint>'],
    ['MAP(VARCHAR, INTEGER[])', 'map<string,array<int>>'],
    ['STRUCT(a INTEGER, b VARCHAR[])', 'struct<a:int,b:array<string>>'],
    ['STRUCT(k BIGINT)[]', 'array<struct<k:bigint>>'],
    ['STRUCT(a MAP(VARCHAR, DECIMAL(5,2)))[][]', 'array<array<struct<a:map<string,decimal(5,2)>>>>'],
    ['STRUCT("weird-key" BIGINT, "other key" BIGINT)', 'struct<weird-key:bigint,other key:bigint>'],
    ['STRUCT("a:b" VARCHAR, "c""d" DOUBLE, "select" DATE)', 'struct<`a:b`:string,c"d:double,select:date>'],
    ['STRUCT(x TIMESTAMP WITH TIME ZONE, y TIME WITH TIME ZONE)', 'struct<x:timestamp,y:string>'],
    ['UNION(k INTEGER, s VARCHAR)', 'uniontype<int,string>'],
  ])('%s → %s', (duck, glue) => {
    expect(duckDbTypeToGlue(duck)).toBe(glue);
    // Every mapped type is a type string the drift code reads back unchanged.
    expect(printGlueType(parseGlueType(glue))).toBe(glue);
  });

  it('parses nested types into a tree', () => {
    expect(parseDuckDbType('STRUCT(a INTEGER, "b c" VARCHAR[])[3]')).toEqual({
      kind: 'list',
      size: 3,
      element: {
        kind: 'struct',
        fields: [
          { name: 'a', type: { kind: 'primitive', name: 'INTEGER' } },
          { name: 'b c', type: { kind: 'list', element: { kind: 'primitive', name: 'VARCHAR' } } },
        ],
      },
    });
  });

  it('refuses unknown types, malformed strings and struct fields that clash ignoring case', () => {
    expect(() => duckDbTypeToGlue('GEOMETRY')).toThrow(DuckDbTypeError);
    expect(() => duckDbTypeToGlue('STRUCT(a INTEGER')).toThrow(/expected/);
    expect(() => duckDbTypeToGlue('MAP(VARCHAR)')).toThrow(/between the key and value/);
    expect(() => duckDbTypeToGlue('STRUCT(A INTEGER, a VARCHAR)')).toThrow(/case-insensitive/);
  });

  it('maps every type DuckDB prints for real values', async () => {
    const wh = await Warehouse.open(join(tempDir(), 'types.duckdb'));
    try {
      const cases: [string, string][] = [
        [
          `{'a': 1, 'tags': ['x'], 'm': MAP {'k': 1.5::DECIMAL(5,2)}}`,
          'struct<a:int,tags:array<string>,m:map<string,decimal(5,2)>>',
        ],
        [`now()`, 'timestamp'],
        [`'10:00'::TIMETZ`, 'string'],
        [`gen_random_uuid()`, 'string'],
        [`1::UHUGEINT`, 'decimal(38,0)'],
        [`union_value(k := 1)`, 'uniontype<int>'],
        [`'a'::ENUM('a', 'b')`, 'string'],
        [`[[1, 2]]`, 'array<array<int>>'],
        [`{'a b': {'c"d': [now()::DATE]}}`, 'struct<a b:struct<c"d:array<date>>>'],
      ];
      for (const [expr, glue] of cases) {
        const [row] = (await wh.query(`DESCRIBE SELECT ${expr} AS x`)).rows;
        expect(duckDbTypeToGlue(String(row?.column_type)), expr).toBe(glue);
      }
    } finally {
      wh.close();
    }
  });
});

describe('LocalCatalog', () => {
  const table = (
    columns: { Name: string; Type: string }[],
    partitionKeys: { Name: string; Type: string }[] = [],
  ) => ({
    StorageDescriptor: { Columns: columns },
    PartitionKeys: partitionKeys,
  });

  it('numbers versions like Glue, stores one only when columns or partition keys change, lists newest first', async () => {
    let clock = Date.parse('2026-11-20T10:00:00Z');
    const tick = () => {
      clock += 1000;
      return new Date(clock);
    };
    const catalog = new LocalCatalog(tempDir(), { now: tick });
    expect(await catalog.tableVersions(DB, 'orders')).toEqual([]);
    expect(catalog.latest(DB, 'orders')).toBeUndefined();

    const first = catalog.putVersion(DB, 'orders', table([{ Name: 'id', Type: 'int' }]));
    expect(first).toMatchObject({ changed: true, version: { VersionId: '1' } });
    expect(first.version.Table).toEqual({
      Name: 'orders',
      DatabaseName: DB,
      StorageDescriptor: { Columns: [{ Name: 'id', Type: 'int' }] },
      PartitionKeys: [],
      VersionId: '1',
      UpdateTime: '2026-11-20T10:00:01.000Z',
    });
    // The same schema (types compared canonically): no version.
    expect(catalog.putVersion(DB, 'orders', table([{ Name: 'id', Type: 'INTEGER' }]))).toEqual({
      version: first.version,
      changed: false,
    });
    expect(catalog.putVersion(DB, 'orders', table([{ Name: 'id', Type: 'bigint' }])).version.VersionId).toBe(
      '2',
    );
    expect(
      catalog.putVersion(
        DB,
        'orders',
        table([{ Name: 'id', Type: 'bigint' }], [{ Name: 'dt', Type: 'string' }]),
      ).version.VersionId,
    ).toBe('3');
    // Column order is part of the schema, as it is for Glue.
    catalog.putVersion(
      DB,
      'other',
      table([
        { Name: 'a', Type: 'int' },
        { Name: 'b', Type: 'int' },
      ]),
    );
    expect(
      catalog.putVersion(
        DB,
        'other',
        table([
          { Name: 'b', Type: 'int' },
          { Name: 'a', Type: 'int' },
        ]),
      ).changed,
    ).toBe(true);

    expect((await catalog.tableVersions(DB, 'orders')).map((v) => v.VersionId)).toEqual(['3', '2', '1']);
    expect(catalog.latest(DB, 'orders')?.VersionId).toBe('3');
    expect(catalog.tables()).toEqual([
      { database: DB, table: 'orders' },
      { database: DB, table: 'other' },
    ]);
  });

  it('keeps one GetTableVersions document per table, readable by a new instance', async () => {
    const dir = tempDir();
    const catalog = new LocalCatalog(dir);
    catalog.putVersion('my.db', 'a/b', table([{ Name: 'id', Type: 'int' }]));
    catalog.putVersion('my.db', 'a/b', table([{ Name: 'id', Type: 'bigint' }]));
    const file = catalog.fileOf('my.db', 'a/b');
    expect(file).toBe(join(dir, 'my%2Edb.a%2Fb.json'));
    const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    expect(readTableVersions(doc, file).map((v) => v.VersionId)).toEqual(['1', '2']);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    const again = new LocalCatalog(dir);
    expect(await again.tableVersions('my.db', 'a/b')).toEqual(await catalog.tableVersions('my.db', 'a/b'));
    expect(again.tables()).toEqual([{ database: 'my.db', table: 'a/b' }]);
  });
});

describe('crawlDataset', () => {
  let dir: string;
  let wh: Warehouse;
  let store: DirObjectStore;
  let bus: LocalEventBus;
  let events: BusEvent[];
  let deps: CrawlDeps;

  beforeEach(async () => {
    dir = tempDir();
    wh = await Warehouse.open(join(dir, 'warehouse.duckdb'));
    store = new DirObjectStore(join(dir, 's3'));
    bus = new LocalEventBus();
    events = [];
    bus.addRule('glue', { source: ['aws.glue'] }, async (e) => {
      events.push(e);
    });
    deps = {
      store,
      query: async (sql) => (await wh.query(sql)).rows,
      catalog: new LocalCatalog(join(dir, 'catalog')),
      bus,
      database: DB,
      datasets: [orders, items],
    };
  });
  afterEach(() => wh.close());

  const lines = (records: readonly Record<string, unknown>[]) =>
    `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
  const put = (key: string, records: readonly Record<string, unknown>[]) =>
    store.put(BRONZE, key, lines(records));
  const putGzip = (key: string, records: readonly Record<string, unknown>[]) =>
    store.put(BRONZE, key, gzipSync(lines(records)));
  const crawl = async (d: CrawlDeps = deps) => {
    const result = await crawlDataset(orders, d);
    await bus.idle();
    return result;
  };
  const describeTypes = async (keys: string[], options = '') =>
    Object.fromEntries(
      (
        await wh.query(
          `DESCRIBE SELECT * FROM read_json([${keys.map((k) => `'${store.pathOf(BRONZE, k)}'`).join(', ')}], format='newline_delimited', union_by_name=true${options})`,
        )
      ).rows.map((r) => [r.column_name, r.column_type]),
    );

  it('creates version 1 with a CreateTable event, and a crawl that finds nothing new stores nothing', async () => {
    await put('orders/2026/11/20/batch-1.ndjson', [
      order('o1', '2026-11-20T10:00:00Z'),
      order('o2', '2026-11-20T11:00:00Z'),
    ]);
    const first = await crawl();
    expect(first).toMatchObject({ changed: true, objects: 1, skipped: [] });
    expect(first.version?.VersionId).toBe('1');
    expect(first.columns).toEqual(ORDER_COLUMNS);
    expect(first.version?.Table).toMatchObject({
      Name: 'orders',
      DatabaseName: DB,
      StorageDescriptor: { Columns: ORDER_COLUMNS },
      PartitionKeys: [],
    });

    // Glue announces a new table as a database change (CreateTable, changedTables).
    expect(events).toHaveLength(1);
    const [created] = events;
    expect(created).toMatchObject({
      version: '0',
      source: 'aws.glue',
      'detail-type': GLUE_DATABASE_STATE_CHANGE,
      account: '000000000000',
      region: 'local',
      resources: ['arn:aws:glue:local:000000000000:table/bronze/orders'],
      detail: { databaseName: DB, typeOfChange: 'CreateTable', changedTables: ['orders'] },
    });
    expect(glueCatalogChangeEvent.safeParse(created).success).toBe(true);

    // Same data, and a re-put of the same object (its old version stays under .versions/).
    await put('orders/2026/11/20/batch-1.ndjson', [order('o3', '2026-11-20T12:00:00Z')]);
    const second = await crawl();
    expect(second).toMatchObject({ changed: false, objects: 1, columns: ORDER_COLUMNS });
    expect(second.version).toEqual(first.version);
    expect(events).toHaveLength(1);
    expect(await deps.catalog.tableVersions(DB, 'orders')).toHaveLength(1);
  });

  it('stores version 2 with an added field as the last column, announced as UpdateTable', async () => {
    await put('orders/batch-1.ndjson', [order('o1', '2026-11-20T10:00:00Z')]);
    await crawl();
    // The new file sorts first, and its keys come in another order: catalogued columns keep theirs.
    const { order_id, ...rest } = order('o2', '2026-11-20T11:00:00Z', { channel: 'web' });
    await put('orders/a-batch-0.ndjson', [{ channel: rest.channel, ...rest, order_id }]);
    const result = await crawl();

    expect(result.changed).toBe(true);
    expect(result.version?.VersionId).toBe('2');
    expect(result.columns).toEqual([...ORDER_COLUMNS, { Name: 'channel', Type: 'string' }]);
    expect(events.map((e) => e['detail-type'])).toEqual([
      GLUE_DATABASE_STATE_CHANGE,
      GLUE_TABLE_STATE_CHANGE,
    ]);
    const updated = events[1]!;
    expect(updated).toMatchObject({
      source: 'aws.glue',
      resources: ['arn:aws:glue:local:000000000000:table/bronze/orders'],
      detail: { databaseName: DB, typeOfChange: 'UpdateTable', tableName: 'orders', changedPartitions: [] },
    });
    expect(glueCatalogChangeEvent.safeParse(updated).success).toBe(true);

    const [v2, v1] = await deps.catalog.tableVersions(DB, 'orders');
    expect([v2?.VersionId, v1?.VersionId]).toEqual(['2', '1']);
    expect(classifyTableChange(v1!.Table, v2!.Table)).toMatchObject([
      { kind: 'column-added', path: 'channel', severity: 'additive' },
    ]);
  });

  it('merges a field whose type changes across files the way DuckDB union_by_name does', async () => {
    await put('orders/batch-1.ndjson', [order('o1', '2026-11-20T10:00:00Z', { quantity: 1, score: 1 })]);
    await crawl();
    expect((await deps.catalog.tableVersions(DB, 'orders'))[0]?.Table.StorageDescriptor?.Columns).toEqual(
      expect.arrayContaining([
        { Name: 'quantity', Type: 'bigint' },
        { Name: 'score', Type: 'bigint' },
      ]),
    );
    await put('orders/batch-2.ndjson', [
      order('o2', '2026-11-20T11:00:00Z', { quantity: 'two', score: 2.5 }),
    ]);

    // Measured: BIGINT and VARCHAR merge to DuckDB's JSON type, BIGINT and DOUBLE to DOUBLE.
    const types = await describeTypes(['orders/batch-1.ndjson', 'orders/batch-2.ndjson']);
    expect(types).toMatchObject({ quantity: 'JSON', score: 'DOUBLE' });

    const result = await crawl();
    expect(result.version?.VersionId).toBe('2');
    expect(result.columns).toEqual(
      expect.arrayContaining([
        { Name: 'quantity', Type: 'string' },
        { Name: 'score', Type: 'double' },
      ]),
    );
    const [v2, v1] = await deps.catalog.tableVersions(DB, 'orders');
    expect(classifyTableChange(v1!.Table, v2!.Table)).toMatchObject([
      { kind: 'type-widened', path: 'quantity', oldType: 'bigint', newType: 'string', severity: 'breaking' },
      { kind: 'type-widened', path: 'score', oldType: 'bigint', newType: 'double' },
    ]);
  });

  it('reads gzip and plain objects together, each by its extension', async () => {
    await put('orders/batch-1.ndjson', [order('o1', '2026-11-20T10:00:00Z')]);
    await putGzip('orders/stream/date=2026-11-20/shard-000-1-2.ndjson.gz', [
      order('o2', '2026-11-20T11:00:00Z', { from_stream: true }),
    ]);
    const result = await crawl();
    expect(result).toMatchObject({ changed: true, objects: 2, skipped: [] });
    expect(result.columns).toEqual([...ORDER_COLUMNS, { Name: 'from_stream', Type: 'boolean' }]);
    expect(result.version?.Table.PartitionKeys).toEqual([]);

    // Measured: the default compression (auto) picks it per file; forcing one fails on the other.
    const keys = ['orders/batch-1.ndjson', 'orders/stream/date=2026-11-20/shard-000-1-2.ndjson.gz'];
    await expect(describeTypes(keys, ", compression='gzip'")).rejects.toThrow(/not a GZIP stream/);
    await expect(describeTypes(keys, ", compression='uncompressed'")).rejects.toThrow(/Malformed JSON/);
  });

  it('maps nested objects to struct, array and map types the drift code parses', async () => {
    await put('orders/nested.ndjson', [
      order('o1', '2026-11-20T10:00:00Z', {
        customer: { id: 'c1', address: { zip: '1000', 'geo-point': [1.5, 2.5] }, tags: ['vip'] },
        items: [{ sku: 's1', qty: 1, price: { amount: 9.5, currency: 'EUR' } }],
        attrs: { 'a:b': 1, 'user agent': 'x' },
        matrix: [[1, 2], [3]],
        placed_on: '2026-11-20',
      }),
    ]);
    const result = await crawl();
    const byName = Object.fromEntries(result.columns.map((c) => [c.Name, c.Type]));
    expect(byName).toMatchObject({
      customer: 'struct<id:string,address:struct<zip:string,geo-point:array<double>>,tags:array<string>>',
      items: 'array<struct<sku:string,qty:bigint,price:struct<amount:double,currency:string>>>',
      attrs: 'struct<`a:b`:bigint,user agent:string>',
      matrix: 'array<array<bigint>>',
      // DuckDB detects dates in JSON strings; Glue's JSON classifier keeps them strings.
      placed_on: 'string',
    });
    for (const c of result.columns) expect(printGlueType(parseGlueType(c.Type)), c.Name).toBe(c.Type);
  });

  it('keeps DuckDB date and timestamp detection when asked to', async () => {
    await put('orders/batch-1.ndjson', [order('o1', '2026-11-20T10:00:00Z', { placed_on: '2026-11-20' })]);
    const result = await crawl({ ...deps, temporal: 'typed' });
    expect(Object.fromEntries(result.columns.map((c) => [c.Name, c.Type]))).toMatchObject({
      order_ts: 'timestamp',
      updated_at: 'timestamp',
      placed_on: 'date',
    });
  });

  it('persists versions across catalog instances', async () => {
    await put('orders/batch-1.ndjson', [order('o1', '2026-11-20T10:00:00Z')]);
    await crawl();
    await put('orders/batch-2.ndjson', [order('o2', '2026-11-20T10:00:00Z', { channel: 'web' })]);
    await crawl();

    const reopened = new LocalCatalog(join(dir, 'catalog'));
    expect(await reopened.tableVersions(DB, 'orders')).toEqual(
      await deps.catalog.tableVersions(DB, 'orders'),
    );
    const again = await crawl({ ...deps, catalog: reopened });
    expect(again).toMatchObject({ changed: false, version: { VersionId: '2' } });
    expect(events).toHaveLength(2);
  });

  it('leaves out other datasets, non-data keys, empty objects and files that hold no NDJSON records', async () => {
    await put('orders/batch-1.ndjson', [order('o1', '2026-11-20T10:00:00Z')]);
    await put('order_items/batch-1.ndjson', [{ order_id: 'o1', line_no: 1, sku: 'x' }]);
    await store.put(BRONZE, 'orders/README.txt', 'not data');
    await store.put(BRONZE, 'orders/empty.ndjson', '');
    await store.put(BRONZE, 'orders/arrays.ndjson', '[1, 2]\n[3]\n');
    expect(listBronzeFiles(orders, deps).map((f) => f.key)).toEqual([
      'orders/arrays.ndjson',
      'orders/batch-1.ndjson',
      'orders/empty.ndjson',
    ]);
    const result = await crawl();
    expect(result).toMatchObject({ changed: true, objects: 1, columns: ORDER_COLUMNS });
    expect(result.skipped).toEqual([
      { key: 'orders/empty.ndjson', reason: 'empty object' },
      { key: 'orders/arrays.ndjson', reason: expect.stringMatching(/expected records/) },
    ]);
  });

  it('creates no table for a dataset without data', async () => {
    await store.put(BRONZE, 'orders/empty.ndjson', '');
    const result = await crawl();
    expect(result).toMatchObject({ version: undefined, changed: false, columns: [], objects: 0 });
    expect(events).toEqual([]);
    expect(await deps.catalog.tableVersions(DB, 'orders')).toEqual([]);
  });

  it('records what DuckDB does with keys that differ only in case: it renames the later one', async () => {
    await put('orders/a.ndjson', [{ Op: 'I', order_id: 'o1' }]);
    await put('orders/b.ndjson', [{ op: 'U', order_id: 'o1' }]);
    const result = await crawl();
    expect(result.columns).toEqual([
      { Name: 'Op', Type: 'string' },
      { Name: 'order_id', Type: 'string' },
      { Name: 'op_1', Type: 'string' },
    ]);
  });
});
