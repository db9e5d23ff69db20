import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landAndWait } from '../../cli/commands/load.js';
import { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { runUri } from '../../shared/core/plan.js';
import { rollbackDataset } from '../../shared/usecases/rollback.js';
import { readJsonArtifact } from '../../shared/usecases/run-artifacts.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';

// Rollback on Hudi for real: a corrupt load, then `rollback --before <load> --replay-after` on
// the Spark engine (the rollback-dataset state machine: rollback_table.py restores the Hudi
// savepoint of the commit before it, then Gold), and Silver equals a clean run of the good loads.
const dir = tempDir();
const good1 = ndjson(dir, 'orders-1.ndjson', [
  order('r1', '2026-11-20T10:00:00Z'),
  order('r2', '2026-11-20T10:00:00Z'),
]);
const corrupt = ndjson(dir, 'orders-2.ndjson', [
  order('r1', '2026-11-20T11:00:00Z', { status: 'cancelled', order_total: 0 }),
  order('r9', '2026-11-20T11:00:00Z', { customer_id: 'bogus' }),
]);
const good3 = ndjson(dir, 'orders-3.ndjson', [
  order('r2', '2026-11-20T12:00:00Z', { status: 'paid' }),
  order('r3', '2026-11-20T12:00:00Z'),
]);

let spark: LocalRuntime;
let clean: LocalRuntime;
const silverOf = async (rt: LocalRuntime) =>
  (
    await rt.selectRows(
      'SELECT order_id, status, order_total, updated_at FROM silver.orders ORDER BY order_id',
      'orders',
    )
  ).map(
    (r): Record<string, unknown> => ({
      ...r,
      updated_at: String(r.updated_at)
        .replace(' ', 'T')
        .replace(/(\.0+)?Z?$/, ''),
    }),
  );

const loadIds: string[] = [];
let report: Awaited<ReturnType<typeof rollbackDataset>>;

beforeAll(async () => {
  spark = await LocalRuntime.start({ home: tempDir(), engine: 'spark', print: () => undefined });
  for (const f of [good1, corrupt, good3])
    loadIds.push((await landAndWait(spark, 'orders', [f]))[0]!.loadId!);
  report = await rollbackDataset('orders', { beforeLoad: loadIds[1]! }, spark.rollbackDeps, {
    dryRun: false,
    replayAfter: true,
    replayTarget: false,
    afterEach: () => spark.idle(),
  });
  clean = await LocalRuntime.start({ home: tempDir(), print: () => undefined });
  await landAndWait(clean, 'orders', [good1, good3]);
});
afterAll(async () => {
  await spark?.close();
  await clean?.close();
});

describe('rollback on the Spark engine (Hudi 1.0.2)', () => {
  it('savepoints every commit with the real procedure', async () => {
    for (const id of loadIds) {
      const sp = await readJsonArtifact(spark.store, runUri(LOCAL_LAYOUT, id, 1, 'savepoint.json'));
      expect(sp).toMatchObject({ phase: 'savepoint', loadId: id, created: true });
    }
  });

  it('undoes the corrupt load and the one after it, replays the good one, and Silver equals a clean run', async () => {
    expect(report.report.undoneLoads.map((u) => u.loadId)).toEqual([loadIds[1], loadIds[2]]);
    expect(report.replays.map((r) => [r.loadId, r.outcome])).toEqual([
      [loadIds[1], 'skipped'],
      [loadIds[2], 'started'],
    ]);
    expect((await spark.ledger.get(loadIds[2]!))?.status).toBe('SUCCEEDED');
    const after = await silverOf(spark);
    expect(after.map((r) => r.order_id)).toEqual(['r1', 'r2', 'r3']);
    expect(after).toEqual(await silverOf(clean));
  });
});
