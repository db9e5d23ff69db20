/**
 * The data-quality gate's verdict on one validation result: pass, warn or fail, from the
 * severities the dataset contract gives its expectations, and the short summaries of it that
 * go back to Step Functions (task output on pass/warn, the failure cause on fail).
 *
 * Severity of a failed expectation, in order: the lakeplane annotation our evaluators write
 * (`expectation_config.meta.lakeplane.severity`); else the contract expectation of the same type
 * on the same column(s); else `fail` (a failed check we cannot place never lets a batch through).
 * A contract expectation without any result was not evaluated: it fails with its severity.
 */
import { columnsOf, type ExpectationSpec, type Severity } from './expectations.js';
import type { ExpectationOutcome, ObservedValues, ValidationResult } from './gx-result.js';

export type Verdict = 'pass' | 'warn' | 'fail';

/** How the severity of a failed expectation was decided. */
export type SeverityBasis = 'annotation' | 'contract' | 'unmatched' | 'not-evaluated';

/** An expectation that did not hold (or was not evaluated), with what it expected and saw. */
export interface FailedExpectation {
  readonly type: string;
  readonly columns: readonly string[];
  readonly severity: Severity;
  readonly basis: SeverityBasis;
  /** Its position in the contract's `expectations`, when it was matched to one. */
  readonly contractIndex?: number;
  /** Its position in the validation result's `results` (absent when not evaluated). */
  readonly position?: number;
  /** The contract's description of the expectation, if it has one. */
  readonly description?: string;
  /** What it expected, in words (from its kwargs). */
  readonly expected: string;
  readonly observed: ObservedValues;
  /** The message of the exception evaluating it raised. */
  readonly exception?: string;
  /** It reads a column the contract flags `pii`: its values are never shown. */
  readonly sensitive: boolean;
}

export interface VerdictCounts {
  /** Expectation results in the validation result. */
  readonly evaluated: number;
  readonly passed: number;
  /** Results that failed (raised exceptions included). */
  readonly failed: number;
  /** Failed or not evaluated with severity `fail`. */
  readonly blocking: number;
  /** Failed or not evaluated with severity `warn`. */
  readonly warnings: number;
  readonly exceptions: number;
  /** Failed results that match no contract expectation and carry no annotation. */
  readonly unmatched: number;
  /** Contract expectations without a result. */
  readonly notEvaluated: number;
}

export interface QualityVerdict {
  readonly verdict: Verdict;
  readonly counts: VerdictCounts;
  /** Blocking ones first, then warnings; each group in result order. */
  readonly failed: readonly FailedExpectation[];
}

/** The parts of a dataset contract the verdict reads (a DatasetContract is one). */
export interface QualityContract {
  readonly expectations: readonly ExpectationSpec[];
  readonly columns?: readonly { readonly name: string; readonly pii: boolean }[];
}

/** The error a task fails with when the batch fails a `fail` expectation. */
export const QUALITY_GATE_FAILED = 'Lakeplane.QualityGateFailed';
/** The error a task fails with when the validation result cannot be read or parsed. */
export const QUALITY_RESULT_UNREADABLE = 'Lakeplane.QualityResultUnreadable';

/**
 * Step Functions' limits on a task answer (API reference, SendTaskSuccess and SendTaskFailure):
 * `output` at most 262,144 bytes of UTF-8; `error` at most 256 and `cause` at most 32,768
 * characters.
 */
export const TASK_ANSWER_LIMITS = { outputBytes: 262_144, errorChars: 256, causeChars: 32_768 } as const;

/** kwargs GX adds or that only steer GX itself: not part of what an expectation expects. */
const RUNTIME_KWARGS = new Set(['batch_id', 'result_format', 'catch_exceptions', 'include_config', 'meta']);

function lower(names: readonly string[]): string[] {
  return names.map((n) => n.toLowerCase());
}

/** The columns a result's kwargs name (`column`, `column_list`, `column_A`/`column_B`). */
export function resultColumns(kwargs: Readonly<Record<string, unknown>>): string[] {
  if (Array.isArray(kwargs.column_list)) return kwargs.column_list.filter((c) => typeof c === 'string');
  if (typeof kwargs.column === 'string') return [kwargs.column];
  return [kwargs.column_A, kwargs.column_B].filter((c): c is string => typeof c === 'string');
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  const x = lower(a).sort();
  const y = lower(b).sort();
  return x.length === y.length && x.every((c, i) => c === y[i]);
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Every kwarg the contract gives has the same value in the result's kwargs. */
function sameKwargs(spec: ExpectationSpec, kwargs: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(spec.kwargs).every(([k, v]) => stable(kwargs[k]) === stable(v));
}

/** Links each result to the contract expectation it checked (by annotation, else by matching). */
function linkResults(
  results: readonly ExpectationOutcome[],
  expectations: readonly ExpectationSpec[],
): Map<number, number> {
  const links = new Map<number, number>();
  const used = new Set<number>();
  for (const r of results) {
    const index = r.annotation?.index;
    if (index !== undefined && expectations[index]?.type === r.type && !used.has(index)) {
      links.set(r.position, index);
      used.add(index);
    }
  }
  for (const r of results) {
    if (links.has(r.position)) continue;
    const columns = resultColumns(r.kwargs);
    const candidates = [...expectations.entries()].filter(
      ([, e]) => e.type === r.type && sameColumns(columnsOf(e), columns),
    );
    const pick =
      candidates.find(([i, e]) => !used.has(i) && sameKwargs(e, r.kwargs)) ??
      candidates.find(([i]) => !used.has(i)) ??
      candidates.find(([, e]) => sameKwargs(e, r.kwargs)) ??
      candidates[0];
    if (pick) {
      links.set(r.position, pick[0]);
      used.add(pick[0]);
    }
  }
  return links;
}

/**
 * Decides the gate's verdict on a validation result.
 * @param contract the dataset contract (its expectations and column pii flags); without one,
 *   only annotated severities are known and every other failure blocks.
 */
export function decideVerdict(
  result: ValidationResult,
  contract: QualityContract | undefined,
): QualityVerdict {
  const expectations = contract?.expectations ?? [];
  const pii = new Set(lower((contract?.columns ?? []).filter((c) => c.pii).map((c) => c.name)));
  const sensitive = (columns: readonly string[]) => columns.some((c) => pii.has(c.toLowerCase()));
  const links = linkResults(result.results, expectations);
  const failed: FailedExpectation[] = [];
  for (const r of result.results) {
    if (r.success) continue;
    const index = links.get(r.position);
    const spec = index !== undefined ? expectations[index] : undefined;
    const annotated = r.annotation?.severity;
    const columns = resultColumns(r.kwargs);
    failed.push({
      type: r.type,
      columns,
      severity: annotated ?? spec?.severity ?? 'fail',
      basis: annotated ? 'annotation' : spec ? 'contract' : 'unmatched',
      ...(index !== undefined ? { contractIndex: index } : {}),
      position: r.position,
      ...(spec?.description ? { description: spec.description } : {}),
      expected: describeExpected(r.type, r.kwargs),
      observed: r.observed,
      ...(r.exception !== undefined ? { exception: r.exception } : {}),
      sensitive: sensitive(columns),
    });
  }
  const linked = new Set(links.values());
  for (const [index, e] of expectations.entries()) {
    if (linked.has(index)) continue;
    const columns = columnsOf(e);
    failed.push({
      type: e.type,
      columns,
      severity: e.severity,
      basis: 'not-evaluated',
      contractIndex: index,
      ...(e.description ? { description: e.description } : {}),
      expected: describeExpected(e.type, e.kwargs),
      observed: { partialUnexpected: [] },
      sensitive: sensitive(columns),
    });
  }
  const ordered = [
    ...failed.filter((f) => f.severity === 'fail'),
    ...failed.filter((f) => f.severity === 'warn'),
  ];
  const blocking = ordered.filter((f) => f.severity === 'fail').length;
  const warnings = ordered.length - blocking;
  const counts: VerdictCounts = {
    evaluated: result.results.length,
    passed: result.results.filter((r) => r.success).length,
    failed: result.results.filter((r) => !r.success).length,
    blocking,
    warnings,
    exceptions: result.results.filter((r) => r.exception !== undefined).length,
    unmatched: ordered.filter((f) => f.basis === 'unmatched').length,
    notEvaluated: ordered.filter((f) => f.basis === 'not-evaluated').length,
  };
  return { verdict: blocking > 0 ? 'fail' : warnings > 0 ? 'warn' : 'pass', counts, failed: ordered };
}

// ---------------------------------------------------------------- words

// Made on first use: building an Intl.NumberFormat loads ICU's number data (~15 ms), which a
// process that formats no number (a passing load from the CLI) never needs.
let numberFormat: Intl.NumberFormat | undefined;

/** A count or number for people: `1,234`, `3.25`. */
export function formatNumber(n: number): string {
  numberFormat ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  return numberFormat.format(n);
}

/** A value from data as text: strings as they are, everything else as JSON. */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

/** Shortens text to `max` characters (code points), marking the cut. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

function bound(value: unknown): string | undefined {
  return typeof value === 'number' ? formatNumber(value) : typeof value === 'string' ? value : undefined;
}

function range(k: Readonly<Record<string, unknown>>): string {
  const min = bound(k.min_value);
  const max = bound(k.max_value);
  const lo = k.strict_min === true ? '>' : '≥';
  const hi = k.strict_max === true ? '<' : '≤';
  if (min !== undefined && max !== undefined) {
    return k.strict_min === true || k.strict_max === true
      ? `${lo} ${min} and ${hi} ${max}`
      : `between ${min} and ${max}`;
  }
  if (min !== undefined) return `${lo} ${min}`;
  if (max !== undefined) return `${hi} ${max}`;
  return 'within any bounds';
}

function seconds(s: number): string {
  if (s % 86_400 === 0) return `${s / 86_400} d`;
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/** What an expectation expects, in words, from its type and kwargs. */
export function describeExpected(type: string, kwargs: Readonly<Record<string, unknown>>): string {
  const k = kwargs;
  const mostly =
    typeof k.mostly === 'number' && k.mostly < 1
      ? ` for at least ${formatNumber(k.mostly * 100)}% of values`
      : '';
  const list = (v: unknown) => (Array.isArray(v) ? v.map(valueText).join(', ') : valueText(v));
  switch (type) {
    case 'expect_column_to_exist':
      return 'the column exists';
    case 'expect_column_values_to_not_be_null':
      return `no null values${mostly}`;
    case 'expect_column_values_to_be_unique':
      return `unique values${mostly}`;
    case 'expect_compound_columns_to_be_unique':
      return `unique combinations of (${list(k.column_list)})${mostly}`;
    case 'expect_column_values_to_be_between':
      return `values ${range(k)}${mostly}`;
    case 'expect_column_values_to_be_in_set':
      return `values in {${clip(list(k.value_set), 500)}}${mostly}`;
    case 'expect_column_values_to_match_regex':
      return `values matching /${valueText(k.regex)}/${mostly}`;
    case 'expect_column_value_lengths_to_be_between':
      return `value lengths ${range(k)}${mostly}`;
    case 'expect_table_row_count_to_be_between':
      return `a row count ${range(k)}`;
    case 'expect_column_values_to_be_of_type':
      return `values of type ${valueText(k.type_)}`;
    case 'expect_column_max_to_be_between':
      return typeof k.max_age_seconds === 'number'
        ? `a newest value at most ${seconds(k.max_age_seconds)} old`
        : `a maximum ${range(k)}`;
    default: {
      const aggregate = /^expect_(?:column|table)_(\w+?)_to_be_between$/.exec(type);
      if (aggregate && ('min_value' in k || 'max_value' in k))
        return `${aggregate[1]!.replaceAll('_', ' ')} ${range(k)}`;
      const args = Object.entries(k)
        .filter(([name]) => !RUNTIME_KWARGS.has(name) && !['column', 'column_list'].includes(name))
        .map(([name, v]) => `${name}=${valueText(v)}`);
      return clip(args.length > 0 ? args.join(', ') : 'its kwargs to hold', 500);
    }
  }
}

/** What an expectation saw, in words (no data values: see {@link sampleValues}). */
export function describeObserved(
  f: Pick<FailedExpectation, 'observed' | 'basis' | 'sensitive'> & { readonly exception?: string },
): string {
  if (f.basis === 'not-evaluated') return 'not evaluated: the validation result has no result for it';
  const o = f.observed;
  if (o.unexpectedCount !== undefined) {
    const of = o.elementCount !== undefined ? ` of ${formatNumber(o.elementCount)} rows` : '';
    const share = o.unexpectedPercent !== undefined ? ` (${formatNumber(o.unexpectedPercent)}%)` : '';
    return `${formatNumber(o.unexpectedCount)} unexpected${of}${share}`;
  }
  if (o.observedValue !== undefined) {
    return f.sensitive
      ? 'observed value withheld (pii column)'
      : `observed ${clip(valueText(o.observedValue), 200)}`;
  }
  return f.exception !== undefined
    ? 'nothing: evaluating it raised an exception'
    : 'no observed values reported';
}

/** `1 warning`, `2 warnings`. */
export function plural(n: number, word: string): string {
  return `${formatNumber(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** Up to `max` distinct unexpected values of GX's sample, as text; none for a pii column. */
export function sampleValues(f: Pick<FailedExpectation, 'observed' | 'sensitive'>, max = 5): string[] {
  if (f.sensitive) return [];
  const distinct = [...new Set(f.observed.partialUnexpected.map(valueText))];
  return distinct.slice(0, max).map((v) => clip(v, 60));
}

/** A short name of a failed expectation: its type and columns. */
export function expectationLabel(f: Pick<FailedExpectation, 'type' | 'columns'>): string {
  return f.columns.length > 0 ? `${f.type} on ${f.columns.join(', ')}` : f.type;
}

// ---------------------------------------------------------------- Step Functions answers

const encoder = new TextEncoder();

/** UTF-8 size of a string in bytes. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** Shortens text to at most `maxBytes` of UTF-8, cutting between code points, marking the cut. */
export function clipBytes(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let bytes = utf8Bytes('…');
  let out = '';
  for (const ch of text) {
    const size = utf8Bytes(ch);
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += ch;
  }
  return `${out}…`;
}

/** The command that runs a load again (a new attempt of the same Bronze object). */
export function replayCommand(loadId: string, stage?: string, cli = 'lakeplane'): string {
  return `${cli} replay ${loadId}${stage ? ` --stage ${stage}` : ''}`;
}

/** Where the gate ran: the load attempt, its validation result and its quarantine. */
export interface GateContext {
  readonly dataset: string;
  readonly loadId: string;
  readonly attempt: number;
  readonly resultUri: string;
  readonly quarantineUri: string;
  /** The deployment stage, for the replay command (`--stage`). */
  readonly stage?: string;
  /** How the replay command starts (the local runtime: `npx lakeplane --home …`). */
  readonly cli?: string;
}

/** One failed expectation in the task output: words only, never data values. */
export interface GateOutputEntry {
  readonly type: string;
  readonly columns: readonly string[];
  readonly severity: Severity;
  readonly expected: string;
  readonly observed: string;
  readonly exception?: string;
}

/** What the gate hands on to the state machine on pass and warn (`ResultPath`). */
export interface GateOutput {
  readonly verdict: 'pass' | 'warn';
  readonly summary: VerdictCounts;
  readonly failed: readonly GateOutputEntry[];
  /** Failed expectations left out of `failed` to keep the output short. */
  readonly failedOmitted: number;
}

const OUTPUT_ENTRIES = 25;

/**
 * The task output of a passed gate: the verdict, the counts and a short list of the failed
 * (warning) expectations, within Step Functions' output limit.
 * @throws Error for a `fail` verdict, which answers with a failure instead.
 */
export function gateOutput(v: QualityVerdict, maxBytes: number = TASK_ANSWER_LIMITS.outputBytes): GateOutput {
  if (v.verdict === 'fail') throw new Error('a failed gate answers with a failure, not an output');
  const entries = v.failed.map(
    (f): GateOutputEntry => ({
      type: f.type,
      columns: f.columns.map((c) => clip(c, 200)),
      severity: f.severity,
      expected: clip(f.expected, 300),
      observed: clip(describeObserved(f), 300),
      ...(f.exception !== undefined ? { exception: clip(f.exception, 300) } : {}),
    }),
  );
  let keep = Math.min(entries.length, OUTPUT_ENTRIES);
  for (;;) {
    const output: GateOutput = {
      verdict: v.verdict,
      summary: v.counts,
      failed: entries.slice(0, keep),
      failedOmitted: entries.length - keep,
    };
    if (keep === 0 || utf8Bytes(JSON.stringify(output)) <= maxBytes) return output;
    keep = Math.floor(keep / 2);
  }
}

function countsLine(v: QualityVerdict): string {
  const c = v.counts;
  const parts = [`${c.blocking} blocking`, plural(c.warnings, 'warning')];
  const extra = [
    ...(c.exceptions > 0 ? [`${c.exceptions} raised exceptions`] : []),
    ...(c.unmatched > 0 ? [`${c.unmatched} not in the contract`] : []),
    ...(c.notEvaluated > 0 ? [`${c.notEvaluated} not evaluated`] : []),
  ];
  return `${parts.join(' and ')} among ${c.evaluated} evaluated expectations${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
}

function causeLine(f: FailedExpectation): string {
  const samples = sampleValues(f, 3).map((s) => JSON.stringify(s));
  const parts = [
    `- ${expectationLabel(f)}: expected ${f.expected}; ${describeObserved(f)}`,
    ...(f.exception !== undefined ? [`; raised: ${clip(f.exception.replaceAll('\n', ' '), 300)}`] : []),
    ...(samples.length > 0 ? [`; e.g. ${samples.join(', ')}`] : []),
    ...(f.basis === 'unmatched' ? ['; not in the contract, so it blocks'] : []),
  ];
  return clip(parts.join(''), 1000);
}

/**
 * The `cause` of a failed gate: a readable summary (the counts, then each blocking and warning
 * expectation, then where the batch went and how to replay), within `maxChars` (and as many
 * UTF-8 bytes). Lines that do not fit are summarised in one line.
 */
export function gateFailureCause(
  v: QualityVerdict,
  ctx: GateContext,
  maxChars: number = TASK_ANSWER_LIMITS.causeChars,
): string {
  const head = `${ctx.dataset} load ${ctx.loadId} (attempt ${ctx.attempt}) failed the data-quality gate: ${countsLine(v)}.`;
  const tail = [
    `The batch goes to quarantine (${ctx.quarantineUri}); Silver is unchanged.`,
    `Validation result: ${ctx.resultUri}`,
    `Replay once the data or the contract is fixed: ${replayCommand(ctx.loadId, ctx.stage, ctx.cli)}`,
  ].join('\n');
  const blocking = v.failed.filter((f) => f.severity === 'fail');
  const warnings = v.failed.filter((f) => f.severity === 'warn');
  const sections: { title: string; items: FailedExpectation[] }[] = [
    { title: 'Blocking:', items: blocking },
    { title: 'Warnings:', items: warnings },
  ];
  const reserve = 200; // the "… and n more" line
  const budget = maxChars - utf8Bytes(head) - utf8Bytes(tail) - reserve;
  const body: string[] = [];
  let used = 0;
  let omitted = 0;
  for (const s of sections) {
    if (s.items.length === 0) continue;
    const lines = [s.title, ...s.items.map(causeLine)];
    for (const [i, line] of lines.entries()) {
      const size = utf8Bytes(line) + 1;
      if (omitted === 0 && used + size <= budget) {
        body.push(line);
        used += size;
      } else if (i > 0) omitted++;
    }
  }
  if (omitted > 0)
    body.push(`… and ${omitted} more failed expectations (all of them are in the validation result)`);
  return clipBytes([head, ...body, tail].join('\n'), maxChars);
}

/** The `cause` of a gate that could not read its validation result. */
export function unreadableCause(
  reason: string,
  ctx: GateContext,
  maxChars: number = TASK_ANSWER_LIMITS.causeChars,
): string {
  const head = `${ctx.dataset} load ${ctx.loadId} (attempt ${ctx.attempt}): the validation result ${ctx.resultUri} cannot be used, so the data-quality gate fails.`;
  const tail = [
    `The batch goes to quarantine (${ctx.quarantineUri}); Silver is unchanged.`,
    `Replay once the validation step writes a readable result: ${replayCommand(ctx.loadId, ctx.stage, ctx.cli)}`,
  ].join('\n');
  const room = maxChars - utf8Bytes(head) - utf8Bytes(tail) - 20;
  return clipBytes([head, `Reason: ${clipBytes(reason, Math.max(room, 100))}`, tail].join('\n'), maxChars);
}
