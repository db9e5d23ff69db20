import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { castReasonSql, castSql, sparkDecimalCasts } from '../../local/engine/record-rules.js';
import { literal } from '../../local/engine/sql.js';
import { Warehouse } from '../../local/engine/warehouse.js';
import { parseColumnType } from '../../shared/core/contract/column-type.js';
import type { ColumnType } from '../../shared/core/contract/types.js';
import { tempDir } from '../helpers/fixtures.js';

/** The vectors casting.py passes too (spark-jobs/tests/test_record_rules.py). */
const vectors = (
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/parity/record-rules.json'), 'utf8')) as {
    vectors: { type: string; text: string; value?: unknown; reason?: string }[];
  }
).vectors;

let wh: Warehouse;
beforeAll(async () => {
  wh = await Warehouse.open(join(tempDir(), 'warehouse.duckdb'));
});
afterAll(() => wh.close());

/** The value as the vectors write it (timestamps as UTC ISO with micros, decimals and ints as text). */
function canonicalSql(type: ColumnType, value: string): string {
  if (type.kind === 'timestamp') return `strftime(${value}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
  if (type.kind === 'double' || type.kind === 'float' || type.kind === 'boolean') return `${value}`;
  return `${value}::VARCHAR`;
}

describe('the record rules on DuckDB', () => {
  it('cast every vector as casting.py does: the same value, or the same reason', async () => {
    expect(vectors.length).toBeGreaterThan(40);
    for (const v of vectors) {
      const type = parseColumnType(v.type) as ColumnType;
      const raw = literal(v.text);
      const row = (
        await wh.query(
          `SELECT ${canonicalSql(type, castSql(type, raw))} AS value, ${castReasonSql({ name: 'v', type, typeName: v.type, nullable: true, pii: false } as never, raw)} AS reason`,
        )
      ).rows[0]!;
      if (v.reason !== undefined) {
        expect({ text: v.text, type: v.type, value: row.value }).toEqual({
          text: v.text,
          type: v.type,
          value: null,
        });
        expect({ text: v.text, reason: row.reason }).toEqual({
          text: v.text,
          reason: `field v: ${v.reason}`,
        });
      } else {
        const got = typeof v.value === 'number' ? Number(row.value) : row.value;
        expect({ text: v.text, type: v.type, value: got }).toEqual({
          text: v.text,
          type: v.type,
          value: v.value,
        });
      }
    }
  });

  it("runs a contract SQL's DECIMAL casts as Spark does: the double's text rounded half-up, NULL when it does not fit", async () => {
    const sql = sparkDecimalCasts(
      "SELECT CAST(1.005::DOUBLE AS DECIMAL(12,2)) AS a, cast(2.675::DOUBLE * 1 as decimal(12, 2)) AS b, CAST(1e20::DOUBLE AS DECIMAL(14,2)) AS c, CAST(CAST(1.5 AS DOUBLE) AS NUMERIC(4,0)) AS d, CAST('x' AS VARCHAR) AS e, 'CAST(1 AS DECIMAL(2,0))' AS f -- CAST(9 AS DECIMAL(1,0))",
    );
    expect(sql).toContain("'CAST(1 AS DECIMAL(2,0))' AS f -- CAST(9 AS DECIMAL(1,0))");
    expect((await wh.query(sql)).rows[0]).toEqual({
      a: '1.01',
      b: '2.68',
      c: null,
      d: '2',
      e: 'x',
      f: 'CAST(1 AS DECIMAL(2,0))',
    });
    // Without the rewrite DuckDB rounds the binary value and fails on overflow.
    expect((await wh.query('SELECT CAST(1.005::DOUBLE AS DECIMAL(12,2)) AS a')).rows[0]).toEqual({
      a: '1.00',
    });
  });
});
