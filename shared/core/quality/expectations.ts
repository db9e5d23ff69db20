import * as z from 'zod';

/**
 * Data-quality expectations a dataset contract declares, in Great Expectations terms: the GX
 * expectation type (snake case, as GX 1.x writes it in `expectation_config.type`) and its
 * kwargs, plus the lakeplane severity: `fail` blocks the load, `warn` lets it through and alerts.
 * The expectations run on the staged batch (after dedupe and the Silver SQL), before Silver.
 */
const column = z.string().min(1);

/** At least one bound, and min ≤ max when both are given (the Spark job refuses the others too). */
function bounded<T extends z.ZodObject>(shape: T) {
  return shape
    .refine(
      (k: { min_value?: number | null; max_value?: number | null }) =>
        (k.min_value ?? null) !== null || (k.max_value ?? null) !== null,
      { message: 'needs min_value, max_value or both' },
    )
    .refine(
      (k: { min_value?: number | null; max_value?: number | null }) =>
        k.min_value === undefined ||
        k.min_value === null ||
        k.max_value === undefined ||
        k.max_value === null ||
        k.min_value <= k.max_value,
      { message: 'min_value is larger than max_value' },
    );
}
const bound = z.number().nullable().optional();
const mostly = z.number().gt(0).lte(1).optional();

const definitions = {
  expect_column_to_exist: z.strictObject({ column }),
  expect_column_values_to_not_be_null: z.strictObject({ column, mostly }),
  expect_column_values_to_be_unique: z.strictObject({ column, mostly }),
  expect_compound_columns_to_be_unique: z.strictObject({ column_list: z.array(column).min(2), mostly }),
  expect_column_values_to_be_between: bounded(
    z.strictObject({
      column,
      min_value: bound,
      max_value: bound,
      strict_min: z.boolean().optional(),
      strict_max: z.boolean().optional(),
      mostly,
    }),
  ),
  expect_column_values_to_be_in_set: z.strictObject({
    column,
    value_set: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
    mostly,
  }),
  expect_column_values_to_match_regex: z.strictObject({ column, regex: z.string().min(1), mostly }),
  expect_column_value_lengths_to_be_between: bounded(
    z.strictObject({
      column,
      min_value: z.number().int().nonnegative().nullable().optional(),
      max_value: z.number().int().nonnegative().nullable().optional(),
      mostly,
    }),
  ),
  expect_table_row_count_to_be_between: bounded(
    z.strictObject({
      min_value: z.number().int().nonnegative().nullable().optional(),
      max_value: z.number().int().nonnegative().nullable().optional(),
    }),
  ),
  expect_column_values_to_be_of_type: z.strictObject({
    column,
    type_: z.enum([
      'VARCHAR',
      'INTEGER',
      'BIGINT',
      'DOUBLE',
      'FLOAT',
      'BOOLEAN',
      'DATE',
      'TIMESTAMP',
      'DECIMAL',
    ]),
  }),
  /**
   * Freshness, as GX 1.x's ExpectColumnMaxToBeBetween with a relative lower bound: the newest
   * value of the column must be at most `max_age_seconds` old when the batch is validated.
   */
  expect_column_max_to_be_between: z.strictObject({
    column,
    max_age_seconds: z.number().int().positive(),
  }),
} as const;

export type ExpectationType = keyof typeof definitions;
export const EXPECTATION_TYPES = Object.keys(definitions) as ExpectationType[];

const entries = EXPECTATION_TYPES.map((type) =>
  z.strictObject({
    type: z.literal(type),
    kwargs: definitions[type],
    severity: z.enum(['fail', 'warn']).default('fail'),
    description: z.string().optional(),
  }),
);

/** One expectation of a contract (YAML). */
export const expectationSpec = z.discriminatedUnion(
  'type',
  entries as unknown as [(typeof entries)[number], ...(typeof entries)[number][]],
);

export type Severity = 'fail' | 'warn';

/** A validated expectation: type, kwargs as given, severity. */
export interface ExpectationSpec {
  readonly type: ExpectationType;
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly severity: Severity;
  readonly description?: string;
}

/** The columns an expectation reads (for checking them against the Silver columns). */
export function columnsOf(e: ExpectationSpec): string[] {
  const k = e.kwargs as { column?: string; column_list?: string[] };
  return k.column_list ?? (k.column ? [k.column] : []);
}
