/**
 * Hive/Glue column type strings (`Column.Type` in the Glue Data Catalog) as a typed tree, and
 * back to canonical text.
 *
 * Hand-written recursive descent: no maintained npm package parses Hive type strings (the
 * registry's Hive packages are Thrift drivers such as `hive-driver` and
 * `@cubejs-backend/hive-driver`, which send queries and parse none of this), and the grammar is
 * small. The grammar follows Hive's `TypeInfoUtils.TypeInfoParser` (the parser the metastore,
 * Spark's Hive client and Trino's Hive connector use), with these deliberate differences:
 * - struct field names may hold any character but `<>,:` and a backquote (Glue crawlers keep
 *   JSON keys such as `user-agent` as they are); a backquoted name (`` `a:b` ``, with a doubled
 *   backquote for a backquote) may hold anything;
 * - whitespace is allowed between all tokens (`map<string, int>`, `decimal(10, 2)`);
 * - a Hive DDL field comment (`struct<a:int COMMENT 'x'>`) is read and kept but not printed;
 * - DDL aliases are accepted and printed canonically: `integer` → `int`, `dec`/`numeric` →
 *   `decimal`, `double precision` → `double`.
 * Keywords are case-insensitive; field names keep their spelling (compare them lowercased, as
 * Hive and Glue do).
 */
import { GlueTypeError } from './errors.js';

/** Types without parameters, by their canonical Hive names. */
export type PrimitiveKind =
  | 'void'
  | 'boolean'
  | 'tinyint'
  | 'smallint'
  | 'int'
  | 'bigint'
  | 'float'
  | 'double'
  | 'string'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp with local time zone'
  | 'timestamp_ntz'
  | 'interval_year_month'
  | 'interval_day_time';

/** One field of a struct. */
export interface StructField {
  readonly name: string;
  readonly type: GlueType;
  /** A Hive DDL field comment, when the type string carried one. */
  readonly comment?: string;
}

/** A parsed Hive/Glue column type. */
export type GlueType =
  | { readonly kind: PrimitiveKind }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'varchar' | 'char'; readonly length: number }
  | { readonly kind: 'array'; readonly element: GlueType }
  | { readonly kind: 'map'; readonly key: GlueType; readonly value: GlueType }
  | { readonly kind: 'struct'; readonly fields: readonly StructField[] }
  | { readonly kind: 'uniontype'; readonly members: readonly GlueType[] };

/** A type that holds no other types (including decimal, varchar and char). */
export type PrimitiveGlueType = Exclude<GlueType, { kind: 'array' | 'map' | 'struct' | 'uniontype' }>;

/** Hive's defaults for `decimal` and `decimal(p)`: HiveDecimal.USER_DEFAULT_PRECISION/SCALE. */
export const DECIMAL_DEFAULT_PRECISION = 10;
export const DECIMAL_DEFAULT_SCALE = 0;
/** Hive's limits: HiveDecimal.MAX_PRECISION, HiveVarchar.MAX_VARCHAR_LENGTH, HiveChar.MAX_CHAR_LENGTH. */
export const DECIMAL_MAX_PRECISION = 38;
export const VARCHAR_MAX_LENGTH = 65535;
export const CHAR_MAX_LENGTH = 255;
/** Deeper nesting than this is refused with a GlueTypeError rather than a stack overflow. */
export const MAX_NESTING = 1000;

const PRIMITIVES: ReadonlyMap<string, PrimitiveKind> = new Map<string, PrimitiveKind>([
  ['void', 'void'],
  ['boolean', 'boolean'],
  ['tinyint', 'tinyint'],
  ['smallint', 'smallint'],
  ['int', 'int'],
  ['integer', 'int'],
  ['bigint', 'bigint'],
  ['float', 'float'],
  ['double', 'double'],
  ['string', 'string'],
  ['binary', 'binary'],
  ['date', 'date'],
  ['timestamp', 'timestamp'],
  ['timestamp_ntz', 'timestamp_ntz'],
  ['interval_year_month', 'interval_year_month'],
  ['interval_day_time', 'interval_day_time'],
]);

const TYPE_NAMES =
  'tinyint, smallint, int, bigint, float, double, decimal(p,s), string, varchar(n), char(n), boolean, ' +
  'binary, date, timestamp, array<t>, map<k,v>, struct<name:t,...>, uniontype<t,...>';

/**
 * Parses a Hive/Glue type string, e.g. `struct<id:bigint,tags:array<string>>`.
 * @throws GlueTypeError with the 0-based position where the string stops making sense.
 */
export function parseGlueType(text: string): GlueType {
  const parser = new Parser(text);
  parser.skipSpace();
  if (parser.atEnd()) throw new GlueTypeError(text, 0, 'empty type string');
  const type = parser.parseType(0);
  parser.skipSpace();
  if (!parser.atEnd()) {
    throw parser.fail(`unexpected ${parser.describeHere()} after the complete type`);
  }
  return type;
}

/** Canonical text of a type: lowercase keywords, `decimal(p,s)` in full, no spaces, no comments. */
export function printGlueType(type: GlueType): string {
  switch (type.kind) {
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'varchar':
    case 'char':
      return `${type.kind}(${type.length})`;
    case 'array':
      return `array<${printGlueType(type.element)}>`;
    case 'map':
      return `map<${printGlueType(type.key)},${printGlueType(type.value)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${printFieldName(f.name)}:${printGlueType(f.type)}`).join(',')}>`;
    case 'uniontype':
      return `uniontype<${type.members.map(printGlueType).join(',')}>`;
    default:
      return type.kind;
  }
}

/** The canonical text of a type string (`DECIMAL` → `decimal(10,0)`). @throws GlueTypeError */
export function canonicalGlueType(text: string): string {
  return printGlueType(parseGlueType(text));
}

/** A struct field name as the printer writes it: backquoted only when it must be. */
export function printFieldName(name: string): string {
  if (name !== '' && name.trim() === name && !/[<>,:`]/.test(name)) return name;
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Whether a type holds no other types. */
export function isPrimitive(type: GlueType): type is PrimitiveGlueType {
  return !(
    type.kind === 'array' ||
    type.kind === 'map' ||
    type.kind === 'struct' ||
    type.kind === 'uniontype'
  );
}

/**
 * Whether two types are the same type: field names compared case-insensitively (as Hive and Glue
 * compare them), field comments ignored.
 */
export function sameGlueType(a: GlueType, b: GlueType): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'decimal': {
      const d = b as typeof a;
      return a.precision === d.precision && a.scale === d.scale;
    }
    case 'varchar':
    case 'char':
      return a.length === (b as typeof a).length;
    case 'array':
      return sameGlueType(a.element, (b as typeof a).element);
    case 'map': {
      const m = b as typeof a;
      return sameGlueType(a.key, m.key) && sameGlueType(a.value, m.value);
    }
    case 'struct': {
      const s = b as typeof a;
      if (a.fields.length !== s.fields.length) return false;
      for (let i = 0; i < a.fields.length; i++) {
        const x = a.fields[i]!;
        const y = s.fields[i]!;
        if (x.name.toLowerCase() !== y.name.toLowerCase() || !sameGlueType(x.type, y.type)) return false;
      }
      return true;
    }
    case 'uniontype': {
      const u = b as typeof a;
      return (
        a.members.length === u.members.length && a.members.every((m, i) => sameGlueType(m, u.members[i]!))
      );
    }
    default:
      return true;
  }
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function isWordStart(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
}

function isWordPart(c: string | undefined): boolean {
  return isWordStart(c) || (c !== undefined && c >= '0' && c <= '9');
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(reason: string, at = this.pos): GlueTypeError {
    return new GlueTypeError(this.text, at, reason);
  }

  /** What stands at the current position, for messages. */
  describeHere(): string {
    if (this.atEnd()) return 'end of the string';
    const c = this.text[this.pos]!;
    if (isWordStart(c)) {
      let end = this.pos;
      while (isWordPart(this.text[end])) end++;
      return `"${this.text.slice(this.pos, end)}"`;
    }
    return `"${c}"`;
  }

  skipSpace(): void {
    while (isSpace(this.text[this.pos])) this.pos++;
  }

  expect(token: string, what: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== token)
      throw this.fail(`expected "${token}" ${what}, found ${this.describeHere()}`);
    this.pos++;
  }

  /** Reads a keyword-like word at the current position ('' when there is none). */
  word(): string {
    const start = this.pos;
    if (!isWordStart(this.text[this.pos])) return '';
    while (isWordPart(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Consumes the given words (case-insensitive, whitespace between) if all of them follow. */
  tryWords(...words: string[]): boolean {
    const start = this.pos;
    for (const w of words) {
      const spaced = isSpace(this.text[this.pos]);
      this.skipSpace();
      if (!spaced || this.word().toLowerCase() !== w) {
        this.pos = start;
        return false;
      }
    }
    return true;
  }

  parseType(depth: number): GlueType {
    if (depth > MAX_NESTING) throw this.fail(`types nested deeper than ${MAX_NESTING} levels`);
    this.skipSpace();
    const start = this.pos;
    const word = this.word();
    if (word === '') {
      throw this.fail(`expected a type, found ${this.describeHere()}`);
    }
    const name = word.toLowerCase();
    switch (name) {
      case 'array': {
        this.expect('<', 'after "array"');
        const element = this.parseType(depth + 1);
        this.expect('>', 'to close "array<"');
        return { kind: 'array', element };
      }
      case 'map': {
        this.expect('<', 'after "map"');
        const key = this.parseType(depth + 1);
        this.expect(',', 'between the key and value types of "map<"');
        const value = this.parseType(depth + 1);
        this.expect('>', 'to close "map<"');
        return { kind: 'map', key, value };
      }
      case 'struct':
        return this.parseStruct(depth);
      case 'uniontype': {
        this.expect('<', 'after "uniontype"');
        const members: GlueType[] = [this.parseType(depth + 1)];
        for (;;) {
          this.skipSpace();
          if (this.text[this.pos] === '>') break;
          this.expect(',', 'or ">" in "uniontype<"');
          members.push(this.parseType(depth + 1));
        }
        this.pos++;
        return { kind: 'uniontype', members };
      }
      case 'decimal':
      case 'dec':
      case 'numeric':
        return this.parseDecimal();
      case 'varchar':
      case 'char': {
        const params = this.parseParams(name);
        if (params.length !== 1) {
          throw this.fail(
            params.length === 0
              ? `${name} needs a length, e.g. ${name}(255)`
              : `${name} takes one parameter (its length), got ${params.length}`,
            params.length === 0 ? this.pos : params[1]!.at,
          );
        }
        const max = name === 'varchar' ? VARCHAR_MAX_LENGTH : CHAR_MAX_LENGTH;
        const { value, at } = params[0]!;
        if (value < 1 || value > max) throw this.fail(`${name} length must be 1..${max}, got ${value}`, at);
        return { kind: name, length: value };
      }
      case 'timestamp':
        if (this.tryWords('with', 'local', 'time', 'zone')) return { kind: 'timestamp with local time zone' };
        return { kind: 'timestamp' };
      case 'double':
        this.tryWords('precision');
        return { kind: 'double' };
      default: {
        const kind = PRIMITIVES.get(name);
        if (kind === undefined) throw this.fail(`unknown type "${word}" (known: ${TYPE_NAMES})`, start);
        this.skipSpace();
        if (this.text[this.pos] === '(') throw this.fail(`${kind} takes no parameters`);
        return { kind };
      }
    }
  }

  parseDecimal(): GlueType {
    const params = this.parseParams('decimal');
    if (params.length > 2)
      throw this.fail(`decimal takes at most two parameters, got ${params.length}`, params[2]!.at);
    const precision = params[0]?.value ?? DECIMAL_DEFAULT_PRECISION;
    const scale = params[1]?.value ?? DECIMAL_DEFAULT_SCALE;
    if (precision < 1 || precision > DECIMAL_MAX_PRECISION) {
      throw this.fail(
        `decimal precision must be 1..${DECIMAL_MAX_PRECISION}, got ${precision}`,
        params[0]!.at,
      );
    }
    if (scale > precision) {
      throw this.fail(`decimal scale ${scale} is larger than its precision ${precision}`, params[1]!.at);
    }
    return { kind: 'decimal', precision, scale };
  }

  /** `(n)` or `(n, m)` after a type name, or nothing. */
  parseParams(typeName: string): { value: number; at: number }[] {
    const save = this.pos;
    this.skipSpace();
    if (this.text[this.pos] !== '(') {
      this.pos = save;
      return [];
    }
    this.pos++;
    const params: { value: number; at: number }[] = [];
    for (;;) {
      this.skipSpace();
      const at = this.pos;
      while (
        this.text[this.pos] !== undefined &&
        this.text[this.pos]! >= '0' &&
        this.text[this.pos]! <= '9'
      ) {
        this.pos++;
      }
      if (this.pos === at) {
        throw this.fail(`expected a number in the parameters of ${typeName}, found ${this.describeHere()}`);
      }
      params.push({ value: Number(this.text.slice(at, this.pos)), at });
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ')') {
        this.pos++;
        return params;
      }
      if (c !== ',') {
        throw this.fail(`expected "," or ")" in the parameters of ${typeName}, found ${this.describeHere()}`);
      }
      this.pos++;
    }
  }

  parseStruct(depth: number): GlueType {
    this.expect('<', 'after "struct"');
    const fields: StructField[] = [];
    const seen = new Set<string>();
    this.skipSpace();
    if (this.text[this.pos] === '>') {
      this.pos++;
      return { kind: 'struct', fields };
    }
    for (;;) {
      this.skipSpace();
      const nameAt = this.pos;
      const name = this.fieldName();
      this.expect(':', `after the field name "${name}"`);
      const type = this.parseType(depth + 1);
      const comment = this.fieldComment();
      const lower = name.toLowerCase();
      if (seen.has(lower)) throw this.fail(`struct field "${name}" appears twice`, nameAt);
      seen.add(lower);
      fields.push(comment === undefined ? { name, type } : { name, type, comment });
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === '>') {
        this.pos++;
        return { kind: 'struct', fields };
      }
      if (c !== ',')
        throw this.fail(
          `expected "," or ">" after the type of field "${name}", found ${this.describeHere()}`,
        );
      this.pos++;
    }
  }

  fieldName(): string {
    const start = this.pos;
    if (this.text[this.pos] === '`') {
      let name = '';
      this.pos++;
      for (;;) {
        const c = this.text[this.pos];
        if (c === undefined) throw this.fail('unterminated backquoted field name', start);
        this.pos++;
        if (c === '`') {
          if (this.text[this.pos] !== '`') break;
          this.pos++;
        }
        name += c;
      }
      if (name === '') throw this.fail('empty field name', start);
      return name;
    }
    while (this.pos < this.text.length && !'<>,:`'.includes(this.text[this.pos]!)) this.pos++;
    const name = this.text.slice(start, this.pos).trim();
    if (name === '') throw this.fail(`expected a field name, found ${this.describeHere()}`, start);
    return name;
  }

  /** An optional `COMMENT 'text'` after a field's type. */
  fieldComment(): string | undefined {
    const save = this.pos;
    this.skipSpace();
    if (this.word().toLowerCase() !== 'comment') {
      this.pos = save;
      return undefined;
    }
    this.skipSpace();
    const quote = this.text[this.pos];
    if (quote !== "'" && quote !== '"')
      throw this.fail(`expected a quoted comment, found ${this.describeHere()}`);
    const start = this.pos;
    this.pos++;
    let comment = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw this.fail('unterminated comment', start);
      this.pos++;
      if (c === '\\' && this.text[this.pos] !== undefined) {
        comment += this.text[this.pos];
        this.pos++;
      } else if (c === quote) {
        return comment;
      } else {
        comment += c;
      }
    }
  }
}
