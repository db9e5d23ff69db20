/**
 * Names of datasets and jobs by the OpenLineage naming conventions (spec/Naming.md):
 * - an S3 object or prefix: namespace `s3://<bucket>`, name `<key>`;
 * - a Glue Data Catalog table: namespace `arn:aws:glue:<region>:<account id>`, name
 *   `table/<database>/<table>`;
 * - jobs: a namespace per stage (`lakeplane.<stage>`), names `<dataset>.<step>`.
 */
import type { LakeLayout } from '../plan.js';
import type { LineageDataset } from './openlineage.js';

/** Where a stage's catalog lives (the Glue ARN prefix) and what its jobs are called. */
export interface LineageScope {
  readonly stage: string;
  readonly region: string;
  readonly account: string;
  readonly layout: LakeLayout;
  /** The Glue database of the Bronze tables (the crawlers'). */
  readonly bronzeDatabase: string;
}

export function jobNamespace(scope: Pick<LineageScope, 'stage'>): string {
  return `lakeplane.${scope.stage}`;
}

/** The steps a dataset's runs are named after. */
export type LineageStep = 'load' | 'rollback' | 'schema_drift' | `gold.${string}`;

export function jobName(dataset: string, step: LineageStep): string {
  return `${dataset}.${step}`;
}

export function s3Dataset(bucket: string, key: string): LineageDataset {
  return { namespace: `s3://${bucket}`, name: key };
}

export function glueNamespace(scope: Pick<LineageScope, 'region' | 'account'>): string {
  return `arn:aws:glue:${scope.region}:${scope.account}`;
}

export function glueTable(
  scope: Pick<LineageScope, 'region' | 'account'>,
  database: string,
  table: string,
): LineageDataset {
  return { namespace: glueNamespace(scope), name: `table/${database}/${table}` };
}

export const silverTable = (scope: LineageScope, dataset: string): LineageDataset =>
  glueTable(scope, scope.layout.silverDatabase, dataset);

export const goldTable = (scope: LineageScope, table: string): LineageDataset =>
  glueTable(scope, scope.layout.goldDatabase, table);

export const bronzeTable = (scope: LineageScope, dataset: string): LineageDataset =>
  glueTable(scope, scope.bronzeDatabase, dataset);

/** Where a table's files live (its Hudi base path), for its `symlinks` facet. */
export function silverLocation(scope: LineageScope, dataset: string): LineageDataset {
  return s3Dataset(scope.layout.silverBucket, dataset);
}
export function goldLocation(scope: LineageScope, table: string): LineageDataset {
  return s3Dataset(scope.layout.goldBucket, table);
}
