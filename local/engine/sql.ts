/**
 * DuckDB SQL of the local engine, generated from a dataset contract: reading and typing a
 * Bronze NDJSON file, the record checks that send records to quarantine, the dedupe (greatest
 * precombine wins, a tie goes to the later line) and the MERGE into Silver with event-time
 * ordering (a stored row is replaced only by a record whose precombine is greater or equal).
 */
import { duckdbType } from '../../shared/core/contract/column-type.js';
import type { ColumnSpec, DatasetContract } from '../../shared/core/contract/types.js';
import { gateCheckedColumns } from '../../shared/core/quality/implicit.js';

/**
 * How a Bronze file is compressed, from its object key: the stored version files have no
 * extension of their own, so DuckDB cannot guess it. (read_csv spells "none" what read_json
 * calls "uncompressed".)
 */
export type Compression = 'gzip' | 'none';

export function compressionOf(key: string): Compression {
  return key.endsWith('.gz') ? 'gzip' : 'none';
}

/** Quotes an identifier for DuckDB. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal for DuckDB. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Reads a file as one row per line with its 1-based line number. The CSV reader with an
 * impossible delimiter and no quoting is DuckDB's fastest line splitter (measured: 0.25 s per
 * million lines, against minutes for read_text + string_split). Blank lines come back as NULL;
 * a CRLF line keeps its CR, which JSON reads as whitespace (and mixed endings stay readable).
 * (`column0`, not `line`, so no contract column can be shadowed.)
 */
export function readLinesSql(path: string, compression: Compression): string {
  return `SELECT row_number() OVER () AS __lp_line_no, column0 AS __lp_line FROM read_csv(${literal(path)}, columns={'column0': 'VARCHAR'}, header=false, delim=E'\\x1f', quote='', escape='', auto_detect=false, new_line='\\n', strict_mode=false, compression='${compression}')`;
}

function castExpr(column: ColumnSpec, raw: string): string {
  if (column.type.kind === 'timestamp') {
    // TIMESTAMP ignores a UTC offset, TIMESTAMPTZ honours it but parses slower (ICU): use the
    // fast cast for the common "...Z" and offset-free forms, TIMESTAMPTZ when there is an offset.
    return `CASE WHEN regexp_matches(${raw}, '[+-]\\d\\d:?\\d\\d$') THEN timezone('UTC', TRY_CAST(${raw} AS TIMESTAMPTZ)) ELSE TRY_CAST(${raw} AS TIMESTAMP) END`;
  }
  if (column.type.kind === 'string') return raw;
  return `TRY_CAST(${raw} AS ${duckdbType(column.type)})`;
}

/**
 * The fast path of the stage step: DuckDB's typed NDJSON reader straight into `checked` (same
 * columns as checkRecordsSql, but no line numbers: numbering rows costs a single-threaded pass,
 * 0.5 s per million, and the table's rowid already keeps file order). It refuses the whole file
 * on the first record it cannot type, so a file with any bad record is checked again line by
 * line (checkRecordsSql) to name each bad line. Measured on 1M orders: 0.6 s against 3.3 s.
 */
export function fastCheckedSql(contract: DatasetContract, file: string, compression: Compression): string {
  const readType = (c: ColumnSpec) => (c.type.kind === 'timestamp' ? 'TIMESTAMPTZ' : duckdbType(c.type));
  const columns = `{${contract.columns.map((c) => `${literal(c.name)}: ${literal(readType(c))}`).join(', ')}}`;
  const gate = gateCheckedColumns(contract.key, contract.precombine);
  // Key and precombine NULLs are left to the quality gate (implicit expectations).
  const whens = [
    ...contract.columns
      .filter((c) => gate.has(c.name) && c.type.kind === 'string')
      .map((c) => `WHEN ${ident(c.name)} = '' THEN ${literal(`field ${c.name}: empty (record key field)`)}`),
    ...contract.columns
      .filter((c) => !c.nullable && !gate.has(c.name))
      .map(
        (c) =>
          `WHEN ${ident(c.name)} IS NULL THEN ${literal(`field ${c.name}: missing or null, but the contract says nullable: false`)}`,
      ),
  ];
  const reason = whens.length === 0 ? 'NULL' : `CASE ${whens.join(' ')} END`;
  const value = (c: ColumnSpec) =>
    c.type.kind === 'timestamp' ? `timezone('UTC', ${ident(c.name)})` : ident(c.name);
  return `CREATE OR REPLACE TEMP TABLE checked AS
SELECT NULL::BIGINT AS __lp_line_no, NULL::VARCHAR AS __lp_line, ${reason} AS __lp_reason,
  ${contract.columns.map((c) => `${value(c)} AS ${ident(c.name)}`).join(', ')}
FROM read_json(${literal(file)}, format='newline_delimited', columns=${columns}, compression='${compression === 'gzip' ? 'gzip' : 'uncompressed'}')`;
}

/**
 * Reads the lines of a Bronze file (see readLinesSql), parses and types them by the contract
 * into `checked`: one column per contract column plus `__lp_line_no`, `__lp_line` and
 * `__lp_reason` (NULL for a good record, otherwise why it goes to quarantine, naming the
 * field). Each line is parsed once and each value cast once. The `__lp_` prefix is reserved.
 */
export function checkRecordsSql(contract: DatasetContract, linesSql: string): string {
  const struct = `{${contract.columns.map((c) => `${JSON.stringify(c.name)}:"VARCHAR"`).join(',')}}`;
  const raw = (c: ColumnSpec) => `__lp_r.${ident(c.name)}`;
  const typedName = (c: ColumnSpec) => ident(`__lp_t_${c.name}`);
  const gate = gateCheckedColumns(contract.key, contract.precombine);
  const reasons = contract.columns.flatMap((c) => {
    const out: string[] = [];
    if (gate.has(c.name) && c.type.kind === 'string') {
      out.push(`WHEN ${raw(c)} = '' THEN ${literal(`field ${c.name}: empty (record key field)`)}`);
    }
    if (!c.nullable && !gate.has(c.name))
      out.push(
        `WHEN ${raw(c)} IS NULL THEN ${literal(`field ${c.name}: missing or null, but the contract says nullable: false`)}`,
      );
    if (c.type.kind !== 'string') {
      out.push(
        `WHEN ${raw(c)} IS NOT NULL AND ${typedName(c)} IS NULL THEN ${literal(`field ${c.name}: "`)} || left(${raw(c)}, 80) || ${literal(`" is not a ${c.typeName}`)}`,
      );
    }
    return out;
  });
  return `CREATE OR REPLACE TEMP TABLE checked AS
WITH lines AS (${linesSql}),
parsed AS (
  SELECT __lp_line_no, __lp_line, json_valid(__lp_line) AS __lp_valid,
         CASE WHEN json_valid(__lp_line) AND json_type(__lp_line) = 'OBJECT' THEN json_transform(__lp_line, ${literal(struct)}) END AS __lp_r
  FROM lines WHERE __lp_line IS NOT NULL AND trim(__lp_line) <> ''
),
typed AS (
  SELECT *, ${contract.columns.map((c) => `${castExpr(c, raw(c))} AS ${typedName(c)}`).join(', ')} FROM parsed
)
SELECT __lp_line_no, __lp_line,
  CASE WHEN NOT __lp_valid THEN 'not valid JSON'
       WHEN __lp_r IS NULL THEN 'not a JSON object'
       ${reasons.join('\n       ')}
  END AS __lp_reason,
  ${contract.columns.map((c) => `${typedName(c)} AS ${ident(c.name)}`).join(',\n  ')}
FROM typed`;
}

/**
 * The load's batch: good records of `checked`, one per key: the greatest precombine wins, a
 * tie goes to the record on the later line (`checked` is written in file order, so with
 * preserve_insertion_order its rowid is the arrival order when line numbers were not kept). Dedupe runs before the Silver SQL so that a
 * filter in that SQL cannot resurrect an older version of a record whose latest was filtered.
 */
export function batchSql(contract: DatasetContract): string {
  const cols = contract.columns.map((c) => ident(c.name)).join(', ');
  const key = contract.key.map(ident).join(', ');
  // A view: the Silver SQL over it materialises the staged table in one pass.
  return `CREATE OR REPLACE TEMP VIEW batch AS
SELECT ${cols} FROM checked WHERE __lp_reason IS NULL
QUALIFY ${contract.key.map((k) => `${ident(k)} IS NULL`).join(' OR ')}
     OR row_number() OVER (PARTITION BY ${key} ORDER BY ${ident(contract.precombine)} DESC NULLS LAST, coalesce(__lp_line_no, rowid) DESC) = 1`;
}

/**
 * The staged table of one load attempt. It lives in the `silver` schema (with a reserved
 * prefix) so that the first load of a dataset can become its Silver table by a rename
 * instead of a copy of every row.
 */
export function stagingTable(loadId: string, attempt: number): string {
  return `silver.${stagingName(loadId, attempt)}`;
}

export function stagingName(loadId: string, attempt: number): string {
  return ident(`__lp_staging_${loadId}#${attempt}`);
}

export function silverTable(dataset: string): string {
  return `silver.${ident(dataset)}`;
}

/** Row-count SQL of what a MERGE of `staged` into `silver` will do (run in the same transaction). */
export function mergeCountsSql(
  contract: DatasetContract,
  staged: string,
  columns: readonly string[],
): string {
  const on = contract.key.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');
  const pc = ident(contract.precombine);
  const isDelete = deleteCondition(contract);
  const differs = `(${columns.map((c) => `s.${ident(c)}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `t.${ident(c)}`).join(', ')})`;
  const firstKey = ident(contract.key[0]!);
  return `SELECT
  count(*) FILTER (WHERE t.${firstKey} IS NULL AND NOT (${isDelete})) AS inserted,
  count(*) FILTER (WHERE t.${firstKey} IS NOT NULL AND s.${pc} >= t.${pc} AND NOT (${isDelete}) AND ${differs}) AS updated,
  count(*) FILTER (WHERE t.${firstKey} IS NOT NULL AND s.${pc} >= t.${pc} AND ${isDelete}) AS deleted,
  count(*) FILTER (WHERE t.${firstKey} IS NOT NULL AND s.${pc} < t.${pc}) AS stale
FROM ${staged} s LEFT JOIN ${silverTable(contract.name)} t ON ${on}`;
}

/** Whether a staged record is a CDC delete (NULL operation = not a delete, as in DMS full loads). */
export function deleteCondition(contract: DatasetContract): string {
  return contract.cdc
    ? `coalesce(s.${ident(contract.cdc.column)} = ${literal(contract.cdc.deleteValue)}, false)`
    : 'false';
}

/** MERGE of the staged batch into Silver with event-time ordering and CDC deletes. */
export function mergeSql(contract: DatasetContract, staged: string, columns: readonly string[]): string {
  const on = contract.key.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');
  const pc = ident(contract.precombine);
  const isDelete = deleteCondition(contract);
  const differs = `(${columns.map((c) => `s.${ident(c)}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `t.${ident(c)}`).join(', ')})`;
  const set = columns.map((c) => `${ident(c)} = s.${ident(c)}`).join(', ');
  const names = columns.map(ident).join(', ');
  const values = columns.map((c) => `s.${ident(c)}`).join(', ');
  return `MERGE INTO ${silverTable(contract.name)} t USING ${staged} s ON ${on}
WHEN MATCHED AND s.${pc} >= t.${pc} AND ${isDelete} THEN DELETE
WHEN MATCHED AND s.${pc} >= t.${pc} AND ${differs} THEN UPDATE SET ${set}
WHEN NOT MATCHED AND NOT (${isDelete}) THEN INSERT (${names}) VALUES (${values})`;
}

/** The first load into an empty Silver table: insert every staged record that is not a delete. */
export function insertSql(contract: DatasetContract, staged: string, columns: readonly string[]): string {
  const names = columns.map(ident).join(', ');
  return `INSERT INTO ${silverTable(contract.name)} (${names}) SELECT ${names} FROM ${staged} s WHERE NOT (${deleteCondition(contract)})`;
}
