import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';
import { notifications, silverDigest, startRuntime } from '../helpers/runtime.js';

let rt: LocalRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

describe('the quality gate on the local runtime', () => {
  it('keeps a batch with null order_id out of Silver: quarantined, one Slack message, one failed load', async () => {
    ({ rt } = await startRuntime());
    const dir = tempDir();
    await rt.land('orders', ndjson(dir, 'good.ndjson', [order('ord-1', '2026-11-20T10:00:00Z')]));
    await rt.idle();
    const before = await silverDigest(rt);
    const alertsBefore = notifications(rt).length;

    const bad = await rt.land(
      'orders',
      ndjson(dir, 'bad.ndjson', [
        order('ord-2', '2026-11-21T10:00:00Z'),
        order('ignored', '2026-11-21T10:00:00Z', { order_id: null }),
        order('ord-3', '2026-11-21T10:00:00Z'),
      ]),
    );
    await rt.idle();

    const load = await rt.ledger.get(bad.loadId!);
    expect(load?.status).toBe('FAILED_QUALITY');
    expect(load?.cause?.error).toBe('Lakeplane.QualityGateFailed');
    expect(load?.cause?.message).toContain('expect_column_values_to_not_be_null on order_id');
    expect(await silverDigest(rt)).toEqual(before);
    expect((await rt.warehouse.commits('orders')).length).toBe(1);

    const alerts = notifications(rt).slice(alertsBefore);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message.text).toContain(bad.loadId);
    expect(JSON.stringify(alerts[0])).toContain(`lakeplane replay ${bad.loadId}`);
    expect(JSON.stringify(alerts[0])).toContain('"action_id":"lakeplane.replay"');

    const quarantined = await rt.store.get(
      LOCAL_LAYOUT.quarantineBucket,
      `orders/${bad.loadId}/attempt-1/staged-batch/part-00000.json.gz`,
    );
    const rows = gunzipSync(quarantined!)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.order_id).sort()).toEqual(['ord-2', 'ord-3', null].sort());
    const validation = JSON.parse(
      new TextDecoder().decode(
        (await rt.store.get(LOCAL_LAYOUT.artifactsBucket, `runs/${bad.loadId}/attempt-1/validation.json`))!,
      ),
    );
    expect(validation.success).toBe(false);
  });

  it('loads a batch that only fails `warn` expectations and sends one warning', async () => {
    ({ rt } = await startRuntime());
    const landed = await rt.land(
      'orders',
      ndjson(tempDir(), 'returns.ndjson', [
        order('ord-1', '2026-11-20T10:00:00Z', { status: 'returned' }),
        order('ord-2', '2026-11-20T10:00:00Z'),
      ]),
    );
    await rt.idle();
    expect((await rt.ledger.get(landed.loadId!))?.status).toBe('SUCCEEDED');
    expect(
      (await rt.warehouse.query("SELECT count(*) AS n FROM silver.orders WHERE status = 'returned'")).rows,
    ).toEqual([{ n: '1' }]);
    const alerts = notifications(rt);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message.text).toMatch(/^Data quality warning: orders/);
  });

  it('posts the alert to the Slack webhook when one is set', async () => {
    const bodies: string[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret`;
      rt = await LocalRuntime.start({ home: tempDir(), slackWebhookUrl: url, print: () => undefined });
      await rt.land(
        'orders',
        ndjson(tempDir(), 'bad.ndjson', [
          order('x', '2026-11-20T10:00:00Z', { order_id: null, currency: '<!channel> JPY' }),
        ]),
      );
      await rt.idle();
      expect(bodies).toHaveLength(1);
      const posted = JSON.parse(bodies[0]!);
      expect(posted.text).toMatch(/^Data quality failed: orders/);
      expect(bodies[0]).not.toContain('<!channel>');
      expect(bodies[0]).toContain('&lt;!channel&gt; JPY');
    } finally {
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });
});
