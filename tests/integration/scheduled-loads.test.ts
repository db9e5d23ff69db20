import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalLedger, startLocalLedger } from '../../local/ledger/local-ledger.js';
import { DirObjectStore } from '../../local/object-store/dir-object-store.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { loadContractsDir } from '../../shared/contracts-dir.js';
import { loadIdFor } from '../../shared/core/load.js';
import { manifestKey, parseManifest } from '../../shared/core/manifest.js';
import type { LoadExecutionInput } from '../../shared/core/plan.js';
import type { PendingObject } from '../../shared/core/schedule.js';
import { replayLoad } from '../../shared/usecases/replay.js';
import { scheduleDataset } from '../../shared/usecases/schedule-loads.js';
import { loadLimitsFrom, scheduleDepsOver } from '../../shared/usecases/scheduled-loads.js';
import { DATASETS, tempDir } from '../helpers/fixtures.js';
import { schedulerTable } from '../helpers/scheduler-table.js';

// The scheduler over the platform's own parts: the ledger (dynalite), the scheduler table, the
// artifacts bucket (a folder store). A fake orchestrator records each start and its input.
let local: LocalLedger;
let n = 0;

beforeAll(async () => {
  local = await startLocalLedger(undefined);
});
afterAll(() => local.close());

async function world(limits = { maxObjects: 20_000, maxBytes: 1 << 30 }) {
  n += 1; // a fresh set of object keys per world (landed())
  const stores = await schedulerTable(local.client);
  const store = new DirObjectStore(tempDir());
  const contracts = loadContractsDir(DATASETS);
  const starts: { name: string; input: LoadExecutionInput }[] = [];
  const orchestrator = {
    startExecution: async (name: string, input: unknown) => {
      const again = starts.some((s) => s.name === name);
      if (!again) starts.push({ name, input: input as LoadExecutionInput });
      return { executionArn: `arn:${name}`, alreadyStarted: again };
    },
  };
  const scheduler = scheduleDepsOver({
    contracts,
    ledger: local.ledger,
    store,
    pending: stores.pending,
    slots: stores.slots,
    orchestrator,
    layout: LOCAL_LAYOUT,
    limits,
    now: () => new Date('2026-12-02T10:00:00Z'),
  });
  const replay = { contracts, ledger: local.ledger, orchestrator, layout: LOCAL_LAYOUT, scheduler };
  return { stores, store, scheduler, starts, replay };
}

function landed(i: number, prefix = `t${n}`): PendingObject {
  return {
    dataset: 'orders',
    bucket: LOCAL_LAYOUT.bronzeBucket,
    key: `orders/${prefix}-${i}.ndjson`,
    versionId: `v${i}`,
    etag: `etag-${prefix}-${i}`,
    size: 100 + i,
    landedAt: `2026-12-02T10:00:0${i}.000Z`,
  };
}

describe('coalesced loads over the ledger and the artifacts bucket', () => {
  it('registers one load of every pending object with its manifest, and the stage job is given the manifest', async () => {
    const w = await world();
    for (const i of [3, 1, 2]) await w.stores.pending.add(landed(i));
    const out = await scheduleDataset('orders', w.scheduler);
    expect(out).toMatchObject({ outcome: 'started', objects: 3 });
    if (out.outcome !== 'started') return;
    const record = await local.ledger.get(out.loadId);
    expect(record).toMatchObject({
      status: 'REGISTERED',
      executionName: out.loadId,
      source: { key: landed(1).key, versionId: 'v1' },
      manifest: { objects: 3, bytes: 306 },
    });
    const body = await w.store.get(LOCAL_LAYOUT.artifactsBucket, manifestKey(out.loadId));
    const file = parseManifest(new TextDecoder().decode(body!), record!.manifest!.uri);
    expect(file.objects.map((o) => o.versionId)).toEqual(['v1', 'v2', 'v3']);
    const stage = w.starts[0]!.input.steps.stage.args;
    expect(stage[stage.indexOf('--manifest') + 1]).toBe(record!.manifest!.uri);
    expect(stage).not.toContain('--input');
    // Nothing more is started while it is in flight; a late object waits for it.
    await w.stores.pending.add(landed(4));
    expect(await scheduleDataset('orders', w.scheduler)).toEqual({
      outcome: 'in-flight',
      loadId: out.loadId,
    });
    expect(w.starts).toHaveLength(1);
  });

  it('gives a load of one object the id that object always had', async () => {
    const w = await world();
    await w.stores.pending.add(landed(1));
    const out = await scheduleDataset('orders', w.scheduler);
    expect(out).toMatchObject({ outcome: 'started', loadId: loadIdFor('orders', landed(1)) });
  });

  it('refuses a replay while another load of the dataset is in flight, and runs it on the same manifest after', async () => {
    const w = await world({ maxObjects: 2, maxBytes: 1 << 30 });
    for (const i of [1, 2, 3]) await w.stores.pending.add(landed(i));
    const first = await scheduleDataset('orders', w.scheduler);
    if (first.outcome !== 'started') throw new Error(`not started: ${first.outcome}`);
    await local.ledger.transition(first.loadId, 'FAILED', ['REGISTERED'], {
      cause: { error: 'X', message: 'broken' },
    });
    const second = await scheduleDataset('orders', w.scheduler);
    if (second.outcome !== 'started') throw new Error(`not started: ${second.outcome}`);
    const refused = await replayLoad(first.loadId, w.replay);
    expect(refused).toMatchObject({ outcome: 'refused' });
    expect(refused.outcome === 'refused' && refused.reason).toContain(
      `load ${second.loadId} of orders is in flight`,
    );
    await local.ledger.transition(second.loadId, 'SUCCEEDED', ['REGISTERED'], {});
    // Two engineers replay it at once: one attempt starts, and the refused one leaves it the slot.
    const both = await Promise.all([replayLoad(first.loadId, w.replay), replayLoad(first.loadId, w.replay)]);
    expect(both.map((r) => r.outcome).sort()).toEqual(['refused', 'started']);
    expect(await w.stores.slots.holder('orders')).toBe(first.loadId);
    const again = w.starts.find((s) => s.name === `${first.loadId}-a2`)!;
    expect(again.input.load.manifest?.uri).toBe(w.starts[0]!.input.load.manifest?.uri);
    // The replay holds the slot: the scheduler waits for it.
    await w.stores.pending.add(landed(5));
    expect(await scheduleDataset('orders', w.scheduler)).toEqual({
      outcome: 'in-flight',
      loadId: first.loadId,
    });
  });

  it('reads the load limits of a stage from its environment, refusing nonsense by name', () => {
    expect(loadLimitsFrom({})).toEqual({ maxObjects: 20_000, maxBytes: 8 * 1024 ** 3 });
    expect(loadLimitsFrom({ LAKEPLANE_LOAD_MAX_OBJECTS: '1' }).maxObjects).toBe(1);
    expect(() => loadLimitsFrom({ LAKEPLANE_LOAD_MAX_BYTES: '-3' })).toThrow(
      /LAKEPLANE_LOAD_MAX_BYTES must be a whole number above 0, not "-3"/,
    );
  });
});
