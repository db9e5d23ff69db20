import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Powertools instances of one function, created once per container. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/**
 * Creates the Powertools Logger, Metrics and Tracer of a function. In the local runtime the
 * tracer is off (no X-Ray daemon); the local runtime turns EMF output off through
 * POWERTOOLS_METRICS_DISABLED, as Powertools reads it when Metrics is created.
 */
export function createObservability(
  serviceName: string,
  options: { local?: boolean; logLevel?: LogLevel } = {},
): Observability {
  const logLevel = options.logLevel ?? ((process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO') as LogLevel);
  const logger = new Logger({ serviceName, logLevel });
  const metrics = new Metrics({ namespace: 'lakeplane', serviceName, logger });
  if (options.local) metrics.setThrowOnEmptyMetrics(false);
  const tracer = new Tracer({ serviceName, enabled: options.local ? false : undefined });
  return { logger, metrics, tracer };
}
