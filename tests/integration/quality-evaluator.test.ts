import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Warehouse } from '../../local/engine/warehouse.js';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import type { ExpectationSpec } from '../../shared/core/quality/expectations.js';
import { contract, ndjson, order, tempDir } from '../helpers/fixtures.js';

const orders = contract('orders');
let dir: string;
let wh: Warehouse;
let seq = 0;

beforeEach(async () => {
  dir = tempDir();
  wh = await Warehouse.open(join(dir, 'warehouse.duckdb'));
});
afterEach(() => wh.close());

interface GxResult {
  success: boolean;
  results: {
    success: boolean;
    expectation_config: {
      type: string;
      kwargs: Record<string, unknown>;
      meta: { lakeplane: { index: number; severity: string } };
    };
    result: Record<string, unknown>;
    exception_info: { raised_exception: boolean; exception_message: string | null };
  }[];
  statistics: {
    evaluated_expectations: number;
    successful_expectations: number;
    unsuccessful_expectations: number;
    success_percent: number;
  };
}

async function validate(
  records: Record<string, unknown>[],
  expectations: ExpectationSpec[],
  now = new Date('2026-11-27T12:00:00Z'),
) {
  const c: DatasetContract = { ...orders, expectations };
  const loadId = `orders-q${++seq}`;
  const file = ndjson(dir, `${loadId}.ndjson`, records);
  await wh.stage(c, { loadId, attempt: 1, file, displayName: file });
  return (await wh.validate(c, { loadId, attempt: 1 }, now)) as unknown as GxResult;
}

const e = (
  type: ExpectationSpec['type'],
  kwargs: Record<string, unknown>,
  severity: 'fail' | 'warn' = 'fail',
): ExpectationSpec => ({
  type,
  kwargs,
  severity,
});

describe('local quality evaluator (GX 1.x result shape)', () => {
  it('writes the GX 1.x suite result: success, statistics, results with type, kwargs, meta and counts', async () => {
    const r = await validate(
      [
        order('ord-1', '2026-11-27T10:00:00Z'),
        order('ord-2', '2026-11-27T10:00:00Z', { currency: 'JPY' }),
        order('ord-3', '2026-11-27T10:00:00Z', { currency: 'JPY' }),
      ],
      [
        e('expect_column_values_to_be_in_set', { column: 'currency', value_set: ['EUR', 'USD'] }),
        e('expect_column_values_to_not_be_null', { column: 'order_id' }, 'warn'),
      ],
    );
    expect(r.success).toBe(false);
    expect(r.statistics).toEqual({
      evaluated_expectations: 2,
      successful_expectations: 1,
      unsuccessful_expectations: 1,
      success_percent: 50,
    });
    expect(r.results[0]).toMatchObject({
      success: false,
      expectation_config: {
        type: 'expect_column_values_to_be_in_set',
        kwargs: { column: 'currency', value_set: ['EUR', 'USD'] },
        meta: { lakeplane: { index: 0, severity: 'fail' } },
      },
      result: {
        element_count: 3,
        unexpected_count: 2,
        partial_unexpected_list: ['JPY', 'JPY'],
        missing_count: 0,
      },
      exception_info: { raised_exception: false },
    });
    expect(r.results[0]!.result.unexpected_percent).toBeCloseTo(66.667, 2);
    expect(r.results[1]).toMatchObject({
      success: true,
      expectation_config: { meta: { lakeplane: { index: 1, severity: 'warn' } } },
    });
  });

  it('ignores NULLs in column map expectations, as GX does, and honours mostly', async () => {
    const rows = [
      order('ord-1', '2026-11-27T10:00:00Z', { customer_email: null }),
      order('ord-2', '2026-11-27T10:00:00Z', { customer_email: 'bad' }),
      order('ord-3', '2026-11-27T10:00:00Z', { customer_email: 'a@example.com' }),
      order('ord-4', '2026-11-27T10:00:00Z', { customer_email: 'b@example.com' }),
      order('ord-5', '2026-11-27T10:00:00Z', { customer_email: 'c@example.com' }),
    ];
    const r = await validate(rows, [
      e('expect_column_values_to_match_regex', { column: 'customer_email', regex: '@' }),
      e('expect_column_values_to_match_regex', { column: 'customer_email', regex: '@', mostly: 0.75 }),
    ]);
    expect(r.results[0]).toMatchObject({
      success: false,
      result: {
        missing_count: 1,
        unexpected_count: 1,
        unexpected_percent: 25,
        partial_unexpected_list: ['bad'],
      },
    });
    expect(r.results[1]!.success).toBe(true);
  });

  it('evaluates between (strict and not), lengths, uniqueness and compound uniqueness', async () => {
    const r = await validate(
      [
        order('ord-1', '2026-11-27T10:00:00Z', { order_total: 0, customer_id: 'c' }),
        order('ord-2', '2026-11-27T10:00:00Z', { order_total: 10, customer_id: 'c' }),
        order('ord-3', '2026-11-27T10:00:00Z', { order_total: 20, customer_id: 'a-very-long-customer-id' }),
      ],
      [
        e('expect_column_values_to_be_between', { column: 'order_total', min_value: 0, max_value: 20 }),
        e('expect_column_values_to_be_between', {
          column: 'order_total',
          min_value: 0,
          max_value: 20,
          strict_min: true,
        }),
        e('expect_column_value_lengths_to_be_between', {
          column: 'customer_id',
          min_value: 1,
          max_value: 10,
        }),
        e('expect_column_values_to_be_unique', { column: 'customer_id' }),
        e('expect_compound_columns_to_be_unique', { column_list: ['customer_id', 'currency'] }),
        e('expect_column_values_to_be_unique', { column: 'order_id' }),
      ],
    );
    expect(r.results.map((x) => [x.success, x.result.unexpected_count])).toEqual([
      [true, 0],
      [false, 1],
      [false, 1],
      [false, 2],
      [false, 2],
      [true, 0],
    ]);
  });

  it('reports observed values for table and column aggregates, types and freshness', async () => {
    const rows = [order('ord-1', '2026-11-27T10:00:00Z'), order('ord-2', '2026-11-26T10:00:00Z')];
    const r = await validate(
      rows,
      [
        e('expect_table_row_count_to_be_between', { min_value: 1, max_value: 1 }),
        e('expect_column_values_to_be_of_type', { column: 'order_total_usd', type_: 'DECIMAL' }),
        e('expect_column_values_to_be_of_type', { column: 'order_total_usd', type_: 'VARCHAR' }),
        e('expect_column_max_to_be_between', { column: 'updated_at', max_age_seconds: 3 * 3600 }),
        e('expect_column_max_to_be_between', { column: 'updated_at', max_age_seconds: 3600 }),
        e('expect_column_to_exist', { column: 'order_date' }),
        e('expect_column_to_exist', { column: 'nope' }),
      ],
      new Date('2026-11-27T12:00:00Z'),
    );
    expect(r.results.map((x) => [x.success, x.result.observed_value])).toEqual([
      [false, 2],
      [true, 'DECIMAL(14,2)'],
      [false, 'DECIMAL(14,2)'],
      [true, '2026-11-27 10:00:00'],
      [false, '2026-11-27 10:00:00'],
      [true, undefined],
      [false, undefined],
    ]);
  });

  it('reports an expectation it cannot evaluate as raised, not as passed', async () => {
    const r = await validate(
      [order('ord-1', '2026-11-27T10:00:00Z')],
      [e('expect_column_values_to_not_be_null', { column: 'missing_column' })],
    );
    expect(r.results[0]).toMatchObject({
      success: false,
      exception_info: {
        raised_exception: true,
        exception_message: 'column "missing_column" is not in the staged batch',
      },
    });
    expect(r.success).toBe(false);
  });

  it('moves a staged batch to quarantine and leaves Silver untouched', async () => {
    const loadId = 'orders-qq';
    const file = ndjson(dir, 'qq.ndjson', [
      order('ord-1', '2026-11-27T10:00:00Z'),
      order('ord-2', '2026-11-27T10:00:00Z'),
    ]);
    await wh.stage(orders, { loadId, attempt: 1, file, displayName: file });
    let kept = '';
    const rows = await wh.quarantineStaged({ loadId, attempt: 1 }, async (ndjson) => {
      kept = ndjson;
    });
    expect(rows).toBe(2);
    expect(
      kept
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).order_id)
        .sort(),
    ).toEqual(['ord-1', 'ord-2']);
    const tables = await wh.query("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'silver'");
    expect(tables.rows).toEqual([]);
    await expect(wh.upsert(orders, { loadId, attempt: 1 })).rejects.toThrow(/no staged batch/);
  });
});
