/**
 * Column lineage of a contract's SELECT (its Silver SQL over `batch`, a Gold SQL over
 * `silver.<dataset>`), read from the statement tree DuckDB's own parser gives
 * (`json_serialize_sql`): which input columns each output column is made of, and how
 * (OpenLineage transformation types: DIRECT IDENTITY / TRANSFORMATION / AGGREGATION; INDIRECT
 * FILTER / GROUP_BY / JOIN / SORT for columns that decide which rows there are).
 *
 * The tree is parsed where DuckDB runs (the build, the local runtime: shared/contract-lineage.ts);
 * this walker is pure, so a function bundle carries only its result. It reads the one SELECT
 * shape contracts use (a select list over base tables and joins, with WHERE, GROUP BY, HAVING and
 * ORDER BY); a subquery, a CTE or a set operation is reported as not supported, and that output
 * gets no column-lineage facet rather than a wrong one.
 */

export type TransformationSubtype =
  | 'IDENTITY'
  | 'TRANSFORMATION'
  | 'AGGREGATION'
  | 'FILTER'
  | 'GROUP_BY'
  | 'JOIN'
  | 'SORT';

/** One input column an output column (or every row of the output) depends on. */
export interface ColumnInput {
  /** The table as the SQL names it: `batch`, `silver.orders`. */
  readonly table: string;
  readonly column: string;
  readonly type: 'DIRECT' | 'INDIRECT';
  readonly subtype: TransformationSubtype;
}

export interface OutputColumn {
  readonly name: string;
  /** The SQL type when the statement says it (a CAST), else the input column's when copied as is. */
  readonly type?: string;
  readonly inputs: readonly ColumnInput[];
}

export interface QueryLineage {
  readonly columns: readonly OutputColumn[];
  /** Columns every output row depends on (filters, grouping, joins, sorting). */
  readonly indirect: readonly ColumnInput[];
}

export class UnsupportedLineageError extends Error {
  override readonly name = 'UnsupportedLineageError';
}

/** The columns and types of the tables a statement may read, by the name it gives them. */
export type TableColumns = (table: string) => readonly { name: string; type?: string }[] | undefined;

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

const AGGREGATES = new Set([
  'sum',
  'count',
  'count_star',
  'avg',
  'mean',
  'min',
  'max',
  'median',
  'mode',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'first',
  'last',
  'any_value',
  'arbitrary',
  'bool_and',
  'bool_or',
  'string_agg',
  'list',
  'array_agg',
  'collect_list',
  'collect_set',
  'approx_count_distinct',
  'sum_distinct',
  'product',
]);

/**
 * The column lineage of one statement tree (`json_serialize_sql`'s output).
 * @throws UnsupportedLineageError for a statement shape the walker does not read.
 */
export function queryLineage(tree: unknown, tables: TableColumns): QueryLineage {
  if (!isNode(tree) || tree.error === true)
    throw new UnsupportedLineageError(
      `the SQL did not parse: ${String(isNode(tree) ? tree.error_message : tree)}`,
    );
  const statements = tree.statements;
  if (!Array.isArray(statements) || statements.length !== 1)
    throw new UnsupportedLineageError('the SQL must be one SELECT statement');
  const select = (statements[0] as Node).node;
  if (!isNode(select) || select.type !== 'SELECT_NODE')
    throw new UnsupportedLineageError('the SQL must be a plain SELECT (not a set operation)');
  const cte = select.cte_map;
  if (isNode(cte) && Array.isArray(cte.map) && cte.map.length > 0)
    throw new UnsupportedLineageError('a WITH clause is not read for column lineage');

  const sources = new Map<string, string>(); // alias or name → table as written
  const joinConditions: unknown[] = [];
  collectTables(select.from_table, sources, joinConditions);
  if (sources.size === 0) throw new UnsupportedLineageError('the SELECT reads no table');

  const resolve = (names: readonly string[]): { table: string; column: string }[] => {
    const column = names.at(-1)!;
    if (names.length >= 2) {
      const qualifier = names.slice(0, -1).join('.');
      const table = sources.get(qualifier);
      if (!table) throw new UnsupportedLineageError(`column ${names.join('.')} names no table of the FROM`);
      return [{ table, column }];
    }
    const distinct = [...new Set(sources.values())];
    if (distinct.length === 1) return [{ table: distinct[0]!, column }];
    const having = distinct.filter((t) => tables(t)?.some((c) => c.name === column));
    return (having.length > 0 ? having : distinct).map((table) => ({ table, column }));
  };

  const refsIn = (
    expr: unknown,
    direct: boolean,
    inAggregate: boolean,
    out: ColumnInput[],
    indirect: TransformationSubtype,
  ) => {
    if (Array.isArray(expr)) {
      for (const e of expr) refsIn(e, direct, inAggregate, out, indirect);
      return;
    }
    if (!isNode(expr)) return;
    if (expr.class === 'SUBQUERY' || expr.type === 'SUBQUERY')
      throw new UnsupportedLineageError('a subquery is not read for column lineage');
    if (expr.class === 'COLUMN_REF' && Array.isArray(expr.column_names)) {
      for (const r of resolve(expr.column_names as string[]))
        out.push({
          ...r,
          type: direct ? 'DIRECT' : 'INDIRECT',
          subtype: direct ? (inAggregate ? 'AGGREGATION' : 'TRANSFORMATION') : indirect,
        });
      return;
    }
    const aggregate =
      inAggregate ||
      ((expr.class === 'FUNCTION' || expr.class === 'WINDOW' || expr.class === 'AGGREGATE') &&
        AGGREGATES.has(String(expr.function_name).toLowerCase()));
    for (const [k, v] of Object.entries(expr)) {
      if (k === 'cast_type' || k === 'value') continue;
      refsIn(v, direct, aggregate, out, indirect);
    }
  };

  const list = Array.isArray(select.select_list) ? (select.select_list as unknown[]) : [];
  const columns: OutputColumn[] = [];
  for (const item of list) {
    if (!isNode(item)) continue;
    if (item.class === 'STAR') {
      for (const table of new Set(sources.values())) {
        const known = tables(table);
        if (!known) throw new UnsupportedLineageError(`SELECT * over ${table}, whose columns are not known`);
        for (const c of known)
          columns.push({
            name: c.name,
            ...(c.type ? { type: c.type } : {}),
            inputs: [{ table, column: c.name, type: 'DIRECT', subtype: 'IDENTITY' }],
          });
      }
      continue;
    }
    const alias = typeof item.alias === 'string' && item.alias !== '' ? item.alias : undefined;
    if (item.class === 'COLUMN_REF' && Array.isArray(item.column_names)) {
      const names = item.column_names as string[];
      const [src] = resolve(names);
      const type = tables(src!.table)?.find((c) => c.name === src!.column)?.type;
      columns.push({
        name: alias ?? names.at(-1)!,
        ...(type ? { type } : {}),
        inputs: resolve(names).map((r) => ({ ...r, type: 'DIRECT', subtype: 'IDENTITY' })),
      });
      continue;
    }
    if (!alias)
      throw new UnsupportedLineageError('an expression in the select list has no alias (AS <name>)');
    const inputs: ColumnInput[] = [];
    refsIn(item, true, false, inputs, 'TRANSFORMATION');
    const type = item.class === 'CAST' ? sqlType(item.cast_type) : undefined;
    columns.push({ name: alias, ...(type ? { type } : {}), inputs: dedupe(inputs) });
  }

  const indirect: ColumnInput[] = [];
  refsIn(select.where_clause, false, false, indirect, 'FILTER');
  refsIn(select.having, false, false, indirect, 'FILTER');
  refsIn(select.group_expressions, false, false, indirect, 'GROUP_BY');
  refsIn(joinConditions, false, false, indirect, 'JOIN');
  const modifiers = Array.isArray(select.modifiers) ? (select.modifiers as Node[]) : [];
  for (const m of modifiers)
    if (m.type === 'ORDER_MODIFIER') refsIn(m.orders, false, false, indirect, 'SORT');
  return { columns, indirect: dedupe(indirect) };
}

function collectTables(from: unknown, sources: Map<string, string>, joins: unknown[]): void {
  if (!isNode(from)) return;
  if (from.type === 'BASE_TABLE') {
    const schema =
      typeof from.schema_name === 'string' && from.schema_name !== '' ? from.schema_name : undefined;
    const name = String(from.table_name);
    const table = schema ? `${schema}.${name}` : name;
    sources.set(table, table);
    sources.set(name, table);
    if (typeof from.alias === 'string' && from.alias !== '') sources.set(from.alias, table);
    return;
  }
  if (from.type === 'JOIN') {
    collectTables(from.left, sources, joins);
    collectTables(from.right, sources, joins);
    if (from.condition) joins.push(from.condition);
    return;
  }
  if (from.type === 'EMPTY') return;
  throw new UnsupportedLineageError(
    `a FROM ${String(from.type).toLowerCase()} is not read for column lineage`,
  );
}

/** A DuckDB `cast_type` as the contracts write types (`decimal(14,2)`, `date`: Spark's and Glue's spelling). */
function sqlType(t: unknown): string | undefined {
  if (!isNode(t) || typeof t.id !== 'string') return undefined;
  const info = t.type_info;
  if (t.id === 'DECIMAL' && isNode(info)) return `decimal(${String(info.width)},${String(info.scale)})`;
  return t.id.toLowerCase();
}

function dedupe(inputs: readonly ColumnInput[]): ColumnInput[] {
  const seen = new Map<string, ColumnInput>();
  for (const i of inputs) {
    const k = `${i.table}\0${i.column}\0${i.type}\0${i.subtype}`;
    if (!seen.has(k)) seen.set(k, i);
  }
  return [...seen.values()];
}
