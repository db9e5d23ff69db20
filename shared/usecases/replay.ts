import type { ContractSet } from '../core/contract/parse.js';
import { type LoadRecord, REPLAYABLE_STATUSES } from '../core/load.js';
import { type LakeLayout, planLoad } from '../core/plan.js';
import type { Ledger, Orchestrator } from '../ports.js';
import { executionName } from './object-landed.js';

export interface ReplayDeps {
  readonly contracts: ContractSet;
  readonly ledger: Ledger;
  readonly orchestrator: Orchestrator;
  readonly layout: LakeLayout;
}

export type ReplayOutcome =
  | { readonly outcome: 'started'; readonly load: LoadRecord; readonly executionArn: string }
  | { readonly outcome: 'refused'; readonly reason: string };

/**
 * Runs a failed load again: the same Bronze object version, as a new attempt with its own
 * execution (`<load id>-a<attempt>`). The move from FAILED back to REGISTERED is a
 * conditional write, so of two concurrent replays of one load exactly one starts.
 */
export async function replayLoad(loadId: string, deps: ReplayDeps): Promise<ReplayOutcome> {
  const load = await deps.ledger.get(loadId);
  if (!load) return { outcome: 'refused', reason: `no load ${loadId}; list loads with \`lakeplane loads\`` };
  if (!REPLAYABLE_STATUSES.includes(load.status)) {
    const why =
      load.status === 'SUCCEEDED'
        ? 'it succeeded; replaying it would change nothing'
        : `it is ${load.status}; only a FAILED or FAILED_QUALITY load can be replayed`;
    return { outcome: 'refused', reason: `load ${loadId} was not replayed: ${why}` };
  }
  const contract = deps.contracts.datasets.get(load.dataset);
  if (!contract)
    return {
      outcome: 'refused',
      reason: `dataset ${load.dataset} of load ${loadId} has no contract any more`,
    };
  const attempt = load.attempts + 1;
  const name = executionName(loadId, attempt);
  const moved = await deps.ledger.transition(
    loadId,
    'REGISTERED',
    REPLAYABLE_STATUSES,
    {
      attempts: attempt,
      executionName: name,
      // What the failed attempt left behind is in its history and its run artefacts.
      cause: null,
      counts: null,
      commitId: null,
      finishedAt: null,
      durationMs: null,
    },
    `replay, attempt ${attempt}`,
  );
  if (!moved) return { outcome: 'refused', reason: `load ${loadId} is being replayed already` };
  const input = planLoad(contract, { loadId, source: load.source, attempt }, deps.layout);
  const started = await deps.orchestrator.startExecution(name, input);
  return { outcome: 'started', load: moved, executionArn: started.executionArn };
}
