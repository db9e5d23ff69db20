import * as z from 'zod';
import {
  type LedgerCommit,
  ledgerCommits,
  RollbackTargetError,
  rollbackInstant,
} from '../core/commit-timeline.js';
import type { DatasetContract } from '../core/contract/types.js';
import { type LakeLayout, planRollback } from '../core/plan.js';
import { goldResult } from '../core/run-results.js';
import type { ExecutionRunner, Ledger, ObjectStore } from '../ports.js';
import {
  type RollbackEngine,
  RollbackRefusedError,
  type RollbackReport,
  type RollbackTarget,
  type UndoneCommit,
} from './rollback.js';
import { readJsonArtifact, runStepExecution } from './run-artifacts.js';

const count = z.number().int().nonnegative();

/** What rollback_table.py writes (spark-jobs/lakeplane_jobs/rollback.py rollback_result). */
export const rollbackStepResult = z.object({
  phase: z.literal('rollback'),
  loadId: z.string(),
  dataset: z.string(),
  toInstant: z.string(),
  savepoint: z.string().nullable(),
  dryRun: z.boolean(),
  commitsRolledBack: z.array(z.string()),
  savepointsDeleted: z.array(z.string()),
  rowsBefore: count,
  rowsAfter: count,
  removed: count,
  restored: count,
  reverted: count,
});
export type RollbackStepResult = z.infer<typeof rollbackStepResult>;

/** A rollback on EMR did not finish; the message says how far it got. */
export class RollbackFailedError extends Error {
  override readonly name = 'RollbackFailedError';
}

export interface EmrRollbackDeps {
  readonly ledger: Ledger;
  /** Executions of the rollback-dataset state machine. */
  readonly executions: ExecutionRunner;
  /** Reads the steps' result JSON from the artifacts bucket. */
  readonly store: ObjectStore;
  readonly layout: LakeLayout;
  readonly now?: () => Date;
  /** Told when the execution starts (its ARN), so a long wait is not silent. */
  readonly onStarted?: (executionArn: string) => void;
}

/** How many ledger records of a dataset are read to find its commits. */
const LEDGER_SCAN = 1000;

/** The ledger's Silver commits of a dataset, oldest first. */
export async function datasetCommits(ledger: Ledger, dataset: string): Promise<LedgerCommit[]> {
  return ledgerCommits(await ledger.list({ dataset, limit: LEDGER_SCAN }));
}

/**
 * The rollback engine of a deployed stage: the target comes from the ledger's commit timeline,
 * the work is a rollback-dataset execution (rollback_table.py restores the Hudi savepoint, then
 * silver_to_gold.py rebuilds Gold), the figures from the rollback step's result.
 */
export class EmrRollbackEngine implements RollbackEngine {
  constructor(private readonly deps: EmrRollbackDeps) {}

  /** The ledger's Silver commits of a dataset, oldest first (`lakeplane --stage <s> commits`). */
  async commits(dataset: string): Promise<LedgerCommit[]> {
    return datasetCommits(this.deps.ledger, dataset);
  }

  async rollback(
    contract: DatasetContract,
    target: RollbackTarget,
    options: { readonly dryRun?: boolean } = {},
  ): Promise<RollbackReport> {
    const dryRun = options.dryRun ?? false;
    const commits = await this.commits(contract.name);
    let toInstant: string;
    try {
      const status =
        'beforeLoad' in target ? (await this.deps.ledger.get(target.beforeLoad))?.status : undefined;
      toInstant = rollbackInstant(contract.name, commits, target, status);
    } catch (e) {
      if (e instanceof RollbackTargetError) throw new RollbackRefusedError(e.message);
      throw e;
    }
    const rollbackId = rollbackIdOf(contract.name, toInstant, (this.deps.now ?? (() => new Date()))());
    const input = planRollback(contract, { rollbackId, toInstant, dryRun }, this.deps.layout);
    const run = await runStepExecution(
      this.deps.executions,
      this.deps.store,
      { name: rollbackId, input, resultUri: input.results.rollback },
      this.deps.onStarted,
    );
    const where = `execution ${run.executionArn} ended ${run.finished.status}`;
    const why = `${run.finished.error ?? ''} ${run.finished.cause ?? ''}`.trim();
    if (run.stepError)
      throw new RollbackFailedError(
        `the rollback of silver.${contract.name} to ${toInstant} failed, Silver is as it was: ${run.stepError} (${where})`,
      );
    const parsed = run.result === undefined ? undefined : rollbackStepResult.safeParse(run.result);
    if (parsed && !parsed.success)
      throw new RollbackFailedError(
        `${input.results.rollback} is not a rollback result: ${parsed.error.issues[0]?.message ?? ''}`,
      );
    if (run.finished.status !== 'SUCCEEDED') {
      if (parsed && !dryRun)
        throw new RollbackFailedError(
          `silver.${contract.name} was rolled back to ${toInstant}, but its Gold tables were not rebuilt: ${why} (${where}); rebuild them by re-running the rollback (it finds nothing more to undo) or replaying a later load`,
        );
      throw new RollbackFailedError(
        `the rollback of silver.${contract.name} to ${toInstant} failed before its step wrote a result: ${why} (${where})`,
      );
    }
    if (!parsed)
      throw new RollbackFailedError(
        `the rollback execution ${run.executionArn} succeeded but left no readable result at ${input.results.rollback}`,
      );
    const result = parsed.data;
    const gold = dryRun ? [] : ((await this.readGold(input.results.gold))?.tables ?? []);
    const byCommit = new Map(commits.map((c) => [c.commitId, c]));
    const undone: UndoneCommit[] = result.commitsRolledBack.map((commitId) => {
      const c = byCommit.get(commitId);
      return c
        ? { commitId, loadId: c.loadId, attempt: c.attempt, committedAt: c.committedAt, rollback: false }
        : { commitId, loadId: '', attempt: 0, committedAt: '', rollback: false };
    });
    return {
      dataset: contract.name,
      dryRun,
      toCommit: toInstant,
      ...(dryRun ? {} : { commitId: rollbackId }),
      rowsBefore: result.rowsBefore,
      rowsAfter: result.rowsAfter,
      restored: result.restored,
      reverted: result.reverted,
      removed: result.removed,
      // Hudi's restore returns the table's schema with its files; no column bookkeeping here.
      columnsDropped: [],
      columnsRestored: [],
      undone,
      undoneLoads: undone.filter((u) => u.loadId !== ''),
      revived: [],
      gold,
    };
  }

  private async readGold(uri: string) {
    const doc = await readJsonArtifact(this.deps.store, uri);
    const parsed = goldResult.safeParse(doc);
    return parsed.success ? parsed.data : undefined;
  }
}

/**
 * The id (and execution name) of a rollback: dataset, target and start time, so a listing of
 * executions says what each did. Step Functions names: at most 80 of [A-Za-z0-9-_].
 */
export function rollbackIdOf(dataset: string, toInstant: string, at: Date): string {
  const stamp = at.toISOString().replace(/\D/g, '').slice(0, 14);
  return `rb-${dataset.replace(/_/g, '-')}-${toInstant}-${stamp}`.slice(0, 80);
}
