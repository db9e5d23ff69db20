import { awsSchedulerFunction } from '../../shared/aws/scheduler-deps.js';
import { createObservability } from '../observability.js';
import type { LoadSchedulerHandlerDeps } from './handler.js';

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(): LoadSchedulerHandlerDeps {
  const { contracts, scheduler } = awsSchedulerFunction();
  return { ...createObservability('load-scheduler'), contracts, scheduler };
}
