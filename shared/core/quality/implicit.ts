import type { ExpectationSpec } from './expectations.js';

/**
 * The expectations every contract has without writing them: the record key fields and the
 * precombine field must not be null. A record without them cannot be upserted (Hudi refuses a
 * null record key; a null ordering value cannot be ordered), and a batch carrying such records
 * comes from a broken producer: the whole batch fails the quality gate instead of loading
 * without them. They come after the contract's own (so its indexes stay), in every place that
 * evaluates or reads expectations (the contract artifact the Spark jobs read, the local
 * evaluator, dq-router).
 */
export function implicitExpectations(
  key: readonly string[],
  precombine: string,
  declared: readonly ExpectationSpec[],
): ExpectationSpec[] {
  const covered = new Set(
    declared
      .filter(
        (e) =>
          e.type === 'expect_column_values_to_not_be_null' &&
          e.severity === 'fail' &&
          e.kwargs.mostly === undefined,
      )
      .map((e) => String(e.kwargs.column)),
  );
  const fields: [string, string][] = [
    ...key.map((k): [string, string] => [k, 'record key field: a record without it cannot be upserted']),
    [precombine, 'precombine field: a record without it cannot be ordered against the stored row'],
  ];
  return fields
    .filter(([column]) => !covered.has(column))
    .map(([column, description]) => ({
      type: 'expect_column_values_to_not_be_null',
      kwargs: { column },
      severity: 'fail',
      description,
    }));
}

/** Columns whose NULLs are the quality gate's business, not a record-level quarantine reason. */
export function gateCheckedColumns(key: readonly string[], precombine: string): ReadonlySet<string> {
  return new Set([...key, precombine]);
}
