import * as z from 'zod';
import type { ContractSet } from '../core/contract/parse.js';
import type { ExecutionStatusChangeEvent } from '../core/events.js';
import { describeFailure } from '../core/failure.js';
import {
  allowedPredecessors,
  type LoadCounts,
  type LoadRecord,
  type LoadWarning,
  QUALITY_GATE_ERRORS,
} from '../core/load.js';
import { savepointFailedWarning } from '../core/load-warnings.js';
import { loadFailedMessage } from '../core/messages/load-failed.js';
import { replayChainStoppedMessage } from '../core/messages/replay-chain.js';
import { savepointFailedMessage } from '../core/messages/savepoint-failed.js';
import type { ReplayChain } from '../core/plan.js';
import {
  executionInputShape,
  executionOutputShape,
  goldResult,
  rollbackInputShape,
  savepointResult,
  stageResult,
  upsertResult,
} from '../core/run-results.js';
import type { Ledger, LoadUpdate, Notifier, ObjectStore } from '../ports.js';
import {
  emitLoadLineage,
  emitRollbackLineage,
  eventTimeOf,
  eventTypeOf,
  type LineageDeps,
  type LoadEnd,
} from './lineage.js';
import type { ReplayDeps } from './replay.js';
import { continueReplayChain } from './replay-chain.js';
import { resolveFailures } from './resolve-failures.js';
import { recordRollback } from './rollback.js';
import { datasetCommits, rollbackStepResult } from './rollback-on-emr.js';
import { readJsonArtifact } from './run-artifacts.js';
import { type ScheduleDeps, scheduleDataset } from './schedule-loads.js';

export interface ExecutionStatusDeps {
  readonly ledger: Ledger;
  readonly objects: ObjectStore;
  readonly notifier: Notifier;
  readonly stage?: string;
  /** How the commands alerts name start (the local runtime: `npx lakeplane --home …`). */
  readonly cli?: string;
  /** The dataset contracts: a warning goes to the dataset's `alerts.slack_channel`. */
  readonly contracts?: ContractSet;
  /**
   * What continues a Roll back & replay chain (executions whose input carries `replayNext`, and
   * rollback-dataset executions carrying `replay`); without it chains are not continued.
   */
  readonly replays?: ReplayDeps;
  /** The coalesced-load scheduler: a load that ended frees its dataset's slot for the next one. */
  readonly scheduler?: ScheduleDeps;
  /** Where the runs' OpenLineage events go (none: no lineage is sent). */
  readonly lineage?: LineageDeps;
}

export type StatusOutcome =
  | { readonly outcome: 'recorded'; readonly load: LoadRecord }
  | { readonly outcome: 'ignored'; readonly reason: string };

/**
 * A load-dataset execution changed status: record it in the ledger (status, counts, commit,
 * duration, cause, warnings). Transitions are conditional, so a repeated or late event changes
 * nothing, and only the event that actually moves a load to FAILED sends the alert. A load that
 * committed while its savepoint step failed (`$.savepointError` in the execution output) gets a
 * SAVEPOINT_FAILED warning, and, when it succeeded, one Slack warning.
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
  let end: LoadEnd | undefined;
  switch (d.status) {
    case 'RUNNING':
      updated = await deps.ledger.transition(loadId, 'RUNNING', ['REGISTERED'], {
        executionArn: d.executionArn,
        startedAt,
      });
      break;
    case 'SUCCEEDED': {
      const results = await readResults(deps.objects, input.results);
      const warning = await savepointWarning(d, input, results.commitId, deps.objects);
      updated = await deps.ledger.transition(loadId, 'SUCCEEDED', ['REGISTERED', 'RUNNING'], {
        ...timing,
        ...(results.counts ? { counts: results.counts } : {}),
        ...(results.commitId ? { commitId: results.commitId } : {}),
        ...(warning ? { warnings: [warning] } : {}),
      });
      end = { status: 'SUCCEEDED', ...results };
      if (updated && warning) {
        await deps.notifier.notify(
          savepointFailedMessage(updated, warning, alertOptions(updated.dataset, deps)),
        );
      }
      if (updated && input.replayNext) await continueChain(input.replayNext, updated.dataset, deps);
      // Also on a repeated event (the first delivery may have died before this): failed loads this
      // success read again are RESOLVED.
      const now = updated ?? (await deps.ledger.get(loadId));
      if (now?.status === 'SUCCEEDED')
        await resolveFailures(now, {
          ledger: deps.ledger,
          ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
        });
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
      // A commit that reached Silver before a later step failed: is it savepointed? (The failure
      // alert covers the rest: a replay makes a new commit with its own savepoint.)
      const warning = await savepointWarning(d, input, results.commitId, deps.objects);
      updated = await deps.ledger.transition(loadId, status, allowedPredecessors(status), {
        ...timing,
        cause,
        ...(results.counts ? { counts: results.counts } : {}),
        ...(results.commitId ? { commitId: results.commitId } : {}),
        ...(warning ? { warnings: [warning] } : {}),
      });
      end = { status, cause, ...results };
      if (updated && !quality)
        await deps.notifier.notify(loadFailedMessage(updated, alertOptions(updated.dataset, deps)));
      if (updated && input.replayNext && input.replayNext.loads.length > 0)
        await deps.notifier.notify(
          replayChainStoppedMessage(
            { dataset: updated.dataset, why: `${loadId} ended ${status}`, waiting: input.replayNext.loads },
            alertOptions(updated.dataset, deps),
          ),
        );
      break;
    }
    case 'PENDING_REDRIVE':
      return { outcome: 'ignored', reason: 'redrive is not used by lakeplane' };
  }
  // After a replay chain took its next step (it holds the slot then): the dataset's next load.
  // Also on a repeated end event, whose first delivery may have died before it got here.
  if (d.status !== 'RUNNING' && deps.scheduler) await scheduleDataset(input.load.dataset, deps.scheduler);
  // START once, when the ledger records RUNNING (a repeated or late RUNNING sends nothing); an end
  // the ledger records with no RUNNING before it sends the START it missed first.
  if (d.status !== 'RUNNING' || updated)
    await emitLoadLineage(
      event,
      end,
      deps.objects,
      deps.lineage,
      end !== undefined && updated !== undefined && !ranThisAttempt(updated),
    );
  if (!updated)
    return { outcome: 'ignored', reason: `load ${loadId} is unknown or already past ${d.status}` };
  return { outcome: 'recorded', load: updated };
}

/**
 * Whether the ledger saw this attempt RUNNING before its end: no RUNNING since its last
 * REGISTERED means the RUNNING event was lost (or is late), and its run event was never sent.
 */
function ranThisAttempt(load: LoadRecord): boolean {
  const statuses = load.history.map((h) => h.status);
  return statuses.lastIndexOf('RUNNING') > statuses.lastIndexOf('REGISTERED');
}

/** Where an alert about a dataset goes (its contract's `alerts.slack_channel`) and the stage its commands name. */
function alertOptions(
  dataset: string,
  deps: Pick<ExecutionStatusDeps, 'contracts' | 'stage' | 'cli'>,
): { stage?: string; channel?: string; cli?: string } {
  const channel = deps.contracts?.datasets.get(dataset)?.alerts.slackChannel;
  return {
    ...(deps.stage ? { stage: deps.stage } : {}),
    ...(channel ? { channel } : {}),
    ...(deps.cli ? { cli: deps.cli } : {}),
  };
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

/** What the savepoint step left in the artefacts when it failed: the jobs' error result. */
const savepointErrorResult = z.object({ phase: z.literal('savepoint'), error: z.string() });

/**
 * The SAVEPOINT_FAILED warning of an attempt that made `commitId`, or undefined when its
 * savepoint was taken. From the execution output when the event carries it (SavepointSilver's
 * Catch writes `$.savepointError`); else (a failed execution has no output, and a status event
 * leaves out an output too large for it) from the savepoint step's result: no success result of this
 * load and commit means no savepoint. An execution input without the savepoint result's URI
 * (planned before there was one) gives no warning.
 */
async function savepointWarning(
  d: ExecutionStatusChangeEvent['detail'],
  input: z.infer<typeof executionInputShape>,
  commitId: string | undefined,
  objects: ObjectStore,
): Promise<LoadWarning | undefined> {
  if (!commitId) return undefined;
  const load = { commitId, attempt: input.load.attempt };
  const at = new Date(d.stopDate ?? d.startDate);
  const output = parseInput(d.output, executionOutputShape);
  if (output) {
    const caught = output.savepointError;
    return caught
      ? savepointFailedWarning(
          load,
          { error: caught.Error ?? undefined, cause: caught.Cause ?? undefined },
          at,
        )
      : undefined;
  }
  const uri = input.results.savepoint;
  if (!uri) return undefined;
  let doc: unknown;
  try {
    doc = await readJsonArtifact(objects, uri);
  } catch (e) {
    doc = { phase: 'savepoint', error: e instanceof Error ? e.message : String(e) };
  }
  const ok = savepointResult.safeParse(doc);
  if (ok.success && ok.data.loadId === input.load.loadId && ok.data.commitId === commitId) return undefined;
  const failed = savepointErrorResult.safeParse(doc);
  return savepointFailedWarning(
    load,
    failed.success
      ? { error: 'Lakeplane.SavepointFailed', cause: failed.data.error }
      : {
          error: 'Lakeplane.SavepointMissing',
          cause: `no savepoint result of commit ${commitId} at ${uri}: the savepoint step did not finish`,
        },
    at,
  );
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
    ...(stage.objectsRejected ? { objectsRejected: stage.objectsRejected } : {}),
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
        alertOptions(dataset, deps),
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
  if (d.status === 'SUCCEEDED' && !input.rollback.dryRun)
    await recordRollbackResult(input.results.rollback, { rollbackId, dataset, toInstant }, deps);
  // Lineage is a report: a read it needs that fails costs its event, never this status change.
  if (!input.rollback.dryRun)
    await rollbackExecutionLineage(d, input, deps).catch((e: unknown) =>
      deps.lineage?.warn(`lineage: the events of rollback ${rollbackId} could not be built`, e),
    );
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
        alertOptions(dataset, deps),
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

/**
 * A rollback execution on EMR succeeded: the loads whose commits its step reports undone are
 * ROLLED_BACK in the ledger (as the CLI's rollback records them). A result that cannot be read
 * changes nothing: the commits stay as the ledger had them.
 */
async function recordRollbackResult(
  uri: string,
  rollback: { readonly rollbackId: string; readonly dataset: string; readonly toInstant: string },
  deps: ExecutionStatusDeps,
): Promise<void> {
  const doc = await readJsonArtifact(deps.objects, uri).catch(() => undefined);
  const parsed = rollbackStepResult.safeParse(doc);
  if (!parsed.success) return;
  const byCommit = new Map((await datasetCommits(deps.ledger, rollback.dataset)).map((c) => [c.commitId, c]));
  const undoneLoads = parsed.data.commitsRolledBack.flatMap((commitId) => {
    const c = byCommit.get(commitId);
    return c
      ? [{ commitId, loadId: c.loadId, attempt: c.attempt, committedAt: c.committedAt, rollback: false }]
      : [];
  });
  await recordRollback(deps.ledger, {
    undoneLoads,
    revived: [],
    commitId: rollback.rollbackId,
    toCommit: rollback.toInstant,
  });
}

/** The run event of a rollback-dataset execution's status change (not for a dry run: it changes nothing). */
async function rollbackExecutionLineage(
  d: ExecutionStatusChangeEvent['detail'],
  input: z.infer<typeof rollbackInputShape>,
  deps: ExecutionStatusDeps,
): Promise<void> {
  const eventType = eventTypeOf(d.status);
  if (!eventType || !deps.lineage) return;
  const { rollbackId, dataset, toInstant } = input.rollback;
  const result =
    eventType === 'COMPLETE'
      ? rollbackStepResult.safeParse(
          await readJsonArtifact(deps.objects, input.results.rollback).catch(() => undefined),
        )
      : undefined;
  const gold =
    eventType === 'COMPLETE' && input.results.gold
      ? goldResult.safeParse(await readJsonArtifact(deps.objects, input.results.gold).catch(() => undefined))
      : undefined;
  const commits = result?.success
    ? new Map((await datasetCommits(deps.ledger, dataset)).map((c) => [c.commitId, c]))
    : undefined;
  await emitRollbackLineage(deps.lineage, {
    dataset,
    rollbackId,
    parent: { executionArn: d.executionArn },
    eventType,
    eventTime: eventTimeOf(d, eventType),
    target: { toCommit: toInstant },
    ...(result?.success
      ? {
          rowsChanged: result.data.restored + result.data.reverted + result.data.removed,
          rowsAfter: result.data.rowsAfter,
          undoneLoads: result.data.commitsRolledBack.map((commitId) => ({
            commitId,
            loadId: commits?.get(commitId)?.loadId ?? 'unknown',
          })),
        }
      : {}),
    ...(gold?.success ? { gold: gold.data.tables } : {}),
    ...(eventType === 'FAIL' || eventType === 'ABORT'
      ? {
          error: d.cause
            ? describeFailure(d.error ?? undefined, d.cause)
            : { error: `States.${d.status}`, message: `the rollback ended ${d.status}` },
        }
      : {}),
  });
}
