/**
 * The parts of Glue Data Catalog table documents that drift detection reads, in the JSON shape
 * the Glue API (and `aws glue get-table` / `get-table-versions`) returns: `GetTable` →
 * `{Table}`, `GetTableVersions` → `{TableVersions: [{Table, VersionId}], NextToken?}`.
 * Other fields (Location, SerdeInfo, Parameters, ...) are allowed and ignored.
 */
import { GlueTableError } from './errors.js';

/** A Glue `Column`. */
export interface GlueColumn {
  readonly Name: string;
  readonly Type: string;
  readonly Comment?: string;
}

/** A Glue `Table` (the fields drift detection reads). */
export interface GlueTable {
  readonly Name?: string;
  readonly DatabaseName?: string;
  readonly StorageDescriptor?: { readonly Columns?: readonly GlueColumn[] };
  readonly PartitionKeys?: readonly GlueColumn[];
  readonly VersionId?: string;
  /** ISO 8601 text as the AWS CLI prints it, or epoch seconds as the wire protocol sends it. */
  readonly UpdateTime?: string | number;
}

/** A Glue `TableVersion`. */
export interface GlueTableVersion {
  readonly Table: GlueTable;
  readonly VersionId: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readColumns(raw: unknown, source: string, path: string): GlueColumn[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new GlueTableError(source, path, 'must be a list of columns');
  const seen = new Map<string, number>();
  return raw.map((c: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(c)) throw new GlueTableError(source, at, 'must be an object with Name and Type');
    if (typeof c.Name !== 'string' || c.Name === '')
      throw new GlueTableError(source, `${at}.Name`, 'must be a non-empty string');
    if (typeof c.Type !== 'string') {
      throw new GlueTableError(
        source,
        `${at}.Type`,
        `column "${c.Name}" has no type (a string such as "bigint")`,
      );
    }
    const lower = c.Name.toLowerCase();
    const first = seen.get(lower);
    if (first !== undefined) {
      throw new GlueTableError(source, `${at}.Name`, `column "${c.Name}" is already ${path}[${first}]`);
    }
    seen.set(lower, i);
    return typeof c.Comment === 'string'
      ? { Name: c.Name, Type: c.Type, Comment: c.Comment }
      : { Name: c.Name, Type: c.Type };
  });
}

function readTable(raw: Record<string, unknown>, source: string, path: string): GlueTable {
  const at = (field: string) => (path === '' ? field : `${path}.${field}`);
  const sd = raw.StorageDescriptor;
  if (sd !== undefined && !isRecord(sd))
    throw new GlueTableError(source, at('StorageDescriptor'), 'must be an object');
  const columns = readColumns(sd?.Columns, source, at('StorageDescriptor.Columns'));
  const partitionKeys = readColumns(raw.PartitionKeys, source, at('PartitionKeys'));
  const clash = partitionKeys.find((p) => columns.some((c) => c.Name.toLowerCase() === p.Name.toLowerCase()));
  if (clash)
    throw new GlueTableError(
      source,
      at('PartitionKeys'),
      `"${clash.Name}" is both a column and a partition key`,
    );
  return {
    ...(typeof raw.Name === 'string' ? { Name: raw.Name } : {}),
    ...(typeof raw.DatabaseName === 'string' ? { DatabaseName: raw.DatabaseName } : {}),
    StorageDescriptor: { Columns: columns },
    PartitionKeys: partitionKeys,
    ...(typeof raw.VersionId === 'string' ? { VersionId: raw.VersionId } : {}),
    ...(typeof raw.UpdateTime === 'string' || typeof raw.UpdateTime === 'number'
      ? { UpdateTime: raw.UpdateTime }
      : {}),
  };
}

/**
 * Reads one table definition from a parsed JSON document: a GetTable response (`{Table}`), a
 * TableVersion (`{Table, VersionId}`; the version id is copied onto the table when the table has
 * none), or a bare `Table`.
 * @param source names the document in errors (a file name).
 * @throws GlueTableError naming the field path and the reason.
 */
export function readGlueTable(doc: unknown, source: string): GlueTable {
  if (!isRecord(doc))
    throw new GlueTableError(source, '', 'expected a JSON object (a Glue GetTable response or Table)');
  if ('TableVersions' in doc) {
    throw new GlueTableError(
      source,
      'TableVersions',
      'this is a GetTableVersions response (many versions); pass one TableVersion or a GetTable response',
    );
  }
  if ('Table' in doc) {
    if (!isRecord(doc.Table)) throw new GlueTableError(source, 'Table', 'must be an object');
    const table = readTable(doc.Table, source, 'Table');
    if (table.VersionId === undefined && typeof doc.VersionId === 'string')
      return { ...table, VersionId: doc.VersionId };
    return table;
  }
  if (!('StorageDescriptor' in doc) && !('PartitionKeys' in doc)) {
    throw new GlueTableError(
      source,
      '',
      'expected a Glue table: {Table: {...}} or an object with StorageDescriptor.Columns',
    );
  }
  return readTable(doc, source, '');
}

/**
 * Reads a GetTableVersions response, oldest version first (ordered by the numeric VersionId,
 * whatever order the response lists them in).
 * @throws GlueTableError naming the field path and the reason.
 */
export function readTableVersions(doc: unknown, source: string): GlueTableVersion[] {
  if (!isRecord(doc) || !Array.isArray(doc.TableVersions)) {
    throw new GlueTableError(
      source,
      'TableVersions',
      'expected a GetTableVersions response: {TableVersions: [...]}',
    );
  }
  const versions = doc.TableVersions.map((v: unknown, i): GlueTableVersion => {
    const at = `TableVersions[${i}]`;
    if (!isRecord(v) || !isRecord(v.Table))
      throw new GlueTableError(source, `${at}.Table`, 'must be an object');
    const versionId = typeof v.VersionId === 'string' ? v.VersionId : v.Table.VersionId;
    if (typeof versionId !== 'string' || !/^\d+$/.test(versionId)) {
      throw new GlueTableError(source, `${at}.VersionId`, 'must be the version number as a string, e.g. "3"');
    }
    const table = readTable(v.Table, source, `${at}.Table`);
    return {
      Table: table.VersionId === undefined ? { ...table, VersionId: versionId } : table,
      VersionId: versionId,
    };
  });
  return versions.sort((a, b) => Number(a.VersionId) - Number(b.VersionId));
}

/** How a table is named in messages: `db.table (version 3)`. */
export function tableLabel(table: GlueTable, fallback = 'table'): string {
  const name = table.Name
    ? table.DatabaseName
      ? `${table.DatabaseName}.${table.Name}`
      : table.Name
    : fallback;
  return table.VersionId !== undefined ? `${name} (version ${table.VersionId})` : name;
}
