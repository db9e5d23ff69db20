/**
 * Glue Data Catalog change events as EventBridge delivers them (source `aws.glue`), per the AWS
 * Glue Developer Guide, "Automating AWS Glue with EventBridge":
 *
 * - `Glue Data Catalog Table State Change` for UpdateTable, CreatePartition,
 *   BatchCreatePartition, DeletePartition and BatchDeletePartition; detail `databaseName`,
 *   `tableName`, `typeOfChange` (the API operation) and `changedPartitions` (up to 100 partition
 *   value lists such as `"2018,01"`, `[]` for UpdateTable).
 * - `Glue Data Catalog Database State Change` for CreateDatabase, DeleteDatabase, CreateTable,
 *   DeleteTable and BatchDeleteTable; detail `databaseName`, `typeOfChange` and `changedTables`
 *   (up to 100 table names; long names split one change over several events).
 *
 * Events are best effort: they may arrive out of order, twice, or not at all. Some producers put
 * `changedTables` on table events or `tableName` on database events, so both are read wherever
 * they appear; `typeOfChange` stays a string, so a new Glue operation is ignored, not rejected.
 */
import * as z from 'zod';

export const GLUE_TABLE_STATE_CHANGE = 'Glue Data Catalog Table State Change';
export const GLUE_DATABASE_STATE_CHANGE = 'Glue Data Catalog Database State Change';

/** The documented operations of each detail type (others are accepted and ignored). */
export const GLUE_TABLE_CHANGE_TYPES = [
  'UpdateTable',
  'CreatePartition',
  'BatchCreatePartition',
  'DeletePartition',
  'BatchDeletePartition',
] as const;
export const GLUE_DATABASE_CHANGE_TYPES = [
  'CreateDatabase',
  'DeleteDatabase',
  'CreateTable',
  'DeleteTable',
  'BatchDeleteTable',
] as const;

/** Operations that change a table definition (and so may change its schema) or remove the table. */
export const TABLE_DEFINITION_CHANGES: ReadonlySet<string> = new Set([
  'CreateTable',
  'UpdateTable',
  'DeleteTable',
  'BatchDeleteTable',
]);

/** Operations that remove tables. */
export const TABLE_DELETIONS: ReadonlySet<string> = new Set(['DeleteTable', 'BatchDeleteTable']);

const name = z.string().min(1);

/** A Glue Data Catalog table or database change event (either detail type). */
export const glueCatalogChangeEvent = z
  .object({
    version: z.string(),
    id: z.string().min(1),
    'detail-type': z.enum([GLUE_TABLE_STATE_CHANGE, GLUE_DATABASE_STATE_CHANGE]),
    source: z.literal('aws.glue'),
    account: z.string(),
    time: z.string().min(1),
    region: z.string(),
    resources: z.array(z.string()),
    detail: z.object({
      databaseName: name,
      typeOfChange: name,
      tableName: name.optional(),
      changedTables: z.array(name).optional(),
      changedPartitions: z.array(z.string()).optional(),
    }),
  })
  .superRefine((event, ctx) => {
    const d = event.detail;
    if (TABLE_DEFINITION_CHANGES.has(d.typeOfChange) && changedTablesOf(event).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['detail', event['detail-type'] === GLUE_TABLE_STATE_CHANGE ? 'tableName' : 'changedTables'],
        message: `${d.typeOfChange} names no table (tableName or changedTables)`,
      });
    }
  });
export type GlueCatalogChangeEvent = z.infer<typeof glueCatalogChangeEvent>;

/** The tables an event is about: `tableName`, else `changedTables`, without duplicates. */
export function changedTablesOf(event: {
  readonly detail: { readonly tableName?: string; readonly changedTables?: readonly string[] };
}): string[] {
  const { tableName, changedTables } = event.detail;
  return [...new Set([...(tableName !== undefined ? [tableName] : []), ...(changedTables ?? [])])];
}
