/** Lambda entry point (serverless.yml: functions/load-scheduler/index.handler). */
import { awsDeps } from './aws.js';
import { createHandler } from './handler.js';

export const handler = createHandler(awsDeps());
