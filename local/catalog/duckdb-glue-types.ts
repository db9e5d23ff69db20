/**
 * DuckDB column types, as `DESCRIBE` prints them (`BIGINT`, `DECIMAL(12,2)`,
 * `STRUCT(a BIGINT, "b c" VARCHAR[])`, `MAP(VARCHAR, BIGINT)`, `INTEGER[][]`, ...), parsed and
 * mapped to Glue/Hive column types (`bigint`, `decimal(12,2)`, `struct<a:bigint,b c:array<string>>`,
 * `map<string,bigint>`, `array<array<int>>`), the way a Glue crawler would type the same data.
 *
 * The mapping keeps every value representable where Hive has a type for it and falls back to
 * `string` where it has none:
 * - integers keep their width (`TINYINT` → `tinyint` ... `BIGINT` → `bigint`); unsigned ones
 *   take the next wider signed type (`UBIGINT` → `decimal(20,0)`); `HUGEINT`/`UHUGEINT` →
 *   `decimal(38,0)` (Hive's widest; values beyond 38 digits do not fit);
 * - `TIMESTAMP` in every precision and `TIMESTAMP WITH TIME ZONE` → `timestamp` (an instant in
 *   UTC, as Athena and Spark read it); `DATE` → `date`;
 * - `VARCHAR`, `JSON`, `UUID`, `ENUM`, `TIME`, `INTERVAL`, `BIT`, `BIGNUM` → `string`;
 *   `BLOB` → `binary`; `FLOAT` → `float`; `DOUBLE` → `double`;
 * - `T[]` and `T[n]` → `array<T>`; `MAP(K, V)` → `map<K,V>`; `STRUCT(...)` → `struct<...>`;
 *   `UNION(...)` → `uniontype<...>`.
 *
 * DuckDB's JSON reader infers `BIGINT` for every JSON integer. Glue's JSON classifier infers
 * `int` for integers that fit 32 bits (its crawler documentation shows `{"A": 1}` crawled as
 * `A:int`) and `bigint` beyond; this mapping keeps DuckDB's `bigint`.
 */
import {
  type GlueType,
  MAX_NESTING,
  printGlueType,
  type StructField,
} from '../../shared/core/drift/glue-type.js';

/** A DuckDB type string this module cannot read or has no Glue type for. */
export class DuckDbTypeError extends Error {
  override readonly name = 'DuckDbTypeError';
  constructor(
    readonly text: string,
    readonly position: number,
    reason: string,
  ) {
    super(`cannot map DuckDB type "${text}" at position ${position}: ${reason}`);
  }
}

/** A parsed DuckDB type. */
export type DuckDbType =
  /** A type without parameters, by its canonical DuckDB name (`BIGINT`, `TIMESTAMP WITH TIME ZONE`). */
  | { readonly kind: 'primitive'; readonly name: string }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** `T[]` (size undefined) or the fixed-size `T[n]`. */
  | { readonly kind: 'list'; readonly element: DuckDbType; readonly size?: number }
  | { readonly kind: 'map'; readonly key: DuckDbType; readonly value: DuckDbType }
  | {
      readonly kind: 'struct' | 'union';
      readonly fields: readonly { readonly name: string; readonly type: DuckDbType }[];
    };

/** DuckDB's decimal default (`DECIMAL` without parameters is `DECIMAL(18,3)`). */
const DUCKDB_DECIMAL_DEFAULT = { precision: 18, scale: 3 } as const;

/** DuckDB type names (and their aliases) → the canonical name. */
const PRIMITIVE_NAMES: ReadonlyMap<string, string> = new Map([
  ['BOOLEAN', 'BOOLEAN'],
  ['BOOL', 'BOOLEAN'],
  ['LOGICAL', 'BOOLEAN'],
  ['TINYINT', 'TINYINT'],
  ['INT1', 'TINYINT'],
  ['SMALLINT', 'SMALLINT'],
  ['INT2', 'SMALLINT'],
  ['SHORT', 'SMALLINT'],
  ['INTEGER', 'INTEGER'],
  ['INT', 'INTEGER'],
  ['INT4', 'INTEGER'],
  ['SIGNED', 'INTEGER'],
  ['BIGINT', 'BIGINT'],
  ['INT8', 'BIGINT'],
  ['LONG', 'BIGINT'],
  ['HUGEINT', 'HUGEINT'],
  ['INT128', 'HUGEINT'],
  ['UTINYINT', 'UTINYINT'],
  ['USMALLINT', 'USMALLINT'],
  ['UINTEGER', 'UINTEGER'],
  ['UBIGINT', 'UBIGINT'],
  ['UHUGEINT', 'UHUGEINT'],
  ['FLOAT', 'FLOAT'],
  ['FLOAT4', 'FLOAT'],
  ['REAL', 'FLOAT'],
  ['DOUBLE', 'DOUBLE'],
  ['FLOAT8', 'DOUBLE'],
  ['VARCHAR', 'VARCHAR'],
  ['TEXT', 'VARCHAR'],
  ['STRING', 'VARCHAR'],
  ['CHAR', 'VARCHAR'],
  ['BPCHAR', 'VARCHAR'],
  ['JSON', 'JSON'],
  ['UUID', 'UUID'],
  ['BLOB', 'BLOB'],
  ['BYTEA', 'BLOB'],
  ['BINARY', 'BLOB'],
  ['VARBINARY', 'BLOB'],
  ['BIT', 'BIT'],
  ['BITSTRING', 'BIT'],
  ['BIGNUM', 'BIGNUM'],
  ['VARINT', 'BIGNUM'],
  ['DATE', 'DATE'],
  ['TIME', 'TIME'],
  ['TIMETZ', 'TIME WITH TIME ZONE'],
  ['TIMESTAMP', 'TIMESTAMP'],
  ['DATETIME', 'TIMESTAMP'],
  ['TIMESTAMP_US', 'TIMESTAMP'],
  ['TIMESTAMP_S', 'TIMESTAMP_S'],
  ['TIMESTAMP_MS', 'TIMESTAMP_MS'],
  ['TIMESTAMP_NS', 'TIMESTAMP_NS'],
  ['TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE'],
  ['INTERVAL', 'INTERVAL'],
  ['NULL', 'NULL'],
]);

/** Canonical DuckDB name → Glue type. */
const GLUE_OF_PRIMITIVE: ReadonlyMap<string, GlueType> = new Map<string, GlueType>([
  ['BOOLEAN', { kind: 'boolean' }],
  ['TINYINT', { kind: 'tinyint' }],
  ['SMALLINT', { kind: 'smallint' }],
  ['INTEGER', { kind: 'int' }],
  ['BIGINT', { kind: 'bigint' }],
  ['HUGEINT', { kind: 'decimal', precision: 38, scale: 0 }],
  ['UTINYINT', { kind: 'smallint' }],
  ['USMALLINT', { kind: 'int' }],
  ['UINTEGER', { kind: 'bigint' }],
  ['UBIGINT', { kind: 'decimal', precision: 20, scale: 0 }],
  ['UHUGEINT', { kind: 'decimal', precision: 38, scale: 0 }],
  ['FLOAT', { kind: 'float' }],
  ['DOUBLE', { kind: 'double' }],
  ['VARCHAR', { kind: 'string' }],
  ['JSON', { kind: 'string' }],
  ['UUID', { kind: 'string' }],
  ['BIT', { kind: 'string' }],
  ['BIGNUM', { kind: 'string' }],
  ['NULL', { kind: 'string' }],
  ['BLOB', { kind: 'binary' }],
  ['DATE', { kind: 'date' }],
  ['TIME', { kind: 'string' }],
  ['TIME WITH TIME ZONE', { kind: 'string' }],
  ['INTERVAL', { kind: 'string' }],
  ['TIMESTAMP', { kind: 'timestamp' }],
  ['TIMESTAMP_S', { kind: 'timestamp' }],
  ['TIMESTAMP_MS', { kind: 'timestamp' }],
  ['TIMESTAMP_NS', { kind: 'timestamp' }],
  ['TIMESTAMP WITH TIME ZONE', { kind: 'timestamp' }],
]);

/**
 * Parses a DuckDB type string as `DESCRIBE` (or `typeof`) prints it.
 * @throws DuckDbTypeError with the 0-based position where the string stops making sense.
 */
export function parseDuckDbType(text: string): DuckDbType {
  const p = new Parser(text);
  const type = p.type(0);
  p.space();
  if (!p.atEnd()) throw p.fail(`unexpected "${text.slice(p.pos, p.pos + 10)}" after the complete type`);
  return type;
}

/**
 * The Glue type of a DuckDB type (see the module comment for the mapping).
 * @throws DuckDbTypeError for an unknown type name, or a struct with two fields of the same
 *   name ignoring case (Glue compares field names case-insensitively).
 */
export function glueTypeOfDuckDb(type: DuckDbType | string): GlueType {
  return typeof type === 'string' ? toGlue(parseDuckDbType(type), type) : toGlue(type, describe(type));
}

/** The Glue type string of a DuckDB type string, e.g. `STRUCT(a INTEGER)[]` → `array<struct<a:int>>`. */
export function duckDbTypeToGlue(text: string): string {
  return printGlueType(glueTypeOfDuckDb(text));
}

function toGlue(type: DuckDbType, source: string): GlueType {
  switch (type.kind) {
    case 'primitive': {
      const glue = GLUE_OF_PRIMITIVE.get(type.name);
      if (!glue) throw new DuckDbTypeError(source, 0, `no Glue type for DuckDB ${type.name}`);
      return glue;
    }
    case 'decimal':
      return { kind: 'decimal', precision: type.precision, scale: type.scale };
    case 'enum':
      return { kind: 'string' };
    case 'list':
      return { kind: 'array', element: toGlue(type.element, source) };
    case 'map':
      return { kind: 'map', key: toGlue(type.key, source), value: toGlue(type.value, source) };
    case 'union':
      return { kind: 'uniontype', members: type.fields.map((f) => toGlue(f.type, source)) };
    case 'struct': {
      const seen = new Set<string>();
      const fields: StructField[] = type.fields.map((f) => {
        const lower = f.name.toLowerCase();
        if (seen.has(lower)) {
          throw new DuckDbTypeError(
            source,
            0,
            `struct field "${f.name}" appears twice ignoring case; Glue field names are case-insensitive`,
          );
        }
        seen.add(lower);
        return { name: f.name, type: toGlue(f.type, source) };
      });
      return { kind: 'struct', fields };
    }
  }
}

/** A DuckDB type as text again (for messages about an already parsed type). */
function describe(type: DuckDbType): string {
  const name = (n: string) => `"${n.replaceAll('"', '""')}"`;
  switch (type.kind) {
    case 'primitive':
      return type.name;
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'enum':
      return `ENUM(${type.values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')})`;
    case 'list':
      return `${describe(type.element)}[${type.size ?? ''}]`;
    case 'map':
      return `MAP(${describe(type.key)}, ${describe(type.value)})`;
    case 'struct':
    case 'union':
      return `${type.kind.toUpperCase()}(${type.fields.map((f) => `${name(f.name)} ${describe(f.type)}`).join(', ')})`;
  }
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(reason: string, at = this.pos): DuckDbTypeError {
    return new DuckDbTypeError(this.text, at, reason);
  }

  space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  peek(): string | undefined {
    this.space();
    return this.text[this.pos];
  }

  expect(c: string, what: string): void {
    if (this.peek() !== c)
      throw this.fail(
        `expected "${c}" ${what}, found ${this.atEnd() ? 'the end' : `"${this.text[this.pos]}"`}`,
      );
    this.pos++;
  }

  word(): string {
    this.space();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!m) return '';
    this.pos += m[0].length;
    return m[0];
  }

  /** Consumes the given words (case-insensitive) when all of them follow. */
  tryWords(...words: string[]): boolean {
    const start = this.pos;
    for (const w of words) {
      if (this.word().toUpperCase() !== w) {
        this.pos = start;
        return false;
      }
    }
    return true;
  }

  number(): number {
    this.space();
    const m = /^\d+/.exec(this.text.slice(this.pos));
    if (!m) throw this.fail('expected a number');
    this.pos += m[0].length;
    return Number(m[0]);
  }

  /** A quoted text: `"..."` (identifier) or `'...'` (string), the quote doubled inside. */
  quoted(quote: '"' | "'"): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw this.fail(`unterminated ${quote}`, start);
      this.pos++;
      if (c === quote) {
        if (this.text[this.pos] !== quote) return out;
        this.pos++;
      }
      out += c;
    }
  }

  /** A struct or union field name: quoted, or a bare word up to the next whitespace. */
  fieldName(): string {
    this.space();
    if (this.text[this.pos] === '"') return this.quoted('"');
    const start = this.pos;
    while (this.pos < this.text.length && !/[\s(),[\]]/.test(this.text[this.pos]!)) this.pos++;
    if (this.pos === start) throw this.fail('expected a field name');
    return this.text.slice(start, this.pos);
  }

  type(depth: number): DuckDbType {
    // The same bound as the Glue type parser: deeper is refused with a DuckDbTypeError, not a stack overflow.
    if (depth > MAX_NESTING) throw this.fail(`types nested deeper than ${MAX_NESTING} levels`);
    let type = this.baseType(depth);
    // List suffixes: T[] and T[n], any number of them.
    while (this.peek() === '[') {
      this.pos++;
      const size = this.peek() === ']' ? undefined : this.number();
      this.expect(']', 'to close "["');
      type = size === undefined ? { kind: 'list', element: type } : { kind: 'list', element: type, size };
    }
    return type;
  }

  baseType(depth: number): DuckDbType {
    const start = this.pos;
    const word = this.word();
    if (word === '') throw this.fail('expected a type name');
    const upper = word.toUpperCase();
    switch (upper) {
      case 'STRUCT':
      case 'UNION':
        return { kind: upper === 'STRUCT' ? 'struct' : 'union', fields: this.fields(depth) };
      case 'MAP': {
        this.expect('(', 'after MAP');
        const key = this.type(depth + 1);
        this.expect(',', 'between the key and value types of MAP');
        const value = this.type(depth + 1);
        this.expect(')', 'to close MAP(');
        return { kind: 'map', key, value };
      }
      case 'LIST': {
        this.expect('(', 'after LIST');
        const element = this.type(depth + 1);
        this.expect(')', 'to close LIST(');
        return { kind: 'list', element };
      }
      case 'ENUM': {
        this.expect('(', 'after ENUM');
        const values: string[] = [];
        for (;;) {
          if (this.peek() !== "'") throw this.fail('expected a quoted ENUM value');
          values.push(this.quoted("'"));
          if (this.peek() === ')') break;
          this.expect(',', 'between ENUM values');
        }
        this.pos++;
        return { kind: 'enum', values };
      }
      case 'DECIMAL':
      case 'NUMERIC': {
        const params = this.params();
        const precision = params[0] ?? DUCKDB_DECIMAL_DEFAULT.precision;
        const scale = params[1] ?? (params.length === 0 ? DUCKDB_DECIMAL_DEFAULT.scale : 0);
        if (params.length > 2) throw this.fail('DECIMAL takes at most two parameters', start);
        if (precision < 1 || precision > 38 || scale > precision)
          throw this.fail(`DECIMAL(${precision},${scale}) is out of range`, start);
        return { kind: 'decimal', precision, scale };
      }
      case 'TIMESTAMP':
        if (this.tryWords('WITH', 'TIME', 'ZONE'))
          return { kind: 'primitive', name: 'TIMESTAMP WITH TIME ZONE' };
        return { kind: 'primitive', name: 'TIMESTAMP' };
      case 'TIME':
        if (this.tryWords('WITH', 'TIME', 'ZONE')) return { kind: 'primitive', name: 'TIME WITH TIME ZONE' };
        return { kind: 'primitive', name: 'TIME' };
      case 'DOUBLE':
        this.tryWords('PRECISION');
        return { kind: 'primitive', name: 'DOUBLE' };
      default: {
        const name = PRIMITIVE_NAMES.get(upper);
        if (name === undefined) throw this.fail(`unknown DuckDB type "${word}"`, start);
        // VARCHAR(n) and the like: the length does not change the Glue type.
        if (name === 'VARCHAR' || name === 'BLOB') this.params();
        return { kind: 'primitive', name };
      }
    }
  }

  /** `(n)` or `(n, m)`, or nothing. */
  params(): number[] {
    const save = this.pos;
    if (this.peek() !== '(') {
      this.pos = save;
      return [];
    }
    this.pos++;
    const out = [this.number()];
    while (this.peek() === ',') {
      this.pos++;
      out.push(this.number());
    }
    this.expect(')', 'to close the parameters');
    return out;
  }

  fields(depth: number): { name: string; type: DuckDbType }[] {
    this.expect('(', 'after STRUCT/UNION');
    const fields: { name: string; type: DuckDbType }[] = [];
    if (this.peek() === ')') {
      this.pos++;
      return fields;
    }
    for (;;) {
      const name = this.fieldName();
      const type = this.type(depth + 1);
      fields.push({ name, type });
      if (this.peek() === ')') break;
      this.expect(',', `after the type of field "${name}"`);
    }
    this.pos++;
    return fields;
  }
}
