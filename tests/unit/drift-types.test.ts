/**
 * Hive/Glue type strings: real crawler output parses into the expected tree and prints back as
 * canonical text; malformed strings fail with the position where they stop making sense.
 */
import { describe, expect, it } from 'vitest';
import {
  canonicalGlueType,
  type GlueType,
  GlueTypeError,
  MAX_NESTING,
  parseGlueType,
  printGlueType,
  sameGlueType,
} from '../../shared/core/drift/index.js';

/** [type string as Glue stores it, canonical text]. */
const CANONICAL: readonly (readonly [string, string])[] = [
  // primitives crawlers and Spark write
  ['string', 'string'],
  ['tinyint', 'tinyint'],
  ['smallint', 'smallint'],
  ['int', 'int'],
  ['bigint', 'bigint'],
  ['float', 'float'],
  ['double', 'double'],
  ['boolean', 'boolean'],
  ['binary', 'binary'],
  ['date', 'date'],
  ['timestamp', 'timestamp'],
  ['void', 'void'],
  ['timestamp_ntz', 'timestamp_ntz'],
  ['interval_year_month', 'interval_year_month'],
  ['interval_day_time', 'interval_day_time'],
  ['timestamp with local time zone', 'timestamp with local time zone'],
  ['varchar(255)', 'varchar(255)'],
  ['char(2)', 'char(2)'],
  ['decimal(10,2)', 'decimal(10,2)'],
  ['decimal(38,18)', 'decimal(38,18)'],
  // Hive defaults: decimal = decimal(10,0), decimal(p) = decimal(p,0)
  ['decimal', 'decimal(10,0)'],
  ['decimal(12)', 'decimal(12,0)'],
  // DDL aliases
  ['integer', 'int'],
  ['numeric(8,3)', 'decimal(8,3)'],
  ['dec(5)', 'decimal(5,0)'],
  ['double precision', 'double'],
  // case-insensitive keywords, whitespace between tokens
  ['BIGINT', 'bigint'],
  ['Decimal(10, 2)', 'decimal(10,2)'],
  ['ARRAY<STRING>', 'array<string>'],
  ['map<string, int>', 'map<string,int>'],
  ['  struct< a : int , b : string >  ', 'struct<a:int,b:string>'],
  ['TIMESTAMP WITH LOCAL TIME ZONE', 'timestamp with local time zone'],
  ['struct<id:bigint, name:string>', 'struct<id:bigint,name:string>'],
  // nested crawler output
  ['struct<id:bigint,name:string,tags:array<string>>', 'struct<id:bigint,name:string,tags:array<string>>'],
  ['map<string,array<struct<a:int>>>', 'map<string,array<struct<a:int>>>'],
  [
    'array<struct<sku:string,quantity:int,unit_price:double>>',
    'array<struct<sku:string,quantity:int,unit_price:double>>',
  ],
  [
    'struct<name:string,address:struct<line1:string,city:string,zip:string,country:string>>',
    'struct<name:string,address:struct<line1:string,city:string,zip:string,country:string>>',
  ],
  [
    'array<struct<product_id:string,price:decimal(10,2),quantity:smallint,categories:array<string>>>',
    'array<struct<product_id:string,price:decimal(10,2),quantity:smallint,categories:array<string>>>',
  ],
  ['map<string,map<string,array<map<int,string>>>>', 'map<string,map<string,array<map<int,string>>>>'],
  ['uniontype<int,double,array<string>>', 'uniontype<int,double,array<string>>'],
  ['struct<>', 'struct<>'],
  // field names: what Glue crawlers keep from JSON keys and Hive allows; backquotes when needed
  [
    'struct<user-agent:string,page.url:string,$ref:int>',
    'struct<user-agent:string,page.url:string,$ref:int>',
  ],
  ['struct<first name:string>', 'struct<first name:string>'],
  ['struct<`a:b`:int,`x``y`:string>', 'struct<`a:b`:int,`x``y`:string>'],
  ['struct<`plain`:int>', 'struct<plain:int>'],
  ['struct<`a,b`:int>', 'struct<`a,b`:int>'],
  ['struct<Id:BIGINT>', 'struct<Id:bigint>'],
  // Hive DDL field comments are read and dropped from canonical text
  ["struct<a:int COMMENT 'the a',b:string comment \"it's b\">", 'struct<a:int,b:string>'],
];

describe('parseGlueType and printGlueType', () => {
  it.each(CANONICAL)('%s → %s', (text, canonical) => {
    const type = parseGlueType(text);
    expect(printGlueType(type)).toBe(canonical);
    expect(canonicalGlueType(text)).toBe(canonical);
    // canonical text reads back to the same tree
    expect(sameGlueType(parseGlueType(canonical), type)).toBe(true);
    expect(printGlueType(parseGlueType(canonical))).toBe(canonical);
  });

  it('builds the typed tree of a nested crawler type', () => {
    expect(parseGlueType('struct<id:bigint,tags:array<string>,attrs:map<string,decimal(12,2)>>')).toEqual({
      kind: 'struct',
      fields: [
        { name: 'id', type: { kind: 'bigint' } },
        { name: 'tags', type: { kind: 'array', element: { kind: 'string' } } },
        {
          name: 'attrs',
          type: { kind: 'map', key: { kind: 'string' }, value: { kind: 'decimal', precision: 12, scale: 2 } },
        },
      ],
    } satisfies GlueType);
  });

  it('keeps field names as written and field comments on the field', () => {
    expect(parseGlueType("struct<`a:b`:int, First Name : string COMMENT 'given name'>")).toEqual({
      kind: 'struct',
      fields: [
        { name: 'a:b', type: { kind: 'int' } },
        { name: 'First Name', type: { kind: 'string' }, comment: 'given name' },
      ],
    });
  });

  it('reads parameters of every primitive', () => {
    expect(parseGlueType('varchar(65535)')).toEqual({ kind: 'varchar', length: 65535 });
    expect(parseGlueType('char(255)')).toEqual({ kind: 'char', length: 255 });
    expect(parseGlueType('decimal(38,38)')).toEqual({ kind: 'decimal', precision: 38, scale: 38 });
    expect(parseGlueType('decimal(1)')).toEqual({ kind: 'decimal', precision: 1, scale: 0 });
  });

  it('parses nesting hundreds of levels deep', () => {
    const depth = 500;
    const text = `${'array<'.repeat(depth)}struct<leaf:int>${'>'.repeat(depth)}`;
    expect(printGlueType(parseGlueType(text))).toBe(text);
    const structs = `${'struct<a:'.repeat(depth)}int${'>'.repeat(depth)}`;
    expect(printGlueType(parseGlueType(structs))).toBe(structs);
  });

  it('refuses nesting beyond the limit with a GlueTypeError, not a stack overflow', () => {
    const text = `${'array<'.repeat(MAX_NESTING + 5)}int${'>'.repeat(MAX_NESTING + 5)}`;
    expect(() => parseGlueType(text)).toThrow(GlueTypeError);
    expect(() => parseGlueType(text)).toThrow(/nested deeper than 1000 levels/);
  });
});

describe('sameGlueType', () => {
  it.each([
    ['struct<Id:bigint>', 'struct<id:bigint>', true],
    ['decimal', 'decimal(10,0)', true],
    ["struct<a:int comment 'x'>", 'struct<a:int>', true],
    ['integer', 'int', true],
    ['struct<a:int,b:int>', 'struct<b:int,a:int>', false],
    ['varchar(10)', 'varchar(11)', false],
    ['array<int>', 'array<bigint>', false],
    ['map<string,int>', 'map<int,int>', false],
    ['uniontype<int>', 'uniontype<int,string>', false],
  ] as const)('%s vs %s → %s', (a, b, same) => {
    expect(sameGlueType(parseGlueType(a), parseGlueType(b))).toBe(same);
  });
});

/** [malformed type string, 0-based position, reason]. */
const MALFORMED: readonly (readonly [string, number, RegExp])[] = [
  ['', 0, /empty type string/],
  ['   ', 0, /empty type string/],
  ['strin', 0, /unknown type "strin"/],
  ['struct<a:strng>', 9, /unknown type "strng"/],
  ['int x', 4, /unexpected "x" after the complete type/],
  ['array<string>>', 13, /unexpected ">" after the complete type/],
  ['array<int', 9, /expected ">" to close "array<", found end of the string/],
  ['array', 5, /expected "<" after "array"/],
  ['array<>', 6, /expected a type, found ">"/],
  ['map<string>', 10, /expected "," between the key and value types/],
  ['map<string,int', 14, /expected ">" to close "map<"/],
  ['struct<a int>', 12, /expected ":" after the field name "a int", found ">"/],
  ['struct<a:int,b>', 14, /expected ":" after the field name "b"/],
  ['struct<a:int b:string>', 13, /expected "," or ">" after the type of field "a", found "b"/],
  ['struct<a:int,>', 13, /expected a field name, found ">"/],
  ['struct<:int>', 7, /expected a field name, found ":"/],
  ['struct<a:int', 12, /expected "," or ">" after the type of field "a", found end of the string/],
  ['struct<`a:int>', 7, /unterminated backquoted field name/],
  ['struct<``:int>', 7, /empty field name/],
  ['struct<id:int,ID:string>', 14, /struct field "ID" appears twice/],
  ['struct<a:array<int>,b:map<string,struct<c:int,d>>>', 47, /expected ":" after the field name "d"/],
  ['decimal(40,2)', 8, /decimal precision must be 1\.\.38, got 40/],
  ['decimal(0)', 8, /decimal precision must be 1\.\.38, got 0/],
  ['decimal(5,6)', 10, /decimal scale 6 is larger than its precision 5/],
  ['decimal(10,2,1)', 13, /decimal takes at most two parameters, got 3/],
  ['decimal(10,)', 11, /expected a number in the parameters of decimal, found "\)"/],
  ['decimal(a)', 8, /expected a number in the parameters of decimal/],
  ['decimal(10 2)', 11, /expected "," or "\)" in the parameters of decimal/],
  ['varchar', 7, /varchar needs a length/],
  ['varchar(0)', 8, /varchar length must be 1\.\.65535, got 0/],
  ['varchar(65536)', 8, /varchar length must be 1\.\.65535/],
  ['char(256)', 5, /char length must be 1\.\.255, got 256/],
  ['char(1,2)', 7, /char takes one parameter \(its length\), got 2/],
  ['int(11)', 3, /int takes no parameters/],
  ['uniontype<>', 10, /expected a type, found ">"/],
  ['struct<a:int COMMENT x>', 21, /expected a quoted comment/],
  ["struct<a:int COMMENT 'x>", 21, /unterminated comment/],
  ['timestamp with time zone', 10, /unexpected "with" after the complete type/],
  ['5', 0, /expected a type, found "5"/],
];

describe('malformed type strings', () => {
  it.each(MALFORMED)('%j fails at position %i', (text, position, reason) => {
    let error: unknown;
    try {
      parseGlueType(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GlueTypeError);
    const e = error as GlueTypeError;
    expect(e.reason).toMatch(reason);
    expect(e.position).toBe(position);
    expect(e.input).toBe(text);
    expect(e.message).toBe(`invalid Glue type ${JSON.stringify(text)} at position ${position}: ${e.reason}`);
  });

  it('points at the position under the type string', () => {
    try {
      parseGlueType('struct<a:int,b>');
      expect.unreachable();
    } catch (e) {
      expect((e as GlueTypeError).pointer).toBe('struct<a:int,b>\n              ^');
    }
  });
});
