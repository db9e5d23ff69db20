import { awsSchedulerFunction } from '../../shared/aws/scheduler-deps.js';
import { layoutFromEnvironment } from '../../shared/config.js';
import { createObservability } from '../observability.js';
import type { ObjectLandedHandlerDeps } from './handler.js';

/** The function's dependencies in AWS: created once per container. */
export function awsDeps(): ObjectLandedHandlerDeps {
  const { env, contracts, ledger, scheduler } = awsSchedulerFunction();
  return {
    ...createObservability('object-landed'),
    contracts,
    ledger,
    scheduler,
    layout: layoutFromEnvironment(env),
    now: () => new Date(),
  };
}
