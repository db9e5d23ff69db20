import type { LoadStatus } from '../../shared/core/load.js';
import { seededRandom } from '../../shared/core/prng.js';
import type { LoadLimits, PendingObject } from '../../shared/core/schedule.js';
import {
  type DatasetSlots,
  type PendingObjects,
  type ScheduleDeps,
  type ScheduledLoad,
  type ScheduledLoads,
  scheduleDataset,
} from '../../shared/usecases/schedule-loads.js';

/** The scheduler's stores under test (in memory, or on DynamoDB), and the loads' records. */
export interface RaceStores {
  readonly pending: PendingObjects;
  readonly slots: DatasetSlots;
  readonly loads: ScheduledLoads;
  /** What the ledger's transitions do. */
  setStatus(loadId: string, status: LoadStatus): Promise<void>;
  pendingCount(dataset: string): Promise<number>;
}

export function pendingObject(dataset: string, i: number, size = 100): PendingObject {
  const second = String(Math.floor(i / 10)).padStart(6, '0');
  return {
    dataset,
    bucket: 'bronze',
    key: `${dataset}/f-${String(i).padStart(5, '0')}.ndjson`,
    versionId: `v${i}`,
    etag: `e${i}`,
    size,
    landedAt: `2026-12-02T10:${second.slice(2, 4)}:${second.slice(4)}.000Z`,
  };
}

export { seededRandom } from '../../shared/core/prng.js';

const KILLED = 'killed';

/** The stores, with every operation liable to die first (a scheduler killed at that point). */
function dying(stores: RaceStores, die: () => boolean): RaceStores {
  const guard =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      if (die()) throw new Error(KILLED);
      return f(...a);
    };
  return {
    pending: {
      add: guard(stores.pending.add),
      reopen: guard(stores.pending.reopen),
      list: guard(stores.pending.list),
      claim: guard(stores.pending.claim),
      byKey: guard(stores.pending.byKey),
    },
    slots: {
      holder: guard(stores.slots.holder),
      acquire: guard(stores.slots.acquire),
      release: guard(stores.slots.release),
    },
    loads: {
      putManifest: guard(stores.loads.putManifest),
      manifest: guard(stores.loads.manifest),
      register: guard(stores.loads.register),
      status: guard(stores.loads.status),
    },
    setStatus: stores.setStatus,
    pendingCount: stores.pendingCount,
  };
}

/**
 * A world of racing schedulers: landings, the safety net and load ends run concurrently; executions
 * end at random; a scheduler call may die before any store operation; end events get lost. The
 * orchestrator (idempotent by name, as Step Functions) records a violation the moment a second
 * load of a dataset would start while one is in flight.
 */
export async function raceWorld(
  seed: number,
  opts: { objects: number; limits: LoadLimits; crashRate: number },
  base: RaceStores,
) {
  const rnd = seededRandom(seed);
  let crashing = true;
  const stores = dying(base, () => crashing && rnd() < opts.crashRate);
  const started = new Map<string, ScheduledLoad>();
  const ended = new Set<string>();
  const violations: string[] = [];
  const deps: ScheduleDeps = {
    pending: stores.pending,
    slots: stores.slots,
    loads: stores.loads,
    limits: () => opts.limits,
    paused: async () => false,
    input: (load) => load,
    orchestrator: {
      startExecution: async (name, input) => {
        if (started.has(name)) return { executionArn: name, alreadyStarted: true };
        const load = input as ScheduledLoad;
        for (const other of started.values())
          if (other.dataset === load.dataset && !ended.has(other.loadId))
            violations.push(`${name} started while ${other.loadId} was in flight`);
        started.set(name, load);
        await base.setStatus(load.loadId, 'RUNNING');
        return { executionArn: name, alreadyStarted: false };
      },
    },
  };
  const attempt = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      if ((e as Error).message !== KILLED) throw e;
    }
  };
  const endSome = async () => {
    for (const l of [...started.values()].filter((x) => !ended.has(x.loadId))) {
      if (rnd() < 0.5) continue;
      ended.add(l.loadId);
      await base.setStatus(l.loadId, 'SUCCEEDED');
      // The end event is lost now and then: the safety net must notice. Safety-net runs and
      // landings race the end's scheduler for the slot it frees.
      const racers = Array.from({ length: Math.floor(rnd() * 3) }, () =>
        attempt(() => scheduleDataset(l.dataset, deps)),
      );
      await Promise.all([
        ...(rnd() < 0.8 ? [attempt(() => scheduleDataset(l.dataset, deps))] : []),
        ...racers,
      ]);
    }
  };

  const datasets = ['a', 'b'];
  const tasks: Promise<unknown>[] = [];
  for (let i = 0; i < opts.objects; i++) {
    const d = datasets[i % 2]!;
    const o = pendingObject(d, i);
    // object-landed: register as pending, then run the scheduler; either may die. A death before
    // the object is registered fails the invocation, and EventBridge delivers the event again.
    tasks.push(
      (async () => {
        for (;;) {
          try {
            await stores.pending.add(o);
            break;
          } catch (e) {
            if ((e as Error).message !== KILLED) throw e;
          }
        }
        await attempt(() => scheduleDataset(d, deps));
      })(),
    );
    if (rnd() < 0.2) tasks.push(attempt(() => scheduleDataset(d, deps))); // a racing safety-net run
    if (rnd() < 0.3) tasks.push(endSome());
    if (rnd() < 0.1) tasks.push(attempt(() => stores.pending.add(o))); // a duplicate event
  }
  await Promise.all(tasks);
  // Then no more deaths: load ends and safety-net rounds until everything is loaded.
  crashing = false;
  for (let round = 0; round < 10_000; round++) {
    await endSome();
    for (const d of datasets) await scheduleDataset(d, deps);
    const idle = [...started.values()].every((l) => ended.has(l.loadId));
    let waiting = 0;
    for (const d of datasets) waiting += await base.pendingCount(d);
    if (idle && waiting === 0) break;
  }
  return { started, ended, violations };
}
