import type { DatasetContract } from './contract/types.js';
import { loadRunId } from './lineage/events.js';
import { jobName } from './lineage/naming.js';
import type { SourceObject } from './load.js';
import type { ManifestRef } from './manifest.js';

/** Path of the Hudi Spark bundle on EMR nodes (EMR 7.x with the Hudi application). */
export const HUDI_BUNDLE = '/usr/lib/hudi/hudi-spark-bundle.jar';

/**
 * Silver savepoints kept per dataset: the savepoint step after each upsert savepoints its commit
 * and deletes older ones past this window, so a rollback on EMR can return to any of the last
 * this-many commits in one restore. The same depth as the local warehouse's retained snapshots
 * (DEFAULT_RETAIN_COMMITS); each savepoint pins its commit's files against the Hudi cleaner.
 */
export const SILVER_SAVEPOINTS_KEPT = 20;

/** Where the lake lives: the deployment's buckets, databases and cluster. */
export interface LakeLayout {
  readonly bronzeBucket: string;
  readonly silverBucket: string;
  readonly goldBucket: string;
  readonly quarantineBucket: string;
  readonly artifactsBucket: string;
  readonly silverDatabase: string;
  readonly goldDatabase: string;
  readonly clusterId: string;
  /** The dq-router function (name or ARN) the quality gate invokes with a task token. */
  readonly dqRouterFunction: string;
  /** The budget-guard function (name or ARN) the first state invokes. */
  readonly budgetGuardFunction: string;
  /**
   * The OpenLineage Spark listener in every step of a load (stage parameter
   * openLineageSparkListener): Spark's own run events go to this consumer as children of the
   * load attempt's run (job `<dataset>.load` in `namespace`).
   */
  readonly sparkLineage?: { readonly url: string; readonly endpoint: string; readonly namespace: string };
}

/** The OpenLineage Spark integration the steps load when the listener is on (Spark 3.5, Scala 2.12: EMR 7). */
export const OPENLINEAGE_SPARK_PACKAGE = 'io.openlineage:openlineage-spark_2.12:1.53.0';

/** One EMR step the state machine submits (`addStep.sync` with command-runner.jar). */
export interface StepPlan {
  readonly name: string;
  readonly args: readonly string[];
}

/**
 * Loads to replay one after the other, each when the one before it has succeeded (a Roll back &
 * replay from Slack on AWS): carried in the execution input, continued by load-events.
 */
export interface ReplayChain {
  readonly loads: readonly string[];
  /** Why, for the ledger's history (e.g. the rollback). */
  readonly reason: string;
}

/** The input of one load-dataset execution. Everything the state machine needs is here. */
export interface LoadExecutionInput {
  readonly load: {
    readonly loadId: string;
    readonly dataset: string;
    /** The first object of the load (its only one without a manifest). */
    readonly source: SourceObject;
    /** The object versions the stage job reads; a load registered before coalescing has none. */
    readonly manifest?: ManifestRef;
    readonly attempt: number;
  };
  readonly cluster: { readonly id: string };
  readonly steps: {
    readonly stage: StepPlan;
    readonly validate: StepPlan;
    readonly quarantine: StepPlan;
    readonly upsert: StepPlan;
    readonly savepoint: StepPlan;
    readonly gold: StepPlan;
  };
  readonly results: {
    readonly stage: string;
    readonly validation: string;
    readonly upsert: string;
    readonly savepoint: string;
    readonly gold: string;
  };
  /** Where this attempt's bad records and, after a failed gate, its staged batch go. */
  readonly quarantine: { readonly uri: string };
  readonly functions: { readonly dqRouter: string; readonly budgetGuard: string };
  /** What to replay after this load succeeds (the states ignore it; load-events reads it). */
  readonly replayNext?: ReplayChain;
}

/** The S3 URI of a run artefact of one load attempt (results, staging). */
export function runUri(layout: LakeLayout, loadId: string, attempt: number, name: string): string {
  return `s3://${layout.artifactsBucket}/runs/${loadId}/attempt-${attempt}/${name}`;
}

/** `spark-submit` of one of spark-jobs/ with the Hudi bundle and the jobs' package (step Args). */
function sparkSubmit(layout: LakeLayout, job: string, parent?: SparkLineageParent): string[] {
  const scripts = `s3://${layout.artifactsBucket}/spark-jobs`;
  return [
    'spark-submit',
    '--deploy-mode',
    'cluster',
    // The Hudi bundle EMR installs; without it the upsert and gold jobs cannot write Hudi.
    '--jars',
    HUDI_BUNDLE,
    ...(layout.sparkLineage && parent ? sparkLineageArgs(layout.sparkLineage, parent) : []),
    '--py-files',
    `${scripts}/lakeplane_jobs.zip`,
    `${scripts}/${job}`,
  ];
}

/** The run a step's Spark application belongs to: the load attempt's (shared/core/lineage). */
export interface SparkLineageParent {
  readonly jobName: string;
  readonly runId: string;
}

/**
 * The OpenLineage Spark listener's settings (its `spark.openlineage.*` configuration): the HTTP
 * transport to the stage's consumer, and the load attempt's run as parent. No API key: step
 * arguments are visible to anyone who may list the cluster's steps.
 */
function sparkLineageArgs(
  lineage: NonNullable<LakeLayout['sparkLineage']>,
  parent: SparkLineageParent,
): string[] {
  const conf = (key: string, value: string) => ['--conf', `${key}=${value}`];
  return [
    '--packages',
    OPENLINEAGE_SPARK_PACKAGE,
    ...conf('spark.extraListeners', 'io.openlineage.spark.agent.OpenLineageSparkListener'),
    ...conf('spark.openlineage.transport.type', 'http'),
    ...conf('spark.openlineage.transport.url', lineage.url),
    ...conf('spark.openlineage.transport.endpoint', lineage.endpoint),
    ...conf('spark.openlineage.namespace', lineage.namespace),
    ...conf('spark.openlineage.parentJobNamespace', lineage.namespace),
    ...conf('spark.openlineage.parentJobName', parent.jobName),
    ...conf('spark.openlineage.parentRunId', parent.runId),
  ];
}

/** The arguments every job takes: dataset, its contract (JSON in the artifacts bucket), run id, attempt. */
function jobArgs(contract: DatasetContract, layout: LakeLayout, id: string, attempt: number): string[] {
  return [
    '--dataset',
    contract.name,
    '--contract',
    `s3://${layout.artifactsBucket}/contracts/${contract.name}.json`,
    '--load-id',
    id,
    '--attempt',
    String(attempt),
  ];
}

/**
 * Plans the EMR steps of one load from the dataset contract. The Spark jobs read the
 * contract itself from the artifacts bucket; the arguments say which data, where to and
 * where to write the result.
 */
export function planLoad(
  contract: DatasetContract,
  load: { loadId: string; source: SourceObject; manifest?: ManifestRef | undefined; attempt: number },
  layout: LakeLayout,
): LoadExecutionInput {
  const parent = { jobName: jobName(contract.name, 'load'), runId: loadRunId(load.loadId, load.attempt) };
  const spark = (job: string) => sparkSubmit(layout, job, parent);
  const common = jobArgs(contract, layout, load.loadId, load.attempt);
  const results = {
    stage: runUri(layout, load.loadId, load.attempt, 'stage.json'),
    validation: runUri(layout, load.loadId, load.attempt, 'validation.json'),
    upsert: runUri(layout, load.loadId, load.attempt, 'upsert.json'),
    savepoint: runUri(layout, load.loadId, load.attempt, 'savepoint.json'),
    gold: runUri(layout, load.loadId, load.attempt, 'gold.json'),
  };
  const staging = runUri(layout, load.loadId, load.attempt, 'staging/');
  const quarantine = `s3://${layout.quarantineBucket}/${contract.name}/${load.loadId}/attempt-${load.attempt}/`;
  const src = load.source;
  const stepName = (what: string) => `${contract.name} ${what} ${load.loadId}#${load.attempt}`;
  return {
    load: {
      loadId: load.loadId,
      dataset: contract.name,
      source: src,
      ...(load.manifest ? { manifest: load.manifest } : {}),
      attempt: load.attempt,
    },
    cluster: { id: layout.clusterId },
    steps: {
      stage: {
        name: stepName('stage'),
        args: [
          ...spark('bronze_to_silver.py'),
          '--phase',
          'stage',
          ...common,
          '--result',
          results.stage,
          // A manifest of object versions; a load registered before coalescing reads its one object.
          ...(load.manifest
            ? ['--manifest', load.manifest.uri]
            : [
                '--input',
                `s3://${src.bucket}/${src.key}`,
                ...(src.versionId ? ['--input-version', src.versionId] : []),
              ]),
          '--staging',
          staging,
          '--quarantine',
          quarantine,
        ],
      },
      validate: {
        name: stepName('validate'),
        args: [
          ...spark('validate_batch.py'),
          ...common,
          '--result',
          results.validation,
          '--staging',
          staging,
        ],
      },
      quarantine: {
        name: stepName('quarantine'),
        args: [
          ...spark('bronze_to_silver.py'),
          '--phase',
          'quarantine',
          ...common,
          '--result',
          runUri(layout, load.loadId, load.attempt, 'quarantine.json'),
          '--staging',
          staging,
          '--quarantine',
          quarantine,
        ],
      },
      upsert: {
        name: stepName('upsert'),
        args: [
          ...spark('bronze_to_silver.py'),
          '--phase',
          'upsert',
          ...common,
          '--result',
          results.upsert,
          '--staging',
          staging,
          '--silver-path',
          `s3://${layout.silverBucket}/${contract.name}/`,
          '--database',
          layout.silverDatabase,
        ],
      },
      savepoint: {
        name: stepName('savepoint'),
        args: [
          ...spark('savepoint_table.py'),
          ...common,
          '--result',
          results.savepoint,
          '--upsert-result',
          results.upsert,
          '--database',
          layout.silverDatabase,
          '--keep',
          String(SILVER_SAVEPOINTS_KEPT),
        ],
      },
      gold: { name: stepName('gold'), args: goldArgs(layout, common, results.gold, parent) },
    },
    results,
    quarantine: { uri: quarantine },
    functions: { dqRouter: layout.dqRouterFunction, budgetGuard: layout.budgetGuardFunction },
  };
}

/** The input of one rollback-dataset execution (statemachines/rollback-dataset.asl.json). */
export interface RollbackExecutionInput {
  readonly rollback: {
    readonly rollbackId: string;
    readonly dataset: string;
    /** The Silver commit (Hudi instant) the table returns to: the state right after it. */
    readonly toInstant: string;
    readonly dryRun: boolean;
  };
  readonly cluster: { readonly id: string };
  readonly steps: { readonly rollback: StepPlan; readonly gold: StepPlan };
  readonly results: { readonly rollback: string; readonly gold: string };
  /** Loads to replay once the rollback has succeeded, in this order (load-events starts them). */
  readonly replay?: ReplayChain;
}

/**
 * Plans a Silver rollback on EMR: rollback_table.py returns the Hudi table to the state right
 * after `toInstant` (restoring its savepoint), then silver_to_gold.py rebuilds the Gold tables.
 * Its run artefacts live under `runs/<rollback id>/attempt-1/`, like a load's.
 */
export function planRollback(
  contract: DatasetContract,
  rollback: { rollbackId: string; toInstant: string; dryRun: boolean; replay?: ReplayChain },
  layout: LakeLayout,
): RollbackExecutionInput {
  const common = jobArgs(contract, layout, rollback.rollbackId, 1);
  const results = {
    rollback: runUri(layout, rollback.rollbackId, 1, 'rollback.json'),
    gold: runUri(layout, rollback.rollbackId, 1, 'gold.json'),
  };
  const { replay, ...what } = rollback;
  return {
    ...(replay ? { replay } : {}),
    rollback: { ...what, dataset: contract.name },
    cluster: { id: layout.clusterId },
    steps: {
      rollback: {
        name: `${contract.name} rollback ${rollback.rollbackId}`,
        args: [
          ...sparkSubmit(layout, 'rollback_table.py'),
          ...common,
          '--result',
          results.rollback,
          '--silver-path',
          `s3://${layout.silverBucket}/${contract.name}/`,
          '--database',
          layout.silverDatabase,
          '--to-instant',
          rollback.toInstant,
          ...(rollback.dryRun ? ['--dry-run'] : []),
        ],
      },
      gold: {
        name: `${contract.name} gold ${rollback.rollbackId}`,
        args: goldArgs(layout, common, results.gold),
      },
    },
    results,
  };
}

function goldArgs(
  layout: LakeLayout,
  common: readonly string[],
  result: string,
  parent?: SparkLineageParent,
): string[] {
  return [
    ...sparkSubmit(layout, 'silver_to_gold.py', parent),
    ...common,
    '--result',
    result,
    '--gold-path',
    `s3://${layout.goldBucket}/`,
    '--silver-database',
    layout.silverDatabase,
    '--gold-database',
    layout.goldDatabase,
  ];
}

/** The input of one query-dataset execution (statemachines/query-dataset.asl.json). */
export interface QueryExecutionInput {
  readonly query: { readonly queryId: string; readonly dataset: string; readonly asOf: string };
  readonly cluster: { readonly id: string };
  readonly steps: { readonly query: StepPlan };
  readonly results: { readonly query: string };
}

/**
 * Plans `query --as-of` on EMR: query_table.py reads `silver.<dataset>` as of the instant (Hudi
 * time travel) in one read-only SELECT and writes at most `limit` rows to its result.
 */
export function planQuery(
  contract: DatasetContract,
  query: { queryId: string; asOf: string; sql: string; limit: number },
  layout: LakeLayout,
): QueryExecutionInput {
  const result = runUri(layout, query.queryId, 1, 'query.json');
  return {
    query: { queryId: query.queryId, dataset: contract.name, asOf: query.asOf },
    cluster: { id: layout.clusterId },
    steps: {
      query: {
        name: `${contract.name} query ${query.queryId}`,
        args: [
          ...sparkSubmit(layout, 'query_table.py'),
          ...jobArgs(contract, layout, query.queryId, 1),
          '--result',
          result,
          '--database',
          layout.silverDatabase,
          '--gold-database',
          layout.goldDatabase,
          '--as-of',
          query.asOf,
          '--sql',
          query.sql,
          '--limit',
          String(query.limit),
        ],
      },
    },
    results: { query: result },
  };
}
