import type { ContractSet } from '../core/contract/parse.js';
import type { DatasetContract } from '../core/contract/types.js';
import { type LoadRecord, type LoadStatus, ROLLBACK_REPLAYABLE_STATUSES } from '../core/load.js';
import type { ReplayChain } from '../core/plan.js';
import type { Ledger, LoadUpdate } from '../ports.js';
import { emitRollbackLineage, type LineageDeps } from './lineage.js';
import { type ReplayDeps, type ReplayOutcome, replayLoad, startAttempt } from './replay.js';

/**
 * Where a rollback returns a dataset's Silver table to: the state right after a commit, or the
 * state right before a load's commit (= right after the commit preceding it).
 */
export type RollbackTarget = { readonly toCommit: string } | { readonly beforeLoad: string };

/** A commit whose changes a rollback takes out of Silver (or, for `revived`, brings back). */
export interface UndoneCommit {
  readonly commitId: string;
  readonly loadId: string;
  readonly attempt: number;
  readonly committedAt: string;
  /** The commit was itself a rollback (it is undone, but there is no load to replay). */
  readonly rollback: boolean;
}

/** What a rollback did, or on a dry run what it would do. */
export interface RollbackReport {
  readonly dataset: string;
  readonly dryRun: boolean;
  /** Silver returns to the state right after this commit (`start`: before the first commit, empty). */
  readonly toCommit: string;
  /** The rollback's own commit in the timeline (absent on a dry run). */
  readonly commitId?: string;
  readonly rowsBefore: number;
  readonly rowsAfter: number;
  /** Rows that come back (an undone commit had deleted them). */
  readonly restored: number;
  /** Rows set back to their earlier values. */
  readonly reverted: number;
  /** Rows that go (an undone commit had inserted them). */
  readonly removed: number;
  /** Columns an undone commit had added, dropped again. */
  readonly columnsDropped: readonly string[];
  /** Columns an undone rollback had dropped, back again. */
  readonly columnsRestored: readonly string[];
  /** Commits whose changes are taken out, in commit order. */
  readonly undone: readonly UndoneCommit[];
  /** The loads among them, in commit order: what a replay re-applies. */
  readonly undoneLoads: readonly UndoneCommit[];
  /**
   * Commits whose changes come back: a rollback to a point that an earlier rollback had undone
   * (in commit order; empty in the usual case).
   */
  readonly revived: readonly UndoneCommit[];
  /** Gold tables of the dataset rebuilt in the same transaction (none on a dry run). */
  readonly gold: readonly { readonly name: string; readonly rows: number }[];
}

/** The engine side of a rollback (the local DuckDB warehouse; a Hudi restore on EMR). */
export interface RollbackEngine {
  rollback(
    contract: DatasetContract,
    target: RollbackTarget,
    options?: { readonly dryRun?: boolean },
  ): Promise<RollbackReport>;
}

export interface RollbackDeps {
  readonly engine: RollbackEngine;
  readonly ledger: Ledger;
  readonly contracts: ContractSet;
  /**
   * Starts a new attempt of a load whose commit was undone (same Bronze object version); see
   * {@link replayUndoneLoad} for the implementation over the ledger and the orchestrator.
   */
  readonly replayUndone: (load: LoadRecord, report: RollbackReport) => Promise<ReplayOutcome>;
  /**
   * Starts a new attempt of the load of a `beforeLoad` target (a failed load whose commit was
   * undone); needed only with {@link RollbackOptions.replayTarget}.
   */
  readonly replayTarget?: (load: LoadRecord) => Promise<ReplayOutcome>;
  /** Where the rollback's run events go, when it sends them itself (the local runtime). */
  readonly lineage?: LineageDeps;
}

export interface RollbackOptions {
  readonly dryRun?: boolean;
  /** Re-apply the undone loads afterwards (except the bad one), in their original commit order. */
  readonly replayAfter?: boolean;
  /** Further loads not to replay (the load of a `beforeLoad` target is not replayed, unless `replayTarget`). */
  readonly skip?: readonly string[];
  /**
   * With `replayAfter` and a `beforeLoad` target: replay that load too, first (Slack's "Roll back
   * & replay" of a failed load whose commit is in Silver: take it out, run it again, then the rest).
   */
  readonly replayTarget?: boolean;
  /**
   * Called after each replay is started, in commit order; the local runtime waits there for the
   * load to finish, so the loads commit again in their original order. When given, a replayed
   * load that did not succeed stops the replays that follow it.
   */
  readonly afterEach?: (load: LoadRecord) => Promise<void>;
}

/** One undone load and what became of it. */
export type ReplayStep =
  | {
      readonly loadId: string;
      readonly outcome: 'started';
      readonly attempt: number;
      readonly status?: LoadStatus;
    }
  | { readonly loadId: string; readonly outcome: 'skipped'; readonly reason: string }
  | { readonly loadId: string; readonly outcome: 'refused'; readonly reason: string }
  | { readonly loadId: string; readonly outcome: 'not-started'; readonly reason: string };

export interface RollbackOutcome {
  readonly report: RollbackReport;
  /** Each undone load in commit order; on a dry run, what would be replayed or skipped. */
  readonly replays: readonly ReplayStep[];
}

/** A rollback cannot start (loads of the dataset in flight, a load of another dataset). */
export class RollbackRefusedError extends Error {
  override readonly name = 'RollbackRefusedError';
}

const IN_FLIGHT: readonly LoadStatus[] = ['REGISTERED', 'RUNNING'];

/**
 * Why a dataset cannot be rolled back now, or undefined: a load registered or running could
 * commit on either side of the rollback.
 */
export async function loadsInFlight(ledger: Ledger, dataset: string): Promise<string | undefined> {
  const busy: LoadRecord[] = [];
  for (const status of IN_FLIGHT) busy.push(...(await ledger.list({ dataset, status, limit: 10 })));
  if (busy.length === 0) return undefined;
  return `${dataset} has loads in flight (${busy.map((l) => `${l.loadId} ${l.status}`).join(', ')})`;
}

/**
 * Rolls a dataset's Silver table back (and rebuilds its Gold) in one engine transaction, then
 * optionally replays the loads whose commits were undone, except the bad one, oldest first.
 * Refuses while a load of the dataset is registered or running: its commit could land on
 * either side of the rollback.
 */
export async function rollbackDataset(
  dataset: string,
  target: RollbackTarget,
  deps: RollbackDeps,
  options: RollbackOptions = {},
): Promise<RollbackOutcome> {
  const contract = deps.contracts.datasets.get(dataset);
  if (!contract) {
    throw new RollbackRefusedError(
      `no dataset named "${dataset}"; known datasets: ${[...deps.contracts.datasets.keys()].join(', ')}`,
    );
  }
  const bad = 'beforeLoad' in target ? target.beforeLoad : undefined;
  if (bad) {
    const load = await deps.ledger.get(bad);
    if (load && load.dataset !== dataset) {
      throw new RollbackRefusedError(`load ${bad} belongs to dataset ${load.dataset}, not ${dataset}`);
    }
  }
  if (!options.dryRun) {
    const busy = await loadsInFlight(deps.ledger, dataset);
    if (busy)
      throw new RollbackRefusedError(
        `${busy}; wait for them to finish, or pause the dataset, and roll back then`,
      );
  }
  const report = options.dryRun
    ? await deps.engine.rollback(contract, target, { dryRun: true })
    : await rollbackWithLineage(contract, target, deps);
  if (!options.dryRun) await recordRollback(deps.ledger, report);
  if (!options.replayAfter) return { report, replays: [] };

  const replayBad = Boolean(bad && options.replayTarget && deps.replayTarget);
  const skip = new Set([...(bad && !replayBad ? [bad] : []), ...(options.skip ?? [])]);
  const replays: ReplayStep[] = [];
  let stopped: string | undefined;
  for (const undone of report.undoneLoads) {
    const loadId = undone.loadId;
    if (skip.has(loadId)) {
      replays.push({
        loadId,
        outcome: 'skipped',
        reason: loadId === bad ? 'the load rolled back' : 'asked not to replay it',
      });
      continue;
    }
    if (replays.some((r) => r.loadId === loadId)) continue;
    if (stopped) {
      replays.push({ loadId, outcome: 'not-started', reason: stopped });
      continue;
    }
    if (options.dryRun) {
      replays.push({ loadId, outcome: 'not-started', reason: 'dry run: would be replayed' });
      continue;
    }
    const load = await deps.ledger.get(loadId);
    // The failed load of the target runs again as a failed load does; the others were undone.
    const start =
      loadId === bad && deps.replayTarget
        ? deps.replayTarget
        : (l: LoadRecord) => deps.replayUndone(l, report);
    const outcome: ReplayOutcome = load
      ? await start(load)
      : { outcome: 'refused', reason: `load ${loadId} is not in the ledger` };
    if (outcome.outcome === 'refused') {
      replays.push({ loadId, outcome: 'refused', reason: outcome.reason });
      stopped = `not replayed: the replay of ${loadId} before it was refused, and loads re-apply in order`;
      continue;
    }
    let status: LoadStatus | undefined;
    if (options.afterEach) {
      await options.afterEach(outcome.load);
      status = (await deps.ledger.get(loadId))?.status;
      if (status === 'FAILED' || status === 'FAILED_QUALITY') {
        stopped = `not replayed: the replay of ${loadId} before it ended ${status}, and loads re-apply in order`;
      }
    }
    replays.push({
      loadId,
      outcome: 'started',
      attempt: outcome.load.attempts,
      ...(status ? { status } : {}),
    });
  }
  return { report, replays };
}

/**
 * The engine's rollback between its run's START and COMPLETE (or FAIL) lineage events, when this
 * place sends them (locally; on a stage load-events sends them from the rollback-dataset execution).
 */
async function rollbackWithLineage(
  contract: DatasetContract,
  target: RollbackTarget,
  deps: RollbackDeps,
): Promise<RollbackReport> {
  const startedAt = new Date().toISOString();
  const run = { dataset: contract.name, rollbackId: `rollback-${startedAt}`, target };
  await emitRollbackLineage(deps.lineage, { ...run, eventType: 'START', eventTime: startedAt });
  let report: RollbackReport;
  try {
    report = await deps.engine.rollback(contract, target, { dryRun: false });
  } catch (e) {
    await emitRollbackLineage(deps.lineage, {
      ...run,
      eventType: 'FAIL',
      eventTime: new Date().toISOString(),
      error: {
        error: e instanceof Error ? e.name : 'Error',
        message: e instanceof Error ? e.message : String(e),
      },
    });
    throw e;
  }
  await emitRollbackLineage(deps.lineage, {
    ...run,
    target: { toCommit: report.toCommit },
    eventType: 'COMPLETE',
    eventTime: new Date().toISOString(),
    ...(report.commitId ? { commitId: report.commitId } : {}),
    undoneLoads: report.undoneLoads.map((u) => ({ loadId: u.loadId, commitId: u.commitId })),
    rowsChanged: report.restored + report.reverted + report.removed,
    rowsAfter: report.rowsAfter,
    gold: report.gold,
  });
  return report;
}

/**
 * The rollback dependencies over an engine and the replay dependencies of a place (the local
 * runtime, a deployed stage): undone loads replay as replayUndoneLoad, a failed target load
 * (`replayTarget`) as replayLoad.
 */
export function rollbackDepsOver(engine: RollbackEngine, replay: ReplayDeps): RollbackDeps {
  return {
    engine,
    ledger: replay.ledger,
    contracts: replay.contracts,
    replayUndone: (load, report) => replayUndoneLoad(load, report, replay),
    replayTarget: (load) => replayLoad(load.loadId, replay),
  };
}

/**
 * Writes what a rollback did in the ledger: each load whose commit it undid and that had succeeded
 * is ROLLED_BACK (by the rollback's commit), so `loads show` no longer says SUCCEEDED and landing
 * its file again makes a new load; a load whose commit came back (a rollback to a point an earlier
 * rollback undid) is SUCCEEDED again. Conditional writes: running it twice changes nothing more.
 */
export async function recordRollback(
  ledger: Ledger,
  report: Pick<RollbackReport, 'undoneLoads' | 'revived' | 'commitId' | 'toCommit'>,
): Promise<void> {
  const by = report.commitId ? `rollback ${report.commitId}` : 'a rollback';
  // Only the attempt whose commit it was: a later attempt's commit is another commit.
  const move = async (
    c: UndoneCommit,
    to: LoadStatus,
    from: LoadStatus,
    update: LoadUpdate,
    note: string,
  ): Promise<void> => {
    if (c.rollback || !c.loadId || (await ledger.get(c.loadId))?.commitId !== c.commitId) return;
    await ledger.transition(c.loadId, to, [from], update, note);
  };
  for (const undone of report.undoneLoads)
    await move(
      undone,
      'ROLLED_BACK',
      'SUCCEEDED',
      report.commitId ? { rolledBackBy: report.commitId } : {},
      `its commit ${undone.commitId} was taken out of Silver by ${by} to ${report.toCommit}`,
    );
  for (const back of report.revived)
    await move(
      back,
      'SUCCEEDED',
      'ROLLED_BACK',
      { rolledBackBy: null },
      `its commit ${back.commitId} is in Silver again: ${by} returned to ${report.toCommit}`,
    );
}

/** Why a Roll back & replay of a load without a commit in Silver does nothing. */
export function noCommitToRollBack(loadId: string, dataset: string, status: string | undefined): string {
  return `load ${loadId} left no commit in silver.${dataset} (it is ${status ?? 'unknown'}): there is nothing to roll back, press Replay`;
}

/**
 * Replays a load whose commit a rollback undid: the same Bronze object version as a new attempt
 * with its own execution (`<load id>-a<attempt>`), as `replayLoad` does for a failed load.
 * The move ROLLED_BACK (or SUCCEEDED, before the rollback is recorded) → REGISTERED is a
 * conditional write, so a load is replayed once.
 */
export async function replayUndoneLoad(
  load: LoadRecord,
  report: Pick<RollbackReport, 'commitId' | 'toCommit'>,
  deps: ReplayDeps,
  replayNext?: ReplayChain,
): Promise<ReplayOutcome> {
  const from = ROLLBACK_REPLAYABLE_STATUSES;
  const contract = deps.contracts.datasets.get(load.dataset);
  if (!contract) {
    return {
      outcome: 'refused',
      reason: `dataset ${load.dataset} of load ${load.loadId} has no contract any more`,
    };
  }
  return startAttempt(load, contract, deps, {
    from,
    note: `replay after the rollback${report.commitId ? ` (commit ${report.commitId})` : ''} to ${report.toCommit}, attempt ${load.attempts + 1}`,
    notMoved: async () => {
      const now = await deps.ledger.get(load.loadId);
      return `load ${load.loadId} was not replayed: it is ${now?.status ?? 'gone'}, not ROLLED_BACK`;
    },
    replayNext,
  });
}
