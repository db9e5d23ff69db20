import type { ContractSet } from '../core/contract/parse.js';
import type { DatasetContract } from '../core/contract/types.js';
import { type LoadRecord, REPLAYABLE_STATUSES } from '../core/load.js';
import { type LakeLayout, type LoadExecutionInput, planLoad, type ReplayChain } from '../core/plan.js';
import type { Ledger, LoadUpdate, Orchestrator } from '../ports.js';
import { executionName } from './object-landed.js';
import { FINAL_STATUSES, type ScheduleDeps, takeSlot } from './schedule-loads.js';

export interface ReplayDeps {
  readonly contracts: ContractSet;
  readonly ledger: Ledger;
  readonly orchestrator: Orchestrator;
  readonly layout: LakeLayout;
  /** The dataset slots of coalesced loads: a replay runs only while no other load of its dataset does. */
  readonly scheduler?: Pick<ScheduleDeps, 'slots' | 'loads' | 'pending'>;
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
        : load.status === 'RESOLVED'
          ? `it is RESOLVED: load ${load.resolvedBy ?? '(unknown)'} read its object key${load.manifest && load.manifest.objects > 1 ? 's' : ''} again and succeeded, so nothing is left to do (replaying it would bring the older version back)`
          : load.status === 'ROLLED_BACK'
            ? `it is ROLLED_BACK: a rollback${load.rolledBackBy ? ` (commit ${load.rolledBackBy})` : ''} took its commit out of Silver. To load that data again, land the corrected file (or the same file) again: it makes a new load`
            : `it is ${load.status}; only a FAILED or FAILED_QUALITY load can be replayed`;
    return { outcome: 'refused', reason: `load ${loadId} was not replayed: ${why}` };
  }
  const contract = deps.contracts.datasets.get(load.dataset);
  if (!contract)
    return {
      outcome: 'refused',
      reason: `dataset ${load.dataset} of load ${loadId} has no contract any more`,
    };
  const newer = await supersededBy(load, deps);
  if (newer) {
    return {
      outcome: 'refused',
      reason: `load ${loadId} was not replayed: it is superseded by load ${newer.load.loadId} of the same object key (${newer.key}), which succeeded later; replaying it would bring back the older version. Land corrected files for what it still lacks`,
    };
  }
  const attempt = load.attempts + 1;
  if (options.dryRun) {
    return {
      outcome: 'would-start',
      load,
      attempt,
      source: describeInput(load),
    };
  }
  return startAttempt(load, contract, deps, {
    from: REPLAYABLE_STATUSES,
    note: `replay, attempt ${attempt}`,
    notMoved: () => `load ${loadId} is being replayed already`,
    replayNext: options.replayNext,
  });
}

/** What a load reads, in words: its manifest, or the one object of a load from before manifests. */
export function describeInput(load: LoadRecord): string {
  if (load.manifest)
    return `the manifest ${load.manifest.uri} (${load.manifest.objects} object${load.manifest.objects === 1 ? '' : 's'}, first s3://${load.source.bucket}/${load.source.key})`;
  return `s3://${load.source.bucket}/${load.source.key} (version ${load.source.versionId ?? 'current'})`;
}

/**
 * Starts the next attempt of a load (a replay): takes its dataset's slot (no other load of the
 * dataset in flight), moves the load back to REGISTERED (a conditional write, so of two concurrent
 * replays exactly one starts) and starts `<load id>-a<attempt>` on the same input.
 */
export async function startAttempt(
  load: LoadRecord,
  contract: DatasetContract,
  deps: ReplayDeps,
  how: {
    readonly from: readonly LoadRecord['status'][];
    readonly note: string;
    readonly notMoved: () => Promise<string> | string;
    readonly replayNext?: ReplayChain | undefined;
  },
): Promise<ReplayOutcome> {
  const { loadId } = load;
  const attempt = load.attempts + 1;
  if (deps.scheduler) {
    const slot = await takeSlot(load.dataset, loadId, deps.scheduler);
    if (!slot.taken)
      return {
        outcome: 'refused',
        reason: `load ${loadId} was not replayed: load ${slot.inFlight} of ${load.dataset} is in flight, and a dataset runs one load at a time; replay it when that one has ended (\`lakeplane loads show ${slot.inFlight}\`)`,
      };
  }
  const name = executionName(loadId, attempt);
  const moved = await deps.ledger.transition(
    loadId,
    'REGISTERED',
    how.from,
    newAttempt(attempt, name),
    how.note,
  );
  if (!moved) {
    // Let the slot go unless a concurrent replay of this load moved it first (its attempt holds it).
    const now = await deps.scheduler?.loads.status(loadId);
    if (deps.scheduler && (now === undefined || FINAL_STATUSES.has(now)))
      await deps.scheduler.slots.release(load.dataset, loadId);
    return { outcome: 'refused', reason: await how.notMoved() };
  }
  const input = withChain(
    planLoad(contract, { loadId, source: load.source, manifest: load.manifest, attempt }, deps.layout),
    how.replayNext,
  );
  const started = await deps.orchestrator.startExecution(name, input);
  return { outcome: 'started', load: moved, executionArn: started.executionArn };
}

/**
 * A later load of one of the load's object keys that succeeded: replaying the older version would
 * bring back data an engineer already replaced (event-time ordering would keep newer rows, but
 * deletes and corrections in the newer file would be undone for keys it no longer carries). A
 * coalesced load is checked object by object: every key of its manifest, through the scheduler's
 * record of which load took each later version of that key.
 */
async function supersededBy(
  load: LoadRecord,
  deps: Pick<ReplayDeps, 'ledger' | 'scheduler'>,
): Promise<{ load: LoadRecord; key: string } | undefined> {
  const later = await deps.ledger.list({ dataset: load.dataset, since: load.registeredAt, limit: 10_000 });
  const sameKey = later.find(
    (l) =>
      l.loadId !== load.loadId &&
      l.status === 'SUCCEEDED' &&
      l.source.bucket === load.source.bucket &&
      l.source.key === load.source.key &&
      l.registeredAt > load.registeredAt,
  );
  if (sameKey) return { load: sameKey, key: sameKey.source.key };
  const scheduler = deps.scheduler;
  if (!load.manifest || !scheduler) return undefined;
  const manifest = await scheduler.loads.manifest(load.dataset, load.loadId);
  // 25 keys at a time: the SDK's default socket pool.
  const objects = manifest?.objects ?? [];
  for (let i = 0; i < objects.length; i += 25) {
    const found = await Promise.all(
      objects.slice(i, i + 25).map(async (o) => {
        const versions = await scheduler.pending.byKey(load.dataset, o.bucket, o.key);
        for (const v of versions) {
          if (!v.loadId || v.loadId === load.loadId || v.object.landedAt <= o.landedAt) continue;
          const other = await deps.ledger.get(v.loadId);
          if (other?.status === 'SUCCEEDED') return { load: other, key: o.key };
        }
        return undefined;
      }),
    );
    const hit = found.find((f) => f !== undefined);
    if (hit) return hit;
  }
  return undefined;
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
    resolvedBy: null,
    rolledBackBy: null,
    finishedAt: null,
    durationMs: null,
  };
}
