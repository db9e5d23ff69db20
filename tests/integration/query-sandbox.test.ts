import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lakeplane } from '../helpers/cli.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';

// `lakeplane query` as a user types it: exactly one read-only SELECT over the warehouse; every
// way out (writing files, reading the disk, attaching another workspace, extensions, settings,
// a second statement) is refused with exit 2 and a sentence, and the warehouse is intact after.

const DIGEST =
  "SELECT (SELECT count(*) FROM silver.orders) AS silver, (SELECT count(*) FROM gold.daily_revenue) AS gold, (SELECT count(*) FROM lakeplane.commits) AS commits, (SELECT string_agg(order_id || ':' || status, ',' ORDER BY order_id) FROM silver.orders) AS rows";

describe('lakeplane query is sandboxed', () => {
  it('refuses every escape with exit 2 and a sentence; the warehouse and the files around it are untouched', () => {
    const home = tempDir();
    const other = tempDir();
    const dir = tempDir();
    expect(
      lakeplane(home, 'load', 'orders', ndjson(dir, 'a.ndjson', [order('o1', '2026-11-20T10:00:00Z')])).code,
    ).toBe(0);
    expect(
      lakeplane(other, 'load', 'orders', ndjson(dir, 'b.ndjson', [order('o2', '2026-11-20T10:00:00Z')])).code,
    ).toBe(0);
    const before = lakeplane(home, 'query', '--json', DIGEST);
    expect(before.code).toBe(0);
    const warehouse = join(home, 'warehouse.duckdb');
    const bytes = readFileSync(warehouse);
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'do not read me\n');

    const escapes: [string, RegExp][] = [
      [`COPY (SELECT 1) TO '${warehouse}'`, /this is not a SELECT/],
      [`COPY silver.orders TO '${join(dir, 'out.csv')}'`, /this is not a SELECT/],
      [`SELECT * FROM read_csv('${secret}')`, /files and the network are off/],
      [`SELECT * FROM read_text('/etc/passwd')`, /files and the network are off/],
      // A quoted path is a table name once the file readers are off: there is no such table.
      [
        `SELECT * FROM '${secret}'`,
        /the query failed: Catalog Error: Table with name .*secret\.txt does not exist/,
      ],
      [`ATTACH '${join(other, 'warehouse.duckdb')}' AS o (READ_WRITE)`, /this is not a SELECT/],
      ['INSTALL httpfs', /this is not a SELECT/],
      ['LOAD httpfs', /this is not a SELECT/],
      ['PRAGMA database_list', /this is not a SELECT/],
      ['SET enable_external_access = true', /this is not a SELECT/],
      ['SELECT 1; DROP TABLE silver.orders', /this is not a SELECT/],
      ['SELECT 1; SELECT 2', /not 2 statements: run them one at a time/],
      ['DROP TABLE lakeplane.commits', /this is not a SELECT/],
    ];
    for (const [sql, why] of escapes) {
      const r = lakeplane(home, 'query', sql);
      expect(r.code, sql).toBe(2);
      expect(r.stderr, sql).toMatch(/^lakeplane: /);
      expect(r.stderr, sql).toMatch(why);
      expect(r.stderr, sql).not.toMatch(/\n\s+at /); // a sentence, not a stack trace
      expect(r.stdout, sql).toBe('');
    }
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
    expect(readFileSync(warehouse).equals(bytes), 'the warehouse file is byte for byte the same').toBe(true);
    expect(lakeplane(home, 'query', '--json', DIGEST).stdout).toBe(before.stdout);
    expect(
      JSON.parse(lakeplane(other, 'query', '--json', 'SELECT order_id FROM silver.orders').stdout),
    ).toEqual([{ order_id: 'o2' }]);

    // What it is for still works: a WITH … SELECT, and time travel.
    const withSelect = lakeplane(
      home,
      'query',
      '--json',
      'WITH o AS (SELECT * FROM silver.orders) SELECT count(*) AS n FROM o',
    );
    expect(JSON.parse(withSelect.stdout)).toEqual([{ n: '1' }]);
  });
});
