import type { ContractSet } from '../core/contract/parse.js';
import { type LoadRecord, REPLAYABLE_STATUSES } from '../core/load.js';
import { type LakeLayout, type LoadExecutionInput, planLoad, type ReplayChain } from '../core/plan.js';
import type { Ledger, LoadUpdate, Orchestrator } from '../ports.js';
import { executionName } from './object-landed.js';

export interface ReplayDeps {
  readonly contracts: ContractSet;
  readonly ledger: Ledger;
  readonly orchestrator: Orchestrator;
  readonly layout: LakeLayout;
}

export type ReplayOutcome =
  | { readonly outcome: 'started'; readonly load: LoadRecord; readonly executionArn: string }
  | {
      readonly outcome: 'would-start';
      readonly load: LoadRecord;
      readonly attempt: number;
      readonly source: string;
    }
  | { readonly outcome: 'refused'; readonly reason: string };

export interface ReplayOptions {
  /** Say what would happen; change nothing. */
  readonly dryRun?: boolean;
  /** Loads to replay after this one succeeds (carried in its execution input). */
  readonly replayNext?: ReplayChain;
}

/**
 * Runs a failed load again: the same Bronze object version, as a new attempt with its own
 * execution (`<load id>-a<attempt>`). The move from FAILED back to REGISTERED is a
 * conditional write, so of two concurrent replays of one load exactly one starts.
 */
export async function replayLoad(
  loadId: string,
  deps: ReplayDeps,
  options: ReplayOptions = {},
): Promise<ReplayOutcome> {
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
  const newer = await supersededBy(load, deps.ledger);
  if (newer) {
    return {
      outcome: 'refused',
      reason: `load ${loadId} was not replayed: it is superseded by load ${newer.loadId} of the same object key (${newer.source.key}), which succeeded later; replay that one, or land a corrected file`,
    };
  }
  const attempt = load.attempts + 1;
  if (options.dryRun) {
    return {
      outcome: 'would-start',
      load,
      attempt,
      source: `s3://${load.source.bucket}/${load.source.key} (version ${load.source.versionId ?? 'current'})`,
    };
  }
  const name = executionName(loadId, attempt);
  const moved = await deps.ledger.transition(
    loadId,
    'REGISTERED',
    REPLAYABLE_STATUSES,
    newAttempt(attempt, name),
    `replay, attempt ${attempt}`,
  );
  if (!moved) return { outcome: 'refused', reason: `load ${loadId} is being replayed already` };
  const input = withChain(
    planLoad(contract, { loadId, source: load.source, attempt }, deps.layout),
    options.replayNext,
  );
  const started = await deps.orchestrator.startExecution(name, input);
  return { outcome: 'started', load: moved, executionArn: started.executionArn };
}

/**
 * A later load of the same object key that succeeded: replaying the older version would bring
 * back data an engineer already replaced (event-time ordering would keep newer rows, but
 * deletes and corrections in the newer file would be undone for keys it no longer carries).
 */
async function supersededBy(load: LoadRecord, ledger: Ledger): Promise<LoadRecord | undefined> {
  const later = await ledger.list({ dataset: load.dataset, since: load.registeredAt, limit: 10_000 });
  return later.find(
    (l) =>
      l.loadId !== load.loadId &&
      l.status === 'SUCCEEDED' &&
      l.source.bucket === load.source.bucket &&
      l.source.key === load.source.key &&
      l.registeredAt > load.registeredAt,
  );
}

/** The failed loads a bulk replay takes: oldest first (landing order). */
export async function replayCandidates(
  ledger: Ledger,
  query: { dataset?: string; status: 'FAILED' | 'FAILED_QUALITY'; since?: string },
): Promise<LoadRecord[]> {
  const loads = await ledger.list({ ...query, limit: 100_000 });
  return loads.sort((a, b) =>
    a.registeredAt < b.registeredAt ? -1 : a.registeredAt > b.registeredAt ? 1 : 0,
  );
}

/**
 * The ledger fields of a new attempt of a load: its number and execution name; what the previous
 * attempt left behind (cause, counts, commit, its warnings, timing) is cleared — it stays in the history and in
 * that attempt's run artefacts.
 */
/** The execution input with the chain to continue after it, when there is one. */
export function withChain(input: LoadExecutionInput, chain: ReplayChain | undefined): LoadExecutionInput {
  // Not a `then` field: an object with a `then` method-like key is awaited as a promise.
  return chain && chain.loads.length > 0 ? { ...input, replayNext: chain } : input;
}

export function newAttempt(attempt: number, executionName: string): LoadUpdate {
  return {
    attempts: attempt,
    executionName,
    cause: null,
    counts: null,
    commitId: null,
    warnings: null,
    finishedAt: null,
    durationMs: null,
  };
}
