/**
 * Roll back & replay from Slack on AWS, without anyone waiting: slack-actions starts a
 * rollback-dataset execution that carries the loads to replay; when it succeeds, load-events
 * replays the first of them with the rest in its execution input; each load that succeeds
 * starts the next. A load that fails stops the chain, and the alert says which loads wait.
 */
import { RollbackTargetError, rollbackInstant } from '../core/commit-timeline.js';
import type { ContractSet } from '../core/contract/parse.js';
import { type LakeLayout, planRollback, type ReplayChain } from '../core/plan.js';
import type { Ledger, Orchestrator } from '../ports.js';
import { type ReplayDeps, type ReplayOutcome, replayLoad } from './replay.js';
import { loadsInFlight, noCommitToRollBack, replayUndoneLoad } from './rollback.js';
import { datasetCommits, rollbackIdOf } from './rollback-on-emr.js';
import type { RollbackAndReplayOutcome } from './slack-action.js';

export interface RollbackChainDeps {
  readonly ledger: Ledger;
  readonly contracts: ContractSet;
  /** Starts rollback-dataset executions. */
  readonly rollbacks: Orchestrator;
  readonly layout: LakeLayout;
  readonly now: () => Date;
}

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
    return { outcome: 'refused', reason: noCommitToRollBack(loadId, dataset, load?.status) };
  const busy = await loadsInFlight(deps.ledger, dataset);
  if (busy) return { outcome: 'refused', reason: `${busy}; press again when they are done` };
  const commits = await datasetCommits(deps.ledger, dataset);
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
    load.status === 'SUCCEEDED' || load.status === 'ROLLED_BACK'
      ? await replayUndoneLoad(load, after, deps, replayNext)
      : await replayLoad(next, deps, { replayNext });
  return { loadId: next, outcome };
}
