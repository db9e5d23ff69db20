/**
 * Roll back & replay from Slack on AWS, without anyone waiting: slack-actions starts a
 * rollback-dataset execution that carries the loads to replay; when it succeeds, load-events
 * replays the first of them with the rest in its execution input; each load that succeeds
 * starts the next. A load that fails stops the chain, and the alert says which loads wait.
 */
import { ledgerCommits, RollbackTargetError, rollbackInstant } from '../core/commit-timeline.js';
import type { ContractSet } from '../core/contract/parse.js';
import type { LoadStatus } from '../core/load.js';
import { type LakeLayout, planRollback, type ReplayChain } from '../core/plan.js';
import type { Ledger, Orchestrator } from '../ports.js';
import { type ReplayDeps, type ReplayOutcome, replayLoad } from './replay.js';
import { replayUndoneLoad } from './rollback.js';
import { rollbackIdOf } from './rollback-on-emr.js';
import type { RollbackAndReplayOutcome } from './slack-action.js';

export interface RollbackChainDeps {
  readonly ledger: Ledger;
  readonly contracts: ContractSet;
  /** Starts rollback-dataset executions. */
  readonly rollbacks: Orchestrator;
  readonly layout: LakeLayout;
  readonly now: () => Date;
}

const IN_FLIGHT: readonly LoadStatus[] = ['REGISTERED', 'RUNNING'];
const LEDGER_SCAN = 1000;

/**
 * Starts the rollback of `dataset` to right before `loadId`'s commit, carrying the replays: the
 * load itself first (its commit goes), then every later load whose commit the rollback undoes,
 * in commit order. Answers at once; the loads' alerts tell the rest.
 */
export async function startRollbackAndReplay(
  loadId: string,
  dataset: string,
  deps: RollbackChainDeps,
): Promise<RollbackAndReplayOutcome> {
  const contract = deps.contracts.datasets.get(dataset);
  if (!contract) return { outcome: 'refused', reason: `no dataset named ${dataset}` };
  const load = await deps.ledger.get(loadId);
  if (!load?.commitId)
    return {
      outcome: 'refused',
      reason: `load ${loadId} left no commit in silver.${dataset} (it is ${load?.status ?? 'unknown'}): there is nothing to roll back, press Replay`,
    };
  const loads = await deps.ledger.list({ dataset, limit: LEDGER_SCAN });
  const busy = loads.filter((l) => IN_FLIGHT.includes(l.status));
  if (busy.length > 0)
    return {
      outcome: 'refused',
      reason: `${dataset} has loads in flight (${busy.map((l) => `${l.loadId} ${l.status}`).join(', ')}); press again when they are done`,
    };
  const commits = ledgerCommits(loads);
  let toInstant: string;
  try {
    toInstant = rollbackInstant(dataset, commits, { beforeLoad: loadId }, load.status);
  } catch (e) {
    if (e instanceof RollbackTargetError) return { outcome: 'refused', reason: e.message };
    throw e;
  }
  const at = commits.findIndex((c) => c.loadId === loadId);
  const chain: ReplayChain = {
    loads: commits.slice(at).map((c) => c.loadId),
    reason: `roll back & replay of ${loadId}`,
  };
  const rollbackId = rollbackIdOf(dataset, toInstant, deps.now());
  const started = await deps.rollbacks.startExecution(
    rollbackId,
    planRollback(contract, { rollbackId, toInstant, dryRun: false, replay: chain }, deps.layout),
  );
  return {
    outcome: 'started',
    executionArn: started.executionArn,
    detail: `silver.${dataset} goes back to commit ${toInstant} (rollback ${rollbackId}), then ${chain.loads.join(', ')} run again in this order`,
  };
}

/**
 * Replays the first load of a chain, handing it the rest: a load that had succeeded (its commit
 * was undone) as replayUndoneLoad does, a failed one as replayLoad does.
 */
export async function continueReplayChain(
  chain: ReplayChain,
  deps: ReplayDeps,
  after: { readonly toCommit: string; readonly commitId?: string },
): Promise<{ readonly loadId: string; readonly outcome: ReplayOutcome } | undefined> {
  const [next, ...rest] = chain.loads;
  if (!next) return undefined;
  const replayNext = { loads: rest, reason: chain.reason };
  const load = await deps.ledger.get(next);
  if (!load)
    return { loadId: next, outcome: { outcome: 'refused', reason: `load ${next} is not in the ledger` } };
  const outcome =
    load.status === 'SUCCEEDED'
      ? await replayUndoneLoad(load, after, deps, replayNext)
      : await replayLoad(next, deps, { replayNext });
  return { loadId: next, outcome };
}
