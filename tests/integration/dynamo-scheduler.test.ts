import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalLedger, startLocalLedger } from '../../local/ledger/local-ledger.js';
import { MemorySchedulerStores } from '../../local/scheduler/memory-stores.js';
import type { DynamoSchedulerStores } from '../../shared/aws/dynamo-scheduler.js';
import { pendingObject, type RaceStores, raceWorld } from '../helpers/scheduler-race.js';
import { schedulerTable } from '../helpers/scheduler-table.js';

// The scheduler's stores on DynamoDB (dynalite in-process): the same racing world as the unit
// suite, now with real conditional writes and a real sparse index between the racing callers.
let local: LocalLedger;

async function stores(): Promise<{ s: DynamoSchedulerStores; race: RaceStores }> {
  const s = await schedulerTable(local.client);
  // The loads' records in memory: the ledger's conditional writes have their own suite.
  const records = new MemorySchedulerStores();
  return {
    s,
    race: {
      pending: s.pending,
      slots: s.slots,
      loads: records.loads,
      setStatus: async (loadId, status) => records.setStatus(loadId, status),
      pendingCount: async (d) => (await s.pending.list(d)).length,
    },
  };
}

beforeAll(async () => {
  local = await startLocalLedger(undefined);
});
afterAll(() => local.close());

describe('the scheduler stores on DynamoDB', () => {
  it('adds an object once, lists the pending in landing order, claims them out of the index', async () => {
    const { s } = await stores();
    for (const i of [3, 1, 2]) expect(await s.pending.add(pendingObject('d', i))).toBe(true);
    expect(await s.pending.add(pendingObject('d', 2))).toBe(false);
    // The same content of a key landed again (another version, same ETag): nothing new.
    expect(
      await s.pending.add({
        ...pendingObject('d', 2),
        versionId: 'again',
        landedAt: '2027-01-01T00:00:00.000Z',
      }),
    ).toBe(false);
    const listed = await s.pending.list('d');
    expect(listed.map((o) => o.versionId)).toEqual(['v1', 'v2', 'v3']);
    expect(await s.pending.claim('d', 'L', listed.slice(0, 2))).toBe(true);
    expect(await s.pending.claim('d', 'L', listed.slice(0, 2))).toBe(true); // again: idempotent
    expect((await s.pending.list('d')).map((o) => o.versionId)).toEqual(['v3']);
    expect(await s.pending.add(pendingObject('d', 1))).toBe(false); // claimed: a late duplicate adds nothing
    // A stale manifest (v2 is L's): nothing claimed, v3 stays pending.
    expect(await s.pending.claim('d', 'M', [listed[2]!, listed[1]!])).toBe(false);
    expect((await s.pending.list('d')).map((o) => o.versionId)).toEqual(['v3']);
    expect(await s.pending.byKey('d', 'bronze', pendingObject('d', 2).key)).toEqual([
      { object: pendingObject('d', 2), loadId: 'L' },
    ]);
    expect(await s.pending.byKey('d', 'bronze', pendingObject('d', 3).key)).toEqual([
      { object: pendingObject('d', 3) },
    ]);
  });

  it('gives the slot to one load at a time', async () => {
    const { s } = await stores();
    const [a, b] = await Promise.all([s.slots.acquire('d', 'L1'), s.slots.acquire('d', 'L2')]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const winner = (await s.slots.holder('d'))!;
    expect(['L1', 'L2']).toContain(winner);
    expect(await s.slots.acquire('d', winner)).toBe(true); // the same load again
    expect(await s.slots.release('d', winner === 'L1' ? 'L2' : 'L1')).toBe(false);
    expect(await s.slots.release('d', winner)).toBe(true);
    expect(await s.slots.holder('d')).toBeUndefined();
    expect(await s.slots.acquire('d', 'L3')).toBe(true);
    expect(await s.slots.holder('d')).toBe('L3');
  });

  it.each([11, 12, 13])(
    'never has two loads of a dataset in flight with racing schedulers and deaths (seed %i)',
    async (seed) => {
      const { race } = await stores();
      const { started, ended, violations } = await raceWorld(
        seed,
        { objects: 120, limits: { maxObjects: 15, maxBytes: 1 << 30 }, crashRate: 0.05 },
        race,
      );
      expect(violations).toEqual([]);
      const keys = [...started.values()].flatMap((l) => l.objects.map((o) => `${o.dataset}/${o.key}`));
      expect(keys.length).toBe(120);
      expect(new Set(keys).size).toBe(120);
      expect([...started.keys()].every((id) => ended.has(id))).toBe(true);
    },
  );
});
