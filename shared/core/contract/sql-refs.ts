/** A `zone.table` reference found in contract SQL. */
export interface TableRef {
  readonly zone: 'silver' | 'gold';
  readonly table: string;
}

/**
 * Blanks out string literals and comments so that reference scanning does not see words
 * inside them. One left-to-right pass, so an apostrophe inside a comment is not taken for a
 * string. Hand-written because the contract SQL is shared by Spark and DuckDB and we only
 * need this one lexical step, not a dialect parser.
 */
export function stripSqlLiterals(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g, (m) => (m.startsWith("'") ? "''" : ' '));
}

/** The `silver.<t>` and `gold.<t>` references of a SQL text (outside literals and comments). */
export function tableRefs(sql: string): TableRef[] {
  const refs: TableRef[] = [];
  for (const m of stripSqlLiterals(sql).matchAll(
    /(?<![\w.])(silver|gold)\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)/gi,
  )) {
    refs.push({ zone: m[1]!.toLowerCase() as 'silver' | 'gold', table: m[2]!.toLowerCase() });
  }
  return refs;
}

/** Whether the SQL reads the load's batch relation (`FROM batch` / `JOIN batch`). */
export function readsBatch(sql: string): boolean {
  return /\b(from|join)\s+batch\b/i.test(stripSqlLiterals(sql));
}

/**
 * Whether the identifier appears as a word in the SQL (outside literals and comments), bare
 * or qualified by an alias (`b.order_id`).
 */
export function mentionsIdentifier(sql: string, name: string): boolean {
  return new RegExp(`(?<!\\w)${name}(?!\\w)`, 'i').test(stripSqlLiterals(sql));
}
