import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { canonicalGlueType } from '../../shared/core/drift/glue-type.js';
import {
  type GlueColumn,
  type GlueTable,
  type GlueTableVersion,
  readTableVersions,
} from '../../shared/core/drift/table.js';
import type { Catalog } from '../../shared/ports.js';

/** The catalog folder is locked by another writer for longer than we were willing to wait. */
export class CatalogBusyError extends Error {
  override readonly name = 'CatalogBusyError';
}

/** What {@link LocalCatalog.putVersion} did. */
export interface PutVersionResult {
  /** The stored version: the new one, or the latest one when nothing changed. */
  readonly version: GlueTableVersion;
  /** Whether a new version was stored. */
  readonly changed: boolean;
}

export interface LocalCatalogOptions {
  /** The clock for `UpdateTime` (default: the system clock). */
  readonly now?: () => Date;
}

/** The document of one table file: a GetTableVersions response, oldest version first. */
interface TableFile {
  readonly DatabaseName: string;
  readonly Name: string;
  readonly TableVersions: readonly GlueTableVersion[];
}

/** How long a writer waits for the folder lock, and when a lock counts as abandoned. */
const LOCK_WAIT_MS = 10_000;
const LOCK_STALE_MS = 30_000;

/**
 * The local Glue Data Catalog: Bronze table definitions with numbered versions ("1", "2", ...
 * as Glue numbers them), one JSON file per table under a folder. A file is a GetTableVersions
 * response (`{DatabaseName, Name, TableVersions: [{Table, VersionId}]}`, oldest first), so
 * `aws glue get-table-versions` output and these files are read by the same code.
 *
 * Writes replace the file with a rename (readers never see half a file) while holding a lock
 * file, so two processes putting versions at once do not lose one.
 */
export class LocalCatalog implements Catalog {
  private readonly now: () => Date;

  constructor(
    readonly dir: string,
    options: LocalCatalogOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.now = options.now ?? (() => new Date());
  }

  /** All versions of a table, newest first, as Glue lists them; `[]` for an unknown table. */
  async tableVersions(database: string, table: string): Promise<GlueTableVersion[]> {
    return this.read(database, table).reverse();
  }

  /** The newest version of a table, or undefined. */
  latest(database: string, table: string): GlueTableVersion | undefined {
    return this.read(database, table).at(-1);
  }

  /** The tables with at least one version, sorted by database and name. */
  tables(): { readonly database: string; readonly table: string }[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => {
        const parts = f.slice(0, -'.json'.length).split('.');
        if (parts.length !== 2) return [];
        return [{ database: decodeURIComponent(parts[0]!), table: decodeURIComponent(parts[1]!) }];
      })
      .sort((a, b) => a.database.localeCompare(b.database) || a.table.localeCompare(b.table));
  }

  /**
   * Stores a new version of a table when its columns or partition keys differ from the latest
   * version's (names, order and types; types compared in canonical form, so `INTEGER` equals
   * `int`; comments ignored), like a crawler run that finds a changed schema. A run that finds
   * the same schema stores nothing and returns the latest version.
   *
   * The stored table carries `Name`, `DatabaseName`, `VersionId` and `UpdateTime` of this
   * catalog, whatever `table` says.
   */
  putVersion(database: string, table: string, definition: GlueTable): PutVersionResult {
    return this.locked(() => {
      const versions = this.read(database, table);
      const latest = versions.at(-1);
      if (latest && sameSchema(latest.Table, definition)) return { version: latest, changed: false };
      const versionId = String(latest ? Number(latest.VersionId) + 1 : 1);
      const stored: GlueTable = {
        Name: table,
        DatabaseName: database,
        StorageDescriptor: { Columns: copyColumns(definition.StorageDescriptor?.Columns) },
        PartitionKeys: copyColumns(definition.PartitionKeys),
        VersionId: versionId,
        UpdateTime: this.now().toISOString(),
      };
      const version: GlueTableVersion = { Table: stored, VersionId: versionId };
      const doc: TableFile = { DatabaseName: database, Name: table, TableVersions: [...versions, version] };
      this.write(this.fileOf(database, table), doc);
      return { version, changed: true };
    });
  }

  /** The file of a table: `<database>.<table>.json`, both names URI-encoded (and `.` too). */
  fileOf(database: string, table: string): string {
    if (database === '' || table === '') throw new Error('database and table names must not be empty');
    return join(this.dir, `${encodeName(database)}.${encodeName(table)}.json`);
  }

  /** The versions of a table, oldest first. */
  private read(database: string, table: string): GlueTableVersion[] {
    const file = this.fileOf(database, table);
    if (!existsSync(file)) return [];
    return readTableVersions(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
  }

  private write(file: string, doc: TableFile): void {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
    renameSync(tmp, file);
  }

  /** Runs `fn` holding the folder's lock file (created exclusively; an abandoned one is taken over). */
  private locked<T>(fn: () => T): T {
    const lock = join(this.dir, '.lock');
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        closeSync(openSync(lock, 'wx'));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (lockAge(lock) > LOCK_STALE_MS) {
          rmQuiet(lock);
          continue;
        }
        if (Date.now() >= deadline)
          throw new CatalogBusyError(`the local catalog ${this.dir} is locked by another process (${lock})`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
    try {
      return fn();
    } finally {
      rmQuiet(lock);
    }
  }
}

function encodeName(name: string): string {
  return encodeURIComponent(name).replaceAll('.', '%2E');
}

function lockAge(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

function rmQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function copyColumns(columns: readonly GlueColumn[] | undefined): GlueColumn[] {
  return (columns ?? []).map((c) =>
    c.Comment !== undefined
      ? { Name: c.Name, Type: c.Type, Comment: c.Comment }
      : { Name: c.Name, Type: c.Type },
  );
}

/** A type in canonical form, or as written when it does not parse (then compared as text). */
function canonical(type: string): string {
  try {
    return canonicalGlueType(type);
  } catch {
    return type;
  }
}

function sameColumns(a: readonly GlueColumn[] | undefined, b: readonly GlueColumn[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return (
    x.length === y.length &&
    x.every((c, i) => c.Name === y[i]!.Name && canonical(c.Type) === canonical(y[i]!.Type))
  );
}

function sameSchema(a: GlueTable, b: GlueTable): boolean {
  return (
    sameColumns(a.StorageDescriptor?.Columns, b.StorageDescriptor?.Columns) &&
    sameColumns(a.PartitionKeys, b.PartitionKeys)
  );
}
