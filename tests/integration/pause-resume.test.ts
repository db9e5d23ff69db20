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
  it('keeps accepting files into Bronze but starts no load; resume runs them in landing order; nothing is lost', async () => {
    ({ rt } = await startRuntime());
    await rt.control.pause('orders', 'incompatible change of fx_rate (double → string)', 'schema-drift');
    const dir = tempDir();
    const landed = [];
    for (const [i, status] of ['placed', 'paid', 'shipped'].entries()) {
      landed.push(
        await rt.land(
          'orders',
          ndjson(dir, `d${i}.ndjson`, [order('ord-1', `2026-11-2${i}T10:00:00Z`, { status })]),
        ),
      );
      await rt.idle();
    }
    expect(executions(rt)).toEqual([]);
    for (const l of landed) {
      const load = await rt.ledger.get(l.loadId);
      expect(load?.status).toBe('HELD');
      expect(load?.history[0]?.note).toBe(
        'dataset is paused: incompatible change of fx_rate (double → string)',
      );
      expect(await rt.store.get(LOCAL_LAYOUT.bronzeBucket, l.key, l.versionId)).toBeDefined();
    }
    expect(rt.landedOutcome(landed[0]!.versionId!)).toMatchObject({ outcome: 'held' });

    const order_: string[] = [];
    const { state, started } = await resumeDataset(
      'orders',
      {
        contracts: rt.contracts,
        control: rt.control,
        ledger: rt.ledger,
        orchestrator: rt.stepFunctions,
        layout: LOCAL_LAYOUT,
      },
      {
        by: 'oncall',
        acceptedSchemaVersion: '7',
        afterStart: async (l) => {
          order_.push(l.loadId);
          await rt.idle();
        },
      },
    );
    expect(state).toMatchObject({ dataset: 'orders', paused: false, acceptedSchemaVersion: '7' });
    expect(order_).toEqual(landed.map((l) => l.loadId));
    expect(started).toHaveLength(3);
    for (const l of landed) expect((await rt.ledger.get(l.loadId))?.status).toBe('SUCCEEDED');
    expect(
      (await rt.warehouse.query("SELECT status FROM silver.orders WHERE order_id = 'ord-1'")).rows,
    ).toEqual([{ status: 'shipped' }]);
    expect((await rt.warehouse.commits('orders')).map((c) => c.loadId)).toEqual(landed.map((l) => l.loadId));

    // Resuming again starts nothing twice.
    const again = await resumeDataset(
      'orders',
      {
        contracts: rt.contracts,
        control: rt.control,
        ledger: rt.ledger,
        orchestrator: rt.stepFunctions,
        layout: LOCAL_LAYOUT,
      },
      { by: 'oncall' },
    );
    expect(again.started).toEqual([]);
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
    expect((await rt.ledger.get(landed.loadId))?.status).toBe('SUCCEEDED');
    expect(await rt.control.get('orders')).toMatchObject({ paused: false });
  });
});
