import type { ContractSet } from './core/contract/parse.js';
import {
  contractColumnLineage,
  type DatasetColumnLineage,
  type ParseSql,
  serializeSqlStatement,
} from './core/lineage/contract-lineage.js';

/**
 * The contracts' column lineage through DuckDB's parser: over `query` when DuckDB is already open
 * (the local warehouse), else an in-memory DuckDB opened for it (the build, tests).
 */
export async function columnLineageWithDuckDb(
  contracts: ContractSet,
  query?: (sql: string) => Promise<readonly Record<string, unknown>[]>,
): Promise<DatasetColumnLineage[]> {
  if (query) return contractColumnLineage(contracts, parserOver(query));
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return await contractColumnLineage(
      contracts,
      parserOver(
        async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
      ),
    );
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

function parserOver(query: (sql: string) => Promise<readonly Record<string, unknown>[]>): ParseSql {
  return async (sql) => JSON.parse(String((await query(serializeSqlStatement(sql)))[0]?.tree)) as unknown;
}
