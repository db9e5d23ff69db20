import type { ContractSet } from '../core/contract/parse.js';
import type { LoadRecord } from '../core/load.js';
import { type LakeLayout, planLoad } from '../core/plan.js';
import type { DatasetControl, DatasetState, Ledger, Orchestrator } from '../ports.js';
import { executionName } from './object-landed.js';
import { type ScheduleDeps, scheduleDataset, takeSlot } from './schedule-loads.js';

export interface ResumeDeps {
  readonly contracts: ContractSet;
  readonly control: DatasetControl;
  readonly ledger: Ledger;
  readonly orchestrator: Orchestrator;
  readonly layout: LakeLayout;
  /** The coalesced-load scheduler: the objects that waited run once the dataset is resumed. */
  readonly scheduler?: ScheduleDeps;
}

export interface ResumeOptions {
  /** Who resumes (recorded with the state). */
  readonly by: string;
  /** The Bronze table version the engineer accepts as the dataset's schema. */
  readonly acceptedSchemaVersion?: string;
  /**
   * Called after each load is started, in landing order; the local runtime waits there for the
   * load to finish, so loads commit in the order they landed.
   */
  readonly afterStart?: (load: LoadRecord) => Promise<void>;
}

export interface ResumeOutcome {
  /** The dataset's state: still paused when held loads wait for a load in flight. */
  readonly state: DatasetState;
  readonly started: LoadRecord[];
  /** Held loads (from before coalescing) that wait for the load in flight: run resume again after it. */
  readonly waiting?: { readonly inFlight: string; readonly held: number };
}

/**
 * Resumes a paused dataset. Its pending objects (a paused dataset keeps every object that lands
 * pending) then run through the scheduler, in landing order. Loads HELD by a pause from before
 * coalesced loads start first, oldest first, each taking the dataset's slot: while one is in
 * flight the dataset stays paused and the rest wait (run resume again once it has ended); the
 * local runtime waits for each (`afterStart`), so they all run. Each HELD → REGISTERED move is
 * conditional, so a load resumed twice (two engineers, or a retry) starts once.
 */
export async function resumeDataset(
  dataset: string,
  deps: ResumeDeps,
  options: ResumeOptions,
): Promise<ResumeOutcome> {
  const contract = deps.contracts.datasets.get(dataset);
  if (!contract) throw new Error(`no dataset named "${dataset}"`);
  const held = (await deps.ledger.list({ dataset, status: 'HELD', limit: 100_000 })).sort((a, b) =>
    a.registeredAt < b.registeredAt ? -1 : a.registeredAt > b.registeredAt ? 1 : a.loadId < b.loadId ? -1 : 1,
  );
  const started: LoadRecord[] = [];
  for (const [i, load] of held.entries()) {
    if (deps.scheduler) {
      const slot = await takeSlot(dataset, load.loadId, deps.scheduler);
      if (!slot.taken) {
        const state = (await deps.control.get(dataset)) ?? {
          dataset,
          paused: true,
          updatedAt: new Date().toISOString(),
        };
        return { state, started, waiting: { inFlight: slot.inFlight, held: held.length - i } };
      }
    }
    const moved = await deps.ledger.transition(
      load.loadId,
      'REGISTERED',
      ['HELD'],
      {},
      `dataset resumed by ${options.by}`,
    );
    if (!moved) continue;
    const input = planLoad(
      contract,
      { loadId: load.loadId, source: load.source, manifest: load.manifest, attempt: load.attempts },
      deps.layout,
    );
    await deps.orchestrator.startExecution(executionName(load.loadId, load.attempts), input);
    started.push(moved);
    await options.afterStart?.(moved);
  }
  const state = await deps.control.resume(dataset, options.by, options.acceptedSchemaVersion);
  if (deps.scheduler) {
    const next = await scheduleDataset(dataset, deps.scheduler);
    const load = next.outcome === 'started' ? await deps.ledger.get(next.loadId) : undefined;
    if (load) {
      started.push(load);
      await options.afterStart?.(load);
    }
  }
  return { state, started };
}
