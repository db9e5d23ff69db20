import type { DatasetContract } from './contract/types.js';
import type { SourceObject } from './load.js';

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
}

/** One EMR step the state machine submits (`addStep.sync` with command-runner.jar). */
export interface StepPlan {
  readonly name: string;
  readonly args: readonly string[];
}

/** The input of one load-dataset execution. Everything the state machine needs is here. */
export interface LoadExecutionInput {
  readonly load: {
    readonly loadId: string;
    readonly dataset: string;
    readonly source: SourceObject;
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
  readonly functions: { readonly dqRouter: string };
}

/** The S3 URI of a run artefact of one load attempt (results, staging). */
export function runUri(layout: LakeLayout, loadId: string, attempt: number, name: string): string {
  return `s3://${layout.artifactsBucket}/runs/${loadId}/attempt-${attempt}/${name}`;
}

/**
 * Plans the EMR steps of one load from the dataset contract. The Spark jobs read the
 * contract itself from the artifacts bucket; the arguments say which data, where to and
 * where to write the result.
 */
export function planLoad(
  contract: DatasetContract,
  load: { loadId: string; source: SourceObject; attempt: number },
  layout: LakeLayout,
): LoadExecutionInput {
  const scripts = `s3://${layout.artifactsBucket}/spark-jobs`;
  const spark = (job: string) => [
    'spark-submit',
    '--deploy-mode',
    'cluster',
    // The Hudi bundle EMR installs; without it the upsert and gold jobs cannot write Hudi.
    '--jars',
    HUDI_BUNDLE,
    '--py-files',
    `${scripts}/lakeplane_jobs.zip`,
    `${scripts}/${job}`,
  ];
  const common = [
    '--dataset',
    contract.name,
    '--contract',
    `s3://${layout.artifactsBucket}/contracts/${contract.name}.json`,
    '--load-id',
    load.loadId,
    '--attempt',
    String(load.attempt),
  ];
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
    load: { loadId: load.loadId, dataset: contract.name, source: src, attempt: load.attempt },
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
          '--input',
          `s3://${src.bucket}/${src.key}`,
          ...(src.versionId ? ['--input-version', src.versionId] : []),
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
      gold: {
        name: stepName('gold'),
        args: [
          ...spark('silver_to_gold.py'),
          ...common,
          '--result',
          results.gold,
          '--gold-path',
          `s3://${layout.goldBucket}/`,
          '--silver-database',
          layout.silverDatabase,
          '--gold-database',
          layout.goldDatabase,
        ],
      },
    },
    results,
    quarantine: { uri: quarantine },
    functions: { dqRouter: layout.dqRouterFunction },
  };
}
