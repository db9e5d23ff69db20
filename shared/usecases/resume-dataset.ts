import type { ContractSet } from '../core/contract/parse.js';
import type { LoadRecord } from '../core/load.js';
import { type LakeLayout, planLoad } from '../core/plan.js';
import type { DatasetControl, DatasetState, Ledger, Orchestrator } from '../ports.js';
import { executionName } from './object-landed.js';

export interface ResumeDeps {
  readonly contracts: ContractSet;
  readonly control: DatasetControl;
  readonly ledger: Ledger;
  readonly orchestrator: Orchestrator;
  readonly layout: LakeLayout;
}

export interface ResumeOptions {
  /** Who resumes (recorded with the state). */
  readonly by: string;
  /** The Bronze table version the engineer accepts as the dataset's schema. */
  readonly acceptedSchemaVersion?: string;
  /**
   * Called after each held load is started, in landing order; the local runtime waits there
   * for the load to finish, so held loads commit in the order they landed.
   */
  readonly afterStart?: (load: LoadRecord) => Promise<void>;
}

/**
 * Resumes a paused dataset and starts its held loads oldest first. Each HELD → REGISTERED move
 * is conditional, so a load resumed twice (two engineers, or a retry) starts once.
 */
export async function resumeDataset(
  dataset: string,
  deps: ResumeDeps,
  options: ResumeOptions,
): Promise<{ state: DatasetState; started: LoadRecord[] }> {
  const contract = deps.contracts.datasets.get(dataset);
  if (!contract) throw new Error(`no dataset named "${dataset}"`);
  const state = await deps.control.resume(dataset, options.by, options.acceptedSchemaVersion);
  const held = (await deps.ledger.list({ dataset, status: 'HELD', limit: 100_000 })).sort((a, b) =>
    a.registeredAt < b.registeredAt ? -1 : a.registeredAt > b.registeredAt ? 1 : a.loadId < b.loadId ? -1 : 1,
  );
  const started: LoadRecord[] = [];
  for (const load of held) {
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
  return { state, started };
}
