/**
 * The local Glue crawler: infers the schema of a dataset's Bronze objects with DuckDB, stores it
 * in the local catalog as a new table version when it changed, and announces the change on the
 * bus with the event Glue sends to EventBridge for it.
 */
import { closeSync, type Dirent, openSync, readdirSync, readSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { matchBronzeKey } from '../../shared/core/bronze-key.js';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import { type GlueType, printGlueType } from '../../shared/core/drift/glue-type.js';
import type { GlueColumn, GlueTableVersion } from '../../shared/core/drift/table.js';
import { GLUE_DATABASE_STATE_CHANGE, GLUE_TABLE_STATE_CHANGE } from '../../shared/core/events-glue.js';
import { literal } from '../engine/sql.js';
import type { BusEvent, LocalEventBus } from '../eventbus/bus.js';
import type { DirObjectStore } from '../object-store/dir-object-store.js';
import { LOCAL_LAYOUT } from '../workspace.js';
import { glueTypeOfDuckDb } from './duckdb-glue-types.js';
import type { LocalCatalog } from './local-catalog.js';

/** Runs SQL and returns its rows (e.g. `async (sql) => (await warehouse.query(sql)).rows`). */
export type QueryRows = (sql: string) => Promise<readonly Record<string, unknown>[]>;

export interface CrawlDeps {
  readonly store: DirObjectStore;
  readonly query: QueryRows;
  readonly catalog: LocalCatalog;
  readonly bus: LocalEventBus;
  /** The Glue database of the Bronze tables. */
  readonly database: string;
  /** The Bronze bucket (default: the local layout's). */
  readonly bronzeBucket?: string;
  /**
   * All dataset contracts: a key under this dataset's prefix that belongs to a dataset with a
   * longer prefix is left to that dataset (default: only this dataset is considered).
   */
  readonly datasets?: Iterable<DatasetContract>;
  /**
   * Rows DuckDB reads from each file to infer its schema: -1 (the default) reads every row, so
   * a field that first appears deep into a file is found; a positive number samples (faster).
   */
  readonly sampleSize?: number;
  /**
   * How JSON strings that look like dates or timestamps are typed. `string` (the default) does
   * what Glue's JSON classifier does: JSON has no date type, so they are strings. `typed` keeps
   * DuckDB's detection (`date`, `timestamp`), which flips to `string` as soon as one file holds
   * a different format.
   */
  readonly temporal?: 'string' | 'typed';
}

/** A Bronze object the crawl left out, and why. */
export interface SkippedObject {
  readonly key: string;
  readonly reason: string;
}

export interface CrawlResult {
  /** The latest table version after the crawl; undefined when the dataset has no data yet. */
  readonly version: GlueTableVersion | undefined;
  /** Whether the crawl stored a new version (and sent an event). */
  readonly changed: boolean;
  /** The inferred columns (in the stored version's order). */
  readonly columns: readonly GlueColumn[];
  /** The objects whose schema was read. */
  readonly objects: number;
  /** Objects left out: unreadable, not NDJSON records, or empty. */
  readonly skipped: readonly SkippedObject[];
}

/** A Bronze data object on disk. */
interface BronzeFile {
  readonly key: string;
  readonly path: string;
}

/**
 * Crawls one dataset's Bronze prefix, like a Glue crawler whose include path is
 * `s3://<bronze bucket>/<prefix>` with one table per dataset:
 *
 * 1. lists the current objects under the prefix (old versions under `.versions/` are not
 *    objects), keeping NDJSON files (`.json`, `.ndjson`, `.jsonl`, optionally `.gz`);
 * 2. infers one schema over all of them with DuckDB (`read_json(..., union_by_name=true)`,
 *    each file's compression from its extension); a file DuckDB cannot read as NDJSON records
 *    is left out and reported, as a crawler would classify it elsewhere;
 * 3. maps it to a Glue table: one column per top-level field, types by
 *    {@link glueTypeOfDuckDb}; columns already in the catalog keep their order and new ones
 *    come last, as a crawler's UpdateTable adds them; no partition keys (most Bronze objects sit
 *    directly under the prefix, and `stream/date=.../` is a folder for micro-batches, not a
 *    partition of the dataset's table);
 * 4. stores it with {@link LocalCatalog.putVersion}, and when that made a new version, puts on
 *    the bus the event Glue sends for it: `Glue Data Catalog Database State Change` /
 *    `CreateTable` for the first version, `Glue Data Catalog Table State Change` /
 *    `UpdateTable` after that (see shared/core/events-glue.ts).
 *
 * A dataset without data objects gets no table (a crawler creates none for an empty path).
 */
export async function crawlDataset(contract: DatasetContract, deps: CrawlDeps): Promise<CrawlResult> {
  const table = contract.name;
  const files = listBronzeFiles(contract, deps);
  const skipped: SkippedObject[] = [];
  const { columns: described, files: read } = await describeFiles(files, deps, skipped);
  const previous = deps.catalog.latest(deps.database, table);
  if (read.length === 0) return { version: previous, changed: false, columns: [], objects: 0, skipped };

  const temporalAsString = (deps.temporal ?? 'string') === 'string';
  const inferred: GlueColumn[] = described.map(({ name, type }) => {
    const glue = glueTypeOfDuckDb(type);
    return { Name: name, Type: printGlueType(temporalAsString ? stringTemporal(glue) : glue) };
  });
  const columns = keepOrder(inferred, previous?.Table.StorageDescriptor?.Columns ?? []);
  const { version, changed } = deps.catalog.putVersion(deps.database, table, {
    Name: table,
    DatabaseName: deps.database,
    StorageDescriptor: { Columns: columns },
    PartitionKeys: [],
  });
  if (changed) deps.bus.put(tableChangeEvent(deps.bus, deps.database, table, version.VersionId === '1'));
  return { version, changed, columns, objects: read.length, skipped };
}

/** The event Glue sends when a crawler creates (`first`) or updates a table. */
function tableChangeEvent(bus: LocalEventBus, database: string, table: string, first: boolean): BusEvent {
  const event = first
    ? bus.envelope('aws.glue', GLUE_DATABASE_STATE_CHANGE, {
        databaseName: database,
        typeOfChange: 'CreateTable',
        changedTables: [table],
      })
    : bus.envelope('aws.glue', GLUE_TABLE_STATE_CHANGE, {
        databaseName: database,
        typeOfChange: 'UpdateTable',
        tableName: table,
        changedPartitions: [],
      });
  return {
    ...event,
    resources: [`arn:aws:glue:${event.region}:${event.account}:table/${database}/${table}`],
  };
}

/** The dataset's current Bronze data objects, sorted by key. */
export function listBronzeFiles(
  contract: DatasetContract,
  deps: Pick<CrawlDeps, 'store' | 'bronzeBucket' | 'datasets'>,
): BronzeFile[] {
  const bucket = deps.bronzeBucket ?? LOCAL_LAYOUT.bronzeBucket;
  const bucketDir = join(deps.store.root, bucket);
  const prefix = contract.bronze.prefix;
  const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
  const datasets = [...(deps.datasets ?? [contract])];
  const out: BronzeFile[] = [];
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const entry of entries) {
      if (entry.name === '.versions') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      const key = relative(bucketDir, path).split(sep).join('/');
      if (!key.startsWith(prefix)) continue;
      const match = matchBronzeKey(key, datasets);
      if ('dataset' in match && match.dataset.name === contract.name) out.push({ key, path });
    }
  };
  walk(folder === '' ? bucketDir : join(bucketDir, ...folder.split('/')));
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** `read_json` over files, as one schema. */
function describeSql(files: readonly BronzeFile[], sampleSize: number): string {
  // compression is left to DuckDB's default (auto), which picks it per file from the
  // extension: an explicit 'gzip' or 'uncompressed' fails on a list that mixes both.
  return (
    `DESCRIBE SELECT * FROM read_json([${files.map((f) => literal(f.path)).join(', ')}], ` +
    `format='newline_delimited', records='true', union_by_name=true, ignore_errors=true, ` +
    `sample_size=${sampleSize})`
  );
}

/**
 * DESCRIBE over all files at once; when DuckDB refuses the set, each file on its own to find
 * the ones it cannot read, which are skipped, and the rest again together.
 */
async function describeFiles(
  files: readonly BronzeFile[],
  deps: Pick<CrawlDeps, 'query' | 'sampleSize'>,
  skipped: SkippedObject[],
): Promise<{ columns: { name: string; type: string }[]; files: BronzeFile[] }> {
  const sampleSize = deps.sampleSize ?? -1;
  const describe = async (set: readonly BronzeFile[]) =>
    (await deps.query(describeSql(set, sampleSize))).map((r) => ({
      name: String(r.column_name),
      type: String(r.column_type),
    }));
  const readable: BronzeFile[] = [];
  for (const f of files) {
    if (isEmpty(f.path)) skipped.push({ key: f.key, reason: 'empty object' });
    else readable.push(f);
  }
  if (readable.length === 0) return { columns: [], files: [] };
  try {
    return { columns: await describe(readable), files: readable };
  } catch {
    const good: BronzeFile[] = [];
    for (const f of readable) {
      try {
        await describe([f]);
        good.push(f);
      } catch (e) {
        skipped.push({ key: f.key, reason: firstLine(e) });
      }
    }
    if (good.length === 0) return { columns: [], files: [] };
    return { columns: await describe(good), files: good };
  }
}

/** Whether a file holds nothing but whitespace (DuckDB would type it as one `json` column). */
function isEmpty(path: string): boolean {
  // Only the first bytes are looked at: a data file starts with a record.
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n === 0) return true;
    if (path.endsWith('.gz')) return false;
    return n < buf.length && buf.subarray(0, n).toString('utf8').trim() === '';
  } finally {
    closeSync(fd);
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** Dates and timestamps as strings, at any depth (what a JSON string is to Glue's classifier). */
function stringTemporal(type: GlueType): GlueType {
  switch (type.kind) {
    case 'date':
    case 'timestamp':
      return { kind: 'string' };
    case 'array':
      return { kind: 'array', element: stringTemporal(type.element) };
    case 'map':
      return { kind: 'map', key: stringTemporal(type.key), value: stringTemporal(type.value) };
    case 'struct':
      return { kind: 'struct', fields: type.fields.map((f) => ({ ...f, type: stringTemporal(f.type) })) };
    case 'uniontype':
      return { kind: 'uniontype', members: type.members.map(stringTemporal) };
    default:
      return type;
  }
}

/** Inferred columns with those already catalogued first, in the catalog's order, then new ones. */
function keepOrder(inferred: readonly GlueColumn[], catalogued: readonly GlueColumn[]): GlueColumn[] {
  const byName = new Map(inferred.map((c) => [c.Name, c]));
  const kept = catalogued.flatMap((c) => {
    const now = byName.get(c.Name);
    return now ? [now] : [];
  });
  const keptNames = new Set(kept.map((c) => c.Name));
  return [...kept, ...inferred.filter((c) => !keptNames.has(c.Name))];
}
