import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { StepFunctionsTaskCallbacks } from '../../shared/aws/sfn-task-callbacks.js';
import { SlackWebhookNotifier } from '../../shared/aws/slack-webhook-notifier.js';
import { ConfigurationError, lambdaEnvironment } from '../../shared/config.js';
import { loadContractsDir } from '../../shared/contracts-dir.js';
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
    contracts: loadContractsDir(config.LAKEPLANE_DATASETS_DIR ?? `${env.LAMBDA_TASK_ROOT ?? '.'}/datasets`),
    objects: new S3ObjectStore(new S3Client({})),
    notifier: new SlackWebhookNotifier(webhookUrlFromSsm(config.SLACK_WEBHOOK_PARAMETER)),
    callbacks: new StepFunctionsTaskCallbacks(new SFNClient({})),
    stage: config.STAGE,
  };
}

/**
 * Reads the webhook URL (a SecureString parameter) through Powertools Parameters, which
 * decrypts it and caches it for the container; the URL is never logged nor put in an error.
 */
function webhookUrlFromSsm(parameterName: string | undefined): () => Promise<string> {
  return async () => {
    if (!parameterName)
      throw new Error('SLACK_WEBHOOK_PARAMETER is not set: data-quality alerts cannot be sent');
    const value = await getParameter(parameterName, { decrypt: true, maxAge: 300 });
    if (!value) throw new Error(`SSM parameter ${parameterName} has no value`);
    return value;
  };
}
