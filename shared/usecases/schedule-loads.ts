import { type LoadLimits, manifestLoadId, nextManifest } from '../core/schedule.js';
import type { DatasetSlots, Orchestrator, PendingObjects, ScheduledLoad, ScheduledStatus } from '../ports.js';

export type { DatasetSlots, PendingObjects, ScheduledLoad, ScheduledStatus } from '../ports.js';

/**
 * The per-dataset scheduler of coalesced loads: at most one load of a dataset in flight, covering
 * every pending object up to the limits, in landing order. It runs when an object lands, when a
 * load ends, and on a schedule as a safety net; any number of them may run at once.
 *
 * Why it holds with racing schedulers and crashes at any point:
 * - The dataset's slot is taken and the load registered in one conditional write
 *   (`acquire`): a slot never names a load that has no record, and a second scheduler either
 *   built the same manifest (same load id: it joins the same load) or loses.
 * - The slot is let go only for a load in a final state (`release`, conditional on the holder),
 *   by load-events at the end or by a scheduler that finds the end event lost.
 * - Everything after the acquire is idempotent and repeated by whichever scheduler comes next:
 *   claiming the manifest's objects (they leave the pending set) and starting the execution
 *   named by the load id.
 */

export const FINAL_STATUSES: ReadonlySet<ScheduledStatus> = new Set([
  'SUCCEEDED',
  'FAILED',
  'FAILED_QUALITY',
]);

export interface ScheduleDeps {
  readonly pending: PendingObjects;
  readonly slots: DatasetSlots;
  readonly orchestrator: Orchestrator;
  readonly limits: (dataset: string) => LoadLimits;
  /** A paused dataset starts nothing: its objects stay pending, in landing order. */
  readonly paused: (dataset: string) => Promise<boolean>;
  /** The load-dataset execution's input for a load. */
  readonly input: (load: ScheduledLoad) => unknown;
}

export type ScheduleOutcome =
  | { readonly outcome: 'started'; readonly loadId: string; readonly objects: number }
  | { readonly outcome: 'in-flight'; readonly loadId: string }
  | { readonly outcome: 'idle' }
  | { readonly outcome: 'paused' };

/** Starts the dataset's next load if none is in flight (see the module comment). */
export async function scheduleDataset(dataset: string, deps: ScheduleDeps): Promise<ScheduleOutcome> {
  // Each round either returns or frees a slot whose load ended; a slot is freed at most once per
  // load, so this ends after a few rounds even when schedulers race.
  for (;;) {
    const holder = await deps.slots.holder(dataset);
    if (holder && FINAL_STATUSES.has(holder.status)) {
      await deps.slots.release(dataset, holder.loadId); // its end event was lost, or is on its way
      continue;
    }
    if (holder) {
      // Not yet RUNNING: its claim or start may have been lost with a scheduler that died.
      if (holder.status === 'REGISTERED') await startHeld(holder, deps);
      return { outcome: 'in-flight', loadId: holder.loadId };
    }
    if (await deps.paused(dataset)) return { outcome: 'paused' };
    const objects = nextManifest(await deps.pending.list(dataset), deps.limits(dataset));
    if (objects.length === 0) return { outcome: 'idle' };
    const load: ScheduledLoad = {
      loadId: manifestLoadId(dataset, objects),
      dataset,
      status: 'REGISTERED',
      objects,
    };
    if (!(await deps.slots.acquire(load))) continue; // another scheduler's load got it: look again
    await startHeld(load, deps);
    return { outcome: 'started', loadId: load.loadId, objects: objects.length };
  }
}

/** The idempotent rest of a start: claim the manifest's objects, start the named execution. */
async function startHeld(load: ScheduledLoad, deps: ScheduleDeps): Promise<void> {
  await deps.pending.claim(load.dataset, load.loadId, load.objects);
  await deps.orchestrator.startExecution(load.loadId, deps.input(load));
}

/** What load-events does when a load ends: free its slot, then start the dataset's next load. */
export async function onLoadEnded(
  dataset: string,
  loadId: string,
  deps: ScheduleDeps,
): Promise<ScheduleOutcome> {
  await deps.slots.release(dataset, loadId);
  return scheduleDataset(dataset, deps);
}
