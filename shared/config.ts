import * as z from 'zod';
import { jobNamespace } from './core/lineage/naming.js';
import type { LakeLayout } from './core/plan.js';

const name = z.string().min(1);

/** The environment every function reads once per container (set by serverless.yml). */
export const lambdaEnvironment = z.object({
  STAGE: name,
  BRONZE_BUCKET: name,
  SILVER_BUCKET: name,
  GOLD_BUCKET: name,
  QUARANTINE_BUCKET: name,
  ARTIFACTS_BUCKET: name,
  SILVER_DATABASE: name,
  GOLD_DATABASE: name,
  EMR_CLUSTER_ID: name,
  LEDGER_TABLE: name,
  STATE_MACHINE_ARN: name,
  DQ_ROUTER_FUNCTION: name,
  BUDGET_GUARD_FUNCTION: name,
  /** The rollback-dataset state machine (Roll back & replay from Slack; load-events continues its replays). */
  ROLLBACK_STATE_MACHINE_ARN: z.string().min(1).optional(),
  /** The control table (dataset pause state, drift log); without it no dataset is paused at runtime. */
  CONTROL_TABLE: z.string().min(1).optional(),
  /** The scheduler table (pending objects, one in-flight slot per dataset): object-landed, load-events, the safety net. */
  SCHEDULER_TABLE: z.string().min(1).optional(),
  /** Load limits of the stage (shared/usecases/scheduled-loads.ts loadLimitsFrom). */
  LAKEPLANE_LOAD_MAX_OBJECTS: z.string().optional(),
  LAKEPLANE_LOAD_MAX_BYTES: z.string().optional(),
  LAKEPLANE_DATASETS_DIR: z.string().optional(),
  SLACK_WEBHOOK_PARAMETER: z.string().optional(),
  /** The stage's OpenLineage consumer (empty: none) and whether the EMR steps run the Spark listener. */
  OPENLINEAGE_URL: z.string().optional(),
  OPENLINEAGE_ENDPOINT: z.string().optional(),
  OPENLINEAGE_SPARK_LISTENER: z.string().optional(),
  OPENLINEAGE_API_KEY_PARAMETER: z.string().optional(),
});
export type LambdaEnvironment = z.infer<typeof lambdaEnvironment>;

/** What stream-upsert reads: where to write, and how records find their dataset. */
export const streamEnvironment = z.object({
  BRONZE_BUCKET: name,
  QUARANTINE_BUCKET: name,
  LAKEPLANE_DATASETS_DIR: z.string().optional(),
  STREAM_DATASET_FIELD: z.string().min(1).optional(),
  STREAM_PARTITION_KEY_DELIMITER: z.string().min(1).optional(),
  STREAM_DEFAULT_DATASET: z.string().min(1).optional(),
  STREAM_MAX_RECORD_BYTES: z.coerce.number().int().positive().optional(),
});
export type StreamEnvironment = z.infer<typeof streamEnvironment>;

export function readStreamEnvironment(env: NodeJS.ProcessEnv = process.env): StreamEnvironment {
  return parseEnvironment(streamEnvironment, env);
}
/** Thrown when the function's environment is incomplete: names every missing variable. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): LambdaEnvironment {
  return parseEnvironment(lambdaEnvironment, env);
}

function parseEnvironment<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(
      `lakeplane function environment is incomplete: ${parsed.error.issues.map((i) => `${i.path.join('.')} (${i.message})`).join(', ')}`,
    );
  }
  return parsed.data;
}

export function layoutFromEnvironment(env: LambdaEnvironment): LakeLayout {
  return {
    bronzeBucket: env.BRONZE_BUCKET,
    silverBucket: env.SILVER_BUCKET,
    goldBucket: env.GOLD_BUCKET,
    quarantineBucket: env.QUARANTINE_BUCKET,
    artifactsBucket: env.ARTIFACTS_BUCKET,
    silverDatabase: env.SILVER_DATABASE,
    goldDatabase: env.GOLD_DATABASE,
    clusterId: env.EMR_CLUSTER_ID,
    dqRouterFunction: env.DQ_ROUTER_FUNCTION,
    budgetGuardFunction: env.BUDGET_GUARD_FUNCTION,
    // Not with an API key: a step's arguments would carry it (awsLineage warns).
    ...(env.OPENLINEAGE_SPARK_LISTENER === 'true' && env.OPENLINEAGE_URL && !env.OPENLINEAGE_API_KEY_PARAMETER
      ? {
          sparkLineage: {
            url: env.OPENLINEAGE_URL,
            endpoint: env.OPENLINEAGE_ENDPOINT || 'api/v1/lineage',
            namespace: jobNamespace({ stage: env.STAGE }),
          },
        }
      : {}),
  };
}
