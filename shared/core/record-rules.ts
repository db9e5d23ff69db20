/**
 * The contract's record rules in TypeScript: how one NDJSON line (or one stream record) becomes
 * typed values, or why it does not. spark-jobs/lakeplane_jobs/casting.py defines them (cast_value
 * and parse_line); local/engine/record-rules.ts gives DuckDB the same in SQL. All three are held
 * to tests/fixtures/parity/record-rules.json and the bad-record corpus
 * (tests/fixtures/bad-records/corpus.json), reasons word for word.
 *
 * A record, in order of the checks:
 * 1. at most MAX_RECORD_BYTES bytes (the line without its line ending), else
 *    `record is N bytes, more than the 1048576 allowed`;
 * 2. UTF-8 text, else `not valid UTF-8: byte 0xe9 at offset 12`;
 * 3. one leading byte order mark is dropped; a blank line is no record (the batch path skips it);
 * 4. JSON as Python's json module reads it, with its error messages (`not valid JSON: Expecting
 *    ',' delimiter: line 1 column 9 (char 8)`); bare NaN/Infinity/-Infinity tokens are not JSON
 *    (`not valid JSON: NaN is not valid JSON`);
 * 5. an object (`not a JSON object (the line is an array)`), without a key given twice
 *    (`duplicate key in the JSON object: "n"`; nested objects keep every member in their text);
 * 6. every field by its column: required fields present and non-null, string record keys not
 *    empty, values cast by castValue; every bad field named, in column order, joined by "; ".
 *
 * The JSON reader is hand-written, not JSON.parse: the rules need each number's literal text
 * (`1e3` is not an int, `1.005` rounds to 1.01 in a decimal(12,2)), duplicate keys (JSON.parse
 * keeps the last silently) and Python's error wording, which no npm JSON parser gives; it is also
 * the stream hot path's only parse of a record.
 */
import type { ColumnType, DatasetContract } from './contract/types.js';
import { gateCheckedColumns } from './quality/implicit.js';

/**
 * The largest record, in bytes of its UTF-8 text without the line ending: 1 MiB, the Kinesis
 * record limit (casting.py MAX_RECORD_BYTES is the same number).
 */
export const MAX_RECORD_BYTES = 1_048_576;

/**
 * A cast value: string (string; date as YYYY-MM-DD), number (int, double, float; timestamp as
 * microseconds since the epoch when exact in a double; decimal unscaled, i.e. value × 10^scale,
 * when it has at most 15 digits), bigint (bigint; a larger unscaled decimal; timestamp
 * microseconds outside ±2^53) or boolean. Values of one column
 * compare with < and > in the engines' order.
 */
export type CastValue = string | number | bigint | boolean;

export type Cast =
  | { readonly ok: true; readonly value: CastValue }
  | { readonly ok: false; readonly reason: string };

const MAX_SHOWN = 80;
const FLOAT_MAX = 3.4028234663852886e38;
const INTEGRAL = /^[+-]?[0-9]+(?:\.0*)?$/;
const NUMBER = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const TIMESTAMP =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?[ \t\n\r\f\v]*([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?$/;
const INT_RANGE = {
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
} as const;

function isWs(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Python's str.strip(" \t\n\r\f\v"). */
function strip(text: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && isWs(text.charCodeAt(a))) a++;
  while (b > a && isWs(text.charCodeAt(b - 1))) b--;
  return a === 0 && b === text.length ? text : text.slice(a, b);
}

/** casting.py show(): the value JSON-quoted, cut to 80 characters (code points). */
export function show(text: string): string {
  let t = text;
  if (t.length > MAX_SHOWN) {
    const points = Array.from(t);
    if (points.length > MAX_SHOWN) t = `${points.slice(0, MAX_SHOWN - 1).join('')}\u2026`;
  }
  return JSON.stringify(t);
}

const bad = (reason: string): Cast => ({ ok: false, reason });

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function validDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return d <= days;
}

const MIN_SECONDS = daysFromCivil(1, 1, 1) * 86400;
const MAX_SECONDS = daysFromCivil(9999, 12, 31) * 86400 + 86399;

function notTimestamp(text: string): Cast {
  return bad(`${show(text)} is not a timestamp (use ISO 8601, e.g. 2024-05-01T12:30:00Z)`);
}

function castTimestamp(text: string, t: string): Cast {
  const fast = commonTimestamp(t);
  if (fast !== undefined) return { ok: true, value: fast };
  const m = TIMESTAMP.exec(t);
  if (!m) return notTimestamp(text);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4] ?? 0);
  const mi = Number(m[5] ?? 0);
  const s = Number(m[6] ?? 0);
  const micros = Number((m[7] ?? '0').slice(0, 6).padEnd(6, '0'));
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return notTimestamp(text);
  let offsetMinutes = 0;
  const off = m[8];
  if (off !== undefined && off !== 'Z' && off !== 'z') {
    const digits = off.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4) || '0');
    if (oh > 18 || om > 59) return notTimestamp(text);
    offsetMinutes = (off[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Python builds the local time (years 1–9999), then converts it to UTC, which must be in range too.
  const seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offsetMinutes * 60;
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) return notTimestamp(text);
  const value =
    Math.abs(seconds) < 9e9 ? seconds * 1e6 + micros : BigInt(seconds) * 1_000_000n + BigInt(micros);
  return { ok: true, value };
}

function digit(t: string, i: number): number {
  const d = t.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : Number.NaN;
}

/**
 * The form nearly every producer writes, `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z` with its fields in
 * range, read without the regular expression; undefined for anything else (the full rules decide).
 */
function commonTimestamp(t: string): number | undefined {
  const n = t.length;
  if (n < 20 || n > 27 || t.charCodeAt(n - 1) !== 90 || t.charCodeAt(10) !== 84) return undefined;
  if (t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58)
    return undefined;
  const y = digit(t, 0) * 1000 + digit(t, 1) * 100 + digit(t, 2) * 10 + digit(t, 3);
  const mo = digit(t, 5) * 10 + digit(t, 6);
  const d = digit(t, 8) * 10 + digit(t, 9);
  const h = digit(t, 11) * 10 + digit(t, 12);
  const mi = digit(t, 14) * 10 + digit(t, 15);
  const s = digit(t, 17) * 10 + digit(t, 18);
  let micros = 0;
  if (n > 20) {
    if (t.charCodeAt(19) !== 46 || n === 21) return undefined;
    for (let i = 20; i < n - 1; i++) micros = micros * 10 + digit(t, i);
    micros *= 10 ** (27 - n);
  }
  // NaN (a non-digit) fails every comparison below.
  if (!(y >= 1970 && y < 2200 && h < 24 && mi < 60 && s < 60 && micros >= 0) || !validDate(y, mo, d))
    return undefined;
  return (daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1e6 + micros;
}

/** casting.py _decimal: Python's Decimal with prec = p + 40, ROUND_HALF_UP, quantized to the scale. */
const PLAIN_DECIMAL = /^(-?)([0-9]{1,15})(?:\.([0-9]*))?$/;

function castDecimal(text: string, t: string, precision: number, scale: number, name: string): Cast {
  // The common text (few digits, no more decimals than the scale) in a double, exactly.
  const plain = PLAIN_DECIMAL.exec(t);
  if (plain && (plain[3] ?? '').length <= scale && plain[2]!.length + scale <= 15) {
    const unscaled = Number(plain[2]! + (plain[3] ?? '').padEnd(scale, '0'));
    if (unscaled >= 10 ** precision) return bad(`${show(text)} does not fit ${name}`);
    return { ok: true, value: plain[1] === '-' && unscaled !== 0 ? -unscaled : unscaled };
  }
  if (!NUMBER.test(t)) return bad(`${show(text)} is not a ${name}`);
  const negative = t[0] === '-';
  const body = t[0] === '-' || t[0] === '+' ? t.slice(1) : t;
  const e = body.search(/[eE]/);
  const mantissa = e < 0 ? body : body.slice(0, e);
  let exponent = e < 0 ? 0 : Number(body.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const whole = dot < 0 ? mantissa : mantissa.slice(0, dot);
  const fraction = dot < 0 ? '' : mantissa.slice(dot + 1);
  let digits = (whole + fraction).replace(/^0+/, '');
  exponent -= fraction.length;
  if (digits === '') return { ok: true, value: 0n };
  // Python's decimal context: exponents beyond ±999999 overflow (refused here as not fitting).
  if (digits.length + exponent - 1 > 999999) return bad(`${show(text)} does not fit ${name}`);
  const significant = precision + 40;
  if (digits.length > significant) {
    const up = digits.charCodeAt(significant) >= 53;
    exponent += digits.length - significant;
    digits = (BigInt(digits.slice(0, significant)) + (up ? 1n : 0n)).toString();
  }
  // Integer digits beyond p - s never fit (and would make a huge BigInt).
  if (digits.length + exponent > precision - scale + 1) return bad(`${show(text)} does not fit ${name}`);
  const shift = exponent + scale;
  let unscaled: bigint;
  if (shift >= 0) unscaled = BigInt(digits) * 10n ** BigInt(shift);
  else if (-shift > digits.length + 1) unscaled = 0n;
  else {
    const p = 10n ** BigInt(-shift);
    const n = BigInt(digits);
    unscaled = n / p + (2n * (n % p) >= p ? 1n : 0n);
  }
  if (unscaled >= 10n ** BigInt(precision)) return bad(`${show(text)} does not fit ${name}`);
  return { ok: true, value: negative ? -unscaled : unscaled };
}

/**
 * castDecimal's first case (at most 15 digits with the scale's, no more decimals than the scale,
 * fitting the precision) read without the regular expression, as a number: the same value;
 * undefined for any other text (castDecimal decides, and words the reason).
 */
function plainDecimal(t: string, precision: number, scale: number): number | undefined {
  const n = t.length;
  const negative = t.charCodeAt(0) === 45;
  let i = negative ? 1 : 0;
  const start = i;
  let unscaled = 0;
  for (; i < n; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    unscaled = unscaled * 10 + d;
  }
  const whole = i - start;
  if (whole === 0 || whole + scale > 15) return undefined;
  let decimals = 0;
  if (i < n) {
    if (t.charCodeAt(i) !== 46) return undefined;
    for (i++; i < n; i++, decimals++) {
      const d = t.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return undefined;
      unscaled = unscaled * 10 + d;
    }
    if (decimals > scale) return undefined;
  }
  // At most 15 digits, times a power of ten: exact in a double.
  unscaled *= 10 ** (scale - decimals);
  if (unscaled >= 10 ** precision) return undefined;
  return negative && unscaled !== 0 ? -unscaled : unscaled;
}

/**
 * The common text of a type read straight to its value, without a Cast object: the value the
 * full cast gives, or undefined when the full cast must decide (it alone words reasons).
 */
function compileFastCast(type: ColumnType): ((text: string) => CastValue | undefined) | undefined {
  switch (type.kind) {
    case 'timestamp':
      // A text commonTimestamp reads has no white space to strip.
      return commonTimestamp;
    case 'decimal': {
      const { precision, scale } = type;
      return (text) => plainDecimal(text, precision, scale);
    }
    default:
      return undefined;
  }
}

/** A compiled cast of one column type: the text of one non-null JSON value → value or reason. */
export type Caster = (text: string) => Cast;

/** casting.py cast_value, compiled for one type. Reasons have no `field <name>: ` prefix. */
export function compileCast(type: ColumnType): Caster {
  switch (type.kind) {
    case 'string':
      return (text) => ({ ok: true, value: text });
    case 'int':
    case 'bigint': {
      const kind = type.kind;
      const [lo, hi] = INT_RANGE[kind];
      const notOne = kind === 'int' ? 'is not an int' : 'is not a bigint';
      return (text) => {
        const t = strip(text);
        if (!INTEGRAL.test(t)) return bad(`${show(text)} ${notOne}`);
        const dot = t.indexOf('.');
        const digits = dot < 0 ? t : t.slice(0, dot);
        if (kind === 'int' && digits.length < 10) return { ok: true, value: Number(digits) };
        const v = BigInt(digits);
        if (v < lo || v > hi) return bad(`${show(text)} is out of range for ${kind}`);
        return { ok: true, value: kind === 'int' ? Number(v) : v };
      };
    }
    case 'double':
    case 'float': {
      const kind = type.kind;
      return (text) => {
        const t = strip(text);
        if (!NUMBER.test(t)) return bad(`${show(text)} is not a ${kind}`);
        const v = Number(t);
        if (!Number.isFinite(v) || (kind === 'float' && Math.abs(v) > FLOAT_MAX))
          return bad(`${show(text)} is out of range for ${kind}`);
        return { ok: true, value: v };
      };
    }
    case 'boolean':
      return (text) => {
        const low = strip(text).toLowerCase();
        if (low === 'true' || low === '1') return { ok: true, value: true };
        if (low === 'false' || low === '0') return { ok: true, value: false };
        return bad(`${show(text)} is not a boolean (use true or false)`);
      };
    case 'date':
      return (text) => {
        const m = DATE.exec(strip(text));
        if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3])))
          return bad(`${show(text)} is not a date (use YYYY-MM-DD)`);
        return { ok: true, value: m[0] };
      };
    case 'timestamp':
      return (text) => castTimestamp(text, strip(text));
    case 'decimal': {
      const { precision, scale } = type;
      const name = `decimal(${precision},${scale})`;
      return (text) => castDecimal(text, strip(text), precision, scale, name);
    }
  }
}

/** casting.py cast_value: one non-null value's text cast to the type. */
export function castValue(text: string, type: ColumnType): Cast {
  return compileCast(type)(text);
}

/** A cast value as the parity vectors write it (timestamps UTC ISO with micros, decimals as text). */
export function canonicalValue(value: CastValue, type: ColumnType): string | number | boolean {
  if (type.kind === 'timestamp') {
    const micros = BigInt(value as number | bigint);
    const secs = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
    const frac = micros - secs * 1_000_000n;
    const day = Number(secs / 86400n - (secs % 86400n < 0n ? 1n : 0n));
    const sod = Number(secs - BigInt(day) * 86400n);
    const iso = civilFromDays(day);
    const hh = String(Math.floor(sod / 3600)).padStart(2, '0');
    const mm = String(Math.floor((sod % 3600) / 60)).padStart(2, '0');
    const ss = String(sod % 60).padStart(2, '0');
    return `${iso}T${hh}:${mm}:${ss}.${String(frac).padStart(6, '0')}Z`;
  }
  if (type.kind === 'decimal') {
    const v = BigInt(value as number | bigint);
    const abs = (v < 0n ? -v : v).toString().padStart(type.scale + 1, '0');
    const text = type.scale === 0 ? abs : `${abs.slice(0, -type.scale)}.${abs.slice(-type.scale)}`;
    return v < 0n ? `-${text}` : text;
  }
  if (typeof value === 'bigint') return value.toString();
  if (type.kind === 'int') return String(value);
  return value;
}

function civilFromDays(z0: number): string {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Bytes and text of a record

/** The size rule's reason. */
export function tooLargeReason(bytes: number, limit = MAX_RECORD_BYTES): string {
  return `record is ${bytes} bytes, more than the ${limit} allowed`;
}

/**
 * The offset of the first byte that is not part of well-formed UTF-8 (-1 when all are), by the
 * same rule as Python's decoder (a lead byte whose sequence is cut short is the bad byte).
 */
export function firstNonUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    const c1 = bytes[i + 1];
    if (c1 === undefined || c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** The UTF-8 rule's reason for the bad byte at `offset`. */
export function notUtf8Reason(bytes: Uint8Array, offset: number): string {
  return `not valid UTF-8: byte 0x${bytes[offset]!.toString(16).padStart(2, '0')} at offset ${offset}`;
}

/**
 * The text of a line that is not UTF-8, as quarantine keeps it: every byte outside well-formed
 * UTF-8 written `\xe9` (Python's "backslashreplace").
 */
export function backslashReplace(bytes: Uint8Array): string {
  let out = '';
  let start = 0;
  let i = 0;
  const decoder = new TextDecoder('utf-8');
  while (i < bytes.length) {
    const rest = bytes.subarray(i);
    const at = firstNonUtf8(rest);
    if (at < 0) break;
    out += decoder.decode(bytes.subarray(start, i + at));
    out += `\\x${bytes[i + at]!.toString(16).padStart(2, '0')}`;
    i = i + at + 1;
    start = i;
  }
  return out + decoder.decode(bytes.subarray(start));
}

// ---------------------------------------------------------------------------------------------
// JSON, as Python's json module reads it (numbers kept as their text)

/**
 * The top-level fields of a JSON object: each value's text (casting.py raw_text: strings as
 * they are, numbers as written, true/false, nested objects and arrays as compact JSON with every
 * member) or null for JSON null. (A Map: measured 3× faster here than an object without
 * prototype, which V8 keeps in dictionary mode.)
 */
export type FieldTexts = ReadonlyMap<string, string | null>;

export type ParsedRecord =
  | { readonly ok: true; readonly fields: FieldTexts }
  | { readonly ok: false; readonly reason: string };

class JsonError extends Error {
  constructor(
    message: string,
    readonly pos: number,
    readonly bare = false,
  ) {
    super(message);
  }
}

/** Python's JSONDecodeError text: "msg: line L column C (char P)", positions in code points. */
function pythonMessage(s: string, e: JsonError): string {
  if (e.bare) return e.message;
  const before = s.slice(0, e.pos);
  const points = (x: string) => {
    let n = 0;
    for (const _ of x) n++;
    return n;
  };
  const pos = points(before);
  const nl = before.lastIndexOf('\n');
  const line = nl < 0 ? 1 : before.split('\n').length;
  const column = nl < 0 ? pos + 1 : points(before.slice(nl + 1)) + 1;
  return `${e.message}: line ${line} column ${column} (char ${pos})`;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: a JSON string may not hold them raw
const SLOW_STRING = /[\u0000-\u001f\\]/;

function isJsonWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function hex4(s: string, at: number): number {
  let v = 0;
  for (let k = at; k < at + 4; k++) {
    const c = s.charCodeAt(k);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** One JSON text; `i` is the cursor. */
class Reader {
  i = 0;
  constructor(readonly s: string) {}

  ws(): void {
    const s = this.s;
    let i = this.i;
    while (i < s.length && isJsonWs(s.charCodeAt(i))) i++;
    this.i = i;
  }

  /** A string starting at the quote at this.i; returns its value, the cursor after it. */
  string(): string {
    const s = this.s;
    const begin = this.i;
    // The common string: no escape, no control character up to the closing quote.
    const close = s.indexOf('"', begin + 1);
    if (close > 0) {
      const seg = s.slice(begin + 1, close);
      if (!SLOW_STRING.test(seg)) {
        this.i = close + 1;
        return seg;
      }
    }
    let i = begin + 1;
    let start = i;
    let out = '';
    for (;;) {
      if (i >= s.length) throw new JsonError('Unterminated string starting at', begin);
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        return start === begin + 1 && out === '' ? s.slice(start, i) : out + s.slice(start, i);
      }
      if (c < 0x20) throw new JsonError('Invalid control character at', i);
      if (c !== 92) {
        i++;
        continue;
      }
      out += s.slice(start, i);
      const esc = s[i + 1];
      if (esc === undefined) throw new JsonError('Unterminated string starting at', begin);
      if (esc !== 'u') {
        const v = ESCAPES[esc];
        if (v === undefined) throw new JsonError('Invalid \\escape', i);
        out += v;
        i += 2;
      } else {
        if (i + 6 >= s.length) throw new JsonError('Invalid \\uXXXX escape', i + 1);
        let code = hex4(s, i + 2);
        if (code < 0) throw new JsonError('Invalid \\uXXXX escape', i + 1);
        i += 6;
        if (code >= 0xd800 && code <= 0xdbff && i + 6 < s.length && s[i] === '\\' && s[i + 1] === 'u') {
          const low = hex4(s, i + 2);
          if (low < 0) throw new JsonError('Invalid \\uXXXX escape', i + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
            i += 6;
          }
        }
        out += String.fromCodePoint(code);
      }
      start = i;
    }
  }

  /**
   * One value at this.i: its text (a string's own characters when `bare`, else JSON), null for
   * JSON null. Python's scanner order: string, object, array, null, true, false, number, NaN,
   * Infinity, -Infinity; anything else is "Expecting value".
   */
  value(bare: boolean): string | null {
    const s = this.s;
    const i = this.i;
    const c = s.charCodeAt(i);
    switch (c) {
      case 34: {
        const v = this.string();
        return bare ? v : JSON.stringify(v);
      }
      case 123:
        return this.object(undefined);
      case 91:
        return this.array();
      case 110:
        if (s.startsWith('null', i)) {
          this.i = i + 4;
          return bare ? null : 'null';
        }
        break;
      case 116:
        if (s.startsWith('true', i)) {
          this.i = i + 4;
          return 'true';
        }
        break;
      case 102:
        if (s.startsWith('false', i)) {
          this.i = i + 5;
          return 'false';
        }
        break;
      case 78:
        if (s.startsWith('NaN', i)) throw new JsonError('NaN is not valid JSON', i, true);
        break;
      case 73:
        if (s.startsWith('Infinity', i)) throw new JsonError('Infinity is not valid JSON', i, true);
        break;
    }
    const n = this.number();
    if (n !== undefined) return n;
    if (c === 45 && s.startsWith('-Infinity', i)) throw new JsonError('-Infinity is not valid JSON', i, true);
    throw new JsonError('Expecting value', i);
  }

  /** A number's literal text (Python's NUMBER_RE), or undefined when none starts here. */
  number(): string | undefined {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 45) i++;
    const c = s.charCodeAt(i);
    if (c === 48) i++;
    else if (c >= 49 && c <= 57) {
      i++;
      while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    } else return undefined;
    if (s.charCodeAt(i) === 46) {
      let j = i + 1;
      while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      if (j > i + 1) i = j;
    }
    const e = s.charCodeAt(i);
    if (e === 101 || e === 69) {
      let j = i + 1;
      const sign = s.charCodeAt(j);
      if (sign === 43 || sign === 45) j++;
      const digits = j;
      while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      if (j > digits) i = j;
    }
    this.i = i;
    return s.slice(start, i);
  }

  /**
   * An object at this.i. With `fields` (the record itself) each member's text goes there and a
   * key given twice is noted in `dups`; a nested object returns its compact JSON text.
   */
  object(fields: Map<string, string | null> | undefined, dups?: string[]): string {
    const s = this.s;
    this.i++;
    this.ws();
    let text = fields ? '' : '{';
    if (s.charCodeAt(this.i) === 125) {
      this.i++;
      return fields ? '' : '{}';
    }
    let first = true;
    for (;;) {
      if (s.charCodeAt(this.i) !== 34)
        throw new JsonError('Expecting property name enclosed in double quotes', this.i);
      const key = this.string();
      this.ws();
      if (s.charCodeAt(this.i) !== 58) throw new JsonError("Expecting ':' delimiter", this.i);
      this.i++;
      this.ws();
      if (this.i >= s.length) throw new JsonError('Expecting value', this.i);
      const v = this.value(fields !== undefined);
      if (fields) {
        if (fields.has(key)) dups?.push(key);
        fields.set(key, v);
      } else {
        text += `${first ? '' : ','}${JSON.stringify(key)}:${v}`;
      }
      first = false;
      this.ws();
      const c = s.charCodeAt(this.i);
      if (c === 125) {
        this.i++;
        return fields ? '' : `${text}}`;
      }
      if (c !== 44) throw new JsonError("Expecting ',' delimiter", this.i);
      this.i++;
      this.ws();
    }
  }

  array(): string {
    const s = this.s;
    this.i++;
    this.ws();
    if (s.charCodeAt(this.i) === 93) {
      this.i++;
      return '[]';
    }
    let text = '[';
    for (;;) {
      if (this.i >= s.length) throw new JsonError('Expecting value', this.i);
      text += this.value(false);
      this.ws();
      const c = s.charCodeAt(this.i);
      if (c === 93) {
        this.i++;
        return `${text}]`;
      }
      if (c !== 44) throw new JsonError("Expecting ',' delimiter", this.i);
      text += ',';
      this.i++;
      this.ws();
    }
  }
}

/** What a valid JSON text that is no object is, in casting.py's words. */
function kindOf(s: string, at: number): string {
  const c = s.charCodeAt(at);
  if (c === 91) return 'an array';
  if (c === 34) return 'a string';
  if (c === 116 || c === 102) return 'a boolean';
  if (c === 110) return 'null';
  return 'a number';
}

/**
 * casting.py parse_json_object: one JSON text (no byte order mark) as a record's fields, or why
 * not (`not valid JSON: …`, `not a JSON object (the line is …)`, `duplicate key in the JSON
 * object: "k"`).
 */
export function parseRecordJson(text: string): ParsedRecord {
  const r = new Reader(text);
  try {
    if (text.charCodeAt(0) === 0xfeff)
      throw new JsonError('Unexpected UTF-8 BOM (decode using utf-8-sig)', 0);
    r.ws();
    const at = r.i;
    let fields: Map<string, string | null> | undefined;
    const dups: string[] = [];
    if (text.charCodeAt(at) === 123) {
      fields = new Map();
      r.object(fields, dups);
    } else {
      if (at >= text.length) throw new JsonError('Expecting value', at);
      r.value(false);
    }
    r.ws();
    if (r.i !== text.length) throw new JsonError('Extra data', r.i);
    if (!fields) return { ok: false, reason: `not a JSON object (the line is ${kindOf(text, at)})` };
    if (dups.length > 0) {
      const unique = [...new Set(dups)];
      return {
        ok: false,
        reason: `duplicate ${unique.length === 1 ? 'key' : 'keys'} in the JSON object: ${unique.map(show).join(', ')}`,
      };
    }
    return { ok: true, fields };
  } catch (e) {
    if (e instanceof JsonError) return { ok: false, reason: `not valid JSON: ${pythonMessage(text, e)}` };
    if (e instanceof RangeError) return { ok: false, reason: 'not valid JSON: nested too deeply' };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// A record against a contract's columns

export interface RuleColumn {
  readonly name: string;
  readonly type: ColumnType;
}

export interface LineRulesSpec {
  /** (name, type) in contract order. */
  readonly columns: readonly RuleColumn[];
  /** Fields that must be present and non-null, with why (`not nullable`). */
  readonly required: ReadonlyMap<string, string>;
  /** String fields that must not be empty when present (the record key fields). */
  readonly nonEmpty?: ReadonlySet<string>;
}

export type FieldsVerdict =
  | { readonly ok: true; readonly values: readonly (CastValue | null)[] }
  | { readonly ok: false; readonly reason: string };

/** A contract's field rules compiled once: parsed fields → typed values in column order, or the reason. */
export type FieldRules = (fields: FieldTexts) => FieldsVerdict;

function withProblem(problems: string[] | undefined, problem: string): string[] {
  if (problems === undefined) return [problem];
  problems.push(problem);
  return problems;
}

export function compileFieldRules(spec: LineRulesSpec): FieldRules {
  const cols = spec.columns.map((c) => ({
    name: c.name,
    cast: compileCast(c.type),
    fast: compileFastCast(c.type),
    isString: c.type.kind === 'string',
    required: spec.required.get(c.name),
    nonEmpty: c.type.kind === 'string' && (spec.nonEmpty?.has(c.name) ?? false),
  }));
  return (fields) => {
    const values: (CastValue | null)[] = new Array(cols.length);
    // Allocated at the first problem only: most records have none.
    let problems: string[] | undefined;

    for (let k = 0; k < cols.length; k++) {
      const c = cols[k]!;
      const raw = fields.get(c.name);
      if (raw === undefined || raw === null) {
        if (c.required !== undefined)
          problems = withProblem(
            problems,
            `field ${c.name}: ${raw === null ? 'null' : 'missing'} (${c.required})`,
          );
        values[k] = null;
        continue;
      }
      if (c.nonEmpty && raw === '') {
        problems = withProblem(problems, `field ${c.name}: empty (record key field)`);
        values[k] = null;
        continue;
      }
      if (c.isString) {
        values[k] = raw;
        continue;
      }
      if (c.fast !== undefined) {
        const value = c.fast(raw);
        if (value !== undefined) {
          values[k] = value;
          continue;
        }
      }
      const v = c.cast(raw);
      if (v.ok) values[k] = v.value;
      else {
        problems = withProblem(problems, `field ${c.name}: ${v.reason}`);
        values[k] = null;
      }
    }
    return problems !== undefined ? { ok: false, reason: problems.join('; ') } : { ok: true, values };
  };
}

export type LineVerdict =
  | { readonly ok: true; readonly values: readonly (CastValue | null)[]; readonly fields: FieldTexts }
  | { readonly ok: false; readonly reason: string };

/**
 * The text of a record's bytes, or why it has none: over the size limit, not UTF-8. A leading
 * byte order mark is dropped.
 */
export function recordText(
  bytes: Uint8Array,
  isUtf8: (b: Uint8Array) => boolean,
): { text: string } | { reason: string } {
  if (bytes.byteLength > MAX_RECORD_BYTES) return { reason: tooLargeReason(bytes.byteLength) };
  if (!isUtf8(bytes)) return { reason: notUtf8Reason(bytes, firstNonUtf8(bytes)) };
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}

const utf8 = new TextEncoder();

/**
 * casting.py parse_line: one NDJSON line (its text, or its bytes when they may not be UTF-8,
 * without the line ending) against compiled field rules; undefined for a blank line.
 */
export function checkLine(line: string | Uint8Array, rules: FieldRules): LineVerdict | undefined {
  let text: string;
  if (typeof line === 'string') {
    if (line.length > MAX_RECORD_BYTES / 3) {
      const bytes = utf8.encode(line).byteLength;
      if (bytes > MAX_RECORD_BYTES) return { ok: false, reason: tooLargeReason(bytes) };
    }
    text = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  } else {
    const t = recordText(line, (b) => firstNonUtf8(b) < 0);
    if ('reason' in t) return { ok: false, reason: t.reason };
    text = t.text;
  }
  if (strip(text) === '') return undefined;
  const parsed = parseRecordJson(text);
  if (!parsed.ok) return parsed;
  const v = rules(parsed.fields);
  return v.ok ? { ok: true, values: v.values, fields: parsed.fields } : v;
}

/**
 * A contract's field rules as the stage applies them (casting.py with contract.required_fields):
 * non-nullable fields other than the record key and precombine fields are required (those are
 * the quality gate's), string record key fields must not be empty.
 */
export function compileContractRules(contract: DatasetContract): FieldRules {
  const gate = gateCheckedColumns(contract.key, contract.precombine);
  const columns = contract.columns;
  return compileFieldRules({
    columns,
    required: new Map(
      columns.filter((c) => !c.nullable && !gate.has(c.name)).map((c) => [c.name, 'not nullable']),
    ),
    nonEmpty: new Set(
      columns.filter((c) => contract.key.includes(c.name) && c.type.kind === 'string').map((c) => c.name),
    ),
  });
}
