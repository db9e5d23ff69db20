import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnapshotExpiredError, TimeTravelError } from '../../local/engine/snapshots.js';
import { Warehouse } from '../../local/engine/warehouse.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import type { LoadRecord, LoadStatus } from '../../shared/core/load.js';
import type { Ledger, LoadQuery } from '../../shared/ports.js';
import type { ReplayOutcome } from '../../shared/usecases/replay.js';
import {
  type RollbackEngine,
  type RollbackReport,
  type RollbackTarget,
  replayUndoneLoad,
  rollbackDataset,
} from '../../shared/usecases/rollback.js';
import { contract, ndjson, order, tempDir } from '../helpers/fixtures.js';
import { startRuntime } from '../helpers/runtime.js';

const orders = contract('orders');
const items = contract('order_items');
let dir: string;
let wh: Warehouse;

beforeEach(async () => {
  dir = tempDir();
  wh = await Warehouse.open(join(dir, 'warehouse.duckdb'));
});
afterEach(() => wh.close());

type Rec = Record<string, unknown>;

/** Writes a Bronze file for a load (kept, so the load can be re-applied as a new attempt). */
function file(loadId: string, records: readonly Rec[]): string {
  return ndjson(dir, `${loadId}.ndjson`, records);
}

/** Runs the stage and upsert steps of one load attempt on a warehouse; returns its commit id. */
async function apply(
  w: Warehouse,
  c: DatasetContract,
  loadId: string,
  path: string,
  attempt = 1,
): Promise<string> {
  await w.stage(c, { loadId, attempt, file: path, displayName: path });
  return (await w.upsert(c, { loadId, attempt })).commitId;
}

/** Keeps a copy of a table's current content in `main` to compare later states with. */
async function keep(name: string, table = 'silver.orders'): Promise<string> {
  await wh.query(`CREATE TABLE main.${name} AS SELECT * FROM ${table}`);
  return `main.${name}`;
}

/** Full-content comparison, both ways, duplicates counted (EXCEPT ALL); `left` must not be empty. */
async function expectSameRows(left: string, right: string, w: Warehouse = wh): Promise<void> {
  const diff = async (a: string, b: string) =>
    (await w.query(`SELECT * FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}) LIMIT 5`)).rows;
  expect({ onlyLeft: await diff(left, right), onlyRight: await diff(right, left) }).toEqual({
    onlyLeft: [],
    onlyRight: [],
  });
}

async function count(table: string): Promise<number> {
  return Number((await wh.query(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
}

/** A digest of everything a rollback may write: Silver, Gold, the timeline and the undo tables. */
async function state(): Promise<unknown> {
  const digest = async (table: string) =>
    (
      await wh.query(
        `SELECT count(*) AS n, md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) AS h FROM ${table} t`,
      )
    ).rows[0];
  const tables = (
    await wh.query(
      `SELECT schema_name || '.' || table_name AS t FROM duckdb_tables() WHERE NOT temporary AND schema_name <> 'main' ORDER BY 1`,
    )
  ).rows.map((r) => String(r.t));
  const out: Record<string, unknown> = { tables };
  for (const t of tables) {
    const [schema, ...name] = t.split('.');
    out[t] = await digest(`${schema}."${name.join('.').replaceAll('"', '""')}"`);
  }
  return out;
}

// A: five clean orders. B: bad but valid-looking (an order "cancelled" at zero, an absurd total,
// an order that never existed). C: good changes, one of them (o3) older than B's bad version, so
// it was a stale update when C first ran and must apply when C is re-applied without B.
const A = [1, 2, 3, 4, 5].map((i) => order(`o${i}`, '2026-11-20T10:00:00Z', { order_total: 10 * i }));
const B = [
  order('o2', '2026-11-21T12:00:00Z', { status: 'cancelled', order_total: 0 }),
  order('o3', '2026-11-21T12:00:00Z', { order_total: 999_999 }),
  order('o9', '2026-11-21T12:00:00Z', { status: 'delivered', order_total: 5000 }),
];
const C = [
  order('o1', '2026-11-21T09:00:00Z', { status: 'paid', order_total: 10 }),
  order('o2', '2026-11-21T13:00:00Z', { status: 'paid', order_total: 20 }),
  order('o3', '2026-11-21T11:00:00Z', { status: 'shipped', order_total: 30 }),
  order('o6', '2026-11-21T09:00:00Z', { order_total: 60 }),
];

/** Loads A, B, C into `wh`; returns their files and commit ids. */
async function loadABC() {
  const files = { A: file('orders-A', A), B: file('orders-B', B), C: file('orders-C', C) };
  const commits = {
    A: await apply(wh, orders, 'orders-A', files.A),
    B: await apply(wh, orders, 'orders-B', files.B),
    C: await apply(wh, orders, 'orders-C', files.C),
  };
  await wh.buildGold(orders, 'orders-C');
  return { files, commits };
}

describe('rollback to before a bad load', () => {
  it('returns Silver to the state before it; re-applying the later load gives exactly a clean run without it', async () => {
    const { files, commits } = await loadABC();
    expect((await wh.query(`SELECT order_total FROM silver.orders WHERE order_id = 'o3'`)).rows).toEqual([
      { order_total: '999999.00' },
    ]);

    const report = await wh.rollback(orders, { beforeLoad: 'orders-B' });
    expect(report).toMatchObject({
      dataset: 'orders',
      dryRun: false,
      toCommit: commits.A,
      rowsBefore: 7,
      rowsAfter: 5,
      restored: 0,
      reverted: 3,
      removed: 2,
      columnsDropped: [],
      gold: [{ name: 'daily_revenue', rows: 1 }],
    });
    expect(report.undoneLoads.map((u) => [u.loadId, u.commitId])).toEqual([
      ['orders-B', commits.B],
      ['orders-C', commits.C],
    ]);
    const rollbackCommit = (await wh.commits('orders')).at(-1);
    expect(rollbackCommit).toMatchObject({
      commitId: report.commitId,
      loadId: `rollback:${commits.A}`,
      inserted: 0,
      updated: 3,
      deleted: 2,
      rowsAfter: 5,
    });

    // Re-apply C (a new attempt of the same file), as the replay does, and rebuild Gold.
    await apply(wh, orders, 'orders-C', files.C, 2);
    await wh.buildGold(orders, 'orders-C');

    // A clean run of A then C in another warehouse.
    const cleanFile = join(dir, 'clean.duckdb');
    const clean = await Warehouse.open(cleanFile);
    await apply(clean, orders, 'orders-A', files.A);
    await apply(clean, orders, 'orders-C', files.C);
    await clean.buildGold(orders, 'orders-C');
    clean.close();

    await wh.query(`ATTACH '${cleanFile}' AS clean (READ_ONLY)`);
    try {
      expect(await count('clean.silver.orders')).toBe(6);
      await expectSameRows('silver.orders', 'clean.silver.orders');
      await expectSameRows('gold.daily_revenue', 'clean.gold.daily_revenue');
    } finally {
      await wh.query('DETACH clean');
    }
  });

  it('brings back the rows a bad CDC load deleted', async () => {
    const line = (
      op: string | null,
      ts: string,
      orderId: string,
      lineNo: number,
      quantity: number | null,
    ) => ({
      Op: op,
      dms_commit_ts: ts,
      order_id: orderId,
      line_no: lineNo,
      sku: 'SKU-1',
      quantity,
      unit_price: 2.5,
      order_date: '2026-11-20',
    });
    await apply(
      wh,
      items,
      'items-A',
      file('items-A', [
        line(null, '2026-11-20T01:00:00Z', 'a', 1, 1),
        line(null, '2026-11-20T01:00:00Z', 'a', 2, 2),
        line('I', '2026-11-20T01:00:00Z', 'b', 1, 3),
      ]),
    );
    const afterA = await keep('items_after_a', 'silver.order_items');
    await apply(
      wh,
      items,
      'items-B',
      file('items-B', [
        line('D', '2026-11-21T01:00:00Z', 'a', 2, null),
        line('U', '2026-11-21T01:00:00Z', 'a', 1, 9),
        line('I', '2026-11-21T01:00:00Z', 'c', 1, 4),
      ]),
    );
    const report = await wh.rollback(items, { beforeLoad: 'items-B' });
    expect(report).toMatchObject({ restored: 1, reverted: 1, removed: 1, rowsBefore: 3, rowsAfter: 3 });
    await expectSameRows('silver.order_items', afterA);
  });

  it('is a commit itself: it can be undone, and a later rollback sees what it undid', async () => {
    const { commits } = await loadABC();
    const afterC = await keep('after_c');
    const first = await wh.rollback(orders, { beforeLoad: 'orders-B' });
    const second = await wh.rollback(orders, { toCommit: commits.C });
    expect(second.undone.map((u) => [u.commitId, u.rollback])).toEqual([[first.commitId, true]]);
    expect(second.undoneLoads).toEqual([]);
    expect(second.revived.map((u) => u.loadId)).toEqual(['orders-B', 'orders-C']);
    expect(first.revived).toEqual([]);
    await expectSameRows('silver.orders', afterC);
    expect((await wh.timeline('orders')).map((t) => [t.loadId, t.live, t.rollbackTo ?? null])).toEqual([
      ['orders-A', true, null],
      ['orders-B', true, null],
      ['orders-C', true, null],
      [`rollback:${commits.A}`, false, commits.A],
      [`rollback:${commits.C}`, true, commits.C],
    ]);
    // B's commit is live again, so B can be rolled back once more; its undone loads are B and C.
    const third = await wh.rollback(orders, { beforeLoad: 'orders-B' }, { dryRun: true });
    expect(third.undoneLoads.map((u) => u.loadId)).toEqual(['orders-B', 'orders-C']);
  });

  it('drops the columns an undone load added, and brings them back when the rollback is undone', async () => {
    const withChannel: DatasetContract = {
      ...orders,
      silver: {
        ...orders.silver,
        sql: orders.silver.sql.replace(/\s+FROM batch/, ", 'web' AS channel FROM batch"),
      },
    };
    const a = await apply(wh, orders, 'orders-A', file('orders-A', A));
    const afterA = await keep('after_a');
    await apply(wh, withChannel, 'orders-B', file('orders-B', B));
    const afterB = await keep('after_b');
    const columns = async () =>
      (await wh.query('DESCRIBE silver.orders')).rows.map((r) => String(r.column_name));
    expect(await columns()).toContain('channel');

    const report = await wh.rollback(orders, { toCommit: a });
    expect(report).toMatchObject({ columnsDropped: ['channel'], reverted: 2, removed: 1 });
    expect(await columns()).not.toContain('channel');
    await expectSameRows('silver.orders', afterA);

    await wh.rollback(orders, { toCommit: (await wh.commits('orders'))[1]!.commitId });
    expect(await columns()).toContain('channel');
    await expectSameRows('silver.orders', afterB);
  });

  it('returns to an empty table before the first load, and later loads commit on top', async () => {
    const { files } = await loadABC();
    const report = await wh.rollback(orders, { beforeLoad: 'orders-A' });
    expect(report).toMatchObject({ toCommit: 'start', rowsAfter: 0, removed: 7 });
    expect(report.undoneLoads.map((u) => u.loadId)).toEqual(['orders-A', 'orders-B', 'orders-C']);
    expect(await count('silver.orders')).toBe(0);
    await apply(wh, orders, 'orders-A', files.A, 2);
    expect(await count('silver.orders')).toBe(5);
  });

  it('refuses an unknown load, a load already undone, and a rollback to the latest commit', async () => {
    const { commits } = await loadABC();
    await expect(wh.rollback(orders, { beforeLoad: 'orders-nope' })).rejects.toThrow(
      /load orders-nope has no commit in the timeline of orders/,
    );
    await expect(wh.rollback(orders, { toCommit: commits.C })).rejects.toThrow(
      `commit ${commits.C} is the latest commit of orders: there is nothing to roll back`,
    );
    await expect(wh.rollback(orders, { toCommit: '20200101000000000' })).rejects.toThrow(TimeTravelError);
    const r = await wh.rollback(orders, { beforeLoad: 'orders-B' });
    await expect(wh.rollback(orders, { beforeLoad: 'orders-C' })).rejects.toThrow(
      `the commit ${commits.C} of load orders-C was already undone by rollback commit ${r.commitId}`,
    );
  });
});

describe('time travel', () => {
  it('asOf a commit or a time is the table as it was right after that commit', async () => {
    await apply(wh, orders, 'orders-A', file('orders-A', A));
    const afterA = await keep('after_a');
    await apply(wh, orders, 'orders-B', file('orders-B', B));
    const afterB = await keep('after_b');
    await apply(wh, orders, 'orders-C', file('orders-C', C));
    const [a, b, c] = await wh.commits('orders');

    await expectSameRows(await wh.asOf('orders', a!.commitId), afterA);
    await expectSameRows(await wh.asOf('orders', b!.commitId), afterB);
    await expectSameRows(await wh.asOf('orders', c!.commitId), 'silver.orders');
    // A time: the last commit at or before it (committed_at is UTC, microseconds kept).
    await expectSameRows(await wh.asOf('orders', b!.committedAt), afterB);
    await expectSameRows(await wh.asOf('orders', `${b!.committedAt.replace(' ', 'T')}Z`), afterB);
    await expect(wh.asOf('orders', '2001-01-01T00:00:00Z')).rejects.toThrow(
      `no commit of orders at or before 2001-01-01 00:00:00 UTC; its first commit is ${a!.commitId}`,
    );
    await expect(wh.asOf('orders', '20010101000000000')).rejects.toThrow(
      `no commit 20010101000000000 in the timeline of orders`,
    );
    await expect(wh.asOf('orders', 'last tuesday')).rejects.toThrow(/neither a commit id .* nor a timestamp/);
  });

  it('queryAsOf reads silver.<dataset> as of the commit, joins other tables as they are, and cannot write', async () => {
    const { commits } = await loadABC();
    const before = await state();
    const sql = `SELECT o.order_id, o.status, "orders".order_total FROM silver.orders o
      JOIN (SELECT order_id FROM "silver"."orders") USING (order_id)
      JOIN silver.orders ON orders.order_id = o.order_id -- silver.orders in a comment
      WHERE o.order_id <> 'silver.orders' ORDER BY o.order_id`;
    const result = await wh.queryAsOf(sql, { dataset: 'orders', asOf: commits.A });
    expect(result.commit.loadId).toBe('orders-A');
    expect(result.rows.map((r) => [r.order_id, r.status, r.order_total])).toEqual(
      A.map((o) => [o.order_id, 'placed', `${Number(o.order_total).toFixed(2)}`]),
    );
    const gold = await wh.queryAsOf('SELECT count(*) AS n FROM gold.daily_revenue g, silver.orders', {
      dataset: 'orders',
      asOf: commits.B,
    });
    expect(gold.rows).toEqual([{ n: '6' }]);
    await expect(
      wh.queryAsOf('DELETE FROM silver.orders', { dataset: 'orders', asOf: commits.A }),
    ).rejects.toThrow(/must be a single SELECT/);
    await expect(
      wh.queryAsOf('SELECT 1; DROP TABLE silver.orders', { dataset: 'orders', asOf: commits.A }),
    ).rejects.toThrow(/must be a single SELECT/);
    expect(await state()).toEqual(before);
  });

  it('keeps snapshots of the last retainCommits commits; older ones are dropped and asOf names the oldest retained', async () => {
    wh.close();
    wh = await Warehouse.open(join(dir, 'warehouse.duckdb'), { retainCommits: 3 });
    const kept: string[] = [];
    for (let i = 1; i <= 5; i++) {
      await apply(
        wh,
        orders,
        `orders-${i}`,
        file(`orders-${i}`, [
          order(`o${i}`, `2026-11-2${i}T10:00:00Z`),
          order('o0', `2026-11-2${i}T10:00:00Z`, { order_total: i }),
        ]),
      );
      kept.push(await keep(`after_${i}`));
    }
    const timeline = await wh.timeline('orders');
    expect(timeline.map((t) => [t.reachable, t.undo])).toEqual([
      [false, 'pruned'],
      [false, 'pruned'],
      [true, 'pruned'],
      [true, 'delta'],
      [true, 'delta'],
    ]);
    expect(
      (await wh.query(`SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'lakeplane_undo'`)).rows,
    ).toEqual([{ n: '2' }]);
    const c3 = timeline[2]!;
    const attempt = wh.asOf('orders', timeline[1]!.commitId);
    await expect(attempt).rejects.toThrow(SnapshotExpiredError);
    await expect(attempt).rejects.toThrow(
      `is older than the retained snapshots of orders (the last 3 commits keep theirs: retainCommits = 3); the oldest state that can still be reached is right after commit ${c3.commitId} (load orders-3`,
    );
    await expect(wh.rollback(orders, { beforeLoad: 'orders-3' })).rejects.toThrow(SnapshotExpiredError);
    await expectSameRows(await wh.asOf('orders', c3.commitId), kept[2]!);
    await expectSameRows(await wh.asOf('orders', timeline[3]!.commitId), kept[3]!);
  });
});

describe('a rollback that must not write', () => {
  it('a dry run reports what would change and writes nothing', async () => {
    await loadABC();
    const before = await state();
    const dry = await wh.rollback(orders, { beforeLoad: 'orders-B' }, { dryRun: true });
    expect(await state()).toEqual(before);
    expect(dry).toMatchObject({ dryRun: true, rowsBefore: 7, rowsAfter: 5, gold: [] });
    expect(dry.commitId).toBeUndefined();
    const real = await wh.rollback(orders, { beforeLoad: 'orders-B' });
    const { commitId: _c, gold: _g, dryRun: _d, ...figures } = real;
    expect(dry).toMatchObject(figures);
  });

  it('a failure in the middle leaves Silver, Gold and the timeline exactly as they were', async () => {
    const withChannel: DatasetContract = {
      ...orders,
      silver: {
        ...orders.silver,
        sql: orders.silver.sql.replace(/\s+FROM batch/, ", 'web' AS channel FROM batch"),
      },
    };
    await loadABC();
    await apply(wh, withChannel, 'orders-D', file('orders-D', [order('o7', '2026-11-22T10:00:00Z')]));
    const before = await state();
    wh.setBeforeCommitHook((_dataset, loadId) => {
      if (loadId.startsWith('rollback:')) throw new Error('engine crashed mid-rollback');
    });
    // In place (only touched keys) and a full rebuild (a column goes).
    await expect(wh.rollback(orders, { beforeLoad: 'orders-C' })).rejects.toThrow(
      'engine crashed mid-rollback',
    );
    await expect(wh.rollback(orders, { beforeLoad: 'orders-D' })).rejects.toThrow(
      'engine crashed mid-rollback',
    );
    expect(await state()).toEqual(before);
    wh.setBeforeCommitHook(undefined);
    expect(await wh.rollback(orders, { beforeLoad: 'orders-D' })).toMatchObject({
      columnsDropped: ['channel'],
    });
  });
});

describe('rollbackDataset (use case)', () => {
  const contracts: ContractSet = { datasets: new Map([['orders', orders]]) } as unknown as ContractSet;

  function loadRecord(loadId: string, status: LoadStatus = 'SUCCEEDED'): LoadRecord {
    return {
      loadId,
      dataset: 'orders',
      status,
      source: { bucket: 'b', key: `orders/${loadId}`, etag: 'e', size: 1 },
      executionName: loadId,
      attempts: 1,
      registeredAt: '2026-11-20T10:00:00.000Z',
      history: [],
    };
  }

  function fakeLedger(records: LoadRecord[]): Ledger & { records: Map<string, LoadRecord> } {
    const map = new Map(records.map((r) => [r.loadId, r]));
    return {
      records: map,
      register: async () => ({ created: true }),
      get: async (id) => map.get(id),
      transition: async () => undefined,
      list: async (q: LoadQuery) =>
        [...map.values()].filter((r) => r.dataset === q.dataset && (!q.status || r.status === q.status)),
    };
  }

  const undone = (loadId: string, n: number) => ({
    commitId: `2026112010000000${n}`,
    loadId,
    attempt: 1,
    committedAt: '2026-11-20 10:00:00',
    rollback: false,
  });
  const report: RollbackReport = {
    dataset: 'orders',
    dryRun: false,
    toCommit: '20261120100000000',
    commitId: '20261120100000009',
    rowsBefore: 7,
    rowsAfter: 5,
    restored: 0,
    reverted: 3,
    removed: 2,
    columnsDropped: [],
    columnsRestored: [],
    undone: [undone('B', 1), { ...undone('rb', 2), rollback: true }, undone('C', 3), undone('D', 4)],
    undoneLoads: [undone('B', 1), undone('C', 3), undone('D', 4)],
    revived: [],
    gold: [],
  };
  function engine(calls: unknown[]): RollbackEngine {
    return {
      rollback: async (c, target: RollbackTarget, options) => {
        calls.push({ dataset: c.name, target, options });
        return { ...report, dryRun: options?.dryRun ?? false };
      },
    };
  }

  it('replays the undone loads except the bad one, in commit order, waiting after each', async () => {
    const ledger = fakeLedger(['A', 'B', 'C', 'D'].map((id) => loadRecord(id)));
    const calls: unknown[] = [];
    const events: string[] = [];
    const outcome = await rollbackDataset(
      'orders',
      { beforeLoad: 'B' },
      {
        engine: engine(calls),
        ledger,
        contracts,
        replayUndone: async (load): Promise<ReplayOutcome> => {
          events.push(`replay ${load.loadId}`);
          const moved = { ...load, status: 'REGISTERED' as const, attempts: load.attempts + 1 };
          ledger.records.set(load.loadId, moved);
          return { outcome: 'started', load: moved, executionArn: `arn:${load.loadId}` };
        },
      },
      {
        replayAfter: true,
        afterEach: async (load) => {
          events.push(`wait ${load.loadId}`);
          ledger.records.set(load.loadId, { ...load, status: 'SUCCEEDED' });
        },
      },
    );
    expect(calls).toEqual([{ dataset: 'orders', target: { beforeLoad: 'B' }, options: { dryRun: false } }]);
    expect(events).toEqual(['replay C', 'wait C', 'replay D', 'wait D']);
    expect(outcome.replays).toEqual([
      { loadId: 'B', outcome: 'skipped', reason: 'the load rolled back' },
      { loadId: 'C', outcome: 'started', attempt: 2, status: 'SUCCEEDED' },
      { loadId: 'D', outcome: 'started', attempt: 2, status: 'SUCCEEDED' },
    ]);
  });

  it('stops replaying at a replay that fails, so nothing re-applies out of order', async () => {
    const ledger = fakeLedger(['B', 'C', 'D'].map((id) => loadRecord(id)));
    const replayed: string[] = [];
    const outcome = await rollbackDataset(
      'orders',
      { beforeLoad: 'B' },
      {
        engine: engine([]),
        ledger,
        contracts,
        replayUndone: async (load) => {
          replayed.push(load.loadId);
          return { outcome: 'started', load: { ...load, attempts: 2 }, executionArn: 'arn' };
        },
      },
      {
        replayAfter: true,
        afterEach: async (load) => {
          ledger.records.set(load.loadId, { ...load, status: 'FAILED' });
        },
      },
    );
    expect(replayed).toEqual(['C']);
    expect(outcome.replays.map((r) => [r.loadId, r.outcome])).toEqual([
      ['B', 'skipped'],
      ['C', 'started'],
      ['D', 'not-started'],
    ]);
  });

  it('a dry run replays nothing; loads in flight refuse a real rollback', async () => {
    const ledger = fakeLedger([loadRecord('B'), loadRecord('C'), loadRecord('E', 'RUNNING')]);
    const calls: unknown[] = [];
    const deps = {
      engine: engine(calls),
      ledger,
      contracts,
      replayUndone: async (): Promise<ReplayOutcome> => {
        throw new Error('must not replay');
      },
    };
    const dry = await rollbackDataset('orders', { beforeLoad: 'B' }, deps, {
      dryRun: true,
      replayAfter: true,
    });
    expect(dry.report.dryRun).toBe(true);
    expect(dry.replays.map((r) => [r.loadId, r.outcome])).toEqual([
      ['B', 'skipped'],
      ['C', 'not-started'],
      ['D', 'not-started'],
    ]);
    await expect(rollbackDataset('orders', { beforeLoad: 'B' }, deps, {})).rejects.toThrow(
      'orders has loads in flight (E RUNNING)',
    );
    expect(calls).toHaveLength(1);
  });
});

describe('rollback and replay through the local runtime', () => {
  let rt: LocalRuntime | undefined;
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
  });

  it('rolls back to before a bad load and replays the later loads: Silver equals a clean run', async () => {
    ({ rt } = await startRuntime());
    const runtime = rt;
    const landed = [];
    for (const [name, records] of [
      ['A', A],
      ['B', B],
      ['C', C],
    ] as const) {
      landed.push(await runtime.land('orders', file(`rt-${name}`, records)));
      await runtime.idle();
    }
    const bad = landed[1]!.loadId!;
    const outcome = await rollbackDataset(
      'orders',
      { beforeLoad: bad },
      {
        engine: runtime.warehouse,
        ledger: runtime.ledger,
        contracts: runtime.contracts,
        replayUndone: (load, report) =>
          replayUndoneLoad(load, report, {
            contracts: runtime.contracts,
            ledger: runtime.ledger,
            orchestrator: runtime.stepFunctions,
            layout: LOCAL_LAYOUT,
          }),
      },
      { replayAfter: true, afterEach: () => runtime.idle() },
    );
    expect(outcome.replays.map((r) => r.outcome)).toEqual(['skipped', 'started']);
    expect(await runtime.ledger.get(landed[2]!.loadId!)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });

    const cleanFile = join(dir, 'clean-rt.duckdb');
    const clean = await Warehouse.open(cleanFile);
    await apply(clean, orders, 'orders-A', file('orders-A', A));
    await apply(clean, orders, 'orders-C', file('orders-C', C));
    clean.close();
    await runtime.warehouse.query(`ATTACH '${cleanFile}' AS clean (READ_ONLY)`);
    await expectSameRows('silver.orders', 'clean.silver.orders', runtime.warehouse);
    await runtime.warehouse.query('DETACH clean');
  });
});
