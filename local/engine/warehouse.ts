import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import { checkLine, compileContractRules, type FieldRules } from '../../shared/core/record-rules.js';
import type { GoldResult, StageResult, UpsertResult } from '../../shared/core/run-results.js';
import type { RollbackReport, RollbackTarget, UndoneCommit } from '../../shared/usecases/rollback.js';
import { crashPoint } from '../crash-point.js';
import { ContractSqlError, contractSqlProblems } from './contract-sql.js';
import { guardLines, needsLineGuard } from './line-guard.js';
import { validateTable } from './quality.js';
import { sparkDecimalCasts } from './record-rules.js';
import {
  applyDeltaSql,
  baseTableRefs,
  captureRollbackUndoSql,
  captureUpsertUndoSql,
  DEFAULT_RETAIN_COMMITS,
  deltaCountsSql,
  fullCountsSql,
  indexOfCommit,
  isRollback,
  listLiteral,
  liveCommitIds,
  liveSets,
  priorImagesSql,
  type RestorePlan,
  ROLLBACK_LOAD_PREFIX,
  reachableFrom,
  relationSql,
  restorePlan,
  rollbackTargetOf,
  SNAPSHOTS_DDL,
  type SnapshotEntry,
  type SnapshotRow,
  START,
  substituteTable,
  TimeTravelError,
  targetIndex,
  type UndoCapture,
  type UndoKind,
  undoTable,
  undoTableName,
} from './snapshots.js';
import {
  batchSql,
  type Compression,
  checkRecordsSql,
  compressionOf,
  deleteCondition,
  fastCheckedSql,
  ident,
  insertSql,
  literal,
  mergeCountsSql,
  mergeSql,
  readLinesSql,
  silverTable,
  stagingName,
  stagingTable,
} from './sql.js';

/** A record that did not pass the contract's checks, with the reason. */
export interface BadRecord {
  /** The object's `s3://bucket/key[?versionId=…]`. */
  readonly source: string;
  readonly line: number;
  readonly raw: string;
  readonly reason: string;
}

/** One object of a load to stage: its file and the `s3://bucket/key[?versionId=…]` it stands for. */
export interface StageObject {
  readonly file: string;
  readonly source: string;
}

/** The quarantine reason of a good record in an object rejected whole (casting.py rejected_reason). */
export function rejectedReason(bad: number, total: number): string {
  return `object rejected: ${bad} of ${total} records are bad (more than bronze.max_bad_record_ratio allows); fix the file and land it again`;
}

/** The file is not this dataset's data at all (too many bad records, not UTF-8, unreadable). */
export class MalformedFileError extends Error {
  override readonly name = 'MalformedFileError';
}

/** The warehouse file is held by another process for longer than we were willing to wait. */
export class WarehouseBusyError extends Error {
  override readonly name = 'WarehouseBusyError';
}

export interface OpenOptions {
  readonly readOnly?: boolean;
  /** How long to wait for another process to release the file (default 30 s). */
  readonly waitMs?: number;
  /** Called once when the file is busy and we start waiting. */
  readonly onWait?: (message: string) => void;
  /**
   * How many of a dataset's latest commits keep a snapshot for time travel and rollback
   * (default 20; 1 keeps none but the current state). See snapshots.ts for the storage cost.
   */
  readonly retainCommits?: number;
  /**
   * For `lakeplane query`: read-only, no file or network access (DuckDB's
   * `enable_external_access = false`: no COPY, ATTACH of a file, INSTALL/LOAD, file readers) and
   * the configuration locked so no statement can turn it back on. Only `select` runs SQL.
   */
  readonly sandbox?: boolean;
}

/** SQL that `lakeplane query` does not run: not exactly one read-only SELECT, or it reached outside. */
export class QueryRefusedError extends Error {
  override readonly name = 'QueryRefusedError';
}

/** What `lakeplane query` runs: one SELECT (or WITH … SELECT) over the warehouse's tables. */
const ONE_SELECT =
  'query runs exactly one read-only SELECT (WITH … SELECT included) over silver.<dataset>, gold.<table> and lakeplane.commits';

/** One row of the Silver commit timeline. */
export interface CommitRow {
  readonly commitId: string;
  readonly dataset: string;
  readonly loadId: string;
  readonly attempt: number;
  readonly committedAt: string;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly rowsAfter: number;
}

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

/** A point of a dataset's timeline: a commit id, or a time (the last commit at or before it). */
export type AsOf = string | Date;

/** A query's result as of a point of the timeline, with the commit that point resolved to. */
export interface AsOfQueryResult extends QueryResult {
  readonly commit: CommitRow;
}

/** A commit of the timeline with what time travel and rollback can do with it. */
export interface TimelineEntry extends CommitRow {
  /** For a rollback commit: the commit it returned to (`start`: before the first commit). */
  readonly rollbackTo?: string;
  /** Its changes are still in Silver (no later rollback took them back). */
  readonly live: boolean;
  /** The state right after it can still be queried and rolled back to (within the retention). */
  readonly reachable: boolean;
  /** How the commit is undone, and the rows its undo image holds. */
  readonly undo: UndoKind | 'none';
  readonly undoRows: number;
}

/** Test hook: runs inside an upsert (or rollback) transaction just before COMMIT. */
export type BeforeCommitHook = (dataset: string, loadId: string) => Promise<void> | void;

const LOCK_ERROR = /Could not set lock|Conflicting lock/i;

/**
 * The local warehouse: one DuckDB file with schemas `silver`, `gold`, `staging` and
 * `lakeplane` (the commit timeline). DuckDB lets one process write a file at a time (or many
 * read-only readers, never both), so opening waits for another process to let go.
 */
export class Warehouse {
  private beforeCommit: BeforeCommitHook | undefined;
  private retainCommits = DEFAULT_RETAIN_COMMITS;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly readOnly: boolean,
  ) {}

  static async open(file: string, options: OpenOptions = {}): Promise<Warehouse> {
    const retainCommits = retainCommitsOf(options);
    const deadline = Date.now() + (options.waitMs ?? 30_000);
    let warned = false;
    for (;;) {
      try {
        const sandbox = options.sandbox === true;
        const instance = await DuckDBInstance.create(file, {
          access_mode: options.readOnly || sandbox ? 'READ_ONLY' : 'READ_WRITE',
          autoinstall_known_extensions: 'false',
          ...(sandbox ? { enable_external_access: 'false', autoload_known_extensions: 'false' } : {}),
        });
        const conn = await instance.connect();
        // Timestamps are typed in UTC; TIMESTAMPTZ parsing of offsets needs the (built-in) icu.
        // A sandbox then locks the configuration: no SET, RESET or PRAGMA may change it again.
        await conn.run(
          `LOAD icu; SET TimeZone = 'UTC'; SET preserve_insertion_order = true${sandbox ? '; SET lock_configuration = true' : ''}`,
        );
        const wh = new Warehouse(instance, conn, options.readOnly || sandbox);
        wh.retainCommits = retainCommits;
        if (!wh.readOnly) await wh.init();
        return wh;
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (!LOCK_ERROR.test(message)) throw e;
        const holder = /PID (\d+)/.exec(message)?.[1];
        const who = holder ? `another lakeplane process (pid ${holder})` : 'another process';
        if (Date.now() >= deadline) {
          throw new WarehouseBusyError(
            `the local warehouse ${file} is held by ${who}; wait for it to finish (or stop it) and run the command again`,
          );
        }
        if (!warned) options.onWait?.(`waiting for the local warehouse: it is held by ${who}`);
        warned = true;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private async init(): Promise<void> {
    await this.conn.run(`
      CREATE SCHEMA IF NOT EXISTS silver;
      CREATE SCHEMA IF NOT EXISTS gold;
      CREATE SCHEMA IF NOT EXISTS lakeplane;
      CREATE TABLE IF NOT EXISTS lakeplane.commits (
        commit_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, load_id VARCHAR NOT NULL, attempt INTEGER NOT NULL,
        committed_at TIMESTAMP NOT NULL, inserted BIGINT NOT NULL, updated BIGINT NOT NULL, deleted BIGINT NOT NULL,
        rows_after BIGINT NOT NULL, UNIQUE (dataset, load_id, attempt));`);
    await this.conn.run(SNAPSHOTS_DDL);
  }

  /** Test hook to fail an upsert between MERGE and COMMIT. */
  setBeforeCommitHook(hook: BeforeCommitHook | undefined): void {
    this.beforeCommit = hook;
  }

  /**
   * Stage step: reads a load's Bronze NDJSON objects (in manifest order), types each record by
   * the contract, sets bad records aside with their reason, dedupes by key (a precombine tie goes
   * to the later object, then the later line) and runs the Silver SQL into the staging table of
   * this load attempt. The bad-record ratio holds per object: an object over it is rejected whole
   * (every record to quarantine, REJECTED_REASON for its good ones) and the others load.
   * @throws MalformedFileError when every object of the load is over the ratio (a one-object
   * load: that object), or when an object cannot be read at all.
   */
  async stage(
    contract: DatasetContract,
    load: { loadId: string; attempt: number } & (
      | { file: string; displayName: string }
      | { objects: readonly StageObject[] }
    ),
  ): Promise<{ result: StageResult; bad: BadRecord[]; reader: 'typed' | 'line-by-line' }> {
    await this.assertContractSql(contract, { gold: false });
    const objects: readonly StageObject[] =
      'objects' in load ? load.objects : [{ file: load.file, source: load.displayName }];
    if (objects.length === 0) throw new Error(`load ${load.loadId} has no objects to stage`);
    const many = objects.length > 1;
    // The shared rules word the bad lines' reasons (wordedReason), compiled once per stage.
    const rules = compileContractRules(contract);
    let total = 0;
    let good = 0;
    let rejected = 0;
    let firstRejection: string | undefined;
    let reader: 'typed' | 'line-by-line' = 'typed';
    const bad: BadRecord[] = [];
    const perObject: { rowsIn: number; rowsQuarantined: number }[] = [];
    if (many) await this.conn.run('DROP TABLE IF EXISTS __lp_checked_all');
    for (const [index, object] of objects.entries()) {
      const counts = await this.checkObject(contract, object);
      if (counts.reader === 'line-by-line') reader = 'line-by-line';
      total += counts.total;
      const over = counts.total > 0 && counts.bad / counts.total > contract.bronze.maxBadRecordRatio;
      perObject.push({ rowsIn: counts.total, rowsQuarantined: over ? counts.total : counts.bad });
      if (over) {
        rejected += 1;
        const why = rejectedReason(counts.bad, counts.total);
        const lines = await this.badLines(object.source, why, rules);
        // The first line that was bad itself (the others carry the object's rejection).
        const first = lines.find((l) => l.reason !== why);
        if (firstRejection === undefined && first)
          firstRejection = `${object.source}: ${counts.bad} of ${counts.total} records are unreadable (more than the contract's max_bad_record_ratio ${contract.bronze.maxBadRecordRatio}); first at line ${first.line}: ${first.reason}. Check that the file belongs to dataset ${contract.name} and is NDJSON, fix it and land it again.`;
        bad.push(...lines);
        await this.conn.run('DELETE FROM checked');
      } else {
        good += counts.total - counts.bad;
        if (counts.bad > 0) bad.push(...(await this.badLines(object.source, undefined, rules)));
      }
      if (many) {
        await this.conn.run(
          index === 0
            ? `CREATE TEMP TABLE __lp_checked_all AS SELECT ${index}::INTEGER AS __lp_obj, * FROM checked`
            : `INSERT INTO __lp_checked_all SELECT ${index}::INTEGER AS __lp_obj, * FROM checked`,
        );
      }
    }
    if (rejected === objects.length && firstRejection !== undefined) {
      await this.conn.run('DROP TABLE IF EXISTS checked; DROP TABLE IF EXISTS __lp_checked_all;');
      throw new MalformedFileError(firstRejection);
    }
    if (many) await this.conn.run('DROP TABLE checked; ALTER TABLE __lp_checked_all RENAME TO checked');
    await this.conn.run(batchSql(contract, many, !many && reader === 'typed'));
    // Temporary unless this is the dataset's first load, which renames it into Silver.
    // Staged tables of earlier attempts of this load are of no use any more.
    for (const r of await this.rows(
      `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'silver' AND NOT temporary AND starts_with(table_name, ${literal(`__lp_staging_${load.loadId}#`)})`,
    )) {
      await this.conn.run(`DROP TABLE silver.${ident(String(r.table_name))}`);
    }
    const persistent = !(await this.tableExists('silver', contract.name));
    const staged = persistent
      ? stagingTable(load.loadId, load.attempt)
      : stagingName(load.loadId, load.attempt);
    await this.conn.run(
      `CREATE OR REPLACE ${persistent ? '' : 'TEMP '}TABLE ${staged} AS ${sparkDecimalCasts(contract.silver.sql)}`,
    );
    const stagedRows = Number((await this.one(`SELECT count(*) AS n FROM ${staged}`)).n);
    await this.conn.run('DROP VIEW IF EXISTS batch; DROP TABLE IF EXISTS checked;');
    return {
      result: {
        phase: 'stage',
        loadId: load.loadId,
        dataset: contract.name,
        rowsIn: total,
        rowsQuarantined: bad.length,
        rowsStaged: stagedRows,
        duplicatesDropped: good - stagedRows,
        objectsRejected: rejected,
        ...(many ? { objects: perObject } : {}),
      },
      bad,
      reader,
    };
  }

  /** One object's records checked into `checked`: the typed reader, else line by line. */
  private async checkObject(
    contract: DatasetContract,
    object: StageObject,
  ): Promise<{ total: number; bad: number; reader: 'typed' | 'line-by-line' }> {
    const compression = compressionOf(object.source.replace(/\?versionId=.*$/, ''));
    if (compression === 'gzip') await wholeGzip(object);
    let counts = await this.fastCheck(contract, object.file, compression);
    const reader = counts ? 'typed' : 'line-by-line';
    if (!counts) {
      try {
        try {
          await this.conn.run(checkRecordsSql(contract, readLinesSql(object.file, compression)));
        } catch (e) {
          if (!needsLineGuard(firstLine(e))) throw e;
          // Lines that are not UTF-8 or too long for DuckDB's reader: set aside by the shared rules.
          // The copy lives in a temporary folder, never beside the object in the store.
          const dir = mkdtempSync(join(tmpdir(), 'lakeplane-guard-'));
          const copy = join(dir, 'lines.ndjson');
          try {
            const guarded = guardLines(object.file, compression, copy);
            await this.conn.run(checkRecordsSql(contract, readLinesSql(copy, 'none')));
            for (const g of guarded)
              await this.conn.run(
                'INSERT INTO checked (__lp_line_no, __lp_line, __lp_reason) VALUES ($1, $2, $3)',
                [g.line, g.raw, g.reason],
              );
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }
      } catch (e) {
        throw new MalformedFileError(`${object.source} cannot be read as NDJSON text: ${firstLine(e)}`);
      }
      counts = await this.checkedCounts();
    }
    return { total: Number(counts.total), bad: Number(counts.bad), reader };
  }

  /** The bad lines of `checked` (every line when `rejected` gives the good ones a reason). */
  private async badLines(
    source: string,
    rejected: string | undefined,
    rules: FieldRules,
  ): Promise<BadRecord[]> {
    const reason = rejected === undefined ? '__lp_reason' : `coalesce(__lp_reason, ${literal(rejected)})`;
    const where = rejected === undefined ? 'WHERE __lp_reason IS NOT NULL' : '';
    return (
      await this.rows(
        `SELECT __lp_line_no AS line_no, '|' || __lp_line AS line, ${reason} AS reason FROM checked ${where} ORDER BY __lp_line_no`,
      )
    ).map((r) => {
      // '|' first: the client decodes VARCHAR with TextDecoder, which drops a leading U+FEFF.
      const raw = String(r.line).slice(1);
      return { source, line: Number(r.line_no), raw, reason: wordedReason(r.reason, raw, rules) };
    });
  }

  /**
   * The problems of a contract's SQL (contract-sql.ts): not one SELECT, or a relation it may not
   * read. Gold SQL may read the Silver tables this warehouse has.
   */
  async contractSqlProblems(contract: DatasetContract, datasets?: ReadonlySet<string>): Promise<string[]> {
    const silver =
      datasets ??
      new Set(
        (
          await this.rows(
            `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'silver' AND NOT starts_with(table_name, '__lp_')`,
          )
        ).map((r) => String(r.table_name).toLowerCase()),
      );
    return contractSqlProblems(contract, new Set([...silver, contract.name.toLowerCase()]), async (sql) =>
      String((await this.one(`SELECT json_serialize_sql(${literal(sql)}) AS j`)).j),
    );
  }

  /** Refuses to run a contract's SQL that is not one SELECT over what it may read. */
  private async assertContractSql(contract: DatasetContract, which: { gold: boolean }): Promise<void> {
    const problems = (await this.contractSqlProblems(contract)).filter((p) =>
      which.gold ? p.includes(': gold ') : p.includes(': silver.sql'),
    );
    if (problems.length > 0)
      throw new ContractSqlError(
        `${problems.join('; ')}. Fix the contract (lakeplane datasets validate checks it), then replay the load`,
      );
  }

  /** Tries the typed reader; undefined when the file's records need the line-by-line check. */
  private async fastCheck(
    contract: DatasetContract,
    file: string,
    compression: Compression,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      await this.conn.run(fastCheckedSql(contract, file, compression));
    } catch (e) {
      // Only the data decides the fallback: a record the typed reader refuses (a JSON or
      // conversion error) sends the file to the line-by-line check. Anything else is our bug
      // and must not hide behind the slower path.
      if (e instanceof Error && /^(Invalid Input|Conversion) Error/.test(e.message)) return undefined;
      throw e;
    }
    const counts = await this.checkedCounts();
    return Number(counts.bad) === 0 ? counts : undefined;
  }

  private checkedCounts(): Promise<Record<string, unknown>> {
    return this.one(
      `SELECT count(*) AS total, count(*) FILTER (WHERE __lp_reason IS NOT NULL) AS bad FROM checked`,
    );
  }

  /**
   * Upsert step: MERGEs the staged batch into Silver and records the commit, in one
   * transaction. Running it again for the same load attempt returns the recorded commit.
   */
  async upsert(contract: DatasetContract, load: { loadId: string; attempt: number }): Promise<UpsertResult> {
    const done = await this.commitOf(contract.name, load.loadId, load.attempt);
    if (done) return toUpsertResult(done);
    const staged = await this.stagedTable(load);
    const target = silverTable(contract.name);
    const keyless = Number(
      (
        await this.one(
          `SELECT count(*) AS n FROM ${staged} WHERE ${contract.key.map((k) => `${ident(k)} IS NULL`).join(' OR ')}`,
        )
      ).n,
    );
    if (keyless > 0) {
      throw new Error(
        `${keyless} staged records have no record key; the quality gate must stop such a batch before the upsert`,
      );
    }
    await this.conn.run('BEGIN TRANSACTION');
    try {
      if (!(await this.tableExists('silver', contract.name))) {
        await this.firstCommit(contract, staged, load);
        crashPoint('upsert-before-commit');
        await this.conn.run('COMMIT');
        return toUpsertResult((await this.commitOf(contract.name, load.loadId, load.attempt))!);
      }
      const columns = await this.columnsOf(staged);
      const existing = new Set((await this.columnsOf(target)).map((c) => c.name));
      for (const c of columns.filter((c) => !existing.has(c.name))) {
        await this.conn.run(`ALTER TABLE ${target} ADD COLUMN ${ident(c.name)} ${c.type}`);
      }
      const names = columns.map((c) => c.name);
      const empty = (await this.rows(`SELECT 1 FROM ${target} LIMIT 1`)).length === 0;
      const counts = await this.one(mergeCountsSql(contract, staged));
      const undo = await this.captureUndo(contract, staged, names, load);
      // Into an empty table a MERGE is an INSERT of the non-deletes; DuckDB inserts faster.
      await this.conn.run(empty ? insertSql(contract, staged, names) : mergeSql(contract, staged, names));
      await this.recordCommit(
        contract,
        load,
        {
          inserted: Number(counts.inserted),
          updated: Number(counts.updated),
          deleted: Number(counts.deleted),
        },
        undo,
      );
      crashPoint('upsert-before-commit');
      await this.conn.run('COMMIT');
    } catch (e) {
      await this.conn.run('ROLLBACK');
      throw e;
    }
    await this.conn.run(`DROP TABLE IF EXISTS ${staged}`);
    const commit = await this.commitOf(contract.name, load.loadId, load.attempt);
    return toUpsertResult(commit!);
  }

  /**
   * Validate step: the contract's expectations on the staged batch, as a GX 1.x-shaped
   * validation result.
   */
  async validate(
    contract: DatasetContract,
    load: { loadId: string; attempt: number },
    now: Date,
  ): Promise<Record<string, unknown>> {
    const staged = await this.stagedTable(load);
    return validateTable(contract, staged, (sql) => this.rows(sql), now);
  }

  /**
   * Quarantine step after a failed quality gate: the staged batch as NDJSON (to be written to
   * the quarantine prefix) and the staged table dropped. Silver is not touched.
   */
  /**
   * Moves a staged batch out: `keep` gets its rows as JSON lines and must store them; the staged
   * table is dropped only once it has (a crash in between leaves the batch staged, not lost).
   */
  async quarantineStaged(
    load: { loadId: string; attempt: number },
    keep: (ndjson: string, rows: number) => Promise<void>,
  ): Promise<number> {
    const staged = await this.stagedTable(load);
    const rows = await this.rows(`SELECT to_json(s)::VARCHAR AS j FROM ${staged} s`);
    await keep(rows.map((r) => String(r.j)).join('\n') + (rows.length > 0 ? '\n' : ''), rows.length);
    await this.conn.run(`DROP TABLE ${staged}`);
    return rows.length;
  }

  /** The staged table of a load attempt: temporary, or in `silver` for a dataset's first load. */
  private async stagedTable(load: { loadId: string; attempt: number }): Promise<string> {
    if (await this.tableExists('main', `__lp_staging_${load.loadId}#${load.attempt}`, true)) {
      return stagingName(load.loadId, load.attempt);
    }
    if (await this.tableExists('silver', `__lp_staging_${load.loadId}#${load.attempt}`)) {
      return stagingTable(load.loadId, load.attempt);
    }
    throw new Error(
      `no staged batch for load ${load.loadId} attempt ${load.attempt}: run the stage step first`,
    );
  }

  /**
   * The first commit of a dataset: the staged table becomes the Silver table by a rename (no
   * copy), less any CDC deletes, which have nothing to delete yet.
   */
  private async firstCommit(
    contract: DatasetContract,
    staged: string,
    load: { loadId: string; attempt: number },
  ): Promise<void> {
    await this.conn.run(`ALTER TABLE ${staged} RENAME TO ${ident(contract.name)}`);
    if (contract.cdc) {
      await this.conn.run(`DELETE FROM ${silverTable(contract.name)} s WHERE ${deleteCondition(contract)}`);
    }
    const inserted = Number((await this.one(`SELECT count(*) AS n FROM ${silverTable(contract.name)}`)).n);
    await this.recordCommit(
      contract,
      load,
      { inserted, updated: 0, deleted: 0 },
      { kind: this.retainCommits > 1 ? 'create' : 'pruned' },
    );
  }

  /**
   * Appends the commit row and its snapshot row (inside the caller's transaction), drops the undo
   * images that fall out of the retention, and runs the test hook.
   */
  private async recordCommit(
    contract: Pick<DatasetContract, 'name' | 'key'>,
    load: { loadId: string; attempt: number },
    counts: { inserted: number; updated: number; deleted: number },
    undo: UndoCapture,
  ): Promise<string> {
    const rowsAfter = Number((await this.one(`SELECT count(*) AS n FROM ${silverTable(contract.name)}`)).n);
    const commitId = await this.nextCommitId();
    await this.conn.run(
      `INSERT INTO lakeplane.commits VALUES (${literal(commitId)}, ${literal(contract.name)}, ${literal(load.loadId)}, ${load.attempt}, now()::TIMESTAMP, ${counts.inserted}, ${counts.updated}, ${counts.deleted}, ${rowsAfter})`,
    );
    await this.recordSnapshot(contract, commitId, undo);
    await this.beforeCommit?.(contract.name, load.loadId);
    return commitId;
  }

  /**
   * The undo image of an upsert (before its MERGE, in its transaction): the rows it will replace
   * or delete, and the keys it will insert. Nothing when the retention keeps no snapshots.
   */
  private async captureUndo(
    contract: DatasetContract,
    staged: string,
    columns: readonly string[],
    load: { loadId: string; attempt: number },
  ): Promise<UndoCapture> {
    if (this.retainCommits <= 1) return { kind: 'pruned' };
    const table = undoTableName(contract.name, load.loadId, load.attempt);
    await this.conn.run(captureUpsertUndoSql(contract, staged, columns, table));
    const rows = Number((await this.one(`SELECT count(*) AS n FROM ${undoTable(table)}`)).n);
    return { kind: 'delta', table, rows };
  }

  /** Writes a commit's snapshot row and applies the retention (inside the commit's transaction). */
  private async recordSnapshot(
    contract: Pick<DatasetContract, 'name' | 'key'>,
    commitId: string,
    undo: UndoCapture,
  ): Promise<void> {
    const columns = (await this.columnsOf(silverTable(contract.name))).map((c) => c.name);
    const table = 'table' in undo ? literal(undo.table) : 'NULL';
    const rows = 'rows' in undo ? undo.rows : 0;
    await this.conn.run(
      `INSERT INTO lakeplane.snapshots VALUES (${literal(commitId)}, ${literal(contract.name)}, ${literal(undo.kind)}, ${table}, ${rows}, ${listLiteral(columns)}, ${listLiteral(contract.key)})`,
    );
    // The states after the last N commits stay reachable: the undo images of the last N - 1.
    const expired = await this.rows(
      `SELECT commit_id, undo_table FROM lakeplane.snapshots WHERE dataset = ${literal(contract.name)} AND kind <> 'pruned'
         AND commit_id NOT IN (SELECT commit_id FROM lakeplane.commits WHERE dataset = ${literal(contract.name)} ORDER BY commit_id DESC LIMIT ${this.retainCommits - 1})`,
    );
    for (const e of expired) {
      if (typeof e.undo_table === 'string') {
        await this.conn.run(`DROP TABLE IF EXISTS ${undoTable(e.undo_table)}`);
      }
      await this.conn.run(
        `UPDATE lakeplane.snapshots SET kind = 'pruned', undo_table = NULL WHERE commit_id = ${literal(String(e.commit_id))}`,
      );
    }
  }

  private async tableExists(schema: string, table: string, temporary = false): Promise<boolean> {
    const rows = await this.rows(
      `SELECT 1 FROM duckdb_tables() WHERE schema_name = ${literal(schema)} AND table_name = ${literal(table)} AND temporary = ${temporary}`,
    );
    return rows.length > 0;
  }

  /** Gold step: rebuilds every Gold table of the dataset from Silver, in one transaction. */
  async buildGold(contract: DatasetContract, loadId: string): Promise<GoldResult> {
    await this.assertContractSql(contract, { gold: true });
    const tables: { name: string; rows: number }[] = [];
    await this.conn.run('BEGIN TRANSACTION');
    try {
      for (const g of contract.gold) {
        await this.conn.run(`CREATE OR REPLACE TABLE gold.${ident(g.name)} AS ${sparkDecimalCasts(g.sql)}`);
        tables.push({
          name: g.name,
          rows: Number((await this.one(`SELECT count(*) AS n FROM gold.${ident(g.name)}`)).n),
        });
      }
      await this.conn.run('COMMIT');
    } catch (e) {
      await this.conn.run('ROLLBACK');
      throw e;
    }
    return { phase: 'gold', loadId, dataset: contract.name, tables };
  }

  /** The Silver commit timeline of a dataset, oldest first. */
  async commits(dataset: string): Promise<CommitRow[]> {
    const rows = await this.rows(
      `SELECT * FROM lakeplane.commits WHERE dataset = ${literal(dataset)} ORDER BY commit_id`,
    ).catch(() => []);
    return rows.map(toCommitRow);
  }

  /**
   * The commit timeline of a dataset with its snapshots, oldest first: which commits are still
   * live in Silver and which states time travel and rollback can reach.
   */
  async timeline(dataset: string): Promise<TimelineEntry[]> {
    const entries = await this.snapshotTimeline(dataset);
    const live = liveCommitIds(entries.map((e) => e.commit));
    const oldest = reachableFrom(entries);
    return entries.map(({ commit, snapshot }, i) => {
      const rollbackTo = rollbackTargetOf(commit.loadId);
      return {
        ...commit,
        ...(rollbackTo !== undefined ? { rollbackTo } : {}),
        live: live.has(commit.commitId),
        reachable: i >= oldest,
        undo: snapshot?.kind ?? 'none',
        undoRows: snapshot?.undoRows ?? 0,
      };
    });
  }

  /**
   * Silver of a dataset as it was right after a commit, or after the last commit at or before a
   * time, as a SQL relation (a parenthesised subquery) to use in place of `silver.<dataset>`.
   * @throws SnapshotExpiredError when that state is older than the retained snapshots (the
   * message names the oldest reachable one); TimeTravelError for an unknown commit or a time
   * before the first commit.
   */
  async asOf(dataset: string, point: AsOf): Promise<string> {
    return (await this.resolveAsOf(dataset, point)).relation;
  }

  /**
   * Runs one SELECT in which `silver.<dataset>` means the table as of `asOf` (every other table
   * as it is now). The references are found by DuckDB's parser and replaced by the as-of
   * relation; only a SELECT is accepted, so the query cannot write. Works on a read-only warehouse.
   */
  async queryAsOf(
    sql: string,
    at: { readonly dataset: string; readonly asOf: AsOf },
  ): Promise<AsOfQueryResult> {
    const { relation, commit } = await this.resolveAsOf(at.dataset, at.asOf);
    const statements = await this.oneSelect(
      sql,
      'a query as of a commit must be a single SELECT',
      TimeTravelError,
    );
    const catalog = String((await this.one('SELECT current_database() AS db')).db);
    const rewritten = substituteTable(sql, at.dataset, relation, baseTableRefs(statements), catalog);
    return { ...(await this.run(rewritten)), commit };
  }

  /**
   * The parsed statements of `sql` when it is exactly one SELECT, decided by DuckDB's own parser
   * (`json_serialize_sql` serializes SELECT statements only), else `error` naming what it is.
   */
  private async oneSelect(
    sql: string,
    what: string,
    error: new (message: string) => Error,
  ): Promise<unknown[]> {
    const parsed = JSON.parse(
      String((await this.one(`SELECT json_serialize_sql(${literal(sql)}) AS j`)).j),
    ) as { error?: boolean; error_message?: string; statements?: unknown[] };
    if (parsed.error || !parsed.statements) {
      const message = parsed.error_message ?? 'it could not be parsed';
      const reason = /Only SELECT statements/i.test(message)
        ? `this is not a SELECT (COPY, ATTACH, INSTALL, LOAD, PRAGMA, SET, CREATE, INSERT, DROP and the like are refused)`
        : message;
      throw new error(`${what}: ${reason}`);
    }
    if (parsed.statements.length !== 1)
      throw new error(`${what}, not ${parsed.statements.length} statements: run them one at a time`);
    return parsed.statements;
  }

  /**
   * `lakeplane query`: exactly one read-only SELECT (decided by DuckDB's parser), on a sandboxed
   * warehouse (no file or network access, configuration locked).
   * @throws QueryRefusedError for anything else, when the SELECT reaches for a file, or when it
   * does not run (an unknown table or column: DuckDB's first line).
   */
  async select(sql: string): Promise<QueryResult> {
    await this.oneSelect(sql, ONE_SELECT, QueryRefusedError);
    try {
      return await this.run(sql);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (/^Permission Error/.test(message))
        throw new QueryRefusedError(
          `query reads only the warehouse's tables: files and the network are off (${firstLine(e)})`,
        );
      // A Silver or Gold table that has no data yet: in words, and how to make it.
      const missing = /^Catalog Error: Table with name (\w+) does not exist/.exec(message)?.[1];
      const schema = missing ? /\b(silver|gold)\s*\.\s*"?(\w+)"?/i.exec(sql) : null;
      if (missing && schema && schema[2]?.toLowerCase() === missing.toLowerCase())
        throw new QueryRefusedError(
          schema[1]!.toLowerCase() === 'silver'
            ? `silver.${missing} has no data yet (or is no dataset): load a file of ${missing} first; the datasets are in datasets/*.yaml`
            : `gold.${missing} has no data yet (or is no Gold table of a contract): it is built by the loads of its dataset`,
        );
      // The user's SQL names a table or column that is not there, or does not bind: say so.
      throw new QueryRefusedError(`the query failed: ${firstLine(e)}`);
    }
  }

  /**
   * Returns a dataset's Silver table to the state right after `toCommit`, or right before the
   * load's commit (`beforeLoad`), and rebuilds its Gold tables, in one transaction. The rollback
   * is itself a commit of the timeline (load id `rollback:<target commit>`, counts of rows
   * restored/reverted/removed) with its own undo image, so it can be undone like any commit.
   * Only the keys the undone commits touched are rewritten, unless columns added since must go
   * again (then the table is rebuilt). A dry run reports the same figures and writes nothing.
   * @returns what changed, and the commits undone in commit order (their loads can be replayed).
   */
  async rollback(
    contract: DatasetContract,
    target: RollbackTarget,
    options: { readonly dryRun?: boolean } = {},
  ): Promise<RollbackReport> {
    const dataset = contract.name;
    const entries = await this.snapshotTimeline(dataset);
    if (entries.length === 0) {
      throw new TimeTravelError(`dataset ${dataset} has no commits yet: there is nothing to roll back`);
    }
    const index = targetIndex(dataset, entries, target);
    const silver = silverTable(dataset);
    const current = (await this.columnsOf(silver)).map((c) => c.name);
    const plan = restorePlan(dataset, entries, index, current, contract.key, this.retainCommits);
    // Undone: the changes in Silver now that were not in it right after the target.
    const sets = liveSets(entries.map((e) => e.commit));
    const live = sets.at(-1) ?? new Set<string>();
    const kept = index < 0 ? new Set<string>() : sets[index]!;
    const commitsWhere = (test: (id: string) => boolean): UndoneCommit[] =>
      entries
        .filter((e) => test(e.commit.commitId))
        .map(({ commit: c }) => ({
          commitId: c.commitId,
          loadId: c.loadId,
          attempt: c.attempt,
          committedAt: c.committedAt,
          rollback: isRollback(c.loadId),
        }));
    const undone = commitsWhere((id) => live.has(id) && !kept.has(id));
    const revived = commitsWhere((id) => kept.has(id) && !live.has(id));
    const columnsDropped = current.filter((c) => !plan.columns.includes(c));
    const columnsRestored = plan.columns.filter((c) => !current.includes(c));
    const full = plan.base.kind !== 'silver' || columnsDropped.length > 0 || columnsRestored.length > 0;
    const toCommit = index < 0 ? START : entries[index]!.commit.commitId;
    const rowsBefore = Number((await this.one(`SELECT count(*) AS n FROM ${silver}`)).n);
    const report = (counts: Record<string, unknown>, rest: Partial<RollbackReport>): RollbackReport => ({
      dataset,
      dryRun: options.dryRun ?? false,
      toCommit,
      rowsBefore,
      rowsAfter: rowsBefore + Number(counts.inserted) - Number(counts.deleted),
      restored: Number(counts.inserted),
      reverted: Number(counts.updated),
      removed: Number(counts.deleted),
      columnsDropped,
      columnsRestored,
      undone,
      undoneLoads: undone.filter((u) => !u.rollback),
      revived,
      gold: [],
      ...rest,
    });
    if (options.dryRun) {
      const counts = full
        ? await this.one(fullCountsSql(plan, relationSql(plan), silver, current))
        : await this.one(deltaCountsSql(plan, `(${priorImagesSql(plan)})`, silver));
      return report(counts, {});
    }

    const loadId = `${ROLLBACK_LOAD_PREFIX}${toCommit}`;
    const attempt =
      Number(
        (
          await this.one(
            `SELECT count(*) AS n FROM lakeplane.commits WHERE dataset = ${literal(dataset)} AND load_id = ${literal(loadId)}`,
          )
        ).n,
      ) + 1;
    const table = undoTableName(dataset, loadId, attempt);
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const { counts, undo } = full
        ? await this.replaceSilver(plan, table)
        : await this.restoreTouchedKeys(plan, table);
      const gold = await this.rebuildGold(contract);
      const commitId = await this.recordCommit(
        { name: dataset, key: plan.key },
        { loadId, attempt },
        {
          inserted: Number(counts.inserted),
          updated: Number(counts.updated),
          deleted: Number(counts.deleted),
        },
        undo,
      );
      await this.conn.run('COMMIT');
      return report(counts, { commitId, gold });
    } catch (e) {
      await this.conn.run('ROLLBACK');
      throw e;
    } finally {
      await this.conn.run('DROP TABLE IF EXISTS temp.main.__lp_prior');
    }
  }

  /** A delta rollback: the touched keys get their prior images back, in place. */
  private async restoreTouchedKeys(
    plan: RestorePlan,
    table: string,
  ): Promise<{ counts: Record<string, unknown>; undo: UndoCapture }> {
    await this.conn.run(`CREATE OR REPLACE TEMP TABLE __lp_prior AS ${priorImagesSql(plan)}`);
    const counts = await this.one(deltaCountsSql(plan, '__lp_prior', silverTable(plan.dataset)));
    await this.conn.run(captureRollbackUndoSql(plan, '__lp_prior', table));
    await this.conn.run(applyDeltaSql(plan, '__lp_prior'));
    const rows = Number((await this.one(`SELECT count(*) AS n FROM ${undoTable(table)}`)).n);
    return { counts, undo: { kind: 'delta', table, rows } };
  }

  /** A full rollback: the table as it is becomes the undo image, Silver is rebuilt from the plan. */
  private async replaceSilver(
    plan: RestorePlan,
    table: string,
  ): Promise<{ counts: Record<string, unknown>; undo: UndoCapture }> {
    const silver = silverTable(plan.dataset);
    await this.conn.run(`CREATE OR REPLACE TABLE ${undoTable(table)} AS SELECT * FROM ${silver}`);
    const relation = relationSql(plan, { silver: undoTable(table) });
    const current = (await this.columnsOf(silver)).map((c) => c.name);
    const counts = await this.one(fullCountsSql(plan, relation, undoTable(table), current));
    await this.conn.run(`CREATE OR REPLACE TABLE ${silver} AS SELECT * FROM ${relation}`);
    const rows = Number((await this.one(`SELECT count(*) AS n FROM ${undoTable(table)}`)).n);
    return { counts, undo: { kind: 'full', table, rows } };
  }

  /** Rebuilds the dataset's Gold tables inside the caller's transaction. */
  private async rebuildGold(contract: DatasetContract): Promise<{ name: string; rows: number }[]> {
    await this.assertContractSql(contract, { gold: true });
    const tables: { name: string; rows: number }[] = [];
    for (const g of contract.gold) {
      await this.conn.run(`CREATE OR REPLACE TABLE gold.${ident(g.name)} AS ${sparkDecimalCasts(g.sql)}`);
      tables.push({
        name: g.name,
        rows: Number((await this.one(`SELECT count(*) AS n FROM gold.${ident(g.name)}`)).n),
      });
    }
    return tables;
  }

  /** The commits of a dataset with their snapshot rows (none on a warehouse older than them). */
  private async snapshotTimeline(dataset: string): Promise<SnapshotEntry<CommitRow>[]> {
    const commits = await this.commits(dataset);
    const rows = await this.rows(
      `SELECT * FROM lakeplane.snapshots WHERE dataset = ${literal(dataset)}`,
    ).catch(() => []);
    const snapshots = new Map<string, SnapshotRow>(
      rows.map((r) => [
        String(r.commit_id),
        {
          commitId: String(r.commit_id),
          kind: String(r.kind) as UndoKind,
          ...(typeof r.undo_table === 'string' ? { undoTable: r.undo_table } : {}),
          undoRows: Number(r.undo_rows),
          columns: (r.columns as unknown[]).map(String),
          key: (r.key_columns as unknown[]).map(String),
        },
      ]),
    );
    return commits.map((commit) => {
      const snapshot = snapshots.get(commit.commitId);
      return snapshot ? { commit, snapshot } : { commit };
    });
  }

  private async resolveAsOf(dataset: string, point: AsOf): Promise<{ relation: string; commit: CommitRow }> {
    const entries = await this.snapshotTimeline(dataset);
    if (entries.length === 0) throw new TimeTravelError(`dataset ${dataset} has no commits yet`);
    const index = await this.pointIndex(dataset, entries, point);
    const current = (await this.columnsOf(silverTable(dataset))).map((c) => c.name);
    const key = entries[entries.length - 1]!.snapshot?.key ?? [];
    const plan = restorePlan(dataset, entries, index, current, key, this.retainCommits);
    return { relation: relationSql(plan), commit: entries[index]!.commit };
  }

  /** The timeline position of a commit id, or of the last commit at or before a time. */
  private async pointIndex(
    dataset: string,
    entries: readonly SnapshotEntry<CommitRow>[],
    point: AsOf,
  ): Promise<number> {
    if (typeof point === 'string' && /^\d{17,}$/.test(point.trim())) {
      return indexOfCommit(dataset, entries, point.trim());
    }
    const text = point instanceof Date ? point.toISOString() : point.trim();
    let found: Record<string, unknown>;
    try {
      found = await this.one(
        `SELECT max(commit_id) AS id, timezone('UTC', ${literal(text)}::TIMESTAMPTZ)::VARCHAR AS at FROM lakeplane.commits
          WHERE dataset = ${literal(dataset)} AND committed_at <= timezone('UTC', ${literal(text)}::TIMESTAMPTZ)`,
      );
    } catch {
      throw new TimeTravelError(
        `"${text}" is neither a commit id (17 digits, yyyyMMddHHmmssSSS) nor a timestamp (e.g. 2026-11-20T10:00:00Z)`,
      );
    }
    if (typeof found.id !== 'string') {
      const first = entries[0]!.commit;
      throw new TimeTravelError(
        `no commit of ${dataset} at or before ${String(found.at)} UTC; its first commit is ${first.commitId}, committed ${first.committedAt} UTC`,
      );
    }
    return indexOfCommit(dataset, entries, found.id);
  }

  /**
   * Runs SQL and returns the rows as JSON-friendly values (BIGINT/DECIMAL as strings). The
   * platform's own SQL; what a user types goes through `select`.
   */
  async query(sql: string): Promise<QueryResult> {
    return this.run(sql);
  }

  private async run(sql: string): Promise<QueryResult> {
    const reader = await this.conn.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }

  private async commitOf(dataset: string, loadId: string, attempt: number): Promise<CommitRow | undefined> {
    const rows = await this.rows(
      `SELECT * FROM lakeplane.commits WHERE dataset = ${literal(dataset)} AND load_id = ${literal(loadId)} AND attempt = ${attempt}`,
    );
    return rows[0] ? toCommitRow(rows[0]) : undefined;
  }

  /** Hudi-style instant time (yyyyMMddHHmmssSSS, UTC), strictly increasing. */
  private async nextCommitId(): Promise<string> {
    const last = await this.one(`SELECT max(commit_id) AS id FROM lakeplane.commits`);
    let id = new Date()
      .toISOString()
      .replace(/[-:TZ.]/g, '')
      .slice(0, 17);
    if (typeof last.id === 'string' && id <= last.id) id = String(BigInt(last.id) + 1n);
    return id;
  }

  private async columnsOf(table: string): Promise<{ name: string; type: string }[]> {
    const rows = await this.rows(`DESCRIBE ${table}`);
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  private async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  }

  private async one(sql: string): Promise<Record<string, unknown>> {
    const rows = await this.rows(sql);
    if (!rows[0]) throw new Error(`query returned no row: ${sql.slice(0, 80)}`);
    return rows[0];
  }
}

function retainCommitsOf(options: OpenOptions): number {
  const n = options.retainCommits ?? DEFAULT_RETAIN_COMMITS;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`retainCommits must be a whole number of at least 1, not ${n}`);
  }
  return n;
}

function toCommitRow(r: Record<string, unknown>): CommitRow {
  return {
    commitId: String(r.commit_id),
    dataset: String(r.dataset),
    loadId: String(r.load_id),
    attempt: Number(r.attempt),
    committedAt: String(r.committed_at),
    inserted: Number(r.inserted),
    updated: Number(r.updated),
    deleted: Number(r.deleted),
    rowsAfter: Number(r.rows_after),
  };
}

function toUpsertResult(c: CommitRow): UpsertResult {
  return {
    phase: 'upsert',
    loadId: c.loadId,
    dataset: c.dataset,
    commitId: c.commitId,
    inserted: c.inserted,
    updated: c.updated,
    deleted: c.deleted,
  };
}

/** DuckDB's reader error without its raw-line echo and its "Possible Solution" advice. */
/**
 * Refuses a gzip object that does not decompress to its end (truncated, corrupt): DuckDB's
 * readers return the records before the damage and no error (measured: 7 of 10 records of a
 * truncated file), which would load part of a file as a success. zlib reads it through once.
 */
async function wholeGzip(object: StageObject): Promise<void> {
  try {
    await pipeline(
      createReadStream(object.file),
      createGunzip(),
      new Writable({ write: (_c, _e, done) => done() }),
    );
  } catch (e) {
    throw new MalformedFileError(
      `${object.source} is not a whole gzip file (${e instanceof Error ? e.message : String(e)}): nothing of it was loaded; land the complete file again`,
    );
  }
}

/**
 * A bad line's reason in the shared rules' words. DuckDB's SQL decides which lines are bad, with
 * casting.py's reasons where it can; two things it cannot word: why a line is not JSON (its
 * reader gives no message per line) and a number's literal text (its JSON reader writes `1e39`
 * back as `1e+39`, `12345678901.00` as `12345678901.0`). So a line DuckDB finds bad is worded by
 * the shared rules (shared/core/record-rules.ts, casting.py's with Python's JSON messages) when
 * they find it bad too; where they do not, DuckDB's reason stays (the engines then differ, which
 * tests/integration/record-rules.property.test.ts looks for). The lines the line guard set aside
 * carry the shared rules' reason already.
 */
function wordedReason(reason: unknown, line: unknown, rules: FieldRules): string {
  const r = String(reason);
  if (typeof line !== 'string' || r.startsWith('not valid UTF-8') || r.startsWith('record is ')) return r;
  const v = checkLine(line, rules);
  return v !== undefined && !v.ok ? v.reason : r;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(Original Line|Possible|\*)/.test(l))
    .slice(0, 3)
    .join(' ');
}
