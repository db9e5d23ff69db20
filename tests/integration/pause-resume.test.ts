import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { resumeDataset } from '../../shared/usecases/resume-dataset.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';
import { executions, startRuntime } from '../helpers/runtime.js';

let rt: LocalRuntime;
afterEach(async () => {
  await rt?.close();
});

describe('a paused dataset', () => {
  const deps = () => ({ ...rt.replayDeps, control: rt.control, scheduler: rt.scheduler });

  it('keeps accepting files into Bronze but starts no load; resume runs them in landing order; nothing is lost', async () => {
    ({ rt } = await startRuntime());
    await rt.control.pause('orders', 'incompatible change of fx_rate (double → string)', 'schema-drift');
    const dir = tempDir();
    const landed = [];
    for (const [i, status] of ['placed', 'paid', 'shipped'].entries()) {
      landed.push(
        await rt.land(
          'orders',
          ndjson(dir, `d${i}.ndjson`, [order('ord-1', '2026-11-20T10:00:00Z', { status })]),
        ),
      );
      await rt.idle();
    }
    expect(executions(rt)).toEqual([]);
    expect(await rt.ledger.list({})).toEqual([]);
    for (const l of landed) {
      expect(l.loadId, 'pending: no load took it').toBeUndefined();
      expect(rt.landedOutcome(l.versionId!)).toEqual({
        outcome: 'pending',
        dataset: 'orders',
        schedule: { outcome: 'paused' },
      });
      expect(await rt.store.get(LOCAL_LAYOUT.bronzeBucket, l.key, l.versionId)).toBeDefined();
    }
    expect(await rt.scheduler.pending.list('orders')).toHaveLength(3);
    // The safety net starts nothing for a paused dataset either.
    expect((await rt.safetyNet()).started).toEqual([]);

    const afterStart: string[] = [];
    const { state, started } = await resumeDataset('orders', deps(), {
      by: 'oncall',
      acceptedSchemaVersion: '7',
      afterStart: async (l) => {
        afterStart.push(l.loadId);
        await rt.idle();
      },
    });
    expect(state).toMatchObject({ dataset: 'orders', paused: false, acceptedSchemaVersion: '7' });
    // One load of the three, in landing order: the same precombine, so the last landed wins.
    expect(started).toHaveLength(1);
    const load = await rt.ledger.get(started[0]!.loadId);
    expect(load).toMatchObject({ status: 'SUCCEEDED', manifest: { objects: 3 } });
    expect(afterStart).toEqual([load?.loadId]);
    for (const l of landed) expect(await rt.loadOf('orders', l)).toBe(load?.loadId);
    expect(
      (await rt.warehouse.query("SELECT status FROM silver.orders WHERE order_id = 'ord-1'")).rows,
    ).toEqual([{ status: 'shipped' }]);
    expect(await rt.scheduler.pending.list('orders')).toEqual([]);

    // Resuming again starts nothing twice.
    expect((await resumeDataset('orders', deps(), { by: 'oncall' })).started).toEqual([]);
  });

  it('resumes loads HELD by a pause from before coalesced loads, oldest first, each taking the slot', async () => {
    ({ rt } = await startRuntime());
    await rt.control.pause('orders', 'checking a source change', 'oncall');
    const dir = tempDir();
    const held: string[] = [];
    for (const [i, status] of ['placed', 'paid'].entries()) {
      // The record a pause used to write: HELD, its object's own id, no manifest.
      const info = await rt.store.putFile(
        'scratch',
        `d${i}.ndjson`,
        ndjson(dir, `d${i}.ndjson`, [order('ord-1', '2026-11-20T10:00:00Z', { status })]),
      );
      const source = {
        bucket: 'scratch',
        key: info.key,
        etag: info.etag,
        size: info.size,
        versionId: info.versionId!,
      };
      const loadId = `orders-legacy${i}`;
      const at = `2026-11-2${i}T00:00:00.000Z`;
      await rt.ledger.register({
        loadId,
        dataset: 'orders',
        status: 'HELD',
        source,
        executionName: loadId,
        attempts: 1,
        registeredAt: at,
        history: [{ status: 'HELD', at, note: 'dataset is paused' }],
      });
      held.push(loadId);
    }
    // A load in flight holds the slot: the held loads wait and the dataset stays paused.
    await rt.scheduler.slots.acquire('orders', 'orders-in-flight');
    const waiting = await resumeDataset('orders', deps(), { by: 'oncall' });
    expect(waiting.waiting).toEqual({ inFlight: 'orders-in-flight', held: 2 });
    expect(waiting.started).toEqual([]);
    expect(await rt.control.get('orders')).toMatchObject({ paused: true });
    await rt.scheduler.slots.release('orders', 'orders-in-flight');

    const { started, state } = await resumeDataset('orders', deps(), {
      by: 'oncall',
      afterStart: () => rt.idle(),
    });
    expect(started.map((l) => l.loadId)).toEqual(held);
    expect(state.paused).toBe(false);
    for (const id of held) expect((await rt.ledger.get(id))?.status).toBe('SUCCEEDED');
    expect(
      (await rt.warehouse.query("SELECT status FROM silver.orders WHERE order_id = 'ord-1'")).rows,
    ).toEqual([{ status: 'paid' }]);
  });

  it('loads as usual once resumed', async () => {
    ({ rt } = await startRuntime());
    await rt.control.pause('orders', 'checking a source change', 'oncall');
    await rt.control.resume('orders', 'oncall');
    const landed = await rt.land(
      'orders',
      ndjson(tempDir(), 'd.ndjson', [order('ord-1', '2026-11-20T10:00:00Z')]),
    );
    await rt.idle();
    expect((await rt.ledger.get(landed.loadId!))?.status).toBe('SUCCEEDED');
    expect(await rt.control.get('orders')).toMatchObject({ paused: false });
  });
});
