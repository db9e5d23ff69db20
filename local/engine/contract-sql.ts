import type { DatasetContract } from '../../shared/core/contract/types.js';

/**
 * What a contract's SQL may be: one SELECT (decided by DuckDB's own parser, `json_serialize_sql`)
 * over the relations it is given. silver.sql reads `batch` (the load's typed, deduplicated
 * records); a Gold table's SQL reads `silver.<dataset>` and `gold.<table>`. Common table
 * expressions are its own. No table function reads a file or the network: only `range`,
 * `generate_series` and `unnest` are allowed. Anything else (a second statement, COPY, ATTACH,
 * `read_csv(…)`, another schema) is a problem named with the contract's file and the SQL's place.
 */

/** The table functions a contract's SQL may call: they read nothing outside the query. */
const SAFE_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

/** Parses SQL with DuckDB: what `json_serialize_sql` answers (a JSON text). */
export type SerializeSql = (sql: string) => Promise<string>;

interface Relations {
  readonly tables: { schema: string; table: string }[];
  readonly functions: string[];
  readonly ctes: Set<string>;
}

function relationsOf(node: unknown, out: Relations): Relations {
  if (Array.isArray(node)) {
    for (const n of node) relationsOf(n, out);
  } else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string')
      out.tables.push({
        schema: String(o.schema_name ?? '').toLowerCase(),
        table: o.table_name.toLowerCase(),
      });
    if (o.type === 'TABLE_FUNCTION') {
      const fn = (o.function as { function_name?: unknown } | undefined)?.function_name;
      out.functions.push(String(fn ?? 'a table function').toLowerCase());
    }
    const map = (o.cte_map as { map?: { key?: unknown }[] } | undefined)?.map;
    for (const m of map ?? []) if (typeof m.key === 'string') out.ctes.add(m.key.toLowerCase());
    for (const v of Object.values(o)) relationsOf(v, out);
  }
  return out;
}

/** The problems of one SQL text: not one SELECT, or a relation it may not read. */
async function sqlProblems(
  sql: string,
  where: string,
  allowed: (t: { schema: string; table: string }) => boolean,
  readable: string,
  serialize: SerializeSql,
): Promise<string[]> {
  const parsed = JSON.parse(await serialize(sql)) as {
    error?: boolean;
    error_message?: string;
    statements?: unknown[];
  };
  if (parsed.error || !parsed.statements) {
    const message = parsed.error_message ?? 'it could not be parsed';
    return [
      /Only SELECT statements/i.test(message)
        ? `${where} must be one SELECT; it holds a statement that is not (COPY, ATTACH, PRAGMA, SET, CREATE, INSERT, DROP and the like are refused)`
        : `${where} does not parse: ${message}`,
    ];
  }
  if (parsed.statements.length !== 1)
    return [`${where} must be one SELECT, not ${parsed.statements.length} statements`];
  const rel = relationsOf(parsed.statements, { tables: [], functions: [], ctes: new Set() });
  const problems: string[] = [];
  for (const t of rel.tables) {
    if (t.schema === '' && rel.ctes.has(t.table)) continue;
    if (!allowed(t))
      problems.push(
        `${where} reads ${t.schema ? `${t.schema}.` : ''}${t.table}; it may read ${readable} only`,
      );
  }
  for (const f of rel.functions)
    if (!SAFE_TABLE_FUNCTIONS.has(f))
      problems.push(
        `${where} calls the table function ${f}(…); a contract's SQL may not read files or the network`,
      );
  return problems;
}

/**
 * Every problem of a contract's SQL, each a sentence naming the contract file and the SQL
 * (silver.sql, gold.<name>.sql). `datasets` are the contracts' names (the Silver tables).
 */
export async function contractSqlProblems(
  contract: DatasetContract,
  datasets: ReadonlySet<string>,
  serialize: SerializeSql,
): Promise<string[]> {
  const file = contract.source;
  const out = await sqlProblems(
    contract.silver.sql,
    `${file}: silver.sql`,
    (t) => t.schema === '' && t.table === 'batch',
    "`batch` (the load's records)",
    serialize,
  );
  const golds = new Set(contract.gold.map((g) => g.name.toLowerCase()));
  for (const g of contract.gold)
    out.push(
      ...(await sqlProblems(
        g.sql,
        `${file}: gold ${g.name} sql`,
        (t) =>
          (t.schema === 'silver' && datasets.has(t.table)) || (t.schema === 'gold' && golds.has(t.table)),
        "silver.<dataset> and this contract's gold.<table>",
        serialize,
      )),
    );
  return out;
}

/** A contract whose SQL may not run: the load fails before it runs any of it. */
export class ContractSqlError extends Error {
  override readonly name = 'ContractSqlError';
}
