/**
 * DuckDB SQL of the local engine, generated from a dataset contract: reading and typing a
 * Bronze NDJSON file, the record checks that send records to quarantine, the dedupe (greatest
 * precombine wins, a tie goes to the later line) and the MERGE into Silver with event-time
 * ordering (a stored row is replaced only by a record whose precombine is greater or equal).
 */
import type { ColumnSpec, DatasetContract } from '../../shared/core/contract/types.js';
import { gateCheckedColumns } from '../../shared/core/quality/implicit.js';
import { MAX_RECORD_BYTES } from '../../shared/core/record-rules.js';
import {
  castReasonSql,
  castSql,
  duplicateKeysSql,
  notAnObjectSql,
  notJsonForPythonSql,
  WS,
} from './record-rules.js';

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

/** A line without a leading byte order mark (casting.py parse_line strips it too). */
function withoutBom(line: string): string {
  return `CASE WHEN starts_with(${line}, chr(65279)) THEN substr(${line}, 2) ELSE ${line} END`;
}

/** The record key fields that are strings: an empty string there is a bad record. */
function stringKeys(contract: DatasetContract): Set<string> {
  return new Set(
    contract.columns
      .filter((c) => contract.key.includes(c.name) && c.type.kind === 'string')
      .map((c) => c.name),
  );
}

/** The fields a record must have (not nullable, other than the key and precombine fields). */
function requiredFields(contract: DatasetContract): Set<string> {
  const gate = gateCheckedColumns(contract.key, contract.precombine);
  return new Set(contract.columns.filter((c) => !c.nullable && !gate.has(c.name)).map((c) => c.name));
}

/**
 * The fast path of the stage step: DuckDB's NDJSON reader straight into `checked`, every field
 * read as its JSON text and cast by the record rules (record-rules.ts), with no line numbers:
 * numbering rows costs a single-threaded pass, 0.5 s per million, and the table's rowid already
 * keeps file order. A file with any bad record (or one the reader refuses) is checked again line
 * by line (checkRecordsSql) to name each bad line and why.
 */
export function fastCheckedSql(contract: DatasetContract, file: string, compression: Compression): string {
  const columns = `{${contract.columns.map((c) => `${literal(c.name)}: 'VARCHAR'`).join(', ')}}`;
  const required = requiredFields(contract);
  const keys = stringKeys(contract);
  const typedName = (c: ColumnSpec) => ident(`__lp_t_${c.name}`);
  const bad: string[] = contract.columns.flatMap((c) => {
    const raw = ident(c.name);
    return [
      ...(required.has(c.name) ? [`${raw} IS NULL`] : []),
      ...(keys.has(c.name) ? [`${raw} = ''`] : []),
      ...(c.type.kind === 'string' ? [] : [`(${raw} IS NOT NULL AND ${typedName(c)} IS NULL)`]),
    ];
  });
  // What the typed reader cannot see, sent to the line-by-line check, which decides exactly: a
  // string field that may have been a bare NaN/Infinity token (the reader writes it as this
  // text), and fields whose text alone passes the record size limit.
  const strings = contract.columns.filter((c) => c.type.kind === 'string').map((c) => ident(c.name));
  for (const s of strings) bad.push(`${s} IN ('NaN', 'Infinity', '-Infinity')`);
  bad.push(
    `(${contract.columns.map((c) => `coalesce(strlen(${ident(c.name)}), 0)`).join(' + ')}) > ${MAX_RECORD_BYTES}`,
  );
  const reason = `CASE WHEN ${bad.join(' OR ')} THEN 'bad' END`;
  return `CREATE OR REPLACE TEMP TABLE checked AS
SELECT NULL::BIGINT AS __lp_line_no, NULL::VARCHAR AS __lp_line, ${reason} AS __lp_reason,
  ${contract.columns.map((c) => `${typedName(c)} AS ${ident(c.name)}`).join(', ')}
FROM (SELECT *, ${contract.columns.map((c) => `${castSql(c.type, ident(c.name))} AS ${typedName(c)}`).join(', ')}
      FROM read_json(${literal(file)}, format='newline_delimited', columns=${columns}, compression='${compression === 'gzip' ? 'gzip' : 'uncompressed'}', maximum_object_size=${MAX_RECORD_BYTES}))`;
}

/**
 * Reads the lines of a Bronze file (see readLinesSql), parses and types them by the contract
 * into `checked`: one column per contract column plus `__lp_line_no`, `__lp_line` and
 * `__lp_reason` (NULL for a good record, otherwise why it goes to quarantine, naming every bad
 * field in column order, in casting.py's words). Each line is parsed once and each value cast
 * once. The `__lp_` prefix is reserved.
 */
export function checkRecordsSql(contract: DatasetContract, linesSql: string): string {
  const struct = `{${contract.columns.map((c) => `${JSON.stringify(c.name)}:"VARCHAR"`).join(',')}}`;
  const raw = (c: ColumnSpec) => `__lp_r.${ident(c.name)}`;
  const typedName = (c: ColumnSpec) => ident(`__lp_t_${c.name}`);
  const required = requiredFields(contract);
  const keys = stringKeys(contract);
  const fieldReasons = contract.columns.map((c) => {
    const whens: string[] = [];
    if (required.has(c.name))
      whens.push(
        `WHEN ${raw(c)} IS NULL THEN ${literal(`field ${c.name}: `)} || CASE WHEN json_exists(__lp_text, ${literal(`$.${JSON.stringify(c.name)}`)}) THEN 'null' ELSE 'missing' END || ' (not nullable)'`,
      );
    if (keys.has(c.name))
      whens.push(`WHEN ${raw(c)} = '' THEN ${literal(`field ${c.name}: empty (record key field)`)}`);
    if (c.type.kind !== 'string')
      whens.push(`WHEN ${raw(c)} IS NOT NULL AND ${typedName(c)} IS NULL THEN ${castReasonSql(c, raw(c))}`);
    return whens.length === 0 ? undefined : `CASE ${whens.join(' ')} END`;
  });
  const reasons = fieldReasons.filter((r): r is string => r !== undefined);
  const fields = reasons.length === 0 ? 'NULL' : `nullif(concat_ws('; ', ${reasons.join(', ')}), '')`;
  return `CREATE OR REPLACE TEMP TABLE checked AS
WITH lines AS (SELECT __lp_line_no, rtrim(__lp_line, chr(13)) AS __lp_line, ${withoutBom('__lp_line')} AS __lp_text FROM (${linesSql})),
sized AS (
  SELECT *, strlen(__lp_line) > ${MAX_RECORD_BYTES} AS __lp_big FROM lines
  WHERE __lp_text IS NOT NULL AND (trim(__lp_text, ${WS}) <> '' OR strlen(__lp_line) > ${MAX_RECORD_BYTES})
),
valid AS (
  SELECT *, NOT __lp_big AND json_valid(__lp_text) AND NOT ${notJsonForPythonSql('__lp_text')} AS __lp_valid FROM sized
),
parsed AS (
  SELECT __lp_line_no, __lp_line, __lp_text, __lp_big, __lp_valid,
         CASE WHEN __lp_valid THEN CASE WHEN json_type(__lp_text) = 'OBJECT' THEN json_keys(__lp_text) END END AS __lp_keys,
         CASE WHEN __lp_valid THEN CASE WHEN json_type(__lp_text) = 'OBJECT' THEN json_transform(__lp_text, ${literal(struct)}) END END AS __lp_r
  FROM valid
),
typed AS (
  SELECT *, ${contract.columns.map((c) => `${castSql(c.type, raw(c))} AS ${typedName(c)}`).join(', ')} FROM parsed
)
SELECT __lp_line_no, __lp_line,
  CASE WHEN __lp_big THEN 'record is ' || strlen(__lp_line) || ' bytes, more than the ${MAX_RECORD_BYTES} allowed'
       WHEN NOT __lp_valid THEN 'not valid JSON'
       WHEN __lp_r IS NULL THEN ${notAnObjectSql('__lp_text')}
       WHEN len(__lp_keys) > 1 AND len(list_distinct(__lp_keys)) < len(__lp_keys) THEN ${duplicateKeysSql('__lp_keys')}
       ELSE ${fields}
  END AS __lp_reason,
  ${contract.columns.map((c) => `${typedName(c)} AS ${ident(c.name)}`).join(',\n  ')}
FROM typed`;
}

/**
 * The load's batch: good records of `checked`, one per key: the greatest precombine wins, a
 * tie goes to the record of the later object (`__lp_obj`, its index in the manifest, when the
 * load has more than one), then on the later line (`checked` is written in file order, so with
 * preserve_insertion_order its rowid is the arrival order when line numbers were not kept;
 * `typedOnly` says that no row of `checked` has a line number).
 * Dedupe runs before the Silver SQL so that a filter in that SQL cannot resurrect an older
 * version of a record whose latest was filtered.
 */
export function batchSql(contract: DatasetContract, byObject = false, typedOnly = false): string {
  const cols = contract.columns.map((c) => ident(c.name)).join(', ');
  const key = contract.key.map(ident).join(', ');
  // `typedOnly`: every row came from the typed reader (no line numbers), so the order is the
  // rowid itself; the window sorts on it directly (measured: ~0.05-0.1 s less per million rows
  // than on the coalesce).
  const order = typedOnly ? 'rowid' : 'coalesce(__lp_line_no, rowid)';
  const later = `${byObject ? '__lp_obj DESC, ' : ''}${order} DESC`;
  // A view: the Silver SQL over it materialises the staged table in one pass.
  return `CREATE OR REPLACE TEMP VIEW batch AS
SELECT ${cols} FROM checked WHERE __lp_reason IS NULL
QUALIFY ${contract.key.map((k) => `${ident(k)} IS NULL`).join(' OR ')}
     OR row_number() OVER (PARTITION BY ${key} ORDER BY ${ident(contract.precombine)} DESC NULLS LAST, ${later}) = 1`;
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

/**
 * The staged records' outcomes against Silver before the MERGE (run in the same transaction), by
 * the README's contract rule that the Spark job follows too (spark-jobs upsert_job.outcome_counts_sql):
 * `updated` is every existing key whose row the record replaces (precombine not older), whether or
 * not a column changed and wherever its partition goes; a stale record or a delete of an unknown
 * key counts in none of the three.
 */
export function mergeCountsSql(contract: DatasetContract, staged: string): string {
  const on = contract.key.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');
  const pc = ident(contract.precombine);
  const isDelete = deleteCondition(contract);
  const firstKey = ident(contract.key[0]!);
  return `SELECT
  count(*) FILTER (WHERE t.${firstKey} IS NULL AND NOT (${isDelete})) AS inserted,
  count(*) FILTER (WHERE t.${firstKey} IS NOT NULL AND s.${pc} >= t.${pc} AND NOT (${isDelete})) AS updated,
  count(*) FILTER (WHERE t.${firstKey} IS NOT NULL AND s.${pc} >= t.${pc} AND ${isDelete}) AS deleted,
  count(*) FILTER (WHERE t.${firstKey} IS NOT NULL AND s.${pc} < t.${pc}) AS stale
FROM ${staged} s LEFT JOIN ${silverTable(contract.name)} t ON ${on}`;
}

/**
 * Whether a staged record is a CDC delete: its operation equals the delete value, trimmed and in
 * any case, as the Spark job's `_hoodie_is_deleted` (hudi.py delete_flag_expression); a NULL
 * operation is not a delete, as in DMS full loads.
 */
export function deleteCondition(contract: DatasetContract): string {
  return contract.cdc
    ? `coalesce(upper(trim(s.${ident(contract.cdc.column)})) = ${literal(contract.cdc.deleteValue.trim().toUpperCase())}, false)`
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
