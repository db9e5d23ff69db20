/**
 * The column lineage of every dataset's Silver and Gold SQL, from the statement trees of DuckDB's
 * parser (`parse`: `json_serialize_sql` wherever DuckDB runs). Computed once: at build time for
 * the function bundles (scripts/esbuild-contracts.mjs), once per process locally.
 */
import type { ContractSet } from '../contract/parse.js';
import { type QueryLineage, queryLineage, UnsupportedLineageError } from './columns.js';

/** A statement's lineage, or why it has none. */
export type StatementLineage =
  | { readonly ok: true; readonly lineage: QueryLineage }
  | { readonly ok: false; readonly reason: string };

export interface DatasetColumnLineage {
  readonly dataset: string;
  readonly silver: StatementLineage;
  readonly gold: Readonly<Record<string, StatementLineage>>;
}

/** Column lineage by dataset. */
export type ColumnLineageMap = ReadonlyMap<string, DatasetColumnLineage>;

/** The statement tree of one SQL statement (DuckDB's `json_serialize_sql`, parsed). */
export type ParseSql = (sql: string) => Promise<unknown>;

export async function contractColumnLineage(
  contracts: ContractSet,
  parse: ParseSql,
): Promise<DatasetColumnLineage[]> {
  const datasets = [...contracts.datasets.values()];
  const silver = new Map<string, StatementLineage>();
  for (const c of datasets) {
    const columns = c.columns.map((col) => ({ name: col.name, type: col.typeName }));
    silver.set(c.name, await lineageOf(c.silver.sql, parse, (t) => (t === 'batch' ? columns : undefined)));
  }
  const silverColumns = (table: string) => {
    const m = /^silver\.(.+)$/.exec(table);
    const s = m ? silver.get(m[1]!) : undefined;
    return s?.ok
      ? s.lineage.columns.map((col) => ({ name: col.name, ...(col.type ? { type: col.type } : {}) }))
      : undefined;
  };
  const out: DatasetColumnLineage[] = [];
  for (const c of datasets) {
    const gold: Record<string, StatementLineage> = {};
    for (const g of c.gold) gold[g.name] = await lineageOf(g.sql, parse, silverColumns);
    out.push({ dataset: c.name, silver: silver.get(c.name)!, gold });
  }
  return out;
}

async function lineageOf(
  sql: string,
  parse: ParseSql,
  tables: (t: string) => readonly { name: string; type?: string }[] | undefined,
): Promise<StatementLineage> {
  try {
    return { ok: true, lineage: queryLineage(await parse(sql), tables) };
  } catch (e) {
    if (e instanceof UnsupportedLineageError) return { ok: false, reason: e.message };
    throw e;
  }
}

export function columnLineageMap(list: readonly DatasetColumnLineage[]): ColumnLineageMap {
  return new Map(list.map((d) => [d.dataset, d]));
}

/** The SQL that asks DuckDB for a statement's tree. */
export function serializeSqlStatement(sql: string): string {
  return `SELECT json_serialize_sql('${sql.replaceAll("'", "''")}') AS tree`;
}
