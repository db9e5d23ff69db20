/**
 * The gate's verdict: pass / warn / fail from the contract's severities (annotated in the
 * result, or found by matching type and columns), exceptions, failures the contract does not
 * know, and contract expectations nobody evaluated.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseContract } from '../../shared/core/contract/parse.js';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import {
  type ExpectationOutcome,
  parseGxResult,
  type ValidationResult,
} from '../../shared/core/quality/gx-result.js';
import {
  decideVerdict,
  describeExpected,
  describeObserved,
  gateFailureCause,
  gateOutput,
  sampleValues,
} from '../../shared/core/quality/verdict.js';

const REPO = resolve(import.meta.dirname, '../..');
const contractOf = (name: string): DatasetContract =>
  parseContract(readFileSync(resolve(REPO, 'datasets', `${name}.yaml`), 'utf8'), `datasets/${name}.yaml`);
const orders = contractOf('orders');
const orderItems = contractOf('order_items');

function fixture(name: string): ValidationResult {
  const parsed = parseGxResult(readFileSync(resolve(REPO, 'tests/fixtures/gx', name), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.result;
}

/** The fixture with its results changed by `edit` (positions kept). */
function edited(
  name: string,
  edit: (r: ExpectationOutcome) => ExpectationOutcome | undefined,
): ValidationResult {
  const base = fixture(name);
  return { ...base, results: base.results.map(edit).filter((r): r is ExpectationOutcome => r !== undefined) };
}

function outcome(
  position: number,
  type: string,
  kwargs: Record<string, unknown>,
  success: boolean,
  extra: Partial<ExpectationOutcome> = {},
): ExpectationOutcome {
  return { position, type, kwargs, success, observed: { partialUnexpected: [] }, ...extra };
}

const CTX = {
  dataset: 'orders',
  loadId: 'orders-0123456789abcdef0123',
  attempt: 2,
  resultUri: 's3://lake-artifacts/runs/orders-0123456789abcdef0123/attempt-2/validation.json',
  quarantineUri: 's3://lake-quarantine/orders/orders-0123456789abcdef0123/attempt-2/',
  stage: 'prod',
};

describe('decideVerdict', () => {
  it('passes when every expectation of the contract held', () => {
    const v = decideVerdict(fixture('gx1-orders-pass.json'), orders);

    expect(v.verdict).toBe('pass');
    expect(v.failed).toEqual([]);
    expect(v.counts).toEqual({
      evaluated: 9,
      passed: 9,
      failed: 0,
      blocking: 0,
      warnings: 0,
      exceptions: 0,
      unmatched: 0,
      notEvaluated: 0,
    });
  });

  it('fails on a failed `fail` expectation and lists the `warn` ones after it (annotated severities)', () => {
    const v = decideVerdict(fixture('gx1-orders-fail.json'), orders);

    expect(v.verdict).toBe('fail');
    expect(v.failed.map((f) => [f.type, f.columns, f.severity, f.basis, f.contractIndex])).toEqual([
      ['expect_column_values_to_be_in_set', ['currency'], 'fail', 'annotation', 3],
      ['expect_column_values_to_be_in_set', ['status'], 'warn', 'annotation', 4],
    ]);
    expect(v.counts).toMatchObject({ evaluated: 9, passed: 7, failed: 2, blocking: 1, warnings: 1 });
  });

  it('warns when only `warn` expectations failed, matching the contract by type and column', () => {
    const v = decideVerdict(fixture('gx1-orders-warn.json'), orders);

    expect(v.verdict).toBe('warn');
    expect(v.failed.map((f) => [f.type, f.columns[0], f.severity, f.basis, f.contractIndex])).toEqual([
      ['expect_column_values_to_be_in_set', 'status', 'warn', 'contract', 4],
      ['expect_column_values_to_match_regex', 'order_id', 'warn', 'contract', 5],
    ]);
  });

  it('tells two expectations of the same type apart by their column', () => {
    const currencyFails = edited('gx1-orders-pass.json', (r) =>
      r.position === 3
        ? { ...r, success: false, observed: { unexpectedCount: 1, partialUnexpected: ['JPY'] } }
        : r,
    );

    const v = decideVerdict(currencyFails, orders);

    expect(v.verdict).toBe('fail');
    expect(v.failed[0]).toMatchObject({
      columns: ['currency'],
      severity: 'fail',
      basis: 'contract',
      contractIndex: 3,
    });
  });

  it('matches a column_list in any order and ignores the case of column names', () => {
    // A real validation of order_items also evaluates its implicit expectations (not null on
    // the key fields and the precombine field, indexes 3-5): they passed here.
    const result: ValidationResult = {
      success: false,
      parameters: {},
      results: [
        outcome(
          0,
          'expect_compound_columns_to_be_unique',
          { column_list: ['LINE_NO', 'order_id'], batch_id: 'b' },
          false,
        ),
        outcome(
          1,
          'expect_column_values_to_be_between',
          { column: 'quantity', min_value: 0, max_value: 10000 },
          true,
        ),
        outcome(2, 'expect_column_values_to_be_in_set', { column: 'Op', value_set: ['I', 'U', 'D'] }, false),
        outcome(3, 'expect_column_values_to_not_be_null', { column: 'order_id' }, true),
        outcome(4, 'expect_column_values_to_not_be_null', { column: 'Line_No' }, true),
        outcome(5, 'expect_column_values_to_not_be_null', { column: 'DMS_COMMIT_TS' }, true),
      ],
    };

    const v = decideVerdict(result, orderItems);

    expect(v.verdict).toBe('fail');
    expect(v.failed.map((f) => [f.type, f.severity, f.basis, f.contractIndex])).toEqual([
      ['expect_compound_columns_to_be_unique', 'fail', 'contract', 0],
      ['expect_column_values_to_be_in_set', 'warn', 'contract', 2],
    ]);
    expect(v.counts).toMatchObject({ evaluated: 6, passed: 4, notEvaluated: 0, unmatched: 0 });
  });

  it('takes the annotated severity over the contract (both ways)', () => {
    const relaxed = edited('gx1-orders-fail.json', (r) =>
      r.position === 3 ? { ...r, annotation: { severity: 'warn', index: 3 } } : r,
    );
    const tightened = edited('gx1-orders-warn.json', (r) =>
      r.position === 4 ? { ...r, annotation: { severity: 'fail' } } : r,
    );

    expect(decideVerdict(relaxed, orders).verdict).toBe('warn');
    const v = decideVerdict(tightened, orders);
    expect(v.verdict).toBe('fail');
    expect(v.failed[0]).toMatchObject({
      columns: ['status'],
      severity: 'fail',
      basis: 'annotation',
      contractIndex: 4,
    });
  });

  it('uses the annotated index to find the contract expectation', () => {
    // Two results of the same type and column: the index says which is which.
    const result: ValidationResult = {
      success: false,
      parameters: {},
      results: fixture('gx1-orders-pass.json').results.map((r) =>
        r.position === 4
          ? { ...r, success: false, annotation: { index: 4 } }
          : { ...r, annotation: { index: r.position } },
      ),
    };

    const v = decideVerdict(result, orders);

    expect(v.failed).toHaveLength(1);
    expect(v.failed[0]).toMatchObject({ contractIndex: 4, severity: 'warn', basis: 'contract' });
    expect(v.counts.notEvaluated).toBe(0);
  });

  it('makes an expectation that raised an exception a failure of its severity', () => {
    const v = decideVerdict(fixture('gx1-orders-exception.json'), orders);

    expect(v.verdict).toBe('fail');
    expect(v.counts).toMatchObject({ failed: 2, exceptions: 2, blocking: 1, warnings: 1 });
    expect(v.failed.map((f) => [f.type, f.severity, f.exception])).toEqual([
      [
        'expect_column_values_to_be_of_type',
        'fail',
        'Error: The column "order_total_usd" in BatchData does not exist.',
      ],
      ['expect_column_values_to_match_regex', 'warn', 'missing ), unterminated subpattern at position 0'],
    ]);
  });

  it('blocks on a failed expectation the contract does not know', () => {
    const v = decideVerdict(fixture('gx1-orders-unmatched.json'), orders);

    expect(v.verdict).toBe('fail');
    expect(v.counts.unmatched).toBe(1);
    expect(v.failed).toEqual([
      expect.objectContaining({
        type: 'expect_column_mean_to_be_between',
        columns: ['fx_rate'],
        severity: 'fail',
        basis: 'unmatched',
        expected: 'mean between 0.5 and 2',
      }),
    ]);
    expect(v.failed[0]!.contractIndex).toBeUndefined();
  });

  it('fails a contract expectation that has no result, with its severity', () => {
    const noTypeCheck = edited('gx1-orders-pass.json', (r) => (r.position === 7 ? undefined : r));
    const noLengthCheck = edited('gx1-orders-pass.json', (r) => (r.position === 6 ? undefined : r));

    const blocked = decideVerdict(noTypeCheck, orders);
    expect(blocked.verdict).toBe('fail');
    expect(blocked.counts).toMatchObject({ evaluated: 8, failed: 0, blocking: 1, notEvaluated: 1 });
    expect(blocked.failed[0]).toMatchObject({
      type: 'expect_column_values_to_be_of_type',
      basis: 'not-evaluated',
      contractIndex: 7,
    });
    expect(describeObserved(blocked.failed[0]!)).toMatch(/^not evaluated/);
    expect(decideVerdict(noLengthCheck, orders).verdict).toBe('warn');
    expect(decideVerdict({ success: true, parameters: {}, results: [] }, orders).verdict).toBe('fail');
  });

  describe('the implicit expectations of a contract', () => {
    const UPDATED_AT_NOT_NULL = 8;

    it('a failed not-null on the precombine field fails the verdict, though the YAML says nothing of it', () => {
      const yaml = parseYaml(readFileSync(resolve(REPO, 'datasets/orders.yaml'), 'utf8')) as {
        precombine: string;
        expectations: unknown[];
      };
      expect(yaml.precombine).toBe('updated_at');
      expect(yaml.expectations).toHaveLength(UPDATED_AT_NOT_NULL);
      expect(JSON.stringify(yaml.expectations)).not.toContain('updated_at');
      // A plain GX result (no annotation): the severity comes from the implicit expectation.
      const nullUpdatedAt = edited('gx1-orders-pass.json', (r) =>
        r.position === UPDATED_AT_NOT_NULL
          ? {
              ...r,
              success: false,
              observed: {
                elementCount: 1000,
                unexpectedCount: 3,
                unexpectedPercent: 0.3,
                partialUnexpected: [],
              },
            }
          : r,
      );
      expect(nullUpdatedAt.results[UPDATED_AT_NOT_NULL]!.kwargs).toMatchObject({ column: 'updated_at' });

      const v = decideVerdict(nullUpdatedAt, orders);

      expect(v.verdict).toBe('fail');
      expect(v.counts).toMatchObject({ evaluated: 9, failed: 1, blocking: 1, unmatched: 0, notEvaluated: 0 });
      // Not a failure the contract does not know: it is the contract's own implicit expectation.
      expect(v.failed).toEqual([
        expect.objectContaining({
          type: 'expect_column_values_to_not_be_null',
          columns: ['updated_at'],
          severity: 'fail',
          basis: 'contract',
          contractIndex: UPDATED_AT_NOT_NULL,
          position: UPDATED_AT_NOT_NULL,
          description: expect.stringMatching(/^precombine field/),
        }),
      ]);
      expect(gateFailureCause(v, CTX)).toContain(
        '- expect_column_values_to_not_be_null on updated_at: expected no null values; 3 unexpected of 1,000 rows (0.3%)',
      );
      expect(gateFailureCause(v, CTX)).not.toContain('not in the contract');
    });

    it('a result without it (as validations before it were) has not evaluated it: the verdict fails', () => {
      const withoutIt = edited('gx1-orders-pass.json', (r) =>
        r.position === UPDATED_AT_NOT_NULL ? undefined : r,
      );
      expect(withoutIt.results.every((r) => r.success)).toBe(true);

      const v = decideVerdict(withoutIt, orders);

      expect(v.verdict).toBe('fail');
      expect(v.counts).toEqual({
        evaluated: 8,
        passed: 8,
        failed: 0,
        blocking: 1,
        warnings: 0,
        exceptions: 0,
        unmatched: 0,
        notEvaluated: 1,
      });
      expect(v.failed).toEqual([
        expect.objectContaining({
          type: 'expect_column_values_to_not_be_null',
          columns: ['updated_at'],
          severity: 'fail',
          basis: 'not-evaluated',
          contractIndex: UPDATED_AT_NOT_NULL,
        }),
      ]);
      expect(v.failed[0]!.position).toBeUndefined();
    });
  });

  it('without a contract, keeps annotated severities and blocks on every other failure', () => {
    expect(decideVerdict(fixture('gx1-orders-fail.json'), undefined).failed.map((f) => f.severity)).toEqual([
      'fail',
      'warn',
    ]);
    expect(decideVerdict(fixture('gx1-orders-warn.json'), undefined).verdict).toBe('fail');
    expect(decideVerdict(fixture('gx1-orders-pass.json'), undefined).verdict).toBe('pass');
  });

  it('never shows values of a pii column', () => {
    const passed = fixture('gx1-orders-pass.json').results;
    const result: ValidationResult = {
      success: false,
      parameters: {},
      results: [
        ...passed,
        outcome(
          passed.length,
          'expect_column_values_to_match_regex',
          { column: 'customer_email', regex: '@' },
          false,
          {
            observed: {
              unexpectedCount: 2,
              elementCount: 10,
              partialUnexpected: ['alice.example.com', 'bob'],
            },
          },
        ),
        outcome(
          passed.length + 1,
          'expect_column_max_to_be_between',
          { column: 'CUSTOMER_EMAIL', max_value: 'm' },
          false,
          { observed: { observedValue: 'zoe@example.com', partialUnexpected: [] } },
        ),
      ],
    };

    const [regex, max] = decideVerdict(result, orders).failed;

    expect(regex).toMatchObject({ columns: ['customer_email'], basis: 'unmatched', position: passed.length });
    expect(regex!.sensitive).toBe(true);
    expect(sampleValues(regex!)).toEqual([]);
    expect(max!.sensitive).toBe(true);
    expect(describeObserved(max!)).toBe('observed value withheld (pii column)');
  });
});

describe('words', () => {
  it.each([
    ['expect_column_values_to_not_be_null', { column: 'a' }, 'no null values'],
    [
      'expect_column_values_to_not_be_null',
      { column: 'a', mostly: 0.95 },
      'no null values for at least 95% of values',
    ],
    [
      'expect_column_values_to_be_between',
      { column: 'a', min_value: 0, max_value: 1000000 },
      'values between 0 and 1,000,000',
    ],
    ['expect_column_values_to_be_between', { column: 'a', min_value: 0, strict_min: true }, 'values > 0'],
    ['expect_column_values_to_be_between', { column: 'a', max_value: 5, min_value: null }, 'values ≤ 5'],
    [
      'expect_column_values_to_be_in_set',
      { column: 'a', value_set: ['EUR', 'USD', 1] },
      'values in {EUR, USD, 1}',
    ],
    ['expect_column_values_to_match_regex', { column: 'a', regex: '^ord-' }, 'values matching /^ord-/'],
    ['expect_compound_columns_to_be_unique', { column_list: ['a', 'b'] }, 'unique combinations of (a, b)'],
    ['expect_table_row_count_to_be_between', { min_value: 1 }, 'a row count ≥ 1'],
    [
      'expect_column_max_to_be_between',
      { column: 'ts', max_age_seconds: 7200 },
      'a newest value at most 2 h old',
    ],
    ['expect_column_values_to_be_of_type', { column: 'a', type_: 'DECIMAL' }, 'values of type DECIMAL'],
  ])('%s %j: %s', (type, kwargs, words) => {
    expect(describeExpected(type, { ...kwargs, batch_id: 'x' })).toBe(words);
  });

  it('describes what was observed', () => {
    const f = decideVerdict(fixture('gx1-orders-fail.json'), orders).failed[0]!;

    expect(describeObserved(f)).toBe('12 unexpected of 1,000 rows (1.2%)');
    expect(sampleValues(f)).toEqual(['JPY', 'CHF']);
  });
});

describe('the answers to Step Functions', () => {
  it('a failure cause names the load, each failure, the quarantine and the replay command', () => {
    const cause = gateFailureCause(decideVerdict(fixture('gx1-orders-fail.json'), orders), CTX);

    expect(cause.split('\n')).toEqual([
      'orders load orders-0123456789abcdef0123 (attempt 2) failed the data-quality gate: 1 blocking and 1 warning among 9 evaluated expectations.',
      'Blocking:',
      '- expect_column_values_to_be_in_set on currency: expected values in {EUR, USD, GBP}; 12 unexpected of 1,000 rows (1.2%); e.g. "JPY", "CHF"',
      'Warnings:',
      '- expect_column_values_to_be_in_set on status: expected values in {placed, paid, shipped, delivered, cancelled, refunded}; 6 unexpected of 1,000 rows (0.6%); e.g. "on_hold", "PAID"',
      `The batch goes to quarantine (${CTX.quarantineUri}); Silver is unchanged.`,
      `Validation result: ${CTX.resultUri}`,
      'Replay once the data or the contract is fixed: lakeplane replay orders-0123456789abcdef0123 --stage prod',
    ]);
  });

  it('an output carries the verdict, the counts and the failed expectations in words', () => {
    const output = gateOutput(decideVerdict(fixture('gx1-orders-warn.json'), orders));

    expect(output).toEqual({
      verdict: 'warn',
      summary: {
        evaluated: 9,
        passed: 7,
        failed: 2,
        blocking: 0,
        warnings: 2,
        exceptions: 0,
        unmatched: 0,
        notEvaluated: 0,
      },
      failed: [
        {
          type: 'expect_column_values_to_be_in_set',
          columns: ['status'],
          severity: 'warn',
          expected: 'values in {placed, paid, shipped, delivered, cancelled, refunded}',
          observed: '3 unexpected of 1,000 rows (0.3%)',
        },
        {
          type: 'expect_column_values_to_match_regex',
          columns: ['order_id'],
          severity: 'warn',
          expected: 'values matching /^ord-/',
          observed: '2 unexpected of 1,000 rows (0.2%)',
        },
      ],
      failedOmitted: 0,
    });
  });

  it('a failed verdict has no output', () => {
    expect(() => gateOutput(decideVerdict(fixture('gx1-orders-fail.json'), orders))).toThrow(/failure/);
  });
});
