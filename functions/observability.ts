import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Powertools instances of one function, created once per container. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/**
 * Creates the Powertools Logger and Metrics of a function. The local runtime turns EMF output
 * off through POWERTOOLS_METRICS_DISABLED, as Powertools reads it when Metrics is created.
 *
 * No Powertools Tracer (X-Ray SDK) in any function: it was ~120 KB of every bundle (the X-Ray
 * SDK, semver, cls-hooked: 40% of the 300 KB budget, tests/infra/bundle-size.test.ts) and adds
 * X-Ray SDK set-up to every cold start, for a `## handler` subsegment beside the one Lambda
 * records, a ColdStart annotation (Lambda's own Initialization subsegment says as much) and a
 * subsegment per outbound HTTPS call. Without it X-Ray still has each function: active tracing
 * (serverless.yml provider.tracing) records every invocation and initialization, the AWS SDK
 * passes the trace header on to the services it calls (its recursion-detection middleware), so
 * one that traces joins the same trace, and every Logger line carries `xray_trace_id`.
 * What is lost is the latency of each AWS or Slack call as the function saw it. A function that
 * comes to need that gets a Tracer of its own, not all of them.
 */
export function createObservability(
  serviceName: string,
  options: { local?: boolean; logLevel?: LogLevel } = {},
): Observability {
  const logLevel = options.logLevel ?? ((process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO') as LogLevel);
  const logger = new Logger({ serviceName, logLevel });
  const metrics = new Metrics({ namespace: 'lakeplane', serviceName, logger });
  if (options.local) metrics.setThrowOnEmptyMetrics(false);
  return { logger, metrics };
}
