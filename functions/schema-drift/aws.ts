import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GlueClient } from '@aws-sdk/client-glue';
import * as z from 'zod';
import { DynamoControl } from '../../shared/aws/dynamo-control.js';
import { EventBridgePublisher } from '../../shared/aws/eventbridge-publisher.js';
import { GlueCatalog } from '../../shared/aws/glue-catalog.js';
import { lambdaContracts } from '../../shared/aws/lambda-contracts.js';
import { awsLineage } from '../../shared/aws/lineage-deps.js';
import { SlackWebhookNotifier } from '../../shared/aws/slack-webhook-notifier.js';
import { slackWebhookFromSsm } from '../../shared/aws/slack-webhook-parameter.js';
import { ConfigurationError, lambdaEnvironment, layoutFromEnvironment } from '../../shared/config.js';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import type { LineageDeps } from '../../shared/usecases/lineage.js';
import {
  identityTableDataset,
  type SchemaDriftDeps,
  stripTablePrefix,
} from '../../shared/usecases/schema-drift.js';
import { createObservability } from '../observability.js';
import type { SchemaDriftHandlerDeps } from './handler.js';

const name = z.string().min(1);

/** What schema-drift reads (set by serverless.yml). */
export const schemaDriftEnvironment = z.object({
  STAGE: name,
  /** The Glue database of the Bronze tables. */
  BRONZE_DATABASE: name,
  /** The control table: dataset pause state and the drift log. */
  CONTROL_TABLE: name,
  /** The bus that receives `Schema Drift Detected`. */
  EVENT_BUS_NAME: name,
  SLACK_WEBHOOK_PARAMETER: z.string().optional(),
  LAKEPLANE_DATASETS_DIR: z.string().optional(),
  /** A prefix the Bronze crawler puts before dataset names (its TablePrefix). */
  BRONZE_TABLE_PREFIX: z.string().optional(),
  /** The Glue Data Catalog id, when not the function's account. */
  GLUE_CATALOG_ID: z.string().optional(),
});
export type SchemaDriftEnvironment = z.infer<typeof schemaDriftEnvironment>;

/** @throws ConfigurationError naming every missing variable. */
export function readSchemaDriftEnvironment(env: NodeJS.ProcessEnv = process.env): SchemaDriftEnvironment {
  const parsed = schemaDriftEnvironment.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(
      `schema-drift function environment is incomplete: ${parsed.error.issues.map((i) => `${i.path.join('.')} (${i.message})`).join(', ')}`,
    );
  }
  return parsed.data;
}

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(): SchemaDriftHandlerDeps {
  const obs = createObservability('schema-drift');
  return {
    ...obs,
    ...schemaDriftDeps(readSchemaDriftEnvironment(), (message, error) => obs.logger.warn(message, { error })),
  };
}

/** What the drift use case needs in AWS; the reconciler redrives missed catalog changes with the same. */
export function schemaDriftDeps(
  env: SchemaDriftEnvironment,
  warn: (message: string, error?: unknown) => void,
  /** The caller's lineage (the reconciler shares its own); by default this function's. */
  given?: { readonly lineage: LineageDeps | undefined; readonly contracts: ContractSet },
): SchemaDriftDeps {
  const control = new DynamoControl(new DynamoDBClient({}), env.CONTROL_TABLE);
  const contracts = given?.contracts ?? lambdaContracts(env.LAKEPLANE_DATASETS_DIR);
  const lineage = given ? given.lineage : driftLineage(env, contracts, warn);
  return {
    ...(lineage ? { lineage } : {}),
    contracts,
    catalog: new GlueCatalog(
      new GlueClient({}),
      env.GLUE_CATALOG_ID ? { catalogId: env.GLUE_CATALOG_ID } : {},
    ),
    control,
    driftLog: control,
    notifier: new SlackWebhookNotifier(
      slackWebhookFromSsm(env.SLACK_WEBHOOK_PARAMETER, 'schema-drift alerts'),
    ),
    events: new EventBridgePublisher(new EventBridgeClient({}), env.EVENT_BUS_NAME),
    bronzeDatabase: env.BRONZE_DATABASE,
    tableDataset: env.BRONZE_TABLE_PREFIX ? stripTablePrefix(env.BRONZE_TABLE_PREFIX) : identityTableDataset,
    stage: env.STAGE,
    now: () => new Date(),
  };
}

/** Run events of drift decisions: the stage's layout names the catalog's tables. */
function driftLineage(
  env: SchemaDriftEnvironment,
  contracts: ContractSet,
  warn: (message: string, error?: unknown) => void,
): LineageDeps | undefined {
  const stage = lambdaEnvironment.safeParse(process.env);
  if (!stage.success) {
    if (process.env.OPENLINEAGE_URL)
      warn('lineage: no run events are sent: the stage environment of this function is incomplete');
    return undefined;
  }
  return awsLineage(
    process.env,
    env.STAGE,
    layoutFromEnvironment(stage.data),
    env.BRONZE_DATABASE,
    contracts,
    warn,
  );
}
