import { executionArnOf } from '../../shared/aws/sfn-orchestrator.js';
import type { LedgerCommit } from '../../shared/core/commit-timeline.js';
import {
  type RollbackOptions,
  type RollbackOutcome,
  type RollbackTarget,
  rollbackDataset,
  rollbackDepsOver,
} from '../../shared/usecases/rollback.js';
import { EmrRollbackEngine } from '../../shared/usecases/rollback-on-emr.js';
import type { StageDeps } from '../stage.js';

/** The rollback engine of a deployed stage over its ledger, rollback executions and artifacts. */
export function stageRollbackEngine(
  deps: StageDeps,
  onStarted?: (executionArn: string) => void,
): EmrRollbackEngine {
  return new EmrRollbackEngine({
    ledger: deps.ledger,
    executions: deps.rollbacks,
    store: deps.store,
    layout: deps.layout,
    ...(onStarted ? { onStarted } : {}),
  });
}

/**
 * `lakeplane --stage <s> rollback`: a rollback-dataset execution, then (with --replay-after)
 * each undone load replayed as a new attempt, one at a time: the next starts when the previous
 * execution has ended, so the loads commit again in their original order.
 */
export function rollbackOnStage(
  deps: StageDeps,
  dataset: string,
  target: RollbackTarget,
  options: Pick<RollbackOptions, 'dryRun' | 'replayAfter' | 'replayTarget'>,
  progress: (line: string) => void,
): Promise<RollbackOutcome> {
  const engine = stageRollbackEngine(deps, (arn) =>
    progress(`rollback execution ${arn} started; waiting for it`),
  );
  return rollbackDataset(dataset, target, rollbackDepsOver(engine, deps), {
    ...options,
    afterEach: async (load) => {
      const arn = executionArnOf(deps.outputs.LoadDatasetStateMachineArn, load.executionName);
      progress(`replaying ${load.loadId} (attempt ${load.attempts}): waiting for ${arn}`);
      await deps.orchestrator.waitFor(arn);
    },
  });
}

/** What `lakeplane rollback` prints, locally and on a stage. */
export function describeRollback(
  dataset: string,
  outcome: RollbackOutcome,
): { lines: string[]; ok: boolean } {
  const r = outcome.report;
  const lines = [
    `${r.dryRun ? 'would roll back' : 'rolled back'} silver.${dataset} to ${r.toCommit === 'start' ? 'before its first commit' : `commit ${r.toCommit}`}: ${r.rowsBefore} → ${r.rowsAfter} rows (${r.restored} restored, ${r.reverted} reverted, ${r.removed} removed)${r.commitId ? `; rollback commit ${r.commitId}` : ''}`,
  ];
  const unknown = r.undone.filter((u) => u.loadId === '');
  if (unknown.length > 0)
    lines.push(
      `undone commits the ledger does not know (not replayed): ${unknown.map((u) => u.commitId).join(', ')}`,
    );
  if (r.undoneLoads.length > 0)
    lines.push(`undone loads, in commit order: ${r.undoneLoads.map((u) => u.loadId).join(', ')}`);
  for (const step of outcome.replays) {
    lines.push(
      `  ${step.loadId}: ${step.outcome}${'reason' in step ? ` (${step.reason})` : ''}${'status' in step && step.status ? ` → ${step.status}` : ''}`,
    );
  }
  // A dry run starts nothing by design: its "would be replayed" steps are what it was asked for.
  const failed = (s: RollbackOutcome['replays'][number]) =>
    s.outcome === 'refused' || (s.outcome === 'not-started' && !r.dryRun);
  if (!r.dryRun && r.undoneLoads.length > 0)
    lines.push(
      "the undone loads are ROLLED_BACK in the ledger (unless replayed above); landing one's file again makes a new load",
    );
  return { lines, ok: !outcome.replays.some(failed) };
}

/** One row of `lakeplane --stage <s> commits <dataset>` (the ledger's Silver commits, oldest first). */
export function commitRow(c: LedgerCommit): (string | number)[] {
  return [c.commitId, c.loadId, c.attempt, c.committedAt, c.inserted ?? '', c.updated ?? '', c.deleted ?? ''];
}
