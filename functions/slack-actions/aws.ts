import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { DynamoReplayGuard } from '../../shared/aws/dynamo-replay-guard.js';
import { lambdaContracts } from '../../shared/aws/lambda-contracts.js';
import { awsScheduler } from '../../shared/aws/scheduler-deps.js';
import { StepFunctionsOrchestrator } from '../../shared/aws/sfn-orchestrator.js';
import { ConfigurationError, layoutFromEnvironment, readEnvironment } from '../../shared/config.js';
import { startRollbackAndReplay } from '../../shared/usecases/replay-chain.js';
import { parseAllowedUserIds, type RollbackAndReplay } from '../../shared/usecases/slack-action.js';
import { createObservability } from '../observability.js';
import type { SlackActionsHandlerDeps } from './handler.js';

/** What slack-actions reads besides the common function environment. */
export const slackActionsEnvironment = z.object({
  /** Name or ARN of the Secrets Manager secret holding the Slack app's signing secret. */
  SLACK_SIGNING_SECRET_ID: z.string().min(1),
  /** Comma-separated Slack user ids (U…/W…) allowed to press the buttons; unset or empty: nobody. */
  SLACK_ALLOWED_USER_IDS: z.string().optional(),
});

/**
 * Without the rollback state machine (an older stack), the button answers with the CLI command
 * that does the same.
 */
export function rollbackFromCli(stage: string): RollbackAndReplay {
  return async (loadId, dataset) => ({
    outcome: 'refused',
    reason: `run it from the CLI: \`lakeplane --stage ${stage} rollback ${dataset} --before ${loadId} --replay-load --replay-after\` (add --dry-run first to see what changes)`,
  });
}

/**
 * The signing secret from Secrets Manager, through Powertools Parameters: cached for the
 * container for 5 minutes (a rotated secret is picked up within that). The secret may be the
 * plain string or a JSON object with `signingSecret`. Never logged, never in an error.
 */
export function signingSecretFromSecretsManager(secretId: string): () => Promise<string> {
  return async () => {
    const value = await getSecret<string>(secretId, { maxAge: 300 });
    if (typeof value !== 'string' || value === '')
      throw new ConfigurationError(`secret ${secretId} holds no Slack signing secret`);
    if (!value.trimStart().startsWith('{')) return value.trim();
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ConfigurationError(`secret ${secretId} looks like JSON but does not parse`);
    }
    const field =
      typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'signingSecret') : undefined;
    if (typeof field !== 'string' || field === '')
      throw new ConfigurationError(`secret ${secretId} is JSON without a "signingSecret" string`);
    return field;
  };
}

/**
 * The function's dependencies in AWS: created once per container. The replay guard is a
 * conditional write on the control table, so a replayed request is refused whichever container
 * it reaches.
 */
export function awsDeps(): SlackActionsHandlerDeps {
  const env = readEnvironment();
  const parsed = slackActionsEnvironment.safeParse(process.env);
  if (!parsed.success)
    throw new ConfigurationError(
      `slack-actions environment is incomplete: ${parsed.error.issues.map((i) => `${i.path.join('.')} (${i.message})`).join(', ')}`,
    );
  const slack = parsed.data;
  if (!env.CONTROL_TABLE)
    throw new ConfigurationError('slack-actions needs CONTROL_TABLE (its replay guard lives there)');
  const controlTable = env.CONTROL_TABLE;
  const dynamodb = new DynamoDBClient({});
  const sfn = new SFNClient({});
  const contracts = lambdaContracts(env.LAKEPLANE_DATASETS_DIR);
  const ledger = new DynamoLedger(dynamodb, env.LEDGER_TABLE);
  const layout = layoutFromEnvironment(env);
  const rollbackArn = env.ROLLBACK_STATE_MACHINE_ARN;
  return {
    ...createObservability('slack-actions'),
    contracts,
    ledger,
    orchestrator: new StepFunctionsOrchestrator(sfn, env.STATE_MACHINE_ARN),
    layout,
    // A replay takes its dataset's slot: refused while another load of the dataset is in flight.
    scheduler: awsScheduler(env, { dynamo: dynamodb, s3: new S3Client({}), sfn }, contracts, ledger),
    signingSecret: signingSecretFromSecretsManager(slack.SLACK_SIGNING_SECRET_ID),
    replayGuard: new DynamoReplayGuard(dynamodb, controlTable),
    allowedUserIds: parseAllowedUserIds(slack.SLACK_ALLOWED_USER_IDS),
    // Starts the rollback-dataset execution with the replays it carries; load-events continues them.
    rollbackAndReplay: rollbackArn
      ? (loadId, dataset) =>
          startRollbackAndReplay(loadId, dataset, {
            ledger,
            contracts,
            rollbacks: new StepFunctionsOrchestrator(sfn, rollbackArn),
            layout,
            now: () => new Date(),
          })
      : rollbackFromCli(env.STAGE),
    now: () => new Date(),
  };
}
