import { describe, expect, it } from 'vitest';
import { MemorySchedulerStores } from '../../local/scheduler/memory-stores.js';
import { type LoadLimits, manifestLoadId, nextManifest } from '../../shared/core/schedule.js';
import { type ScheduleDeps, scheduleDataset, takeSlot } from '../../shared/usecases/schedule-loads.js';
import {
  pendingObject as object,
  type RaceStores,
  raceWorld,
  seededRandom,
} from '../helpers/scheduler-race.js';

describe('the next manifest', () => {
  const limits: LoadLimits = { maxObjects: 3, maxBytes: 250 };
  it('takes the oldest pending objects in landing order while both limits hold', () => {
    const objs = [object('d', 4, 50), object('d', 1, 50), object('d', 3, 50), object('d', 2, 50)];
    expect(nextManifest(objs, limits).map((o) => o.versionId)).toEqual(['v1', 'v2', 'v3']);
    const big = [object('d', 1, 200), object('d', 2, 100)];
    expect(nextManifest(big, limits).map((o) => o.versionId)).toEqual(['v1']);
    expect(nextManifest([object('d', 1, 10_000)], limits)).toHaveLength(1); // too big alone: a load of one
    expect(nextManifest([], limits)).toEqual([]);
  });

  it('has a load id from its exact versions', () => {
    const a = [object('d', 1), object('d', 2)];
    expect(manifestLoadId('d', a)).toBe(manifestLoadId('d', [...a]));
    expect(manifestLoadId('d', a)).not.toBe(manifestLoadId('d', [a[0]!, { ...a[1]!, versionId: 'other' }]));
    expect(manifestLoadId('d', a)).toMatch(/^d-m[0-9a-f]{19}$/);
  });
});

/** The in-memory stores, with random yields before each operation to shuffle racing callers. */
function memoryStores(seed: number): RaceStores {
  const rnd = seededRandom(seed * 7919);
  const m = new MemorySchedulerStores(async () => {
    for (let i = Math.floor(rnd() * 3); i > 0; i--) await Promise.resolve();
  });
  return {
    pending: m.pending,
    slots: m.slots,
    loads: m.loads,
    setStatus: async (loadId, status) => m.setStatus(loadId, status),
    pendingCount: async (d) => m.pendingCount(d),
  };
}

/** Scheduler deps over `stores` whose orchestrator records each start. */
function recording(stores: MemorySchedulerStores, maxObjects: number, paused: () => Promise<boolean>) {
  const starts: string[] = [];
  const deps: ScheduleDeps = {
    pending: stores.pending,
    slots: stores.slots,
    loads: stores.loads,
    limits: () => ({ maxObjects, maxBytes: 1 << 30 }),
    paused,
    input: () => ({}),
    orchestrator: {
      startExecution: async (name) => {
        starts.push(name);
        return { executionArn: name, alreadyStarted: false };
      },
    },
  };
  return { starts, deps };
}

describe('the per-dataset scheduler', () => {
  it('turns 500 objects landed at once into as few loads as the limit allows, in landing order', async () => {
    const stores = new MemorySchedulerStores();
    const { starts, deps } = recording(stores, 100, async () => false);
    for (let i = 499; i >= 0; i--) await stores.pending.add(object('d', i));
    let outcome = await scheduleDataset('d', deps);
    while (outcome.outcome === 'started') {
      stores.setStatus(outcome.loadId, 'SUCCEEDED');
      outcome = await scheduleDataset('d', deps);
    }
    expect(outcome).toEqual({ outcome: 'idle' });
    expect(starts).toHaveLength(5);
    const order = starts.flatMap((id) => stores.manifestOf(id)!.objects.map((o) => o.versionId));
    expect(order).toEqual(Array.from({ length: 500 }, (_, i) => `v${i}`));
  });

  it.each([2, 3, 4, 5, 6, 7, 8, 9])(
    'never has two loads of a dataset in flight, with racing schedulers, lost end events and deaths at any step (seed %i)',
    async (seed) => {
      const { started, ended, violations } = await raceWorld(
        seed,
        { objects: 300, limits: { maxObjects: 20, maxBytes: 1 << 30 }, crashRate: 0.05 },
        memoryStores(seed),
      );
      expect(violations).toEqual([]);
      // Nothing lost, nothing twice: every object is in exactly one load, and every load ended.
      const keys = [...started.values()].flatMap((l) => l.objects.map((o) => `${o.dataset}/${o.key}`));
      expect(keys.length).toBe(300);
      expect(new Set(keys).size).toBe(300);
      expect([...started.keys()].every((id) => ended.has(id))).toBe(true);
    },
  );

  it('starts nothing for a paused dataset; its objects wait in landing order', async () => {
    const stores = new MemorySchedulerStores();
    let paused = true;
    const { starts, deps } = recording(stores, 2, async () => paused);
    for (const i of [3, 1, 2]) await stores.pending.add(object('d', i));
    expect(await scheduleDataset('d', deps)).toEqual({ outcome: 'paused' });
    expect(starts).toEqual([]);
    paused = false;
    const first = await scheduleDataset('d', deps);
    expect(first).toMatchObject({ outcome: 'started', objects: 2 });
    expect(stores.manifestOf(starts[0]!)!.objects.map((o) => o.versionId)).toEqual(['v1', 'v2']);
    expect(await scheduleDataset('d', deps)).toEqual({ outcome: 'in-flight', loadId: starts[0] });
    stores.setStatus(starts[0]!, 'FAILED');
    expect(await scheduleDataset('d', deps)).toMatchObject({ outcome: 'started', objects: 1 });
    expect(await stores.pending.add(object('d', 1))).toBe(false); // the same content again: nothing new
    const [firstId, secondId] = [...new Set(starts)]; // a REGISTERED holder's start is repeated (idempotent)
    expect(await stores.pending.byKey('d', 'bronze', object('d', 1).key)).toEqual([
      { object: object('d', 1), loadId: firstId },
    ]);
    // A late scheduler with the first manifest, acquiring after the loads ended, starts nothing:
    // its objects were claimed (by the first load itself), it is registered and final.
    stores.setStatus(secondId!, 'SUCCEEDED');
    const before = starts.length;
    expect(await stores.slots.acquire('d', firstId!)).toBe(false); // the second still holds it
    expect(await scheduleDataset('d', deps)).toEqual({ outcome: 'idle' }); // frees the ended holder
    expect(await stores.slots.acquire('d', firstId!)).toBe(true);
    expect(await scheduleDataset('d', deps)).toEqual({ outcome: 'idle' });
    expect(starts.length).toBe(before);
    expect(await stores.slots.holder('d')).toBeUndefined();
  });

  it('never starts a stale manifest: objects another load took are refused, the stale load is never registered', async () => {
    const stores = new MemorySchedulerStores();
    const { starts, deps } = recording(stores, 10, async () => false);
    await stores.pending.add(object('d', 1));
    const stale = [object('d', 1)];
    await stores.pending.add(object('d', 2));
    const first = await scheduleDataset('d', deps); // takes v1 and v2
    expect(first).toMatchObject({ outcome: 'started', objects: 2 });
    expect(await stores.pending.claim('d', 'stale-load', stale)).toBe(false);
    expect(await stores.loads.status('stale-load')).toBeUndefined();
    expect(starts).toHaveLength(1);
  });

  it('lets a replay take the slot only when no other load of the dataset is in flight', async () => {
    const stores = new MemorySchedulerStores();
    const { deps } = recording(stores, 10, async () => false);
    await stores.pending.add(object('d', 1));
    const first = await scheduleDataset('d', deps);
    if (first.outcome !== 'started') throw new Error('not started');
    expect(await takeSlot('d', 'older-load', deps)).toEqual({ taken: false, inFlight: first.loadId });
    stores.setStatus(first.loadId, 'FAILED');
    expect(await takeSlot('d', first.loadId, deps)).toEqual({ taken: true }); // its own replay
    stores.setStatus(first.loadId, 'REGISTERED'); // what the replay's transition does
    expect(await takeSlot('d', 'older-load', deps)).toEqual({ taken: false, inFlight: first.loadId });
  });
});
