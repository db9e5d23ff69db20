import * as z from 'zod';
import { HUDI_INSTANT } from '../core/commit-timeline.js';
import type { ContractSet } from '../core/contract/parse.js';
import { type LakeLayout, planQuery } from '../core/plan.js';
import type { ExecutionRunner, ObjectStore } from '../ports.js';
import { runStepExecution } from './run-artifacts.js';

/** What query_table.py writes (spark-jobs/lakeplane_jobs/query.py query_result). */
export const queryStepResult = z.object({
  phase: z.literal('query'),
  loadId: z.string(),
  dataset: z.string(),
  asOf: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.unknown())),
  truncated: z.boolean(),
});
export type QueryStepResult = z.infer<typeof queryStepResult>;

/** The query could not run (bad input, or the step failed: the message says why). */
export class QueryAsOfError extends Error {
  override readonly name = 'QueryAsOfError';
}

export interface QueryOnEmrDeps {
  readonly contracts: ContractSet;
  /** Executions of the query-dataset state machine. */
  readonly executions: ExecutionRunner;
  readonly store: ObjectStore;
  readonly layout: LakeLayout;
  readonly now?: () => Date;
  readonly onStarted?: (executionArn: string) => void;
}

/** Rows a query on a stage returns at most (the step caps them; the CLI says when it did). */
export const STAGE_QUERY_LIMIT = 1000;

/**
 * The Hudi instant of `--as-of` on a stage: a commit instant as is, or a time (ISO 8601) as the
 * instant of that moment in UTC (`yyyyMMddHHmmssSSS`; EMR writes its instants in UTC).
 */
export function asOfInstant(asOf: string): string {
  if (HUDI_INSTANT.test(asOf)) return asOf;
  const t = Date.parse(asOf);
  if (Number.isNaN(t))
    throw new QueryAsOfError(
      `--as-of ${asOf} is neither a Silver commit (a Hudi instant, 14 to 17 digits) nor a time (e.g. 2026-11-20T10:00:00Z)`,
    );
  return new Date(t).toISOString().replace(/\D/g, '').slice(0, 17);
}

/**
 * `lakeplane --stage <s> query --dataset <d> --as-of <commit|time> "<SELECT>"`: a query-dataset
 * execution (query_table.py on EMR), waited for; the rows from its result.
 */
export async function queryAsOfOnEmr(
  sql: string,
  at: { readonly dataset: string; readonly asOf: string },
  deps: QueryOnEmrDeps,
): Promise<QueryStepResult> {
  const contract = deps.contracts.datasets.get(at.dataset);
  if (!contract)
    throw new QueryAsOfError(
      `no dataset named "${at.dataset}"; known datasets: ${[...deps.contracts.datasets.keys()].join(', ')}`,
    );
  const asOf = asOfInstant(at.asOf);
  const stamp = (deps.now ?? (() => new Date()))().toISOString().replace(/\D/g, '').slice(0, 17);
  const queryId = `q-${contract.name.replace(/_/g, '-')}-${stamp}`;
  const input = planQuery(contract, { queryId, asOf, sql, limit: STAGE_QUERY_LIMIT }, deps.layout);
  const run = await runStepExecution(
    deps.executions,
    deps.store,
    { name: queryId, input, resultUri: input.results.query },
    deps.onStarted,
  );
  if (run.stepError) throw new QueryAsOfError(`the query failed: ${run.stepError}`);
  if (run.finished.status !== 'SUCCEEDED')
    throw new QueryAsOfError(
      `the query execution ${run.executionArn} ended ${run.finished.status}: ${run.finished.error ?? ''} ${run.finished.cause ?? ''}`.trim(),
    );
  const ok = queryStepResult.safeParse(run.result);
  if (!ok.success) throw new QueryAsOfError(`${input.results.query} holds no query result`);
  return ok.data;
}
