/**
 * The contract's record rules as DuckDB SQL: how the text of one Bronze field becomes a typed
 * value, and why it does not. The deployed engine defines them (spark-jobs/lakeplane_jobs/
 * casting.py); these expressions give the same value or the same reason for every input of the
 * parity corpus (tests/spark/parity.test.ts). DuckDB's own casts are laxer (`TRY_CAST('5.5' AS
 * INTEGER)` is 6, its typed JSON reader takes `1.005` as a double and stores 1.00 in a
 * decimal(12,2), `"NaN"` and `"yes"` pass), so every value is read as its JSON text and cast here.
 */
import { duckdbType } from '../../shared/core/contract/column-type.js';
import type { ColumnSpec, ColumnType } from '../../shared/core/contract/types.js';

/** Quotes a string literal for DuckDB (sql.ts re-exports it). */
function lit(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The characters Python's str.strip() removes that matter here, as a SQL literal. */
export const WS = lit(' \t\n\r\f\v');
const INTEGRAL = lit('[+-]?[0-9]+(\\.0*)?');
const NUMBER = lit('[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?');
const DATE = lit('([0-9]{4})-([0-9]{2})-([0-9]{2})');
/** casting.py _TIMESTAMP, group for group. */
const TIMESTAMP = lit(
  '([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\\.([0-9]{1,9}))?)?[ \t\n\r\f\v]*([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?',
);
/**
 * The common form with its range checks in the pattern itself: a year other than 0000, hours
 * 00-23, minutes and seconds 00-59 (one match instead of a match and four substrings).
 */
const COMMON_TIMESTAMP = lit(
  '(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?Z',
);
/** The common form without a fraction, hours 00-19 and 20-23, as GLOB patterns. */
const WHOLE_SECOND_TIMESTAMPS = ['[01][0-9]', '2[0-3]'].map((h) =>
  lit(`[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T${h}:[0-5][0-9]:[0-5][0-9]Z`),
);
const FLOAT_MAX = '3.4028234663852886e38';
const INT_TYPES: Record<'int' | 'bigint', string> = { int: 'INTEGER', bigint: 'BIGINT' };

/** casting.py show(): the value JSON-quoted, cut to 80 characters. */
export function shownSql(text: string): string {
  return `to_json(CASE WHEN length(${text}) > 80 THEN left(${text}, 79) || '…' ELSE ${text} END)::VARCHAR`;
}

/**
 * The typed value of a field's text (`raw`, VARCHAR), NULL when the text is NULL or does not
 * cast by the rules: ints are integral (5.0 is 5, 5.5 is not) and in range; doubles and floats
 * finite decimal numbers; booleans true/false/1/0 in any case; dates YYYY-MM-DD; timestamps ISO
 * 8601 with an optional offset (UTC without), micros kept and the rest truncated; decimals
 * rounded half-up to the scale and within the precision. The text is trimmed except for strings.
 */
export function castSql(type: ColumnType, raw: string): string {
  // Each case first tries the text as producers write it (no surrounding white space), where
  // one pattern check decides, and only then the trimmed text: DuckDB evaluates an expression
  // once per reference (no common subexpressions), and trimming every value of a million-row
  // file costs 0.3 s per column.
  const t = `trim(${raw}, ${WS})`;
  const either = (check: (x: string) => string, value: (x: string) => string) =>
    `CASE WHEN ${check(raw)} THEN ${value(raw)} WHEN ${check(t)} THEN ${value(t)} END`;
  switch (type.kind) {
    case 'string':
      return raw;
    case 'int':
    case 'bigint':
      return either(
        (x) => `regexp_full_match(${x}, ${INTEGRAL})`,
        (x) => `TRY_CAST(split_part(${x}, '.', 1) AS ${INT_TYPES[type.kind]})`,
      );
    case 'double':
    case 'float': {
      const limit = type.kind === 'float' ? ` AND abs(v) <= ${FLOAT_MAX}` : '';
      return either(
        (x) => `regexp_full_match(${x}, ${NUMBER})`,
        (x) => `list_filter([TRY_CAST(${x} AS DOUBLE)], v -> isfinite(v)${limit})[1]::${duckdbType(type)}`,
      );
    }
    case 'boolean':
      return `CASE WHEN lower(${t}) IN ('true', '1') THEN true WHEN lower(${t}) IN ('false', '0') THEN false END`;
    case 'date':
      return either(
        (x) => `regexp_full_match(${x}, ${DATE}) AND left(${x}, 4) <> '0000'`,
        (x) => `TRY_CAST(${x} AS DATE)`,
      );
    case 'timestamp':
      return `CASE WHEN ${commonTimestamp(raw)} THEN TRY_CAST(${raw} AS TIMESTAMP) ELSE ${timestampSql(t)} END`;
    case 'decimal':
      return either(
        (x) => `regexp_full_match(${x}, ${NUMBER})`,
        (x) => `TRY_CAST(${x} AS ${duckdbType(type)})`,
      );
  }
}

/**
 * The form nearly every producer writes, `2024-05-01T12:30:00[.ffffff]Z` with its fields in range
 * (DuckDB takes 24:00:00 and year 0000), which DuckDB's own fast cast reads exactly as casting.py
 * does, its `Z` included (measured per million values: 0.42 s for a pattern match, four substrings
 * and an `rtrim`; 0.15-0.19 s for one pattern match and the cast of the text as it is; GLOB for
 * whole seconds takes the match from ~0.1 s to ~0.05 s).
 */
function commonTimestamp(x: string): string {
  // Whole seconds first, by GLOB (half the cost of the pattern match); it implies the pattern.
  const whole = WHOLE_SECOND_TIMESTAMPS.map((g) => `${x} GLOB ${g}`).join(' OR ');
  return `((${whole}) AND NOT starts_with(${x}, '0000') OR regexp_full_match(${x}, ${COMMON_TIMESTAMP}))`;
}

/**
 * casting.py _timestamp: the groups of the ISO form, checked, as a UTC TIMESTAMP. Built from the
 * groups (not DuckDB's own, laxer, parser) and shifted by the offset in minutes; no ICU needed.
 */
function timestampSql(t: string): string {
  const g = `regexp_extract(${t}, ${TIMESTAMP}, ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'off'])`;
  const part = (name: string, dflt: string) => `coalesce(nullif(${g}.${name}, ''), '${dflt}')`;
  const off = `${g}.off`;
  const digits = `replace(substr(${off}, 2), ':', '')`;
  const offH = `TRY_CAST(substr(${digits}, 1, 2) AS INTEGER)`;
  const offM = `coalesce(TRY_CAST(nullif(substr(${digits}, 3, 2), '') AS INTEGER), 0)`;
  const offsetMinutes = `CASE WHEN ${off} IN ('', 'Z', 'z') THEN 0 ELSE (CASE WHEN left(${off}, 1) = '-' THEN -1 ELSE 1 END) * (${offH} * 60 + ${offM}) END`;
  const local = `TRY_CAST(printf('%s-%s-%s %s:%s:%s.%s', ${g}.y, ${g}.mo, ${g}.d, ${part('h', '00')}, ${part('mi', '00')}, ${part('s', '00')}, rpad(left(${g}.f, 6), 6, '0')) AS TIMESTAMP)`;
  const inRange = `${g}.y <> '0000' AND ${part('h', '00')} < '24' AND ${part('mi', '00')} < '60' AND ${part('s', '00')} < '60' AND (${off} IN ('', 'Z', 'z') OR (${offH} <= 18 AND ${offM} <= 59))`;
  return `CASE WHEN regexp_full_match(${t}, ${TIMESTAMP}) AND ${inRange} THEN ${local} - to_minutes(${offsetMinutes}) END`;
}

/**
 * Why a field's text does not cast (casting.py's words); only evaluated where castSql gave NULL
 * for a non-NULL text.
 */
export function castReasonSql(column: ColumnSpec, raw: string): string {
  const type = column.type;
  const t = `trim(${raw}, ${WS})`;
  const shown = shownSql(raw);
  const says = (what: string) => `${lit(`field ${column.name}: `)} || ${shown} || ${lit(` ${what}`)}`;
  switch (type.kind) {
    case 'string':
      return 'NULL';
    case 'int':
    case 'bigint':
      return `CASE WHEN regexp_full_match(${t}, ${INTEGRAL}) THEN ${says(`is out of range for ${type.kind}`)} ELSE ${says(type.kind === 'int' ? 'is not an int' : 'is not a bigint')} END`;
    case 'double':
    case 'float':
      return `CASE WHEN regexp_full_match(${t}, ${NUMBER}) THEN ${says(`is out of range for ${type.kind}`)} ELSE ${says(`is not a ${type.kind}`)} END`;
    case 'boolean':
      return says('is not a boolean (use true or false)');
    case 'date':
      return says('is not a date (use YYYY-MM-DD)');
    case 'timestamp':
      return says('is not a timestamp (use ISO 8601, e.g. 2024-05-01T12:30:00Z)');
    case 'decimal': {
      const name = `decimal(${type.precision},${type.scale})`;
      return `CASE WHEN regexp_full_match(${t}, ${NUMBER}) THEN ${says(`does not fit ${name}`)} ELSE ${says(`is not a ${name}`)} END`;
    }
  }
}

/**
 * Whether a line DuckDB's JSON reader (yyjson with trailing commas and NaN/Inf allowed) takes
 * that Python's json module refuses: a bare NaN, Inf or Infinity token in any case, or a comma
 * before a closing bracket, outside strings. The cheap search first; the anchored pattern walks
 * over strings so `"a,}"` is no trailing comma. Such a line is "not valid JSON"; the warehouse
 * words it with the shared rules' reader (shared/core/record-rules.ts).
 */
export function notJsonForPythonSql(text: string): string {
  const token = '(?i:nan|inf(?:inity)?)';
  const trailingComma = String.raw`,[ \t\n\r]*[}\]]`;
  const cheap = lit(`${trailingComma}|${token}`);
  // The first trailing comma or bare token outside the strings of the line.
  const strings = String.raw`^(?:[^"]|"(?:[^"\\]|\\.)*")*?`;
  const bareToken = String.raw`(?:^|[\[:,])[ \t\n\r]*[-+]?`;
  const outside = lit(`${strings}(?:${trailingComma}|${bareToken}${token})`);
  return `(regexp_matches(${text}, ${cheap}) AND regexp_matches(${text}, ${outside}))`;
}

/**
 * casting.py's reason for an object that gives a key twice, from its top-level keys (a list, as
 * json_keys gives them in order): `duplicate key in the JSON object: "n"`.
 */
export function duplicateKeysSql(keys: string): string {
  const dups = `list_filter(${keys}, (k, i) -> list_position(${keys}, k) < i)`;
  const unique = `list_filter(${dups}, (k, i) -> list_position(${dups}, k) = i)`;
  return `'duplicate ' || CASE WHEN len(${unique}) = 1 THEN 'key' ELSE 'keys' END || ' in the JSON object: ' || array_to_string(list_transform(${unique}, k -> ${shownSql('k')}), ', ')`;
}

/**
 * casting.py's reason for a line that is valid JSON but no object: "not a JSON object (the line
 * is an array)". `line` is the line's text.
 */
export function notAnObjectSql(line: string): string {
  return `'not a JSON object (the line is ' || CASE json_type(${line}) WHEN 'ARRAY' THEN 'an array' WHEN 'VARCHAR' THEN 'a string' WHEN 'BOOLEAN' THEN 'a boolean' WHEN 'NULL' THEN 'null' ELSE 'a number' END || ')'`;
}

/**
 * A DOUBLE cast to DECIMAL in Silver or Gold SQL: Spark rounds the double's shortest decimal
 * text half-up (`Decimal(double)` goes through `Double.toString`) and, with ANSI mode off (Spark
 * 3.5's default), a value that does not fit becomes NULL. DuckDB rounds the binary value (1.005
 * becomes 1.00, not 1.01) and fails the statement on overflow. So the DuckDB engine runs every
 * `CAST(x AS DECIMAL(p,s))` of a contract's SQL as `TRY_CAST(CAST(x AS VARCHAR) AS DECIMAL(p,s))`:
 * DuckDB prints a double as its shortest text and parses text half-up; for a decimal or integer
 * `x` the text is exact, so nothing else changes.
 *
 * Hand-written: it needs only CAST's parentheses, quotes and comments, and no SQL parser for
 * DuckDB's dialect ships in the npm registry's well-kept packages (the Spark side needs none).
 */
export function sparkDecimalCasts(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const skip = skipQuotedOrComment(sql, i);
    if (skip > i) {
      out += sql.slice(i, skip);
      i = skip;
      continue;
    }
    const m = /^CAST\s*\(/i.exec(sql.slice(i, i + 12));
    const before = i === 0 ? ' ' : sql[i - 1]!;
    if (m && !/[A-Za-z0-9_."`]/.test(before)) {
      const open = i + m[0].length - 1;
      const close = matchingParen(sql, open);
      const as = close > 0 ? lastTopLevelAs(sql, open + 1, close) : -1;
      if (as > 0 && /^\s*(DECIMAL|NUMERIC)\b/i.test(sql.slice(as + 2, close))) {
        const expr = sparkDecimalCasts(sql.slice(open + 1, as));
        out += `TRY_CAST(CAST(${expr.trim()} AS VARCHAR) AS${sql.slice(as + 2, close)})`;
        i = close + 1;
        continue;
      }
    }
    out += sql[i];
    i += 1;
  }
  return out;
}

/** The index after a quoted string, identifier or comment starting at i (i when none starts there). */
function skipQuotedOrComment(sql: string, i: number): number {
  const c = sql[i];
  if (c === "'" || c === '"' || c === '`') {
    let j = i + 1;
    while (j < sql.length) {
      if (sql[j] === c) {
        if (sql[j + 1] === c) j += 2;
        else return j + 1;
      } else j += 1;
    }
    return sql.length;
  }
  if (sql.startsWith('--', i)) {
    const j = sql.indexOf('\n', i);
    return j < 0 ? sql.length : j;
  }
  if (sql.startsWith('/*', i)) {
    const j = sql.indexOf('*/', i + 2);
    return j < 0 ? sql.length : j + 2;
  }
  return i;
}

function matchingParen(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; ) {
    const skip = skipQuotedOrComment(sql, i);
    if (skip > i) {
      i = skip;
      continue;
    }
    if (sql[i] === '(') depth += 1;
    else if (sql[i] === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
    i += 1;
  }
  return -1;
}

/** The index of the last ` AS ` at depth 0 between from and to (-1 when none). */
function lastTopLevelAs(sql: string, from: number, to: number): number {
  let depth = 0;
  let found = -1;
  for (let i = from; i < to; ) {
    const skip = skipQuotedOrComment(sql, i);
    if (skip > i) {
      i = skip;
      continue;
    }
    const c = sql[i]!;
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (depth === 0 && /\s/.test(sql[i - 1] ?? '') && /^AS\s/i.test(sql.slice(i, i + 3))) found = i;
    i += 1;
  }
  return found;
}
