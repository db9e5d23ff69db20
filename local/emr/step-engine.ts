import type { DatasetContract } from '../../shared/core/contract/types.js';

/** The steps of the EMR jobs, by the name of the file that implements each on both engines. */
export const STEP_NAMES = [
  'stage',
  'validate',
  'quarantine',
  'upsert',
  'savepoint',
  'gold',
  'rollback',
  'query',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** One EMR step as the state machine submitted it. */
export interface JobStep {
  /** The step, from the script and its `--phase` (spark-jobs/lakeplane_jobs/runner.py JOB_RUNNERS). */
  readonly step: StepName;
  /** The script's basename, e.g. `bronze_to_silver.py`. */
  readonly script: string;
  /** The arguments after the script, as given. */
  readonly argv: readonly string[];
  /** The same arguments by flag. */
  readonly args: Readonly<Record<string, string>>;
  readonly contract: DatasetContract;
}

/**
 * A local engine that runs the EMR steps: DuckDB (the default) or the real spark-jobs in Spark
 * local mode. Each writes the step's result document to its `--result` URI, as the job does on EMR.
 */
export interface LocalStepEngine {
  readonly name: 'duckdb' | 'spark';
  run(step: JobStep): Promise<void>;
  close(): Promise<void>;
}

/** The step a script (and its phase) runs. */
export function stepOf(script: string, phase: string | undefined): StepName {
  const byScript: Record<string, StepName> = {
    'validate_batch.py': 'validate',
    'silver_to_gold.py': 'gold',
    'savepoint_table.py': 'savepoint',
    'rollback_table.py': 'rollback',
    'query_table.py': 'query',
  };
  const step =
    script === 'bronze_to_silver.py' && (phase === 'stage' || phase === 'upsert' || phase === 'quarantine')
      ? phase
      : byScript[script];
  if (!step) throw new Error(`unknown step ${script} ${phase ?? ''}`.trim());
  return step;
}
