/**
 * Great Expectations validation results (an ExpectationSuiteValidationResult as JSON), read
 * into one typed shape. Two release lines write them:
 *
 * - GX Core 1.x: `suite_name`, `suite_parameters`, and `expectation_config.type`;
 * - GX 0.x (0.15–0.18): `evaluation_parameters`, `meta.expectation_suite_name`, and
 *   `expectation_config.expectation_type`.
 *
 * Everything else the gate reads is common to both: `success`, `results[].success`,
 * `results[].expectation_config.kwargs`/`meta`, `results[].result` (the result format's
 * counts, `observed_value`, `partial_unexpected_list`) and `results[].exception_info`. The
 * latter is either flat (`raised_exception`, `exception_message`, `exception_traceback`) or,
 * when a metric could not be computed, keyed by metric id with one such object per metric.
 *
 * lakeplane's evaluators add `meta.lakeplane` in two places: on each expectation_config
 * (`severity`, `index` in the contract) and on the suite result (`loadId`, `dataset`, `attempt`).
 */
import * as z from 'zod';
import type { Severity } from './expectations.js';

/** Which release line of Great Expectations wrote a result. */
export type GxFormat = 'gx-1' | 'gx-0';

/** lakeplane's annotation of an expectation (`expectation_config.meta.lakeplane`). */
export interface LakeplaneAnnotation {
  readonly severity?: Severity;
  /** Position of the expectation in the dataset contract's `expectations`. */
  readonly index?: number;
}

/** What an expectation observed, from its `result` (any field may be absent). */
export interface ObservedValues {
  readonly elementCount?: number;
  readonly unexpectedCount?: number;
  /** Percent of the non-missing values that were unexpected (GX's `unexpected_percent`). */
  readonly unexpectedPercent?: number;
  readonly missingCount?: number;
  /** Aggregate expectations (max, type, row count) report one observed value. */
  readonly observedValue?: unknown;
  /** GX's sample of unexpected values (at most `partial_unexpected_count`, 20 by default). */
  readonly partialUnexpected: readonly unknown[];
}

/** One expectation's result, in either GX release's terms. */
export interface ExpectationOutcome {
  /** Position in the result's `results`. */
  readonly position: number;
  /** The snake-case expectation type, e.g. `expect_column_values_to_not_be_null`. */
  readonly type: string;
  /** The kwargs GX ran it with (including GX's own, such as `batch_id`). */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** GX's `success`; an expectation that raised an exception is never a success here. */
  readonly success: boolean;
  readonly annotation?: LakeplaneAnnotation;
  readonly observed: ObservedValues;
  /** Set when evaluating the expectation raised an exception: its message. */
  readonly exception?: string;
}

export interface ValidationStatistics {
  readonly evaluatedExpectations?: number;
  readonly successfulExpectations?: number;
  readonly unsuccessfulExpectations?: number;
  readonly successPercent?: number;
}

/** The load a result says it validated (`meta.lakeplane` of the result, written by our validate step). */
export interface ResultOrigin {
  readonly loadId?: string;
  readonly dataset?: string;
  readonly attempt?: number;
}

/** A validation result, the same whichever GX release wrote it. */
export interface ValidationResult {
  readonly success: boolean;
  readonly origin?: ResultOrigin;
  readonly suiteName?: string;
  /** `suite_parameters` (1.x) or `evaluation_parameters` (0.x). */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly statistics?: ValidationStatistics;
  readonly results: readonly ExpectationOutcome[];
}

export type GxParseResult =
  | { readonly ok: true; readonly format: GxFormat; readonly result: ValidationResult }
  | { readonly ok: false; readonly error: string };

const record = z.record(z.string(), z.unknown());
const count = z.number().nonnegative().nullable().optional();

const lakeplaneAnnotation = z.looseObject({
  severity: z.enum(['fail', 'warn']).optional(),
  index: z.number().int().nonnegative().optional(),
});

const configMeta = z.looseObject({ lakeplane: lakeplaneAnnotation.optional() }).nullable().optional();

const resultBody = z
  .looseObject({
    element_count: count,
    unexpected_count: count,
    unexpected_percent: z.number().nullable().optional(),
    missing_count: count,
    observed_value: z.unknown().optional(),
    partial_unexpected_list: z.array(z.unknown()).nullable().optional(),
  })
  .nullable()
  .optional();

/** The flat exception_info; the metric-keyed form is a record of these. */
const flatExceptionInfo = z.looseObject({
  raised_exception: z.boolean(),
  exception_message: z.string().nullable().optional(),
  exception_traceback: z.string().nullable().optional(),
});

const outcomeCommon = {
  success: z.boolean().nullable().optional(),
  result: resultBody,
  meta: record.nullable().optional(),
  exception_info: record.nullable().optional(),
};

const config1 = z.looseObject({
  type: z.string().min(1),
  kwargs: record,
  meta: configMeta,
  id: z.string().nullable().optional(),
});
const config0 = z
  .looseObject({
    expectation_type: z.string().min(1),
    kwargs: record,
    meta: configMeta,
  })
  .transform((c) => ({ ...c, type: c.expectation_type }));

const statistics = z
  .looseObject({
    evaluated_expectations: count,
    successful_expectations: count,
    unsuccessful_expectations: count,
    success_percent: z.number().nullable().optional(),
  })
  .nullable()
  .optional();

const suiteMeta = z
  .looseObject({
    lakeplane: z
      .looseObject({
        loadId: z.string().optional(),
        dataset: z.string().optional(),
        attempt: z.number().int().positive().optional(),
      })
      .optional(),
  })
  .nullable()
  .optional();

const suiteCommon = {
  success: z.boolean(),
  statistics,
  meta: suiteMeta,
};

const suite1 = z.looseObject({
  ...suiteCommon,
  suite_name: z.string().optional(),
  suite_parameters: record.nullable().optional(),
  results: z.array(z.looseObject({ ...outcomeCommon, expectation_config: config1 })),
});
const suite0 = z.looseObject({
  ...suiteCommon,
  evaluation_parameters: record.nullable().optional(),
  results: z.array(z.looseObject({ ...outcomeCommon, expectation_config: config0 })),
});

type RawSuite = z.infer<typeof suite1> | z.infer<typeof suite0>;
type RawOutcome = RawSuite['results'][number];

/** Validates `doc` as the given format; the suite name and parameters under their names there. */
function readSuite(
  doc: Record<string, unknown>,
  format: GxFormat,
):
  | { data: RawSuite; suiteName: string | undefined; parameters: Readonly<Record<string, unknown>> }
  | { error: string } {
  if (format === 'gx-1') {
    const parsed = suite1.safeParse(doc);
    if (!parsed.success) return { error: describeIssues(parsed.error.issues) };
    return {
      data: parsed.data,
      suiteName: parsed.data.suite_name,
      parameters: parsed.data.suite_parameters ?? {},
    };
  }
  const parsed = suite0.safeParse(doc);
  if (!parsed.success) return { error: describeIssues(parsed.error.issues) };
  const name = parsed.data.meta?.expectation_suite_name;
  return {
    data: parsed.data,
    suiteName: typeof name === 'string' ? name : undefined,
    parameters: parsed.data.evaluation_parameters ?? {},
  };
}

const MAX_ISSUES = 5;

function pathText(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(top level)' : out;
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: ReadonlyArray<PropertyKey> = [],
): string {
  const shown = issues
    .slice(0, MAX_ISSUES)
    .map((i) => `${pathText([...prefix, ...i.path])}: ${i.message}`)
    .join('; ');
  return issues.length > MAX_ISSUES ? `${shown}; and ${issues.length - MAX_ISSUES} more` : shown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Which release line wrote `doc`, from its top-level keys, else its first expectation_config. */
function detectFormat(doc: Record<string, unknown>): GxFormat | undefined {
  if ('suite_parameters' in doc || 'suite_name' in doc) return 'gx-1';
  if ('evaluation_parameters' in doc) return 'gx-0';
  const first = Array.isArray(doc.results) ? doc.results[0] : undefined;
  const config = isRecord(first) ? first.expectation_config : undefined;
  if (isRecord(config) && 'type' in config) return 'gx-1';
  if (isRecord(config) && 'expectation_type' in config) return 'gx-0';
  return undefined;
}

/**
 * The message of an exception the expectation raised, or undefined. Accepts the flat form and
 * the metric-keyed form (one entry per metric that could not be computed).
 */
function exceptionOf(
  info: Readonly<Record<string, unknown>> | null | undefined,
  path: ReadonlyArray<PropertyKey>,
): { error: string } | { message: string | undefined } {
  if (!info) return { message: undefined };
  if ('raised_exception' in info) {
    const flat = flatExceptionInfo.safeParse(info);
    if (!flat.success) return { error: describeIssues(flat.error.issues, path) };
    return {
      message: flat.data.raised_exception
        ? (flat.data.exception_message ?? 'an exception was raised')
        : undefined,
    };
  }
  const messages: string[] = [];
  for (const [metric, value] of Object.entries(info)) {
    const flat = flatExceptionInfo.safeParse(value);
    if (!flat.success) return { error: describeIssues(flat.error.issues, [...path, metric]) };
    if (flat.data.raised_exception)
      messages.push(flat.data.exception_message ?? `metric ${metric} raised an exception`);
  }
  return { message: messages.length > 0 ? [...new Set(messages)].join('; ') : undefined };
}

/** `{ [key]: value }` when value is a number, else `{}` (GX writes null for "not computed"). */
function numberField<K extends string>(key: K, value: number | null | undefined): { [P in K]?: number } {
  return value === null || value === undefined ? {} : ({ [key]: value } as { [P in K]?: number });
}

function normaliseOutcome(
  raw: RawOutcome,
  position: number,
): { outcome: ExpectationOutcome } | { error: string } {
  const config = raw.expectation_config;
  const type = config.type;
  const exception = exceptionOf(raw.exception_info, ['results', position, 'exception_info']);
  if ('error' in exception) return { error: exception.error };
  const body = raw.result ?? {};
  const observed: ObservedValues = {
    ...numberField('elementCount', body.element_count),
    ...numberField('unexpectedCount', body.unexpected_count),
    ...numberField('unexpectedPercent', body.unexpected_percent),
    ...numberField('missingCount', body.missing_count),
    ...('observed_value' in body ? { observedValue: body.observed_value } : {}),
    partialUnexpected: body.partial_unexpected_list ?? [],
  };
  const annotation = config.meta?.lakeplane;
  return {
    outcome: {
      position,
      type,
      kwargs: config.kwargs,
      success: raw.success === true && exception.message === undefined,
      ...(annotation
        ? {
            annotation: {
              ...(annotation.severity ? { severity: annotation.severity } : {}),
              ...(annotation.index !== undefined ? { index: annotation.index } : {}),
            },
          }
        : {}),
      observed,
      ...(exception.message !== undefined ? { exception: exception.message } : {}),
    },
  };
}

/**
 * Reads a parsed validation result document (GX 1.x or 0.x) into a {@link ValidationResult}.
 * @returns the result and the format it was read as, or an error naming what is wrong (the
 *   field path and the reason); never throws.
 */
export function normaliseGxResult(doc: unknown): GxParseResult {
  if (!isRecord(doc)) {
    return {
      ok: false,
      error: `expected a JSON object (a GX ExpectationSuiteValidationResult), got ${kindOf(doc)}`,
    };
  }
  if (!('results' in doc)) {
    return {
      ok: false,
      error: 'missing "results" (the list of expectation results): not a GX ExpectationSuiteValidationResult',
    };
  }
  const format = detectFormat(doc);
  if (!format) {
    return {
      ok: false,
      error:
        'cannot tell which Great Expectations wrote it: no "suite_parameters"/"suite_name" (GX 1.x), ' +
        'no "evaluation_parameters" (GX 0.x), and no expectation_config with "type" or "expectation_type"',
    };
  }
  const read = readSuite(doc, format);
  if ('error' in read) {
    const as = format === 'gx-1' ? 'a GX 1.x result' : 'a GX 0.x result';
    return { ok: false, error: `${read.error} (read as ${as})` };
  }
  const { data, suiteName, parameters } = read;
  const results: ExpectationOutcome[] = [];
  for (const [position, raw] of data.results.entries()) {
    const normalised = normaliseOutcome(raw, position);
    if ('error' in normalised) return { ok: false, error: normalised.error };
    results.push(normalised.outcome);
  }
  const lakeplane = data.meta?.lakeplane;
  const origin: ResultOrigin | undefined = lakeplane
    ? {
        ...(lakeplane.loadId !== undefined ? { loadId: lakeplane.loadId } : {}),
        ...(lakeplane.dataset !== undefined ? { dataset: lakeplane.dataset } : {}),
        ...(lakeplane.attempt !== undefined ? { attempt: lakeplane.attempt } : {}),
      }
    : undefined;
  const s = data.statistics;
  const statisticsOut: ValidationStatistics | undefined = s
    ? {
        ...numberField('evaluatedExpectations', s.evaluated_expectations),
        ...numberField('successfulExpectations', s.successful_expectations),
        ...numberField('unsuccessfulExpectations', s.unsuccessful_expectations),
        ...numberField('successPercent', s.success_percent),
      }
    : undefined;
  return {
    ok: true,
    format,
    result: {
      success: data.success,
      ...(origin ? { origin } : {}),
      ...(suiteName !== undefined ? { suiteName } : {}),
      parameters,
      ...(statisticsOut ? { statistics: statisticsOut } : {}),
      results,
    },
  };
}

/**
 * Parses the text (or bytes) of a validation result file written by GX 1.x or 0.x.
 * @returns the normalised result, or an error saying what is wrong: not UTF-8, not JSON, not
 *   a validation result, or which field has the wrong type. Never throws.
 */
export function parseGxResult(input: string | Uint8Array): GxParseResult {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return { ok: false, error: 'not UTF-8 text' };
    }
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.trim() === '') return { ok: false, error: 'the file is empty' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  return normaliseGxResult(doc);
}
