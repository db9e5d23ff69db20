import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../local/eventbus/bus.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { resumeDataset } from '../../shared/usecases/resume-dataset.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';
import { notifications, startRuntime } from '../helpers/runtime.js';

let rt: LocalRuntime;
afterEach(async () => {
  await rt?.close();
});

const line = (orderId: string, quantity: unknown, ts: string) => ({
  Op: 'I',
  dms_commit_ts: ts,
  order_id: orderId,
  line_no: 1,
  sku: 'SKU-1',
  quantity,
  unit_price: 2.5,
  order_date: '2026-11-20',
});

describe('schema drift on the local runtime', () => {
  it('pauses a `block` dataset on an incompatible change: files keep landing but start no load; resume runs them in order', async () => {
    ({ rt } = await startRuntime());
    const driftEvents: BusEvent[] = [];
    rt.bus.addRule('spy', { source: ['lakeplane'], 'detail-type': ['Schema Drift Detected'] }, async (e) => {
      driftEvents.push(e);
    });
    const dir = tempDir();
    await rt.land('order_items', ndjson(dir, 'items-1.ndjson', [line('a', 1, '2026-11-20T01:00:00Z')]));
    await rt.idle();
    expect((await rt.crawl('order_items')).version?.VersionId).toBe('1');
    expect(await rt.control.get('order_items')).toBeUndefined();

    // The source starts sending quantities as text: an incompatible change.
    await rt.land('order_items', ndjson(dir, 'items-2.ndjson', [line('b', 'three', '2026-11-20T02:00:00Z')]));
    await rt.idle();
    const crawled = await rt.crawl('order_items');
    expect(crawled.version?.VersionId).toBe('2');
    const state = await rt.control.get('order_items');
    expect(state?.paused).toBe(true);
    expect(state?.reason).toContain('quantity');
    const [drift] = await rt.control.list({ dataset: 'order_items' });
    expect(drift).toMatchObject({ fromVersion: '1', toVersion: '2', action: 'pause', breaking: true });
    expect(driftEvents).toHaveLength(1);
    expect(driftEvents[0]!.detail).toMatchObject({ dataset: 'order_items', action: 'pause', breaking: true });
    const alert = notifications(rt).find(
      (n) => n.message.text.includes('order_items') && /drift/i.test(n.message.text),
    );
    expect(JSON.stringify(alert)).toContain('lakeplane dataset resume order_items');

    // Crawling again finds the same schema: nothing new is recorded or sent.
    await rt.crawl('order_items');
    expect(driftEvents).toHaveLength(1);

    const held = [];
    for (const [i, q] of [5, 7].entries()) {
      held.push(
        await rt.land(
          'order_items',
          ndjson(dir, `items-${3 + i}.ndjson`, [line('a', q, `2026-11-2${1 + i}T01:00:00Z`)]),
        ),
      );
      await rt.idle();
    }
    for (const h of held) {
      expect(h.loadId, 'pending while the dataset is paused').toBeUndefined();
      expect(await rt.store.get(LOCAL_LAYOUT.bronzeBucket, h.key, h.versionId)).toBeDefined();
    }
    expect(await rt.scheduler.pending.list('order_items')).toHaveLength(2);

    const { started } = await resumeDataset(
      'order_items',
      { ...rt.replayDeps, control: rt.control, scheduler: rt.scheduler },
      { by: 'oncall', acceptedSchemaVersion: '2', afterStart: () => rt.idle() },
    );
    // Both files in one load, in landing order: the later one's quantity wins.
    expect(started).toHaveLength(1);
    expect(await rt.ledger.get(started[0]!.loadId)).toMatchObject({
      status: 'SUCCEEDED',
      manifest: { objects: 2 },
    });
    for (const h of held) expect(await rt.loadOf('order_items', h)).toBe(started[0]!.loadId);
    expect(
      (await rt.warehouse.query("SELECT quantity FROM silver.order_items WHERE order_id = 'a'")).rows,
    ).toEqual([{ quantity: 7 }]);
  });

  it('announces an additive change on an `alert` dataset without pausing it', async () => {
    ({ rt } = await startRuntime());
    const dir = tempDir();
    await rt.land('orders', ndjson(dir, 'o-1.ndjson', [order('ord-1', '2026-11-20T10:00:00Z')]));
    await rt.idle();
    await rt.crawl('orders');
    await rt.land(
      'orders',
      ndjson(dir, 'o-2.ndjson', [order('ord-2', '2026-11-20T11:00:00Z', { coupon_code: 'WINTER' })]),
    );
    await rt.idle();
    await rt.crawl('orders');
    const [drift] = await rt.control.list({ dataset: 'orders' });
    expect(drift).toMatchObject({ action: 'alert', breaking: false });
    expect(JSON.stringify(drift?.changes)).toContain('coupon_code');
    expect((await rt.control.get('orders'))?.paused ?? false).toBe(false);
    const landed = await rt.land(
      'orders',
      ndjson(dir, 'o-3.ndjson', [order('ord-3', '2026-11-20T12:00:00Z')]),
    );
    await rt.idle();
    expect((await rt.ledger.get(landed.loadId!))?.status).toBe('SUCCEEDED');
  });
});
