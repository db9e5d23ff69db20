import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import type { GoldResult, StageResult, UpsertResult } from '../../shared/core/run-results.js';
import { validateTable } from './quality.js';
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
  readonly line: number;
  readonly raw: string;
  readonly reason: string;
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
}

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

/** Test hook: runs inside the upsert transaction just before COMMIT. */
export type BeforeCommitHook = (dataset: string, loadId: string) => Promise<void> | void;

const LOCK_ERROR = /Could not set lock|Conflicting lock/i;

/**
 * The local warehouse: one DuckDB file with schemas `silver`, `gold`, `staging` and
 * `lakeplane` (the commit timeline). DuckDB lets one process write a file at a time (or many
 * read-only readers, never both), so opening waits for another process to let go.
 */
export class Warehouse {
  private beforeCommit: BeforeCommitHook | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly readOnly: boolean,
  ) {}

  static async open(file: string, options: OpenOptions = {}): Promise<Warehouse> {
    const deadline = Date.now() + (options.waitMs ?? 30_000);
    let warned = false;
    for (;;) {
      try {
        const instance = await DuckDBInstance.create(file, {
          access_mode: options.readOnly ? 'READ_ONLY' : 'READ_WRITE',
          autoinstall_known_extensions: 'false',
        });
        const conn = await instance.connect();
        // Timestamps are typed in UTC; TIMESTAMPTZ parsing of offsets needs the (built-in) icu.
        await conn.run(`LOAD icu; SET TimeZone = 'UTC'; SET preserve_insertion_order = true`);
        const wh = new Warehouse(instance, conn, options.readOnly ?? false);
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
  }

  /** Test hook to fail an upsert between MERGE and COMMIT. */
  setBeforeCommitHook(hook: BeforeCommitHook | undefined): void {
    this.beforeCommit = hook;
  }

  /**
   * Stage step: reads a Bronze NDJSON file, types each record by the contract, sets bad
   * records aside with their reason, dedupes by key and runs the Silver SQL into the staging
   * table of this load attempt.
   * @throws MalformedFileError when the share of bad records exceeds the contract's limit.
   */
  async stage(
    contract: DatasetContract,
    load: { loadId: string; attempt: number; file: string; displayName: string },
  ): Promise<{ result: StageResult; bad: BadRecord[]; reader: 'typed' | 'line-by-line' }> {
    const compression = compressionOf(load.displayName);
    let counts = await this.fastCheck(contract, load.file, compression);
    const reader = counts ? 'typed' : 'line-by-line';
    if (!counts) {
      try {
        await this.conn.run(checkRecordsSql(contract, readLinesSql(load.file, compression)));
      } catch (e) {
        throw new MalformedFileError(`${load.displayName} cannot be read as NDJSON text: ${firstLine(e)}`);
      }
      counts = await this.checkedCounts();
    }
    const total = Number(counts.total);
    const badCount = Number(counts.bad);
    if (total > 0 && badCount / total > contract.bronze.maxBadRecordRatio) {
      const first = await this.one(
        `SELECT __lp_line_no AS line_no, __lp_reason AS reason FROM checked WHERE __lp_reason IS NOT NULL ORDER BY __lp_line_no LIMIT 1`,
      );
      throw new MalformedFileError(
        `${load.displayName}: ${badCount} of ${total} records are unreadable (more than the contract's max_bad_record_ratio ${contract.bronze.maxBadRecordRatio}); first at line ${first.line_no}: ${first.reason}. Check that the file belongs to dataset ${contract.name} and is NDJSON, fix it and land it again.`,
      );
    }
    const bad =
      badCount === 0
        ? []
        : (
            await this.rows(
              `SELECT __lp_line_no AS line_no, __lp_line AS line, __lp_reason AS reason FROM checked WHERE __lp_reason IS NOT NULL ORDER BY __lp_line_no`,
            )
          ).map((r) => ({
            line: Number(r.line_no),
            raw: String(r.line),
            reason: String(r.reason),
          }));
    await this.conn.run(batchSql(contract));
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
      `CREATE OR REPLACE ${persistent ? '' : 'TEMP '}TABLE ${staged} AS ${contract.silver.sql}`,
    );
    const stagedRows = Number((await this.one(`SELECT count(*) AS n FROM ${staged}`)).n);
    await this.conn.run('DROP VIEW IF EXISTS batch; DROP TABLE IF EXISTS checked;');
    const good = total - badCount;
    return {
      result: {
        phase: 'stage',
        loadId: load.loadId,
        dataset: contract.name,
        rowsIn: total,
        rowsQuarantined: badCount,
        rowsStaged: stagedRows,
        duplicatesDropped: good - Number(stagedRows),
      },
      bad,
      reader,
    };
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
      const counts = await this.one(mergeCountsSql(contract, staged, names));
      // Into an empty table a MERGE is an INSERT of the non-deletes; DuckDB inserts faster.
      await this.conn.run(empty ? insertSql(contract, staged, names) : mergeSql(contract, staged, names));
      await this.recordCommit(contract, load, {
        inserted: Number(counts.inserted),
        updated: Number(counts.updated),
        deleted: Number(counts.deleted),
      });
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
  async quarantineStaged(load: {
    loadId: string;
    attempt: number;
  }): Promise<{ ndjson: string; rows: number }> {
    const staged = await this.stagedTable(load);
    const rows = await this.rows(`SELECT to_json(s)::VARCHAR AS j FROM ${staged} s`);
    await this.conn.run(`DROP TABLE ${staged}`);
    return {
      ndjson: rows.map((r) => String(r.j)).join('\n') + (rows.length > 0 ? '\n' : ''),
      rows: rows.length,
    };
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
    await this.recordCommit(contract, load, { inserted, updated: 0, deleted: 0 });
  }

  /** Appends the commit row (inside the caller's transaction) and runs the test hook. */
  private async recordCommit(
    contract: DatasetContract,
    load: { loadId: string; attempt: number },
    counts: { inserted: number; updated: number; deleted: number },
  ): Promise<void> {
    const rowsAfter = Number((await this.one(`SELECT count(*) AS n FROM ${silverTable(contract.name)}`)).n);
    const commitId = await this.nextCommitId();
    await this.conn.run(
      `INSERT INTO lakeplane.commits VALUES (${literal(commitId)}, ${literal(contract.name)}, ${literal(load.loadId)}, ${load.attempt}, now()::TIMESTAMP, ${counts.inserted}, ${counts.updated}, ${counts.deleted}, ${rowsAfter})`,
    );
    await this.beforeCommit?.(contract.name, load.loadId);
  }

  private async tableExists(schema: string, table: string, temporary = false): Promise<boolean> {
    const rows = await this.rows(
      `SELECT 1 FROM duckdb_tables() WHERE schema_name = ${literal(schema)} AND table_name = ${literal(table)} AND temporary = ${temporary}`,
    );
    return rows.length > 0;
  }

  /** Gold step: rebuilds every Gold table of the dataset from Silver, in one transaction. */
  async buildGold(contract: DatasetContract, loadId: string): Promise<GoldResult> {
    const tables: { name: string; rows: number }[] = [];
    await this.conn.run('BEGIN TRANSACTION');
    try {
      for (const g of contract.gold) {
        await this.conn.run(`CREATE OR REPLACE TABLE gold.${ident(g.name)} AS ${g.sql}`);
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

  /** Runs SQL and returns the rows as JSON-friendly values (BIGINT/DECIMAL as strings). */
  async query(sql: string): Promise<QueryResult> {
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
function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(Original Line|Possible|\*)/.test(l))
    .slice(0, 3)
    .join(' ');
}
