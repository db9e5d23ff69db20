/**
 * The run events of the platform's actions, built from what it knows about them: a load attempt
 * (job `<dataset>.load`: Bronze → Silver, and the quarantine where records went), the Gold
 * rebuild after it (`<dataset>.gold.<table>`: Silver → Gold), a rollback (`<dataset>.rollback`)
 * and a schema-drift action (`<dataset>.schema_drift`). Pure: the use case
 * (shared/usecases/lineage.ts) gathers the facts and sends the events.
 */

import type { DriftRecord } from '../../ports.js';
import type { DatasetContract } from '../contract/types.js';
import type { GlueColumn } from '../drift/table.js';
import type { LoadCause, LoadCounts } from '../load.js';
import type { ColumnInput, QueryLineage } from './columns.js';
import type { StatementLineage } from './contract-lineage.js';
import {
  bronzeTable,
  goldLocation,
  goldTable,
  jobName,
  jobNamespace,
  type LineageScope,
  type LineageStep,
  s3Dataset,
  silverLocation,
  silverTable,
} from './naming.js';
import {
  type BaseFacet,
  customFacet,
  type EventType,
  facet,
  type InputDataset,
  type LineageDataset,
  type OutputDataset,
  RUN_EVENT_SCHEMA_URL,
  type RunEvent,
  runIdOf,
} from './openlineage.js';

/** Who emits, and where: the producer URI and the stage's names. */
export interface LineageContext {
  readonly producer: string;
  readonly scope: LineageScope;
  /** The platform's version (the processing-engine facet). */
  readonly version: string;
}

/** The Step Functions execution a run belongs to (its parent run). */
export interface ParentExecution {
  readonly executionArn: string;
}

/** One expectation of the quality gate and how it went. */
export interface Assertion {
  /** The expectation type, e.g. `expect_column_values_to_not_be_null`. */
  readonly type: string;
  readonly success: boolean;
  readonly column?: string;
  readonly severity?: 'fail' | 'warn';
}

/** One Bronze object version a load read. */
export interface BronzeObject {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag: string;
  readonly size: number;
}

export interface LoadRunFacts {
  readonly contract: DatasetContract;
  readonly loadId: string;
  readonly attempt: number;
  readonly executionName: string;
  readonly parent?: ParentExecution;
  readonly eventType: EventType;
  readonly eventTime: string;
  readonly objects: readonly BronzeObject[];
  /** Only at the end. */
  readonly counts?: LoadCounts;
  readonly commitId?: string;
  readonly cause?: LoadCause;
  /** The ledger status the end was recorded as (FAILED_QUALITY: the staged batch went to quarantine). */
  readonly status?: string;
  readonly assertions?: readonly Assertion[];
  readonly quarantineUri?: string;
  readonly lineage?: StatementLineage;
}

/** The run id of one attempt of a load (stable: every event about that attempt names it). */
export const loadRunId = (loadId: string, attempt: number): string =>
  runIdOf(`load/${loadId}/attempt-${attempt}`);
export const goldRunId = (loadId: string, attempt: number, table: string): string =>
  runIdOf(`gold/${loadId}/attempt-${attempt}/${table}`);
export const rollbackRunId = (dataset: string, rollbackId: string): string =>
  runIdOf(`rollback/${dataset}/${rollbackId}`);
export const driftRunId = (dataset: string, toVersion: string): string =>
  runIdOf(`schema-drift/${dataset}/${toVersion}`);

function runEvent(
  ctx: LineageContext,
  e: {
    eventType: EventType;
    eventTime: string;
    runId: string;
    dataset: string;
    step: LineageStep;
    runFacets: Record<string, BaseFacet>;
    jobFacets: Record<string, BaseFacet>;
    inputs: readonly InputDataset[];
    outputs: readonly OutputDataset[];
  },
): RunEvent {
  return {
    eventType: e.eventType,
    eventTime: e.eventTime,
    producer: ctx.producer,
    schemaURL: RUN_EVENT_SCHEMA_URL,
    run: {
      runId: e.runId,
      facets: {
        ...e.runFacets,
        processing_engine: facet(ctx.producer, 'processing_engine', {
          name: 'lakeplane',
          version: ctx.version,
        }),
      },
    },
    job: { namespace: jobNamespace(ctx.scope), name: jobName(e.dataset, e.step), facets: e.jobFacets },
    inputs: e.inputs,
    outputs: e.outputs,
  };
}

/**
 * The error-message facet of a cause: an EMR step's failure is the Spark job's (Python); the
 * platform's own errors (the gate, the budget, the orchestration) are the control plane's.
 */
function errorFacet(ctx: LineageContext, cause: LoadCause): BaseFacet {
  const step = cause.error === 'States.TaskFailed' || cause.error.startsWith('EMR');
  return facet(ctx.producer, 'errorMessage', {
    message: `${cause.error}: ${cause.message}`,
    programmingLanguage: step ? 'Python' : 'TypeScript',
  });
}

/** The parent facet naming the Step Functions execution (job: its state machine). */
function parentFacet(ctx: LineageContext, parent: ParentExecution): BaseFacet {
  // arn:aws:states:<region>:<account>:execution:<state machine>:<execution>
  const machine = parent.executionArn.split(':')[6] ?? 'execution';
  const run = { runId: runIdOf(`execution/${parent.executionArn}`) };
  const job = { namespace: jobNamespace(ctx.scope), name: machine };
  return facet(ctx.producer, 'parent', { run, job, root: { run, job } });
}

function jobFacets(
  ctx: LineageContext,
  jobType: string,
  sql?: string,
  description?: string,
): Record<string, BaseFacet> {
  return {
    jobType: facet(ctx.producer, 'jobType', { processingType: 'BATCH', integration: 'LAKEPLANE', jobType }),
    ...(sql ? { sql: facet(ctx.producer, 'sql', { query: sql.trim(), dialect: 'spark' }) } : {}),
    ...(description ? { documentation: facet(ctx.producer, 'documentation', { description }) } : {}),
  };
}

function schemaFacet(
  ctx: LineageContext,
  fields: readonly { name: string; type?: string; description?: string }[],
): BaseFacet {
  return facet(ctx.producer, 'schema', {
    fields: fields.map((f) => ({
      name: f.name,
      ...(f.type ? { type: f.type } : {}),
      ...(f.description ? { description: f.description } : {}),
    })),
  });
}

function symlinksFacet(ctx: LineageContext, to: LineageDataset, type: 'TABLE' | 'LOCATION'): BaseFacet {
  return facet(ctx.producer, 'symlinks', { identifiers: [{ namespace: to.namespace, name: to.name, type }] });
}

/**
 * The column-lineage facet of an output: each output column's input fields, and the columns that
 * decide which rows there are (`dataset`). `input` names the dataset a table of the SQL is.
 */
function columnLineageFacet(
  ctx: LineageContext,
  lineage: QueryLineage,
  input: (table: string) => LineageDataset,
): BaseFacet | undefined {
  const field = (i: ColumnInput) => {
    const d = input(i.table);
    return {
      namespace: d.namespace,
      name: d.name,
      field: i.column,
      transformations: [{ type: i.type, subtype: i.subtype }],
    };
  };
  const fields: Record<string, { inputFields: ReturnType<typeof field>[] }> = {};
  for (const c of lineage.columns)
    if (c.inputs.length > 0) fields[c.name] = { inputFields: c.inputs.map(field) };
  if (Object.keys(fields).length === 0) return undefined;
  return facet(ctx.producer, 'columnLineage', {
    fields,
    ...(lineage.indirect.length > 0 ? { dataset: lineage.indirect.map(field) } : {}),
  });
}

/** The Bronze side of a load: the dataset's Bronze prefix, the object versions read in a facet. */
function bronzeInput(ctx: LineageContext, f: LoadRunFacts, withAssertions: boolean): InputDataset {
  const c = f.contract;
  const prefix = c.bronze.prefix.replace(/\/+$/, '');
  const bucket = f.objects[0]?.bucket ?? ctx.scope.layout.bronzeBucket;
  const assertions: Record<string, BaseFacet> =
    withAssertions && f.assertions && f.assertions.length > 0
      ? {
          dataQualityAssertions: facet(ctx.producer, 'dataQualityAssertions', {
            assertions: f.assertions.map((a) => ({
              assertion: a.type,
              success: a.success,
              ...(a.column ? { column: a.column } : {}),
              ...(a.severity ? { severity: a.severity === 'fail' ? 'error' : 'warn' } : {}),
            })),
          }),
        }
      : {};
  return {
    ...s3Dataset(bucket, prefix),
    facets: {
      schema: schemaFacet(
        ctx,
        c.columns.map((col) => ({ name: col.name, type: col.typeName })),
      ),
      symlinks: symlinksFacet(ctx, bronzeTable(ctx.scope, c.name), 'TABLE'),
    },
    inputFacets: {
      ...assertions,
      inputStatistics: facet(ctx.producer, 'inputStatistics', {
        size: f.objects.reduce((n, o) => n + o.size, 0),
        fileCount: f.objects.length,
        ...(f.counts ? { rowCount: f.counts.rowsIn } : {}),
      }),
      lakeplane_objectVersions: customFacet(ctx.producer, {
        objects: f.objects.map((o) => ({
          key: o.key,
          ...(o.versionId ? { versionId: o.versionId } : {}),
          etag: o.etag.replaceAll('"', ''),
          size: o.size,
        })),
      }),
    },
  };
}

function silverOutput(ctx: LineageContext, f: LoadRunFacts, statistics: boolean): OutputDataset {
  const c = f.contract;
  const lineage = f.lineage?.ok ? f.lineage.lineage : undefined;
  const bronze = s3Dataset(
    f.objects[0]?.bucket ?? ctx.scope.layout.bronzeBucket,
    c.bronze.prefix.replace(/\/+$/, ''),
  );
  const columns = lineage ? columnLineageFacet(ctx, lineage, () => bronze) : undefined;
  const counts = f.counts;
  return {
    ...silverTable(ctx.scope, c.name),
    facets: {
      ...(lineage ? { schema: schemaFacet(ctx, lineage.columns) } : {}),
      ...(columns ? { columnLineage: columns } : {}),
      symlinks: symlinksFacet(ctx, silverLocation(ctx.scope, c.name), 'LOCATION'),
    },
    ...(statistics && counts
      ? {
          outputFacets: {
            outputStatistics: facet(ctx.producer, 'outputStatistics', {
              rowCount: counts.inserted + counts.updated + counts.deleted,
            }),
            lakeplane_commit: customFacet(ctx.producer, {
              ...(f.commitId ? { commitId: f.commitId } : {}),
              inserted: counts.inserted,
              updated: counts.updated,
              deleted: counts.deleted,
            }),
          },
        }
      : {}),
  };
}

/** The quarantine of an attempt, when records (or after a failed gate, the staged batch) went there. */
function quarantineOutput(ctx: LineageContext, f: LoadRunFacts): OutputDataset | undefined {
  if (!f.quarantineUri || !f.counts) return undefined;
  const batch = f.status === 'FAILED_QUALITY';
  const rows = batch ? f.counts.rowsStaged + f.counts.rowsQuarantined : f.counts.rowsQuarantined;
  if (rows === 0) return undefined;
  const m = /^s3:\/\/([^/]+)\/(.*?)\/*$/.exec(f.quarantineUri);
  if (!m) return undefined;
  // One dataset per dataset's quarantine (`s3://<quarantine>/<dataset>`), not one per attempt:
  // consumers would grow a dataset per load. The attempt's folder is in the facet.
  return {
    ...s3Dataset(m[1]!, f.contract.name),
    outputFacets: {
      outputStatistics: facet(ctx.producer, 'outputStatistics', { rowCount: rows }),
      lakeplane_quarantine: customFacet(ctx.producer, {
        reason: batch
          ? 'the batch failed the quality gate: its staged records went to quarantine'
          : 'records that could not be read went to quarantine, each with its reason',
        location: f.quarantineUri,
        records: f.counts.rowsQuarantined,
        ...(batch ? { stagedBatch: f.counts.rowsStaged } : {}),
      }),
    },
  };
}

/** The run event of a load attempt: START when it started, COMPLETE / FAIL / ABORT at its end. */
export function loadRunEvent(ctx: LineageContext, f: LoadRunFacts): RunEvent {
  const end = f.eventType !== 'START' && f.eventType !== 'RUNNING';
  const committed = f.eventType === 'COMPLETE' || f.commitId !== undefined;
  const quarantine = end ? quarantineOutput(ctx, f) : undefined;
  const outputs: OutputDataset[] = [];
  if (!end || committed) outputs.push(silverOutput(ctx, f, end));
  if (quarantine) outputs.push(quarantine);
  return runEvent(ctx, {
    eventType: f.eventType,
    eventTime: f.eventTime,
    runId: loadRunId(f.loadId, f.attempt),
    dataset: f.contract.name,
    step: 'load',
    runFacets: {
      ...(f.parent ? { parent: parentFacet(ctx, f.parent) } : {}),
      ...(f.eventType === 'FAIL' || f.eventType === 'ABORT'
        ? {
            errorMessage: errorFacet(
              ctx,
              f.cause ?? { error: 'Lakeplane.LoadFailed', message: `the load ended ${f.status ?? 'FAILED'}` },
            ),
          }
        : {}),
      lakeplane_load: customFacet(ctx.producer, {
        loadId: f.loadId,
        attempt: f.attempt,
        executionName: f.executionName,
        replay: f.attempt > 1,
        ...(f.status ? { status: f.status } : {}),
        ...(f.commitId ? { commitId: f.commitId } : {}),
        ...(f.counts ? { counts: f.counts } : {}),
      }),
    },
    jobFacets: jobFacets(ctx, 'LOAD', f.contract.silver.sql, f.contract.description),
    inputs: [bronzeInput(ctx, f, end)],
    outputs,
  });
}

export interface GoldRunFacts {
  readonly contract: DatasetContract;
  readonly loadId: string;
  readonly attempt: number;
  readonly parent?: ParentExecution;
  readonly eventTime: string;
  readonly table: string;
  /** Rows the rebuild wrote (the whole table); absent when it failed. */
  readonly rows?: number;
  /** The rebuild did not happen: the load failed after its Silver commit. */
  readonly failed?: LoadCause;
  readonly lineage?: StatementLineage;
}

/**
 * START and COMPLETE (or FAIL) of one Gold table's rebuild after a load's commit. The control
 * plane does not time the Gold step apart: both events carry the load's end.
 */
export function goldRunEvents(ctx: LineageContext, f: GoldRunFacts): RunEvent[] {
  const spec = f.contract.gold.find((g) => g.name === f.table);
  const lineage = f.lineage?.ok ? f.lineage.lineage : undefined;
  const silver = silverTable(ctx.scope, f.contract.name);
  const columns = lineage ? columnLineageFacet(ctx, lineage, () => silver) : undefined;
  const output = (stats: boolean): OutputDataset => ({
    ...goldTable(ctx.scope, f.table),
    facets: {
      ...(lineage ? { schema: schemaFacet(ctx, lineage.columns) } : {}),
      ...(columns ? { columnLineage: columns } : {}),
      symlinks: symlinksFacet(ctx, goldLocation(ctx.scope, f.table), 'LOCATION'),
    },
    ...(stats && f.rows !== undefined
      ? { outputFacets: { outputStatistics: facet(ctx.producer, 'outputStatistics', { rowCount: f.rows }) } }
      : {}),
  });
  const event = (eventType: EventType, stats: boolean) =>
    runEvent(ctx, {
      eventType,
      eventTime: f.eventTime,
      runId: goldRunId(f.loadId, f.attempt, f.table),
      dataset: f.contract.name,
      step: `gold.${f.table}`,
      runFacets: {
        ...(f.parent ? { parent: parentFacet(ctx, f.parent) } : {}),
        ...(eventType === 'FAIL' && f.failed ? { errorMessage: errorFacet(ctx, f.failed) } : {}),
        lakeplane_gold: customFacet(ctx.producer, { loadId: f.loadId, attempt: f.attempt, table: f.table }),
      },
      jobFacets: jobFacets(ctx, 'GOLD_REBUILD', spec?.sql, spec?.description),
      inputs: [silver],
      outputs: eventType === 'FAIL' ? [] : [output(stats)],
    });
  return [event('START', false), f.failed ? event('FAIL', false) : event('COMPLETE', true)];
}

export interface RollbackRunFacts {
  readonly contract: DatasetContract;
  /**
   * The rollback's id: the rollback-dataset execution's on EMR; locally `rollback-<start time>`
   * (its own commit is known only at its end: `commitId`).
   */
  readonly rollbackId: string;
  readonly parent?: ParentExecution;
  readonly eventType: EventType;
  readonly eventTime: string;
  /** What it returns Silver to: a commit, or right before a load's commit (known as a commit at the end). */
  readonly target: { readonly toCommit: string } | { readonly beforeLoad: string };
  readonly commitId?: string;
  readonly undoneLoads?: readonly { readonly loadId: string; readonly commitId: string }[];
  /** Rows the rollback wrote: restored, set back and removed. */
  readonly rowsChanged?: number;
  readonly rowsAfter?: number;
  readonly gold?: readonly { readonly name: string; readonly rows: number }[];
  readonly error?: LoadCause;
}

/** A rollback of Silver (and the Gold rebuild in the same run): Silver in, Silver and Gold out. */
export function rollbackRunEvent(ctx: LineageContext, f: RollbackRunFacts): RunEvent {
  const end = f.eventType === 'COMPLETE';
  const silver = silverTable(ctx.scope, f.contract.name);
  const outputs: OutputDataset[] = [
    {
      ...silver,
      ...(end
        ? {
            outputFacets: {
              ...(f.rowsChanged !== undefined
                ? { outputStatistics: facet(ctx.producer, 'outputStatistics', { rowCount: f.rowsChanged }) }
                : {}),
              lakeplane_commit: customFacet(ctx.producer, {
                ...(f.commitId ? { commitId: f.commitId } : {}),
                ...f.target,
                ...(f.rowsAfter !== undefined ? { rowsAfter: f.rowsAfter } : {}),
              }),
            },
          }
        : {}),
    },
    ...(f.gold ?? f.contract.gold.map((g) => ({ name: g.name, rows: undefined }))).map(
      (g): OutputDataset => ({
        ...goldTable(ctx.scope, g.name),
        ...(end && g.rows !== undefined
          ? {
              outputFacets: {
                outputStatistics: facet(ctx.producer, 'outputStatistics', { rowCount: g.rows }),
              },
            }
          : {}),
      }),
    ),
  ];
  return runEvent(ctx, {
    eventType: f.eventType,
    eventTime: f.eventTime,
    runId: rollbackRunId(f.contract.name, f.rollbackId),
    dataset: f.contract.name,
    step: 'rollback',
    runFacets: {
      ...(f.parent ? { parent: parentFacet(ctx, f.parent) } : {}),
      ...(f.error ? { errorMessage: errorFacet(ctx, f.error) } : {}),
      lakeplane_rollback: customFacet(ctx.producer, {
        rollbackId: f.rollbackId,
        ...f.target,
        ...(f.commitId ? { commitId: f.commitId } : {}),
        ...(f.undoneLoads ? { undoneLoads: f.undoneLoads } : {}),
      }),
    },
    jobFacets: jobFacets(
      ctx,
      'ROLLBACK',
      undefined,
      `Returns silver.${f.contract.name} to an earlier commit and rebuilds its Gold tables.`,
    ),
    inputs: [silver],
    outputs,
  });
}

export interface DriftRunFacts {
  readonly contract: DatasetContract;
  /** The decision as the drift log recorded it (its `detectedAt` is the run's time). */
  readonly drift: DriftRecord;
  /** The new table version's columns (its schema facet). */
  readonly columns: readonly GlueColumn[];
}

/** START and COMPLETE of one schema-drift decision over a Bronze table version. */
export function driftRunEvents(ctx: LineageContext, f: DriftRunFacts): RunEvent[] {
  const input: InputDataset = {
    ...bronzeTable({ ...ctx.scope, bronzeDatabase: f.drift.database }, f.drift.table),
    facets: {
      schema: schemaFacet(
        ctx,
        f.columns.map((c) => ({
          name: c.Name,
          type: c.Type,
          ...(c.Comment ? { description: c.Comment } : {}),
        })),
      ),
    },
  };
  const event = (eventType: EventType) =>
    runEvent(ctx, {
      eventType,
      eventTime: f.drift.detectedAt,
      runId: driftRunId(f.contract.name, f.drift.toVersion),
      dataset: f.contract.name,
      step: 'schema_drift',
      runFacets: {
        lakeplane_schemaDrift: customFacet(ctx.producer, {
          fromVersion: f.drift.fromVersion,
          toVersion: f.drift.toVersion,
          action: f.drift.action,
          breaking: f.drift.breaking,
          changes: f.drift.changes,
        }),
      },
      jobFacets: jobFacets(
        ctx,
        'SCHEMA_DRIFT',
        undefined,
        `Checks new versions of the Bronze table of ${f.contract.name} against its contract.`,
      ),
      inputs: [input],
      outputs: [],
    });
  return [event('START'), event('COMPLETE')];
}
