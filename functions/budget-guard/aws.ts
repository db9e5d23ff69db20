import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { lambdaContracts } from '../../shared/aws/lambda-contracts.js';
import { ConfigurationError, readEnvironment } from '../../shared/config.js';
import { createObservability } from '../observability.js';
import type { BudgetGuardHandlerDeps } from './handler.js';

/** What budget-guard reads besides the common function environment. */
export const budgetGuardEnvironment = z.object({
  /** The stage's EMR step-hours per dataset and UTC day (serverless.yml emrStepHoursPerDatasetPerDay). */
  EMR_STEP_HOURS_PER_DATASET_PER_DAY: z.coerce.number().positive(),
});

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(): BudgetGuardHandlerDeps {
  const env = readEnvironment();
  const parsed = budgetGuardEnvironment.safeParse(process.env);
  if (!parsed.success)
    throw new ConfigurationError(
      `budget-guard environment is incomplete: ${parsed.error.issues.map((i) => `${i.path.join('.')} (${i.message})`).join(', ')}`,
    );
  return {
    ...createObservability('budget-guard'),
    contracts: lambdaContracts(env.LAKEPLANE_DATASETS_DIR),
    ledger: new DynamoLedger(new DynamoDBClient({}), env.LEDGER_TABLE),
    defaultStepHoursPerDay: parsed.data.EMR_STEP_HOURS_PER_DATASET_PER_DAY,
    now: () => new Date(),
  };
}
