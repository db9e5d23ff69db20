/**
 * Reading Great Expectations validation results: the GX 1.x and 0.x shapes of the same
 * validation normalise to the same thing, and anything that is not a usable result is an
 * error that says what is wrong (never a result).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GxParseResult, normaliseGxResult, parseGxResult } from '../../shared/core/quality/gx-result.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/gx');
const text = (name: string) => readFileSync(resolve(FIXTURES, name), 'utf8');
const json = (name: string) => JSON.parse(text(name)) as Record<string, unknown>;

function ok(parsed: GxParseResult) {
  if (!parsed.ok) throw new Error(`expected a result, got: ${parsed.error}`);
  return parsed;
}

function error(parsed: GxParseResult): string {
  if (parsed.ok) throw new Error('expected an error, got a result');
  return parsed.error;
}

describe('parseGxResult: GX 1.x', () => {
  it('reads a passing ExpectationSuiteValidationResult', () => {
    const { format, result } = ok(parseGxResult(text('gx1-orders-pass.json')));

    expect(format).toBe('gx-1');
    expect(result.success).toBe(true);
    expect(result.suiteName).toBe('orders.lakeplane');
    expect(result.parameters).toEqual({});
    expect(result.statistics).toEqual({
      evaluatedExpectations: 9,
      successfulExpectations: 9,
      unsuccessfulExpectations: 0,
      successPercent: 100,
    });
    expect(result.results.map((r) => r.type)).toEqual([
      'expect_column_values_to_not_be_null',
      'expect_column_values_to_be_unique',
      'expect_column_values_to_be_between',
      'expect_column_values_to_be_in_set',
      'expect_column_values_to_be_in_set',
      'expect_column_values_to_match_regex',
      'expect_column_value_lengths_to_be_between',
      'expect_column_values_to_be_of_type',
      // The contract's implicit expectation: not null on the precombine field.
      'expect_column_values_to_not_be_null',
    ]);
    expect(result.results.every((r) => r.success && r.exception === undefined)).toBe(true);
    expect(result.results.map((r) => r.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // GX's own kwargs stay; no annotation was written by a plain GX run.
    expect(result.results[3]!.kwargs).toEqual({
      column: 'currency',
      value_set: ['EUR', 'USD', 'GBP'],
      batch_id: 'lakeplane_spark-orders_staged',
    });
    expect(result.results[3]!.annotation).toBeUndefined();
    expect(result.results[7]!.observed).toEqual({
      observedValue: 'DecimalType(14,2)',
      partialUnexpected: [],
    });
    expect(result.results[8]!.kwargs).toEqual({
      column: 'updated_at',
      batch_id: 'lakeplane_spark-orders_staged',
    });
  });

  it('reads the counts, the sample of unexpected values and the lakeplane annotation of a failure', () => {
    const { result } = ok(parseGxResult(text('gx1-orders-fail.json')));

    expect(result.success).toBe(false);
    const currency = result.results[3]!;
    expect(currency.success).toBe(false);
    expect(currency.annotation).toEqual({ severity: 'fail', index: 3 });
    expect(currency.observed).toEqual({
      elementCount: 1000,
      unexpectedCount: 12,
      unexpectedPercent: 1.2,
      missingCount: 0,
      partialUnexpected: [...Array(9).fill('JPY'), 'CHF', 'CHF', 'CHF'],
    });
    expect(result.results[4]!.annotation).toEqual({ severity: 'warn', index: 4 });
    // The implicit expectation is annotated like the contract's own: its index after theirs.
    expect(result.results[8]!.annotation).toEqual({ severity: 'fail', index: 8 });
    expect(result.results.filter((r) => !r.success).map((r) => r.position)).toEqual([3, 4]);
  });

  it('accepts bytes, with or without a byte order mark', () => {
    const bytes = new TextEncoder().encode(`\uFEFF${text('gx1-orders-pass.json')}`);

    const parsed = ok(parseGxResult(bytes));

    expect(parsed.result.results).toHaveLength(9);
  });
});

describe('parseGxResult: GX 0.x', () => {
  it('reads expectation_type, evaluation_parameters and meta.expectation_suite_name', () => {
    const { format, result } = ok(parseGxResult(text('gx0-orders-fail.json')));

    expect(format).toBe('gx-0');
    expect(result.suiteName).toBe('orders.lakeplane');
    expect(result.results[3]!.type).toBe('expect_column_values_to_be_in_set');
    expect(result.results[3]!.observed.unexpectedCount).toBe(12);
  });

  it.each([
    ['a failing validation annotated by lakeplane', 'gx1-orders-fail.json', 'gx0-orders-fail.json'],
    ['a validation with warnings, not annotated', 'gx1-orders-warn.json', 'gx0-orders-warn.json'],
  ])('normalises %s to the same thing as GX 1.x', (_what, gx1, gx0) => {
    const one = ok(parseGxResult(text(gx1)));
    const zero = ok(parseGxResult(text(gx0)));

    expect(one.format).toBe('gx-1');
    expect(zero.format).toBe('gx-0');
    expect(zero.result).toEqual(one.result);
  });
});

describe('the fixtures', () => {
  it.each([
    'gx1-orders-pass.json',
    'gx1-orders-warn.json',
    'gx1-orders-fail.json',
    'gx1-orders-exception.json',
    'gx1-orders-unmatched.json',
    'gx0-orders-warn.json',
    'gx0-orders-fail.json',
  ])('%s: statistics agree with the results, which include the implicit not-null on updated_at', (name) => {
    const { result } = ok(parseGxResult(text(name)));
    const passed = result.results.filter((r) => r.success).length;

    expect(result.statistics).toEqual({
      evaluatedExpectations: result.results.length,
      successfulExpectations: passed,
      unsuccessfulExpectations: result.results.length - passed,
      successPercent: (passed / result.results.length) * 100,
    });
    expect(result.success).toBe(passed === result.results.length);
    expect(
      result.results.filter(
        (r) => r.type === 'expect_column_values_to_not_be_null' && r.kwargs.column === 'updated_at',
      ),
    ).toHaveLength(1);
  });
});

describe('parseGxResult: exceptions raised while validating', () => {
  it('makes an expectation that raised a failure, with the message, in both exception_info forms', () => {
    const { result } = ok(parseGxResult(text('gx1-orders-exception.json')));

    // Metric-keyed exception_info (a metric that could not be computed).
    expect(result.results[7]).toMatchObject({
      type: 'expect_column_values_to_be_of_type',
      success: false,
      exception: 'Error: The column "order_total_usd" in BatchData does not exist.',
    });
    // Flat exception_info.
    expect(result.results[5]).toMatchObject({
      type: 'expect_column_values_to_match_regex',
      success: false,
      exception: 'missing ), unterminated subpattern at position 0',
    });
    expect(result.results.filter((r) => r.exception !== undefined)).toHaveLength(2);
  });

  it('never counts as a success an expectation that says success but raised', () => {
    const doc = json('gx1-orders-pass.json');
    const results = doc.results as Record<string, unknown>[];
    results[0] = {
      ...results[0],
      exception_info: { raised_exception: true, exception_message: 'boom', exception_traceback: null },
    };

    const { result } = ok(normaliseGxResult(doc));

    expect(result.results[0]).toMatchObject({ success: false, exception: 'boom' });
  });

  it('reads success: null (an expectation GX could not evaluate) as not a success', () => {
    const doc = json('gx0-orders-warn.json');
    (doc.results as Record<string, unknown>[])[0]!.success = null;

    const { result } = ok(normaliseGxResult(doc));

    expect(result.results[0]!.success).toBe(false);
  });
});

describe('parseGxResult: what is not a usable result', () => {
  it('a truncated upload is not JSON', () => {
    const whole = text('gx1-orders-fail.json');

    expect(error(parseGxResult(whole.slice(0, Math.floor(whole.length / 2))))).toMatch(/^not JSON: /);
  });

  it('an empty file', () => {
    expect(error(parseGxResult(''))).toBe('the file is empty');
    expect(error(parseGxResult(new Uint8Array()))).toBe('the file is empty');
  });

  it('bytes that are not UTF-8', () => {
    expect(error(parseGxResult(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))).toBe('not UTF-8 text');
  });

  it('JSON that is not an object', () => {
    expect(error(parseGxResult('[{"success": true}]'))).toBe(
      'expected a JSON object (a GX ExpectationSuiteValidationResult), got an array',
    );
    expect(error(parseGxResult('null'))).toMatch(/got null$/);
  });

  it('the expectation suite instead of its validation result: no results', () => {
    expect(error(parseGxResult(text('not-a-result-expectation-suite.json')))).toMatch(/^missing "results"/);
  });

  it('wrong types, naming every field at fault and the format it was read as', () => {
    const message = error(parseGxResult(text('malformed-wrong-types.json')));

    expect(message).toMatch(/^success: /);
    expect(message).toContain('results[3].result.unexpected_count: ');
    expect(message).toMatch(/\(read as a GX 1\.x result\)$/);
  });

  it('an expectation_config without its type', () => {
    expect(error(parseGxResult(text('malformed-missing-type.json')))).toMatch(
      /^results\[2\]\.expectation_config\.type: .*\(read as a GX 1\.x result\)$/,
    );
  });

  it('results that are not a list', () => {
    expect(error(parseGxResult('{"success": true, "results": {}, "suite_parameters": {}}'))).toMatch(
      /^results: /,
    );
  });

  it('a document of neither GX release', () => {
    expect(error(parseGxResult('{"success": true, "results": []}'))).toMatch(
      /^cannot tell which Great Expectations/,
    );
  });

  it('a malformed lakeplane annotation', () => {
    const doc = json('gx1-orders-fail.json');
    const config = (doc.results as { expectation_config: Record<string, unknown> }[])[0]!.expectation_config;
    config.meta = { lakeplane: { severity: 'critical', index: 0 } };

    expect(error(normaliseGxResult(doc))).toMatch(
      /^results\[0\]\.expectation_config\.meta\.lakeplane\.severity: /,
    );
  });

  it('a malformed exception_info', () => {
    const doc = json('gx1-orders-pass.json');
    (doc.results as Record<string, unknown>[])[1]!.exception_info = { "('column.max', 'abc', '')": 'oops' };

    expect(error(normaliseGxResult(doc))).toMatch(/^results\[1\]\.exception_info\./);
  });
});
