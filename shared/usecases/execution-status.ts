import type { z } from 'zod';
import type { ExecutionStatusChangeEvent } from '../core/events.js';
import { describeFailure } from '../core/failure.js';
import { allowedPredecessors, type LoadCounts, type LoadRecord, QUALITY_GATE_ERRORS } from '../core/load.js';
import { loadFailedMessage } from '../core/messages/load-failed.js';
import { replayChainStoppedMessage } from '../core/messages/replay-chain.js';
import type { ReplayChain } from '../core/plan.js';
import { executionInputShape, rollbackInputShape, stageResult, upsertResult } from '../core/run-results.js';
import type { Ledger, LoadUpdate, Notifier, ObjectStore } from '../ports.js';
import type { ReplayDeps } from './replay.js';
import { continueReplayChain } from './replay-chain.js';
import { readJsonArtifact } from './run-artifacts.js';

export interface ExecutionStatusDeps {
  readonly ledger: Ledger;
  readonly objects: ObjectStore;
  readonly notifier: Notifier;
  readonly stage?: string;
  /**
   * What continues a Roll back & replay chain (executions whose input carries `replayNext`, and
   * rollback-dataset executions carrying `replay`); without it chains are not continued.
   */
  readonly replays?: ReplayDeps;
}

export type StatusOutcome =
  | { readonly outcome: 'recorded'; readonly load: LoadRecord }
  | { readonly outcome: 'ignored'; readonly reason: string };

/**
 * A load-dataset execution changed status: record it in the ledger (status, counts, commit,
 * duration, cause). Transitions are conditional, so a repeated or late event changes
 * nothing, and only the event that actually moves a load to FAILED sends the alert.
 */
export async function onExecutionStatus(
  event: ExecutionStatusChangeEvent,
  deps: ExecutionStatusDeps,
): Promise<StatusOutcome> {
  const d = event.detail;
  const input = parseInput(d.input, executionInputShape);
  if (!input) return { outcome: 'ignored', reason: `execution ${d.name} has no load-dataset input` };
  const { loadId } = input.load;
  const startedAt = new Date(d.startDate).toISOString();
  const finishedAt = d.stopDate ? new Date(d.stopDate).toISOString() : undefined;
  const timing: LoadUpdate = {
    executionArn: d.executionArn,
    startedAt,
    ...(finishedAt ? { finishedAt, durationMs: d.stopDate! - d.startDate } : {}),
  };

  let updated: LoadRecord | undefined;
  switch (d.status) {
    case 'RUNNING':
      updated = await deps.ledger.transition(loadId, 'RUNNING', ['REGISTERED'], {
        executionArn: d.executionArn,
        startedAt,
      });
      break;
    case 'SUCCEEDED': {
      const results = await readResults(deps.objects, input.results);
      updated = await deps.ledger.transition(loadId, 'SUCCEEDED', ['REGISTERED', 'RUNNING'], {
        ...timing,
        ...(results.counts ? { counts: results.counts } : {}),
        ...(results.commitId ? { commitId: results.commitId } : {}),
      });
      if (updated && input.replayNext) await continueChain(input.replayNext, updated.dataset, deps);
      break;
    }
    case 'FAILED':
    case 'TIMED_OUT':
    case 'ABORTED': {
      const results = await readResults(deps.objects, input.results);
      const cause =
        d.status === 'FAILED'
          ? describeFailure(d.error ?? undefined, d.cause ?? undefined)
          : {
              error: `States.${d.status}`,
              message: `the execution ${d.status === 'TIMED_OUT' ? 'timed out' : 'was aborted'}`,
            };
      // A failed quality gate: dq-router has already sent the alert with the failed expectations.
      const quality = QUALITY_GATE_ERRORS.has(cause.error);
      const status = quality ? 'FAILED_QUALITY' : 'FAILED';
      updated = await deps.ledger.transition(loadId, status, allowedPredecessors(status), {
        ...timing,
        cause,
        ...(results.counts ? { counts: results.counts } : {}),
        ...(results.commitId ? { commitId: results.commitId } : {}),
      });
      if (updated && !quality)
        await deps.notifier.notify(loadFailedMessage(updated, deps.stage ? { stage: deps.stage } : {}));
      if (updated && input.replayNext && input.replayNext.loads.length > 0)
        await deps.notifier.notify(
          replayChainStoppedMessage(
            { dataset: updated.dataset, why: `${loadId} ended ${status}`, waiting: input.replayNext.loads },
            deps.stage ? { stage: deps.stage } : {},
          ),
        );
      break;
    }
    case 'PENDING_REDRIVE':
      return { outcome: 'ignored', reason: 'redrive is not used by lakeplane' };
  }
  if (!updated)
    return { outcome: 'ignored', reason: `load ${loadId} is unknown or already past ${d.status}` };
  return { outcome: 'recorded', load: updated };
}

/** An execution's input as `schema` reads it; undefined when it is absent, not JSON, or another shape. */
function parseInput<T>(raw: string | null | undefined, schema: z.ZodType<T>): T | undefined {
  if (!raw) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the step results that exist; a missing one means its step did not finish. */
async function readResults(
  objects: ObjectStore,
  uris: { stage: string; upsert: string; gold: string },
): Promise<{ counts?: LoadCounts; commitId?: string }> {
  const read = async <T>(uri: string, schema: z.ZodType<T>): Promise<T | undefined> => {
    const parsed = schema.safeParse(await readJsonArtifact(objects, uri));
    return parsed.success ? parsed.data : undefined;
  };
  const [stage, upsert] = await Promise.all([read(uris.stage, stageResult), read(uris.upsert, upsertResult)]);
  if (!stage) return {};
  const counts: LoadCounts = {
    rowsIn: stage.rowsIn,
    rowsQuarantined: stage.rowsQuarantined,
    rowsStaged: stage.rowsStaged,
    duplicatesDropped: stage.duplicatesDropped,
    inserted: upsert?.inserted ?? 0,
    updated: upsert?.updated ?? 0,
    deleted: upsert?.deleted ?? 0,
  };
  return { counts, ...(upsert ? { commitId: upsert.commitId } : {}) };
}

/** Starts the next load of a chain; a refusal stops it and says so. */
async function continueChain(
  chain: ReplayChain,
  dataset: string,
  deps: ExecutionStatusDeps,
  after: { readonly toCommit: string; readonly commitId?: string } = { toCommit: 'the rollback' },
): Promise<void> {
  if (!deps.replays || chain.loads.length === 0) return;
  const next = await continueReplayChain(chain, deps.replays, after);
  if (next && next.outcome.outcome === 'refused')
    await deps.notifier.notify(
      replayChainStoppedMessage(
        {
          dataset,
          why: `the replay of ${next.loadId} was refused: ${next.outcome.reason}`,
          waiting: chain.loads,
        },
        deps.stage ? { stage: deps.stage } : {},
      ),
    );
}

export type RollbackStatusOutcome =
  | { readonly outcome: 'continued'; readonly rollbackId: string; readonly next?: string }
  | { readonly outcome: 'stopped'; readonly rollbackId: string; readonly status: string }
  | { readonly outcome: 'ignored'; readonly reason: string };

/**
 * A rollback-dataset execution ended: when it carried replays (Roll back & replay from Slack),
 * a success starts the first of them and a failure alerts with what was not replayed.
 */
export async function onRollbackStatus(
  event: ExecutionStatusChangeEvent,
  deps: ExecutionStatusDeps,
): Promise<RollbackStatusOutcome> {
  const d = event.detail;
  const input = parseInput(d.input, rollbackInputShape);
  if (!input) return { outcome: 'ignored', reason: `execution ${d.name} has no rollback-dataset input` };
  const { rollbackId, dataset, toInstant } = input.rollback;
  if (!input.replay || input.replay.loads.length === 0)
    return { outcome: 'ignored', reason: `rollback ${rollbackId} carries no replays` };
  if (d.status === 'RUNNING' || d.status === 'PENDING_REDRIVE')
    return { outcome: 'ignored', reason: `rollback ${rollbackId} is ${d.status}` };
  if (d.status !== 'SUCCEEDED') {
    await deps.notifier.notify(
      replayChainStoppedMessage(
        {
          dataset,
          why: `the rollback ${rollbackId} to commit ${toInstant} ended ${d.status}${d.cause ? ` (${describeFailure(d.error ?? undefined, d.cause).message})` : ''}; Silver is as it was`,
          waiting: input.replay.loads,
        },
        deps.stage ? { stage: deps.stage } : {},
      ),
    );
    return { outcome: 'stopped', rollbackId, status: d.status };
  }
  await continueChain(input.replay, dataset, deps, { toCommit: toInstant, commitId: rollbackId });
  return {
    outcome: 'continued',
    rollbackId,
    ...(input.replay.loads[0] ? { next: input.replay.loads[0] } : {}),
  };
}
