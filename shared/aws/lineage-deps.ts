import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import * as z from 'zod';
import type { ContractSet } from '../core/contract/parse.js';
import { producerOf } from '../core/lineage/openlineage.js';
import type { LakeLayout } from '../core/plan.js';
import type { LineageDeps } from '../usecases/lineage.js';
import { HttpLineageSink } from './http-lineage.js';
import { lambdaColumnLineage } from './lambda-lineage.js';

/** A stage parameter left empty is not set. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** The stage's OpenLineage parameters (serverless.yml `params`: openLineageUrl, …). */
export const lineageEnvironment = z.object({
  OPENLINEAGE_URL: unsetWhenEmpty(z.url({ protocol: /^https?$/ })),
  OPENLINEAGE_ENDPOINT: unsetWhenEmpty(z.string()),
  /** An SSM SecureString holding the consumer's API key (none: no Authorization header). */
  OPENLINEAGE_API_KEY_PARAMETER: unsetWhenEmpty(z.string()),
  LAKEPLANE_ACCOUNT_ID: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).optional(),
  LAKEPLANE_VERSION: z.string().min(1).optional(),
});

/**
 * What a function needs to send run events to the stage's OpenLineage consumer, or undefined when
 * the stage has none (`openLineageUrl` empty). Created once per container.
 */
export function awsLineage(
  env: NodeJS.ProcessEnv,
  stage: string,
  layout: LakeLayout,
  bronzeDatabase: string,
  contracts: ContractSet,
  warn: (message: string, error?: unknown) => void,
): LineageDeps | undefined {
  const parsed = lineageEnvironment.safeParse(env);
  if (!parsed.success) {
    warn(
      `lineage: no run events are sent: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')} (the stage parameters openLineage*)`,
    );
    return undefined;
  }
  const e = parsed.data;
  if (!e.OPENLINEAGE_URL) return undefined;
  // The Glue names of every event need them (serverless.yml sets both; Lambda sets AWS_REGION).
  if (!e.AWS_REGION || !e.LAKEPLANE_ACCOUNT_ID || !bronzeDatabase) {
    warn(
      'lineage: no run events are sent: AWS_REGION, LAKEPLANE_ACCOUNT_ID and BRONZE_DATABASE must be set to name the catalog tables',
    );
    return undefined;
  }
  if (env.OPENLINEAGE_SPARK_LISTENER === 'true' && e.OPENLINEAGE_API_KEY_PARAMETER)
    warn(
      'lineage: the EMR steps run without the OpenLineage Spark listener: the consumer needs an API key, and step arguments cannot carry one (docs/lineage.md)',
    );
  const parameter = e.OPENLINEAGE_API_KEY_PARAMETER;
  const version = e.LAKEPLANE_VERSION ?? '0.0.0';
  return {
    sink: new HttpLineageSink({
      url: e.OPENLINEAGE_URL,
      ...(e.OPENLINEAGE_ENDPOINT ? { endpoint: e.OPENLINEAGE_ENDPOINT } : {}),
      ...(parameter ? { apiKey: () => getParameter(parameter, { decrypt: true, maxAge: 300 }) } : {}),
    }),
    context: {
      producer: producerOf(version),
      version,
      scope: {
        stage,
        region: e.AWS_REGION,
        account: e.LAKEPLANE_ACCOUNT_ID,
        layout,
        bronzeDatabase,
      },
    },
    contracts,
    columnLineage: lambdaColumnLineage(contracts),
    warn,
  };
}
