/** Lambda entry point (serverless.yml: functions/reconciler/index.handler). */
import { awsDeps } from './aws.js';
import { createHandler } from './handler.js';

export const handler = createHandler(awsDeps());
