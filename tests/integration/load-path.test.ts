import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../local/eventbus/bus.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';
import { executions, notifications, silverDigest, startRuntime } from '../helpers/runtime.js';

let rt: LocalRuntime;
afterEach(async () => {
  await rt?.close();
});

function emrError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

describe('a file landed in Bronze', () => {
  it('becomes a committed, deduplicated upsert in Silver and rebuilt Gold, recorded in the ledger', async () => {
    ({ rt } = await startRuntime());
    const dir = tempDir();
    const file = ndjson(dir, 'day1.ndjson', [
      order('o1', '2026-11-20T10:00:00Z'),
      order('o1', '2026-11-20T11:00:00Z', { status: 'paid' }),
      order('o2', '2026-11-20T10:00:00Z', { order_total: 20, fx_rate: 1 }),
    ]);
    const landed = await rt.land('orders', file);
    await rt.idle();

    const load = await rt.ledger.get(landed.loadId!);
    expect(load).toMatchObject({
      dataset: 'orders',
      status: 'SUCCEEDED',
      attempts: 1,
      executionName: landed.loadId,
      source: { bucket: 'lakeplane-bronze', key: 'orders/day1.ndjson', versionId: landed.versionId },
      counts: {
        rowsIn: 3,
        rowsQuarantined: 0,
        rowsStaged: 2,
        duplicatesDropped: 1,
        inserted: 2,
        updated: 0,
        deleted: 0,
      },
    });
    expect(load?.history.map((h) => h.status)).toEqual(['REGISTERED', 'RUNNING', 'SUCCEEDED']);
    expect(load?.durationMs).toBeGreaterThanOrEqual(0);
    const commits = await rt.warehouse.commits('orders');
    expect(commits.map((c) => [c.commitId, c.loadId])).toEqual([[load?.commitId, landed.loadId]]);
    expect((await rt.warehouse.query('SELECT order_id, status FROM silver.orders ORDER BY 1')).rows).toEqual([
      { order_id: 'o1', status: 'paid' },
      { order_id: 'o2', status: 'placed' },
    ]);
    expect((await rt.warehouse.query('SELECT orders FROM gold.daily_revenue')).rows).toEqual([
      { orders: '2' },
    ]);
  });

  it('is loaded once when the same file lands twice', async () => {
    ({ rt } = await startRuntime());
    const file = ndjson(tempDir(), 'day1.ndjson', [order('o1', '2026-11-20T10:00:00Z')]);
    const first = await rt.land('orders', file);
    await rt.idle();
    const before = await silverDigest(rt);
    const second = await rt.land('orders', file);
    await rt.idle();
    expect(second.loadId).toBe(first.loadId);
    expect(rt.landedOutcome(second.versionId!)).toEqual({
      outcome: 'duplicate',
      dataset: 'orders',
      loadId: first.loadId,
    });
    expect(second.versionId).not.toBe(first.versionId);
    expect(executions(rt)).toEqual([first.loadId]);
    expect(await rt.ledger.list({})).toHaveLength(1);
    expect(await silverDigest(rt)).toEqual(before);
  });

  it('starts one execution when the same object event is delivered twice', async () => {
    ({ rt } = await startRuntime());
    const seen: BusEvent[] = [];
    rt.bus.addRule('spy', { source: ['aws.s3'] }, async (e) => {
      seen.push(e);
    });
    const landed = await rt.land(
      'orders',
      ndjson(tempDir(), 'day1.ndjson', [order('o1', '2026-11-20T10:00:00Z')]),
    );
    await rt.idle();
    expect(seen).toHaveLength(1);
    rt.bus.put(seen[0]!);
    rt.bus.put(seen[0]!);
    await rt.idle();
    expect(executions(rt)).toEqual([landed.loadId]);
    const load = await rt.ledger.get(landed.loadId!);
    expect(load?.history.map((h) => h.status)).toEqual(['REGISTERED', 'RUNNING', 'SUCCEEDED']);
    expect((await rt.warehouse.commits('orders')).length).toBe(1);
  });

  it('survives a restart of the runtime: ledger, warehouse and duplicate detection persist', async () => {
    const home = tempDir();
    const file = ndjson(tempDir(), 'day1.ndjson', [order('o1', '2026-11-20T10:00:00Z')]);
    ({ rt } = await startRuntime(home));
    const first = await rt.land('orders', file);
    await rt.idle();
    await rt.close();
    ({ rt } = await startRuntime(home));
    const again = await rt.land('orders', file);
    await rt.idle();
    expect(rt.landedOutcome(again.versionId!)).toEqual({
      outcome: 'duplicate',
      dataset: 'orders',
      loadId: first.loadId,
    });
    expect(executions(rt)).toEqual([first.loadId]);
    expect((await rt.warehouse.query('SELECT count(*) AS n FROM silver.orders')).rows).toEqual([{ n: '1' }]);
  });

  it('rejects a key under no dataset without registering anything', async () => {
    ({ rt } = await startRuntime());
    await rt.store.put('lakeplane-bronze', 'unknown/file.ndjson', '{"a":1}\n');
    await rt.idle();
    expect(await rt.ledger.list({})).toEqual([]);
    expect(executions(rt)).toEqual([]);
  });
});

describe('the load-dataset state machine on the local runtime', () => {
  it('retries a transient EMR error with backoff and succeeds', async () => {
    ({ rt } = await startRuntime());
    const calls: string[] = [];
    rt.emr.fault = (job, phase) => {
      calls.push(`${job}:${phase ?? ''}`);
      if (phase === 'upsert' && calls.filter((c) => c.endsWith(':upsert')).length === 1) {
        throw emrError('EMR.AmazonElasticMapReduceException', 'Rate exceeded');
      }
    };
    const landed = await rt.land(
      'orders',
      ndjson(tempDir(), 'd.ndjson', [order('o1', '2026-11-20T10:00:00Z')]),
    );
    await rt.idle();
    expect(calls).toEqual([
      'bronze_to_silver.py:stage',
      'validate_batch.py:',
      'bronze_to_silver.py:upsert',
      'bronze_to_silver.py:upsert',
      'savepoint_table.py:',
      'silver_to_gold.py:',
    ]);
    expect((await rt.ledger.get(landed.loadId!))?.status).toBe('SUCCEEDED');
    expect(notifications(rt)).toEqual([]);
  });

  it('fails the load when a step keeps failing, with one alert naming the step, the cause and the replay command', async () => {
    ({ rt } = await startRuntime());
    let goldRuns = 0;
    rt.emr.fault = (job) => {
      if (job === 'silver_to_gold.py') {
        goldRuns++;
        throw new Error('Gold SQL failed: division by zero');
      }
    };
    const landed = await rt.land(
      'orders',
      ndjson(tempDir(), 'd.ndjson', [order('o1', '2026-11-20T10:00:00Z')]),
    );
    await rt.idle();
    expect(goldRuns).toBe(2); // one retry of States.TaskFailed, then the Catch
    const load = await rt.ledger.get(landed.loadId!);
    expect(load?.status).toBe('FAILED');
    expect(load?.cause?.error).toBe('States.TaskFailed');
    expect(load?.cause?.message).toContain(`step "orders gold ${landed.loadId}#1" failed`);
    expect(load?.cause?.message).toContain('division by zero');
    expect(load?.commitId).toBeDefined();
    const alerts = notifications(rt);
    expect(alerts).toHaveLength(1);
    const text = JSON.stringify(alerts[0]);
    expect(text).toContain(`lakeplane replay ${landed.loadId}`);
    expect(text).toContain('Gold was not rebuilt');
    const actions = (
      alerts[0] as unknown as {
        message: { blocks: { type: string; elements?: { action_id: string; value: string }[] }[] };
      }
    ).message.blocks.find((b) => b.type === 'actions');
    expect(actions?.elements?.map((e) => [e.action_id, JSON.parse(e.value)])).toEqual([
      ['lakeplane.replay', { loadId: landed.loadId, dataset: 'orders' }],
      ['lakeplane.rollback_replay', { loadId: landed.loadId, dataset: 'orders' }],
    ]);
  });

  it('fails a malformed file with a clear cause, Silver unchanged and exactly one alert', async () => {
    ({ rt } = await startRuntime());
    const dir = tempDir();
    await rt.land('orders', ndjson(dir, 'good.ndjson', [order('o1', '2026-11-20T10:00:00Z')]));
    await rt.idle();
    const before = await silverDigest(rt);
    const bad = await rt.land('orders', ndjson(dir, 'export.ndjson', ['order_id,status', 'o1,cancelled']));
    await rt.idle();
    const load = await rt.ledger.get(bad.loadId!);
    expect(load?.status).toBe('FAILED');
    expect(load?.cause?.message).toMatch(
      /s3:\/\/lakeplane-bronze\/orders\/export\.ndjson\?versionId=\w+: 2 of 2 records are unreadable.*line 1: not valid JSON/,
    );
    expect(await silverDigest(rt)).toEqual(before);
    expect((await rt.warehouse.commits('orders')).length).toBe(1);
    expect(notifications(rt)).toHaveLength(1);
    expect(notifications(rt)[0]?.message.text).toContain(bad.loadId);
  });
});
