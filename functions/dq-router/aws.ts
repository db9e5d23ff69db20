import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { lambdaContracts } from '../../shared/aws/lambda-contracts.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { StepFunctionsTaskCallbacks } from '../../shared/aws/sfn-task-callbacks.js';
import { SlackWebhookNotifier } from '../../shared/aws/slack-webhook-notifier.js';
import { slackWebhookFromSsm } from '../../shared/aws/slack-webhook-parameter.js';
import { ConfigurationError, lambdaEnvironment } from '../../shared/config.js';
import { createObservability } from '../observability.js';
import type { DqRouterHandlerDeps } from './handler.js';

/** The part of the function environment dq-router reads (set by serverless.yml). */
const dqRouterEnvironment = lambdaEnvironment.pick({
  STAGE: true,
  LAKEPLANE_DATASETS_DIR: true,
  SLACK_WEBHOOK_PARAMETER: true,
});

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(env: NodeJS.ProcessEnv = process.env): DqRouterHandlerDeps {
  const parsed = dqRouterEnvironment.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(
      `dq-router environment is incomplete: ${parsed.error.issues.map((i) => `${i.path.join('.')} (${i.message})`).join(', ')}`,
    );
  }
  const config = parsed.data;
  return {
    ...createObservability('dq-router'),
    contracts: lambdaContracts(config.LAKEPLANE_DATASETS_DIR, env.LAMBDA_TASK_ROOT),
    objects: new S3ObjectStore(new S3Client({})),
    notifier: new SlackWebhookNotifier(
      slackWebhookFromSsm(config.SLACK_WEBHOOK_PARAMETER, 'data-quality alerts'),
    ),
    callbacks: new StepFunctionsTaskCallbacks(new SFNClient({})),
    stage: config.STAGE,
  };
}
