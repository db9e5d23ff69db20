import {
  EntityNotFoundException,
  GetTableVersionsCommand,
  type GetTableVersionsCommandOutput,
  type GlueClient,
  type Table,
} from '@aws-sdk/client-glue';
import { type GlueTableVersion, readTableVersions } from '../core/drift/table.js';
import type { Catalog } from '../ports.js';

export interface GlueCatalogOptions {
  /** The Data Catalog id (account id); the caller's account when not set. */
  readonly catalogId?: string;
  /** Stop after this many pages of 100 versions (default 100, i.e. 10,000 versions). */
  readonly maxPages?: number;
}

/** Thrown when a table has more versions than the adapter reads (see `maxPages`). */
export class TooManyTableVersionsError extends Error {
  override readonly name = 'TooManyTableVersionsError';
}

/** A Glue `Table` from the SDK as the JSON document the Glue API returns (dates as ISO text). */
function tableDocument(table: Table): Record<string, unknown> {
  return {
    ...table,
    ...(table.CreateTime ? { CreateTime: table.CreateTime.toISOString() } : {}),
    ...(table.UpdateTime ? { UpdateTime: table.UpdateTime.toISOString() } : {}),
    ...(table.LastAccessTime ? { LastAccessTime: table.LastAccessTime.toISOString() } : {}),
    ...(table.LastAnalyzedTime ? { LastAnalyzedTime: table.LastAnalyzedTime.toISOString() } : {}),
  };
}

/**
 * The Bronze table versions of the Glue Data Catalog (GetTableVersions, every page). The
 * versions are read through the drift core's reader, so a malformed table (a column without a
 * type, a duplicate name) fails with a GlueTableError naming the field; they are returned
 * newest first by version number. A table that does not exist (deleted meanwhile) has no
 * versions.
 */
export class GlueCatalog implements Catalog {
  constructor(
    private readonly client: GlueClient,
    private readonly options: GlueCatalogOptions = {},
  ) {}

  async tableVersions(database: string, table: string): Promise<GlueTableVersion[]> {
    const maxPages = this.options.maxPages ?? 100;
    const versions: unknown[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      if (pages === maxPages) {
        throw new TooManyTableVersionsError(
          `Glue table ${database}.${table} has more than ${pages * 100} versions: delete old versions (BatchDeleteTableVersion) or raise maxPages`,
        );
      }
      let page: GetTableVersionsCommandOutput;
      try {
        page = await this.client.send(
          new GetTableVersionsCommand({
            ...(this.options.catalogId ? { CatalogId: this.options.catalogId } : {}),
            DatabaseName: database,
            TableName: table,
            MaxResults: 100,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
      } catch (e) {
        if (e instanceof EntityNotFoundException) return [];
        throw e;
      }
      pages++;
      for (const v of page.TableVersions ?? []) {
        versions.push({ VersionId: v.VersionId, Table: v.Table ? tableDocument(v.Table) : undefined });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return readTableVersions({ TableVersions: versions }, `glue:${database}.${table}`).reverse();
  }
}
