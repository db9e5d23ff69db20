import { describe, expect, it } from 'vitest';
import { MemorySchedulerStores } from '../../local/scheduler/memory-stores.js';
import {
  type LoadLimits,
  manifestLoadId,
  nextManifest,
  type PendingObject,
} from '../../shared/core/schedule.js';
import {
  onLoadEnded,
  type ScheduleDeps,
  type ScheduledLoad,
  scheduleDataset,
} from '../../shared/usecases/schedule-loads.js';

function object(dataset: string, i: number, size = 100): PendingObject {
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

/** A small seeded generator (mulberry32), so a failing interleaving can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/**
 * A world of racing schedulers: landings, the safety net and load ends run concurrently with
 * random interleavings; executions end at random; a scheduler call may die at any store
 * operation. The orchestrator fails the test the moment a second load of a dataset would start.
 */
async function raceWorld(seed: number, opts: { objects: number; limits: LoadLimits; crashRate: number }) {
  const rnd = random(seed);
  let crashing = false;
  const stores = new MemorySchedulerStores(async () => {
    for (let i = Math.floor(rnd() * 3); i > 0; i--) await Promise.resolve();
    if (crashing && rnd() < opts.crashRate) throw new Error('killed');
  });
  const started = new Map<string, ScheduledLoad>();
  const ended = new Set<string>();
  const violations: string[] = [];
  const deps: ScheduleDeps = {
    pending: stores.pending,
    slots: stores.slots,
    limits: () => opts.limits,
    paused: async () => false,
    input: (load) => ({ loadId: load.loadId }),
    orchestrator: {
      startExecution: async (name) => {
        if (started.has(name)) return { executionArn: name, alreadyStarted: true };
        const load = stores.loads.get(name)!;
        for (const other of started.values())
          if (other.dataset === load.dataset && !ended.has(other.loadId))
            violations.push(`${name} started while ${other.loadId} was in flight`);
        started.set(name, load);
        stores.setStatus(name, 'RUNNING');
        return { executionArn: name, alreadyStarted: false };
      },
    },
  };
  const attempt = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      if ((e as Error).message !== 'killed') throw e;
    }
  };
  const endSome = async () => {
    const running = [...started.values()].filter((l) => !ended.has(l.loadId));
    for (const l of running) {
      if (rnd() < 0.5) continue;
      ended.add(l.loadId);
      stores.setStatus(l.loadId, 'SUCCEEDED');
      // The end event is lost now and then: the safety net must notice.
      if (rnd() < 0.8) await attempt(() => onLoadEnded(l.dataset, l.loadId, deps));
    }
  };

  crashing = true;
  const datasets = ['a', 'b'];
  const tasks: Promise<unknown>[] = [];
  for (let i = 0; i < opts.objects; i++) {
    const d = datasets[i % 2]!;
    const o = object(d, i);
    // object-landed: register as pending, then run the scheduler; either may die. A death before
    // the object is registered fails the invocation, and EventBridge delivers the event again.
    tasks.push(
      (async () => {
        for (;;) {
          try {
            await stores.pending.add(o);
            break;
          } catch (e) {
            if ((e as Error).message !== 'killed') throw e;
          }
        }
        await attempt(() => scheduleDataset(d, deps));
      })(),
    );
    if (rnd() < 0.2) tasks.push(attempt(() => scheduleDataset(d, deps))); // a racing safety-net run
    if (rnd() < 0.3) tasks.push(endSome());
    if (rnd() < 0.1) tasks.push(stores.pending.add(o).catch(() => false)); // a duplicate event
  }
  await Promise.all(tasks);
  // Then no more crashes: load ends and safety-net rounds until everything is loaded.
  crashing = false;
  for (let round = 0; round < 10_000; round++) {
    await endSome();
    for (const d of datasets) await scheduleDataset(d, deps);
    const idle = [...started.values()].every((l) => ended.has(l.loadId));
    if (idle && datasets.every((d) => stores.pendingCount(d) === 0)) break;
  }
  return { started, ended, violations, stores };
}

describe('the per-dataset scheduler', () => {
  it('turns 500 objects landed at once into as few loads as the limit allows, in landing order', async () => {
    const stores = new MemorySchedulerStores();
    const starts: string[] = [];
    const deps: ScheduleDeps = {
      pending: stores.pending,
      slots: stores.slots,
      limits: () => ({ maxObjects: 100, maxBytes: 1 << 30 }),
      paused: async () => false,
      input: () => ({}),
      orchestrator: {
        startExecution: async (name) => {
          starts.push(name);
          return { executionArn: name, alreadyStarted: false };
        },
      },
    };
    for (let i = 499; i >= 0; i--) await stores.pending.add(object('d', i));
    let outcome = await scheduleDataset('d', deps);
    while (outcome.outcome === 'started') {
      stores.setStatus(outcome.loadId, 'SUCCEEDED');
      outcome = await onLoadEnded('d', outcome.loadId, deps);
    }
    expect(outcome).toEqual({ outcome: 'idle' });
    expect(starts).toHaveLength(5);
    const order = starts.flatMap((id) => stores.loads.get(id)!.objects.map((o) => o.versionId));
    expect(order).toEqual(Array.from({ length: 500 }, (_, i) => `v${i}`));
  });

  it.each([2, 3, 4, 5, 6, 7, 8, 9])(
    'never has two loads of a dataset in flight, with racing schedulers, lost end events and deaths at any step (seed %i)',
    async (seed) => {
      const { started, ended, violations, stores } = await raceWorld(seed, {
        objects: 300,
        limits: { maxObjects: 20, maxBytes: 1 << 30 },
        crashRate: 0.05,
      });
      expect(violations).toEqual([]);
      // Nothing lost, nothing twice: every object is in exactly one load, and every load ended.
      const keys = [...started.values()].flatMap((l) => l.objects.map((o) => `${o.dataset}/${o.key}`));
      expect(keys.length).toBe(300);
      expect(new Set(keys).size).toBe(300);
      expect([...started.keys()].every((id) => ended.has(id))).toBe(true);
      expect(stores.pendingCount('a') + stores.pendingCount('b')).toBe(0);
    },
  );

  it('starts nothing for a paused dataset; its objects wait in landing order', async () => {
    const stores = new MemorySchedulerStores();
    let paused = true;
    const starts: string[] = [];
    const deps: ScheduleDeps = {
      pending: stores.pending,
      slots: stores.slots,
      limits: () => ({ maxObjects: 2, maxBytes: 1 << 30 }),
      paused: async () => paused,
      input: () => ({}),
      orchestrator: {
        startExecution: async (name) => {
          starts.push(name);
          return { executionArn: name, alreadyStarted: false };
        },
      },
    };
    for (const i of [3, 1, 2]) await stores.pending.add(object('d', i));
    expect(await scheduleDataset('d', deps)).toEqual({ outcome: 'paused' });
    expect(starts).toEqual([]);
    paused = false;
    const first = await scheduleDataset('d', deps);
    expect(first).toMatchObject({ outcome: 'started', objects: 2 });
    expect(stores.loads.get(starts[0]!)!.objects.map((o) => o.versionId)).toEqual(['v1', 'v2']);
    expect(await scheduleDataset('d', deps)).toEqual({ outcome: 'in-flight', loadId: starts[0] });
    stores.setStatus(starts[0]!, 'FAILED');
    expect(await onLoadEnded('d', starts[0]!, deps)).toMatchObject({ outcome: 'started', objects: 1 });
    expect(await stores.pending.add(object('d', 1))).toBe(false); // the same version again: nothing new
  });
});
