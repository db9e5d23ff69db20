import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Document, parseDocument } from 'yaml';
import {
  buildContractSet,
  ContractError,
  type DatasetContract,
  parseContract,
} from '../../shared/core/contract/index.js';

const DATASETS = resolve(import.meta.dirname, '../../datasets');
const ORDERS_FILE = 'datasets/orders.yaml';
const ORDERS = readFileSync(resolve(DATASETS, 'orders.yaml'), 'utf8');
const ORDER_ITEMS = readFileSync(resolve(DATASETS, 'order_items.yaml'), 'utf8');

/** The orders contract text after `edit` changed its YAML document. */
function ordersWith(edit: (doc: Document) => void): string {
  const doc = parseDocument(ORDERS);
  edit(doc);
  return doc.toString();
}

/** The ContractError that `fn` throws (fails the test if it does not throw one). */
function contractError(fn: () => unknown): ContractError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    return err as ContractError;
  }
  throw new Error('no ContractError was thrown');
}

/** Parses the text as a contract file and returns the ContractError it fails with. */
function invalid(text: string, file = ORDERS_FILE): ContractError {
  return contractError(() => parseContract(text, file));
}

/** Asserts the error names the file, and has an issue at `path` whose reason matches. */
function expectIssue(err: ContractError, file: string, path: string, reason: string | RegExp): void {
  expect(err.file).toBe(file);
  expect(err.message.startsWith(`Invalid dataset contract ${file}:\n`)).toBe(true);
  const issue = err.issues.find((i) => i.path === path);
  expect(issue, `no issue at ${path}: ${err.message}`).toBeDefined();
  expect(issue!.message).toMatch(reason);
  expect(err.message).toContain(`  - ${path === '' ? '(root)' : path}: ${issue!.message}`);
}

describe('shipped contracts', () => {
  const orders = parseContract(ORDERS, 'datasets/orders.yaml');
  const orderItems = parseContract(ORDER_ITEMS, 'datasets/order_items.yaml');

  it('parses orders with its key, precombine, partition and no CDC', () => {
    expect(orders.name).toBe('orders');
    expect(orders.key).toEqual(['order_id']);
    expect(orders.precombine).toBe('updated_at');
    expect(orders.partition).toBe('order_date');
    expect(orders.cdc).toBeUndefined();
    expect(orders.bronze).toEqual({ prefix: 'orders/', format: 'ndjson', maxBadRecordRatio: 0.2 });
    expect(orders.columns.find((c) => c.name === 'order_total')?.type).toEqual({
      kind: 'decimal',
      precision: 12,
      scale: 2,
    });
    expect(orders.columns.find((c) => c.name === 'customer_email')?.pii).toBe(true);
    expect(orders.gold.map((g) => g.name)).toEqual(['daily_revenue']);
    expect(orders.drift.policy).toBe('alert');
    expect(orders.paused).toBe(false);
    expect(orders.source).toBe('datasets/orders.yaml');
  });

  it('parses order_items with its composite key and the DMS CDC column', () => {
    expect(orderItems.name).toBe('order_items');
    expect(orderItems.key).toEqual(['order_id', 'line_no']);
    expect(orderItems.precombine).toBe('dms_commit_ts');
    expect(orderItems.partition).toBe('order_date');
    expect(orderItems.cdc).toEqual({ column: 'Op', deleteValue: 'D' });
    expect(orderItems.drift.policy).toBe('block');
    expect(orderItems.alerts.slackChannel).toBe('#orders-data');
  });

  it('builds a contract set of both, by dataset name', () => {
    const set = buildContractSet([orders, orderItems]);
    expect([...set.datasets.keys()].sort()).toEqual(['order_items', 'orders']);
    expect(set.datasets.get('orders')).toBe(orders);
    expect(set.datasets.get('order_items')).toBe(orderItems);
  });
});

describe('invalid contracts name the file, the field path and the reason', () => {
  it('missing key field (key: [])', () => {
    const err = invalid(ordersWith((d) => d.setIn(['key'], d.createNode([]))));
    expectIssue(err, ORDERS_FILE, 'key', 'needs at least one record key field');
  });

  it('key field not in the schema', () => {
    const err = invalid(ordersWith((d) => d.setIn(['key'], d.createNode(['order_no']))));
    expectIssue(err, ORDERS_FILE, 'key[0]', /record key field "order_no" is not a declared column/);
  });

  it('key column declared nullable', () => {
    const err = invalid(ordersWith((d) => d.setIn(['columns', 0, 'nullable'], true)));
    expectIssue(err, ORDERS_FILE, 'key[0]', 'record key field "order_id" must be declared nullable: false');
  });

  it('precombine field not declared', () => {
    const err = invalid(ordersWith((d) => d.setIn(['precombine'], 'changed_at')));
    expectIssue(err, ORDERS_FILE, 'precombine', /precombine field "changed_at" is not a declared column/);
  });

  it('unknown column type (varchar2)', () => {
    const err = invalid(ordersWith((d) => d.setIn(['columns', 6, 'type'], 'varchar2')));
    expectIssue(err, ORDERS_FILE, 'columns[6].type', /unknown type "varchar2"; use one of .*decimal\(p,s\)/);
  });

  it('decimal precision out of range (decimal(40,2))', () => {
    const err = invalid(ordersWith((d) => d.setIn(['columns', 5, 'type'], 'decimal(40,2)')));
    expectIssue(err, ORDERS_FILE, 'columns[5].type', 'decimal precision must be 1..38, got 40');
  });

  it('duplicate column (names compare case-insensitively, as in Spark and Glue)', () => {
    const err = invalid(ordersWith((d) => d.addIn(['columns'], { name: 'Currency', type: 'string' })));
    expectIssue(err, ORDERS_FILE, 'columns[9].name', 'column "Currency" is declared twice');
  });

  it('gold SQL reading silver.<unknown dataset> (checked by buildContractSet)', () => {
    const text = ordersWith((d) =>
      d.setIn(['gold', 0, 'sql'], 'SELECT order_date, COUNT(*) AS n FROM silver.unknown_dataset GROUP BY 1'),
    );
    const contract = parseContract(text, ORDERS_FILE);
    const err = contractError(() => buildContractSet([contract]));
    expectIssue(
      err,
      ORDERS_FILE,
      'gold[0].sql',
      'reads silver.unknown_dataset, but no dataset is named "unknown_dataset" (known: orders)',
    );
  });

  it('gold SQL reading Gold', () => {
    const text = ordersWith((d) =>
      d.setIn(
        ['gold', 0, 'sql'],
        'SELECT o.order_date, s.units FROM silver.orders o JOIN gold.sku_sales s ON s.sku = o.order_id',
      ),
    );
    expectIssue(invalid(text), ORDERS_FILE, 'gold[0].sql', 'must read Silver, not gold.sku_sales');
  });

  it('silver SQL without FROM batch', () => {
    const err = invalid(ORDERS.replace('FROM batch', 'FROM bronze_orders'));
    expectIssue(err, ORDERS_FILE, 'silver.sql', 'must read the load\'s records with "FROM batch"');
  });

  it('silver SQL not selecting the partition field', () => {
    const text = ORDERS.replace('CAST(order_ts AS DATE) AS order_date,', '');
    expect(text).not.toBe(ORDERS);
    expectIssue(
      invalid(text),
      ORDERS_FILE,
      'silver.sql',
      'must select "order_date" (a key, precombine, partition or CDC field)',
    );
  });

  it('duplicate dataset name across two files (buildContractSet)', () => {
    const first = parseContract(ORDERS, 'datasets/orders.yaml');
    const copy = parseContract(
      ordersWith((d) => {
        d.setIn(['bronze', 'prefix'], 'orders_v2/');
        d.setIn(['gold', 0, 'name'], 'daily_revenue_v2');
      }),
      'datasets/orders_v2.yaml',
    );
    const err = contractError(() => buildContractSet([first, copy]));
    expectIssue(
      err,
      'datasets/orders_v2.yaml',
      'name',
      'dataset "orders" is already defined in datasets/orders.yaml',
    );
  });

  it('overlapping Bronze prefixes, whichever order the contracts come in', () => {
    const orders = parseContract(ORDERS, 'datasets/orders.yaml');
    const archive = parseContract(
      ordersWith((d) => {
        d.setIn(['name'], 'orders_archive');
        d.setIn(['bronze', 'prefix'], 'orders/archive/');
        d.setIn(['gold', 0, 'name'], 'archived_revenue');
      }),
      'datasets/orders_archive.yaml',
    );
    for (const contracts of [
      [orders, archive],
      [archive, orders],
    ]) {
      const err = contractError(() => buildContractSet(contracts));
      expectIssue(
        err,
        'datasets/orders_archive.yaml',
        'bronze.prefix',
        '"orders/archive/" overlaps "orders/" of dataset orders (datasets/orders.yaml)',
      );
    }
  });

  it('unknown top-level field (contracts are strict)', () => {
    const err = invalid(ordersWith((d) => d.set('primary_key', 'order_id')));
    expectIssue(err, ORDERS_FILE, '', /Unrecognized key.*"primary_key"/);
  });

  it('reserved column name (__lp_x)', () => {
    const err = invalid(ordersWith((d) => d.addIn(['columns'], { name: '__lp_x', type: 'string' })));
    expectIssue(err, ORDERS_FILE, 'columns[9].name', /names starting with __lp_ or _hoodie_ are reserved/);
  });

  it('YAML syntax error, with its line and column', () => {
    const err = invalid(ORDERS.replace('key: [order_id]', 'key: [order_id'));
    expectIssue(err, ORDERS_FILE, '', /^YAML syntax: .*at line \d+, column \d+/);
  });
});

describe('SQL reference checks look past comments and aliases', () => {
  it('an apostrophe in a SQL comment does not hide the SQL after it', () => {
    // A comment with an apostrophe followed by a string literal: the literal-stripping must not
    // treat "don't ... <>'" as one string and blank out FROM silver.orders in between.
    const text = ordersWith((d) =>
      d.setIn(
        ['gold', 0, 'sql'],
        [
          'SELECT order_date, COUNT(*) AS orders',
          "-- cancelled orders don't count",
          'FROM silver.orders',
          "WHERE status <> 'cancelled'",
          'GROUP BY order_date',
        ].join('\n'),
      ),
    );
    const contract: DatasetContract = parseContract(text, ORDERS_FILE);
    expect(contract.gold[0]!.sql).toContain('FROM silver.orders');
  });

  it('a silver SQL selecting a key through a table alias (b.order_id) selects it', () => {
    const text = ORDERS.replace('SELECT order_id,', 'SELECT b.order_id,').replace(
      'FROM batch',
      'FROM batch b',
    );
    const contract = parseContract(text, ORDERS_FILE);
    expect(contract.silver.sql).toContain('b.order_id');
  });
});
