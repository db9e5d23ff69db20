import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Warehouse } from '../../local/engine/warehouse.js';
import { LocalRuntime } from '../../local/runtime.js';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import { contract, DATASETS, ndjson, order, REPO, tempDir } from '../helpers/fixtures.js';

// A contract's SQL is one SELECT over what it may read, decided by DuckDB's parser: checked by
// `datasets validate` and `datasets export`, and again before a load runs any of it.
const orders = contract('orders');
const withSilver = (sql: string): DatasetContract => ({ ...orders, silver: { sql } });
const withGold = (sql: string): DatasetContract => ({ ...orders, gold: [{ ...orders.gold[0]!, sql }] });

let wh: Warehouse | undefined;
afterEach(() => {
  wh?.close();
  wh = undefined;
});

describe('contract SQL', () => {
  it('accepts the shipped contracts, a WITH … SELECT and range()', async () => {
    wh = await Warehouse.open(':memory:');
    const names = new Set(['orders', 'order_items']);
    expect(await wh.contractSqlProblems(orders, names)).toEqual([]);
    expect(await wh.contractSqlProblems(contract('order_items'), names)).toEqual([]);
    expect(
      await wh.contractSqlProblems(
        withSilver('WITH b AS (SELECT * FROM batch) SELECT b.* FROM b, range(1)'),
        names,
      ),
    ).toEqual([]);
  });

  it.each([
    [
      "SELECT * FROM batch; COPY (SELECT 1) TO 'x.csv'",
      /silver\.sql must be one SELECT; it holds a statement that is not/,
    ],
    ['SELECT * FROM batch; SELECT * FROM batch', /silver\.sql must be one SELECT, not 2 statements/],
    [
      "COPY (SELECT * FROM batch) TO 'x.csv'",
      /silver\.sql must be one SELECT; it holds a statement that is not/,
    ],
    [
      "SELECT b.* FROM batch b, read_csv('/etc/passwd')",
      /silver\.sql calls the table function read_csv\(…\)/,
    ],
    [
      'SELECT * FROM batch WHERE order_id IN (SELECT load_id FROM lakeplane.commits)',
      /silver\.sql reads lakeplane\.commits; it may read `batch`/,
    ],
    ['SELECT * FROM silver.orders', /silver\.sql reads silver\.orders; it may read `batch`/],
  ])('refuses silver.sql %s', async (sql, why) => {
    wh = await Warehouse.open(':memory:');
    const problems = await wh.contractSqlProblems(withSilver(sql), new Set(['orders']));
    expect(problems.join('\n')).toMatch(why);
    expect(problems[0]).toMatch(/orders\.yaml: silver\.sql/);
  });

  it.each([
    [
      'SELECT * FROM silver.orders; DROP TABLE lakeplane.snapshots',
      /gold daily_revenue sql must be one SELECT/,
    ],
    ['SELECT * FROM lakeplane.snapshots', /gold daily_revenue sql reads lakeplane\.snapshots/],
    ["SELECT * FROM read_parquet('s3://elsewhere/x.parquet')", /calls the table function read_parquet/],
  ])('refuses Gold SQL %s', async (sql, why) => {
    wh = await Warehouse.open(':memory:');
    expect((await wh.contractSqlProblems(withGold(sql), new Set(['orders']))).join('\n')).toMatch(why);
  });

  it('datasets validate refuses a hostile contract with exit 2, naming the file and the SQL', () => {
    const dir = tempDir();
    const yaml = readFileSync(join(DATASETS, 'orders.yaml'), 'utf8').replace(
      /(silver:[\s\S]*?sql: \|\n)/,
      "$1    SELECT * FROM batch; COPY (SELECT 1) TO 'x.csv'; DROP TABLE lakeplane.snapshots;\n",
    );
    expect(yaml).toContain('DROP TABLE lakeplane.snapshots');
    writeFileSync(join(dir, 'orders.yaml'), yaml);
    for (const args of [
      ['datasets', 'validate'],
      ['datasets', 'export', join(tempDir(), 'out')],
    ]) {
      const r = spawnSync(process.execPath, [join(REPO, 'bin', 'lakeplane.js'), '--datasets', dir, ...args], {
        encoding: 'utf8',
      });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/contract SQL refused:\n {2}.*orders\.yaml: silver\.sql must be one SELECT/);
    }
  });

  it('a load refuses it before running any of it: FAILED with the reason, Silver and the timeline intact', async () => {
    const datasets = tempDir();
    mkdirSync(datasets, { recursive: true });
    writeFileSync(join(datasets, 'orders.yaml'), readFileSync(join(DATASETS, 'orders.yaml'), 'utf8'));
    const home = tempDir();
    let rt = await LocalRuntime.start({ home, datasetsDir: datasets, print: () => undefined });
    await rt.land('orders', ndjson(tempDir(), 'a.ndjson', [order('o1', '2026-11-20T10:00:00Z')]));
    await rt.idle();
    const before = (await rt.warehouse.query('SELECT count(*) AS n FROM lakeplane.snapshots')).rows;
    await rt.close();
    writeFileSync(
      join(datasets, 'orders.yaml'),
      readFileSync(join(DATASETS, 'orders.yaml'), 'utf8').replace(
        /(silver:[\s\S]*?sql: \|\n)/,
        '$1    SELECT * FROM batch; DROP TABLE lakeplane.snapshots;\n',
      ),
    );
    rt = await LocalRuntime.start({ home, datasetsDir: datasets, print: () => undefined });
    try {
      const landed = await rt.land(
        'orders',
        ndjson(tempDir(), 'b.ndjson', [order('o2', '2026-11-20T10:00:00Z')]),
      );
      await rt.idle();
      const load = await rt.ledger.get(landed.loadId!);
      expect(load?.status).toBe('FAILED');
      expect(load?.cause?.message).toMatch(
        /ContractSqlError: .*orders\.yaml: silver\.sql must be one SELECT.*Fix the contract/,
      );
      expect((await rt.warehouse.query('SELECT count(*) AS n FROM lakeplane.snapshots')).rows).toEqual(
        before,
      );
      expect((await rt.warehouse.query('SELECT order_id FROM silver.orders')).rows).toEqual([
        { order_id: 'o1' },
      ]);
    } finally {
      await rt.close();
    }
  });
});
