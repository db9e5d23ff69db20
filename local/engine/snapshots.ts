/**
 * Retained snapshots of Silver tables, kept as an undo log: the local engine's answer to Hudi's
 * timeline for time travel and rollback.
 *
 * The state right after the latest commit is the Silver table itself. Every commit also writes
 * its *undo image* in the same transaction: the rows it replaced or deleted as they were before
 * (`__lp_present = true`) and the keys it inserted (`__lp_present = false`), in a table
 * `lakeplane_undo."<dataset>@<load id>#<attempt>"`. The state right after an earlier commit X is
 * Silver with, for every key that a later commit touched, its image from the first later commit
 * that touched it. So a retained snapshot costs what its commit changed, not a copy of the table.
 *
 * Two commits have another kind of undo image: a dataset's first commit (`create`: before it
 * the table was empty) and a rollback that drops columns an undone commit had added, or brings
 * back columns an undone rollback had dropped (`full`: the whole table as it was before).
 * `lakeplane.snapshots` holds one row per commit: the kind, the undo table, the Silver columns and
 * the record key right after the commit.
 *
 * Retention: the states after the last N commits of a dataset stay reachable (`retainCommits`,
 * default 20), so the undo images of the last N − 1 commits are kept; older ones are dropped in
 * the transaction of the commit that pushes them out (their row stays, as kind `pruned`). A
 * rollback is a commit and takes a place in the retention like any other.
 *
 * Storage cost, measured on 1M orders then 200k-record upserts (100k new keys, 90k updates of
 * which 10k stale; DuckDB blocks in use after CHECKPOINT): the table takes 28 MB; a commit grows
 * the file by 2.6–3.1 MB without snapshots and by 5.5–6.6 MB with its undo image (180k rows), so
 * about 3 MB per retained commit (≈ 10% of the table for a 20% batch), ≈ 60 MB at the default
 * retention. The upsert takes 1.25–1.5 s instead of 1.0–1.3 s. A full copy per commit (CREATE
 * TABLE AS SELECT * of Silver) costs 27–36 MB and 1.1–1.5 s per commit (≈ 700 MB at 20 commits),
 * which is why it is not used. Reading the state 3 commits back costs 0.5 s for a full scan;
 * rolling back the last upsert (180k keys, in place, Gold rebuilt) 1.2 s, its dry run 0.25 s.
 */
import type { DatasetContract } from '../../shared/core/contract/types.js';
import type { RollbackTarget } from '../../shared/usecases/rollback.js';
import { deleteCondition, ident, literal, silverTable } from './sql.js';

/** The schema of the undo tables. */
export const UNDO_SCHEMA = 'lakeplane_undo';

/** How many commits of a dataset keep their snapshot by default. */
export const DEFAULT_RETAIN_COMMITS = 20;

/** The prefix of a rollback commit's load id: `rollback:<target commit id>` or `rollback:start`. */
export const ROLLBACK_LOAD_PREFIX = 'rollback:';

/** The target of a rollback to before a dataset's first commit (an empty table). */
export const START = 'start';

/** DDL of the snapshot registry (run when a warehouse is opened for writing). */
export const SNAPSHOTS_DDL = `
  CREATE SCHEMA IF NOT EXISTS ${UNDO_SCHEMA};
  CREATE TABLE IF NOT EXISTS lakeplane.snapshots (
    commit_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, kind VARCHAR NOT NULL, undo_table VARCHAR,
    undo_rows BIGINT NOT NULL, columns VARCHAR[] NOT NULL, key_columns VARCHAR[] NOT NULL);`;

/**
 * How a commit is undone: `delta` (its undo table holds the images of the keys it changed),
 * `full` (its undo table is the whole table before it), `create` (the table was empty before
 * it), `pruned` (older than the retention: it cannot be undone any more).
 */
export type UndoKind = 'create' | 'delta' | 'full' | 'pruned';

/** The undo image a commit writes, before its commit row exists. */
export type UndoCapture =
  | { readonly kind: 'create' | 'pruned' }
  | { readonly kind: 'delta' | 'full'; readonly table: string; readonly rows: number };

/** One row of `lakeplane.snapshots`. */
export interface SnapshotRow {
  readonly commitId: string;
  readonly kind: UndoKind;
  /** Name of the undo table in {@link UNDO_SCHEMA} (unquoted), for `delta` and `full`. */
  readonly undoTable?: string;
  readonly undoRows: number;
  /** Silver's columns right after the commit. */
  readonly columns: readonly string[];
  readonly key: readonly string[];
}

/** What the timeline logic needs of a commit row. */
export interface TimelineCommit {
  readonly commitId: string;
  readonly loadId: string;
  readonly attempt: number;
  readonly committedAt: string;
}

/** A commit with its snapshot row, when the commit was made with snapshots on. */
export interface SnapshotEntry<C extends TimelineCommit = TimelineCommit> {
  readonly commit: C;
  readonly snapshot?: SnapshotRow;
}

/** A time-travel or rollback request the timeline cannot answer (unknown commit, load, time). */
export class TimeTravelError extends Error {
  override readonly name: string = 'TimeTravelError';
}

/** The requested state is older than the retained snapshots. */
export class SnapshotExpiredError extends TimeTravelError {
  override readonly name = 'SnapshotExpiredError';
}

/** The undo table name of a load attempt's commit (unquoted; lives in {@link UNDO_SCHEMA}). */
export function undoTableName(dataset: string, loadId: string, attempt: number): string {
  return `${dataset}@${loadId}#${attempt}`;
}

/** The qualified undo table. */
export function undoTable(name: string): string {
  return `${UNDO_SCHEMA}.${ident(name)}`;
}

/** Whether a commit row is a rollback's. */
export function isRollback(loadId: string): boolean {
  return loadId.startsWith(ROLLBACK_LOAD_PREFIX);
}

/** The commit a rollback commit returned to (`start` = before the first commit), or undefined. */
export function rollbackTargetOf(loadId: string): string | undefined {
  return isRollback(loadId) ? loadId.slice(ROLLBACK_LOAD_PREFIX.length) : undefined;
}

/**
 * The undo image of an upsert, written before its MERGE: the stored rows the MERGE will update
 * or delete, and the keys it will insert. Its conditions are the MERGE's (see `mergeSql`), so
 * stale records and identical records, which change nothing, cost nothing.
 */
export function captureUpsertUndoSql(
  contract: DatasetContract,
  staged: string,
  columns: readonly string[],
  table: string,
): string {
  const target = silverTable(contract.name);
  const on = contract.key.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');
  const pc = ident(contract.precombine);
  const isDelete = deleteCondition(contract);
  const differs = `(${columns.map((c) => `s.${ident(c)}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `t.${ident(c)}`).join(', ')})`;
  return `CREATE OR REPLACE TABLE ${undoTable(table)} AS
SELECT true AS __lp_present, t.* FROM ${target} t JOIN ${staged} s ON ${on}
WHERE s.${pc} >= t.${pc} AND (${isDelete} OR ${differs})
UNION ALL BY NAME
SELECT false AS __lp_present, ${contract.key.map((k) => `s.${ident(k)} AS ${ident(k)}`).join(', ')}
FROM ${staged} s WHERE NOT (${isDelete}) AND NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${on})`;
}

/**
 * Which commits' changes are in Silver right after each commit of the timeline. A rollback to T
 * leaves exactly the changes that were in Silver right after T, plus itself (a change that a
 * later rollback can undo).
 */
export function liveSets(timeline: readonly TimelineCommit[]): Set<string>[] {
  const sets: Set<string>[] = [];
  const indexOf = new Map<string, number>();
  timeline.forEach((c, i) => {
    indexOf.set(c.commitId, i);
    const target = rollbackTargetOf(c.loadId);
    const before =
      target === undefined
        ? (sets[i - 1] ?? new Set<string>())
        : target === START
          ? new Set<string>()
          : (sets[indexOf.get(target) ?? -1] ?? new Set<string>());
    sets.push(new Set([...before, c.commitId]));
  });
  return sets;
}

/** Which commits' changes are in Silver now. */
export function liveCommitIds(timeline: readonly TimelineCommit[]): Set<string> {
  return liveSets(timeline).at(-1) ?? new Set();
}

/**
 * For each position of the timeline (−1 = before the first commit), whether its state can be
 * rebuilt: every later commit has an undo image, and the position has a snapshot row (for its
 * columns). The latest state is Silver itself and always reachable.
 */
export function reachableFrom(timeline: readonly SnapshotEntry[]): number {
  if (timeline.length === 0) return 0;
  let oldest = timeline.length - 1;
  for (let i = timeline.length - 2; i >= -1; i--) {
    const next = timeline[i + 1]!.snapshot;
    if (!next || next.kind === 'pruned') break;
    if (i === -1 ? next.kind !== 'create' : !timeline[i]!.snapshot) break;
    oldest = i;
  }
  return oldest;
}

/** Describes a timeline position for messages. */
export function describePosition(dataset: string, timeline: readonly SnapshotEntry[], index: number): string {
  if (index < 0) return `before the first commit of ${dataset}`;
  const c = timeline[index]!.commit;
  return `right after commit ${c.commitId} (load ${c.loadId}, committed ${c.committedAt})`;
}

/** Finds a commit by id. @throws TimeTravelError when the dataset has no such commit. */
export function indexOfCommit(dataset: string, timeline: readonly SnapshotEntry[], commitId: string): number {
  const index = timeline.findIndex((e) => e.commit.commitId === commitId);
  if (index < 0) {
    throw new TimeTravelError(
      timeline.length === 0
        ? `dataset ${dataset} has no commits yet`
        : `no commit ${commitId} in the timeline of ${dataset}; its commits run from ${timeline[0]!.commit.commitId} to ${timeline[timeline.length - 1]!.commit.commitId}`,
    );
  }
  return index;
}

/**
 * The timeline position a rollback returns to. Before a load: before its latest commit whose
 * changes are still in Silver (a load replayed after an earlier rollback has several).
 * @throws TimeTravelError for an unknown commit or load, or one with nothing to undo.
 */
export function targetIndex(
  dataset: string,
  timeline: readonly SnapshotEntry[],
  target: RollbackTarget,
): number {
  const last = timeline.length - 1;
  if ('toCommit' in target) {
    const index = indexOfCommit(dataset, timeline, target.toCommit);
    if (index === last) {
      throw new TimeTravelError(
        `commit ${target.toCommit} is the latest commit of ${dataset}: there is nothing to roll back`,
      );
    }
    return index;
  }
  const ofLoad = timeline.map((e, i) => ({ e, i })).filter(({ e }) => e.commit.loadId === target.beforeLoad);
  if (ofLoad.length === 0) {
    throw new TimeTravelError(
      `load ${target.beforeLoad} has no commit in the timeline of ${dataset} (it failed before its upsert, belongs to another dataset, or does not exist)`,
    );
  }
  const live = liveCommitIds(timeline.map((e) => e.commit));
  const latestLive = ofLoad.filter(({ e }) => live.has(e.commit.commitId)).pop();
  if (!latestLive) {
    const c = ofLoad[ofLoad.length - 1]!.e.commit;
    const undoneBy = timeline.find(
      (e) => e.commit.commitId > c.commitId && rollbackTargetOf(e.commit.loadId) !== undefined,
    );
    throw new TimeTravelError(
      `the commit ${c.commitId} of load ${target.beforeLoad} was already undone${undoneBy ? ` by rollback commit ${undoneBy.commit.commitId}` : ''}: there is nothing of it to roll back`,
    );
  }
  return latestLive.i - 1;
}

/** How to rebuild the state at a timeline position. */
export interface RestorePlan {
  readonly dataset: string;
  readonly key: readonly string[];
  /** Silver's columns in that state. */
  readonly columns: readonly string[];
  /**
   * What the undo images apply to: Silver itself, the full image of a later commit, or the empty
   * table before the first commit.
   */
  readonly base:
    | { readonly kind: 'silver' }
    | { readonly kind: 'table'; readonly table: string }
    | { readonly kind: 'empty' };
  /** Delta undo tables of the commits after the position (up to the base), oldest first. */
  readonly deltas: readonly string[];
}

/**
 * The plan to rebuild the state at `index` (−1 = before the first commit).
 * @throws SnapshotExpiredError when it is older than the retained snapshots.
 */
export function restorePlan(
  dataset: string,
  timeline: readonly SnapshotEntry[],
  index: number,
  currentColumns: readonly string[],
  currentKey: readonly string[],
  retainCommits: number,
): RestorePlan {
  const last = timeline.length - 1;
  if (index === last) {
    return { dataset, key: currentKey, columns: currentColumns, base: { kind: 'silver' }, deltas: [] };
  }
  const oldest = reachableFrom(timeline);
  if (index < oldest) {
    throw new SnapshotExpiredError(
      `the state ${describePosition(dataset, timeline, index)} is older than the retained snapshots of ${dataset} (the last ${retainCommits} commits keep theirs: retainCommits = ${retainCommits}); the oldest state that can still be reached is ${describePosition(dataset, timeline, oldest)}`,
    );
  }
  const deltas: string[] = [];
  let base: RestorePlan['base'] = { kind: 'silver' };
  for (let i = index + 1; i <= last; i++) {
    const s = timeline[i]!.snapshot!;
    if (s.kind === 'delta') deltas.push(s.undoTable!);
    else {
      base = s.kind === 'full' ? { kind: 'table', table: s.undoTable! } : { kind: 'empty' };
      break;
    }
  }
  const at = timeline[Math.max(index, 0)]!.snapshot!;
  return { dataset, key: at.key, columns: at.columns, base, deltas };
}

/** The table a relation reads Silver's current state from. */
export interface RelationNames {
  /** The table that holds Silver's current state (default `silver.<dataset>`). */
  readonly silver?: string;
}

/**
 * The first undo image of each key touched after the position: key, `__lp_present` and the
 * row as it was at the position. Undefined when there is no delta to apply.
 */
export function priorImagesSql(plan: RestorePlan): string | undefined {
  if (plan.deltas.length === 0) return undefined;
  const union = plan.deltas
    .map((t, i) => `SELECT ${i} AS __lp_seq, * FROM ${undoTable(t)}`)
    .join('\nUNION ALL BY NAME\n');
  return `SELECT * FROM (${union}) QUALIFY row_number() OVER (PARTITION BY ${plan.key.map(ident).join(', ')} ORDER BY __lp_seq) = 1`;
}

function baseSql(plan: RestorePlan, names: RelationNames): string {
  const silver = names.silver ?? silverTable(plan.dataset);
  switch (plan.base.kind) {
    case 'silver':
      return silver;
    case 'table':
      return undoTable(plan.base.table);
    case 'empty':
      return `(SELECT * FROM ${silver} WHERE false)`;
  }
}

/** Key equality of two aliases. */
export function keyMatch(key: readonly string[], a: string, b: string): string {
  return key.map((k) => `${a}.${ident(k)} = ${b}.${ident(k)}`).join(' AND ');
}

/**
 * The state at a position as a SQL relation (a parenthesised subquery with the columns Silver had
 * then): base rows of untouched keys, plus the prior images of touched keys that existed then.
 */
export function relationSql(plan: RestorePlan, names: RelationNames = {}): string {
  const cols = plan.columns.map(ident).join(', ');
  const base = baseSql(plan, names);
  const prior = priorImagesSql(plan);
  if (!prior) return `(SELECT ${cols} FROM ${base})`;
  return `(WITH __lp_prior AS (${prior})
SELECT ${plan.columns.map((c) => `b.${ident(c)}`).join(', ')} FROM ${base} b WHERE NOT EXISTS (SELECT 1 FROM __lp_prior p WHERE ${keyMatch(plan.key, 'p', 'b')})
UNION ALL
SELECT ${cols} FROM __lp_prior WHERE __lp_present)`;
}

function rowDiffers(columns: readonly string[], a: string, b: string): string {
  return `(${columns.map((c) => `${a}.${ident(c)}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `${b}.${ident(c)}`).join(', ')})`;
}

/**
 * What returning to the state changes, when only touched keys change (a delta rollback):
 * `prior` is {@link priorImagesSql} (or a table of it), `current` holds Silver now.
 */
export function deltaCountsSql(plan: RestorePlan, prior: string, current: string): string {
  const k = ident(plan.key[0]!);
  return `SELECT
  count(*) FILTER (WHERE p.__lp_present AND t.${k} IS NULL) AS inserted,
  count(*) FILTER (WHERE p.__lp_present AND t.${k} IS NOT NULL AND ${rowDiffers(plan.columns, 'p', 't')}) AS updated,
  count(*) FILTER (WHERE NOT p.__lp_present AND t.${k} IS NOT NULL) AS deleted
FROM ${prior} p LEFT JOIN ${current} t ON ${keyMatch(plan.key, 'p', 't')}`;
}

/**
 * What replacing the whole table by the state changes (a full rollback); rows count as updated
 * by the columns both have (`currentColumns`: the columns of `current`).
 */
export function fullCountsSql(
  plan: RestorePlan,
  relation: string,
  current: string,
  currentColumns: readonly string[],
): string {
  const k = ident(plan.key[0]!);
  const common = plan.columns.filter((c) => currentColumns.includes(c));
  return `SELECT
  count(*) FILTER (WHERE a.${k} IS NOT NULL AND t.${k} IS NULL) AS inserted,
  count(*) FILTER (WHERE a.${k} IS NOT NULL AND t.${k} IS NOT NULL AND ${rowDiffers(common, 'a', 't')}) AS updated,
  count(*) FILTER (WHERE a.${k} IS NULL) AS deleted
FROM ${relation} a FULL OUTER JOIN ${current} t ON ${keyMatch(plan.key, 'a', 't')}`;
}

/**
 * The undo image of a delta rollback (its own way back): the current rows it changes or removes,
 * and the keys it brings back.
 */
export function captureRollbackUndoSql(plan: RestorePlan, prior: string, table: string): string {
  const silver = silverTable(plan.dataset);
  return `CREATE OR REPLACE TABLE ${undoTable(table)} AS
SELECT true AS __lp_present, t.* FROM ${silver} t JOIN ${prior} p ON ${keyMatch(plan.key, 'p', 't')}
WHERE NOT p.__lp_present OR ${rowDiffers(plan.columns, 'p', 't')}
UNION ALL BY NAME
SELECT false AS __lp_present, ${plan.key.map((k) => `p.${ident(k)} AS ${ident(k)}`).join(', ')}
FROM ${prior} p WHERE p.__lp_present AND NOT EXISTS (SELECT 1 FROM ${silver} t WHERE ${keyMatch(plan.key, 'p', 't')})`;
}

/** Applies a delta rollback in place: touched keys out, their prior images that existed back in. */
export function applyDeltaSql(plan: RestorePlan, prior: string): string {
  const silver = silverTable(plan.dataset);
  const cols = plan.columns.map(ident).join(', ');
  return `DELETE FROM ${silver} t WHERE EXISTS (SELECT 1 FROM ${prior} p WHERE ${keyMatch(plan.key, 'p', 't')});
INSERT INTO ${silver} (${cols}) SELECT ${cols} FROM ${prior} WHERE __lp_present;`;
}

/** A SQL string literal list, for `VARCHAR[]` values. */
export function listLiteral(values: readonly string[]): string {
  return `[${values.map(literal).join(', ')}]::VARCHAR[]`;
}

/** A base-table reference of a parsed query, and where it starts in the query text. */
export interface TableRef {
  readonly schema: string;
  readonly table: string;
  readonly catalog: string;
  readonly alias: string;
  readonly location: number;
}

/**
 * Rewrites one SELECT so that every reference to `silver.<dataset>` reads `relation` instead.
 * `tableRefs` are the positions of its base-table references from DuckDB's own parser
 * (`json_serialize_sql`), so strings, comments and CTEs of the same name are left alone.
 */
export function substituteTable(
  sql: string,
  dataset: string,
  relation: string,
  tableRefs: readonly TableRef[],
  catalog: string,
): string {
  const name = /("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)/.source;
  const ref = new RegExp(`^(?:${name}\\s*\\.\\s*)?${name}\\s*\\.\\s*${name}`);
  const matching = tableRefs
    .filter(
      (r) =>
        r.schema.toLowerCase() === 'silver' &&
        r.table.toLowerCase() === dataset.toLowerCase() &&
        (r.catalog === '' || r.catalog.toLowerCase() === catalog.toLowerCase()),
    )
    .sort((a, b) => b.location - a.location);
  let out = sql;
  for (const r of matching) {
    const m = r.location < out.length ? ref.exec(out.slice(r.location)) : null;
    if (!m) {
      throw new TimeTravelError(`could not place the reference to silver.${dataset} in the query`);
    }
    const alias = r.alias === '' ? ` AS ${ident(r.table)}` : '';
    out = `${out.slice(0, r.location)}${relation}${alias}${out.slice(r.location + m[0].length)}`;
  }
  return out;
}

/** Collects the base-table references of a `json_serialize_sql` tree. */
export function baseTableRefs(node: unknown, out: TableRef[] = []): TableRef[] {
  if (Array.isArray(node)) {
    for (const n of node) baseTableRefs(n, out);
  } else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') {
      out.push({
        schema: String(o.schema_name ?? ''),
        table: o.table_name,
        catalog: String(o.catalog_name ?? ''),
        alias: String(o.alias ?? ''),
        location: Number(o.query_location),
      });
    }
    for (const v of Object.values(o)) baseTableRefs(v, out);
  }
  return out;
}
