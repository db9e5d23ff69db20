import type { LoadStatus } from '../core/load.js';
import { type LoadLimits, manifestLoadId, nextManifest } from '../core/schedule.js';
import type { DatasetSlots, Orchestrator, PendingObjects, ScheduledLoad, ScheduledLoads } from '../ports.js';

export type { DatasetSlots, PendingObjects, ScheduledLoad, ScheduledLoads } from '../ports.js';

/**
 * The per-dataset scheduler of coalesced loads: at most one load of a dataset in flight, covering
 * every pending object up to the limits, in landing order. It runs when an object lands, when a
 * load ends, and on a schedule as a safety net; any number of them may run at once.
 *
 * Why it holds with racing schedulers and crashes at any point:
 * - The manifest is stored before anything names it (its id derives from it, so two schedulers
 *   that build the same manifest write the same file and join the same load).
 * - The dataset's slot is taken by one conditional write (`acquire`); only its holder claims
 *   objects and registers and starts a load, so one load of a dataset is in flight at a time.
 * - The claim refuses objects another load took (a manifest built before that load claimed them):
 *   the stale load is never registered and its slot is let go.
 * - The slot is let go only for a load in a final state (`release`, conditional on the holder),
 *   by load-events at the end or by a scheduler that finds the end event lost.
 * - Everything after the acquire is idempotent and repeated by whichever scheduler comes next:
 *   claiming the manifest's objects, registering the load, starting the execution named by its id.
 */

export const FINAL_STATUSES: ReadonlySet<LoadStatus> = new Set([
  'SUCCEEDED',
  'FAILED',
  'FAILED_QUALITY',
  'RESOLVED',
  'ROLLED_BACK',
]);

export interface ScheduleDeps {
  readonly pending: PendingObjects;
  readonly slots: DatasetSlots;
  readonly loads: ScheduledLoads;
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

/**
 * Starts the dataset's next load if none is in flight (see the module comment). load-events runs
 * it after a load's end is in the ledger: it frees the slot of a holder in a final state, never by
 * id alone, so a late end event of an earlier attempt cannot free a replay's slot.
 */
export async function scheduleDataset(dataset: string, deps: ScheduleDeps): Promise<ScheduleOutcome> {
  // Each round either returns, frees a slot whose load ended or was stale, or finds the slot taken
  // by another scheduler's load; a load holds the slot once, so this ends after a few rounds.
  for (;;) {
    const holder = await deps.slots.holder(dataset);
    if (holder !== undefined) {
      const status = await deps.loads.status(holder);
      if (status !== undefined && FINAL_STATUSES.has(status)) {
        await deps.slots.release(dataset, holder); // its end event was lost, or is on its way
        continue;
      }
      // Not yet RUNNING: its claim, registration or start may have died with a scheduler.
      if (status === undefined || status === 'REGISTERED') {
        const load = await deps.loads.manifest(dataset, holder);
        if (!load || !(await startHeld(load, deps))) {
          await deps.slots.release(dataset, holder);
          continue;
        }
      }
      return { outcome: 'in-flight', loadId: holder };
    }
    if (await deps.paused(dataset)) return { outcome: 'paused' };
    const objects = nextManifest(await deps.pending.list(dataset), deps.limits(dataset));
    if (objects.length === 0) return { outcome: 'idle' };
    const load: ScheduledLoad = { loadId: manifestLoadId(dataset, objects), dataset, objects };
    await deps.loads.putManifest(load);
    if (!(await deps.slots.acquire(dataset, load.loadId))) continue; // another load got it: look again
    if (!(await startHeld(load, deps))) {
      await deps.slots.release(dataset, load.loadId);
      continue;
    }
    return { outcome: 'started', loadId: load.loadId, objects: objects.length };
  }
}

/**
 * The idempotent rest of a start, by the slot's holder: claim the manifest's objects, register the
 * load, start the execution named by its id. False when the manifest is stale (another load took
 * one of its objects) or the load had ended already (a scheduler acquiring late): nothing started.
 */
async function startHeld(load: ScheduledLoad, deps: ScheduleDeps): Promise<boolean> {
  if (!(await deps.pending.claim(load.dataset, load.loadId, load.objects))) return false;
  const { status, attempts } = await deps.loads.register(load);
  if (FINAL_STATUSES.has(status)) return false;
  // A later attempt is a replay's: the replay starts its own execution.
  if (status === 'REGISTERED' && attempts === 1)
    await deps.orchestrator.startExecution(load.loadId, deps.input(load));
  return true;
}

/**
 * Takes the dataset's slot for a load that is started by hand (a replay): free, already its, or
 * held by a load that ended. The id of the load in flight when another holds it.
 */
export async function takeSlot(
  dataset: string,
  loadId: string,
  deps: Pick<ScheduleDeps, 'slots' | 'loads'>,
): Promise<{ readonly taken: true } | { readonly taken: false; readonly inFlight: string }> {
  for (;;) {
    if (await deps.slots.acquire(dataset, loadId)) return { taken: true };
    const holder = await deps.slots.holder(dataset);
    if (holder === undefined) continue;
    const status = await deps.loads.status(holder);
    if (status === undefined || !FINAL_STATUSES.has(status)) return { taken: false, inFlight: holder };
    await deps.slots.release(dataset, holder);
  }
}

/** The safety net: every dataset's scheduler, one after the other (a failure does not stop the rest). */
export async function scheduleAll(
  datasets: Iterable<string>,
  deps: ScheduleDeps,
): Promise<{ dataset: string; outcome?: ScheduleOutcome; error?: unknown }[]> {
  const out: { dataset: string; outcome?: ScheduleOutcome; error?: unknown }[] = [];
  for (const dataset of datasets) {
    try {
      out.push({ dataset, outcome: await scheduleDataset(dataset, deps) });
    } catch (error) {
      out.push({ dataset, error });
    }
  }
  return out;
}
