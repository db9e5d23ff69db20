import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ident, literal } from '../engine/sql.js';
import { Warehouse } from '../engine/warehouse.js';

/**
 * Gold on the Spark engine: the gold job writes each rebuild of a table to a new run directory
 * (`<gold bucket>/<table>/<UTC time>Z-<load>/`, Spark's `_SUCCESS` last) and then points the catalog
 * table at it, so the live run is the newest complete one. (A run whose catalog switch failed after
 * a complete write would be taken for live; the job fails the load then, and the next Gold run
 * replaces it.)
 */
export function liveGoldRun(goldRoot: string, table: string): string | undefined {
  const dir = join(goldRoot, table);
  if (!existsSync(dir)) return undefined;
  const run = readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, '_SUCCESS')))
    .sort()
    .at(-1);
  return run === undefined ? undefined : join(dir, run);
}

/**
 * A SELECT over the Spark engine's Gold tables, read from their live run's Parquet by an in-memory
 * DuckDB (as Athena reads a Glue table's Parquet): `gold.<table>` names a view of each one.
 */
export async function queryGoldRuns(
  sql: string,
  goldRoot: string,
  tables: readonly string[],
): Promise<{ columns: readonly string[]; rows: readonly Record<string, unknown>[] }> {
  const wh = await Warehouse.open(':memory:');
  try {
    for (const t of tables) {
      const run = liveGoldRun(goldRoot, t);
      if (run)
        await wh.query(
          `CREATE VIEW gold.${ident(t)} AS SELECT * FROM read_parquet(${literal(join(run, '*.parquet'))})`,
        );
    }
    return await wh.query(sql);
  } finally {
    wh.close();
  }
}
