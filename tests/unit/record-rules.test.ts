import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseColumnType } from '../../shared/core/contract/column-type.js';
import type { ColumnType } from '../../shared/core/contract/types.js';
import {
  backslashReplace,
  canonicalValue,
  castValue,
  checkLine,
  compileFieldRules,
  MAX_RECORD_BYTES,
  parseRecordJson,
} from '../../shared/core/record-rules.js';
import { bytesOf, corpus } from '../helpers/bad-records.js';

/** The vectors casting.py and the DuckDB engine pass too. */
const vectors = (
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/parity/record-rules.json'), 'utf8')) as {
    vectors: { type: string; text: string; value?: unknown; reason?: string }[];
  }
).vectors;

describe('the record rules in TypeScript (shared/core/record-rules.ts)', () => {
  it('cast every vector as casting.py does: the same value, or the same reason', () => {
    expect(vectors.length).toBeGreaterThan(40);
    for (const v of vectors) {
      const type = parseColumnType(v.type) as ColumnType;
      const got = castValue(v.text, type);
      if (v.reason !== undefined)
        expect({ text: v.text, got }).toEqual({ text: v.text, got: { ok: false, reason: v.reason } });
      else {
        expect(got.ok, `${v.type} ${v.text}`).toBe(true);
        if (got.ok)
          expect({ text: v.text, value: canonicalValue(got.value, type) }).toEqual({
            text: v.text,
            value: v.value,
          });
      }
    }
  });

  const rules = compileFieldRules({
    columns: [
      { name: 'id', type: { kind: 'string' } },
      { name: 'n', type: { kind: 'int' } },
      { name: 'req', type: { kind: 'string' } },
    ],
    required: new Map([['req', 'not nullable']]),
    nonEmpty: new Set(['id']),
  });

  it('reads a line as casting.py parse_line does', () => {
    const reason = (line: string | Uint8Array) => {
      const v = checkLine(line, rules);
      return v === undefined ? 'blank' : v.ok ? 'ok' : v.reason;
    };
    expect(reason('{"id":"a","n":1e3,"req":"x"}')).toBe('field n: "1e3" is not an int');
    expect(reason('\ufeff{"id":"a","n":5.0,"req":"x"}')).toBe('ok');
    expect(reason('   ')).toBe('blank');
    expect(reason('{"id":"","n":"x"}')).toBe(
      'field id: empty (record key field); field n: "x" is not an int; field req: missing (not nullable)',
    );
    expect(reason('{"id":"a","req":null}')).toBe('field req: null (not nullable)');
    expect(reason('[1]')).toBe('not a JSON object (the line is an array)');
    expect(reason('{"id":"a","n":1,"n":2,"req":"x"}')).toBe('duplicate key in the JSON object: "n"');
    expect(reason('{"id":"a","n":NaN}')).toBe('not valid JSON: NaN is not valid JSON');
    expect(reason('{"id":"a",}')).toBe(
      'not valid JSON: Expecting property name enclosed in double quotes: line 1 column 11 (char 10)',
    );
    const latin1 = Buffer.concat([
      Buffer.from('{"id":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('","req":"x"}'),
    ]);
    expect(reason(latin1)).toBe('not valid UTF-8: byte 0xe9 at offset 10');
    expect(backslashReplace(latin1)).toBe('{"id":"caf\\xe9","req":"x"}');
    expect(reason(`{"id":"${'x'.repeat(MAX_RECORD_BYTES)}"}`)).toBe(
      `record is ${MAX_RECORD_BYTES + 9} bytes, more than the ${MAX_RECORD_BYTES} allowed`,
    );
  });

  it('keeps nested values as compact JSON with every member and numbers as written', () => {
    const r = parseRecordJson('{"a": {"x": "é\\u00e9\\n/", "y": [1.50, 2E3, true, null], "x": 1}, "b": -0}');
    expect(r).toEqual({ ok: true, fields: expect.anything() });
    if (r.ok)
      expect(Object.fromEntries(r.fields)).toEqual({
        a: '{"x":"éé\\n/","y":[1.50,2E3,true,null],"x":1}',
        b: '-0',
      });
  });
});

describe('the bad-record corpus on the TypeScript rules', () => {
  const rules = compileFieldRules({
    columns: [
      ['id', 'string'],
      ['at_ts', 'timestamp'],
      ['n', 'int'],
      ['big', 'bigint'],
      ['d', 'double'],
      ['f', 'float'],
      ['ok', 'boolean'],
      ['day_of', 'date'],
      ['amt', 'decimal(12,2)'],
      ['s', 'string'],
      ['req', 'string'],
    ].map(([name, type]) => ({ name: name!, type: parseColumnType(type!) as ColumnType })),
    required: new Map([['req', 'not nullable']]),
    nonEmpty: new Set(['id']),
  });

  it('gives every entry its verdict and casting.py reason, from the bytes and from the text', () => {
    expect(corpus.filter((e) => e.reason !== undefined).length).toBeGreaterThanOrEqual(40);
    for (const e of corpus) {
      const bytes = bytesOf(e);
      const fromBytes = checkLine(bytes, rules);
      const want = e.good ? 'good' : e.reason;
      expect({ name: e.name, got: fromBytes?.ok ? 'good' : fromBytes?.reason }).toEqual({
        name: e.name,
        got: want,
      });
      if (e.base64 === undefined) {
        const fromText = checkLine(bytes.toString('utf8'), rules);
        expect({ name: e.name, got: fromText?.ok ? 'good' : fromText?.reason }).toEqual({
          name: e.name,
          got: want,
        });
      }
    }
  });
});
