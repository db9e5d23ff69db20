import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MalformedFileError, Warehouse } from '../../local/engine/warehouse.js';
import { contract, ndjson, order, tempDir } from '../helpers/fixtures.js';

const orders = contract('orders');
const items = contract('order_items');
let dir: string;
let wh: Warehouse;
let seq = 0;

beforeEach(async () => {
  dir = tempDir();
  wh = await Warehouse.open(join(dir, 'warehouse.duckdb'));
});
afterEach(() => wh.close());

/** Stages and upserts one file as a load; returns the stage and upsert results. */
async function load(c: typeof orders, records: readonly (Record<string, unknown> | string)[]) {
  const loadId = `${c.name}-load${++seq}`;
  const file = ndjson(dir, `${loadId}.ndjson`, records);
  const staged = await wh.stage(c, { loadId, attempt: 1, file, displayName: file });
  const upsert = await wh.upsert(c, { loadId, attempt: 1 });
  return { loadId, staged, upsert };
}

async function silver(sql = 'SELECT order_id, status, updated_at FROM silver.orders ORDER BY order_id') {
  return (await wh.query(sql)).rows;
}

async function digest(table: string): Promise<unknown> {
  return (
    await wh.query(
      `SELECT count(*) AS n, md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) AS h FROM ${table} t`,
    )
  ).rows[0];
}

describe('dedupe within a batch', () => {
  it('keeps the record with the greatest precombine value', async () => {
    const { staged } = await load(orders, [
      order('o1', '2026-11-20T10:00:00Z', { status: 'placed' }),
      order('o1', '2026-11-20T12:00:00Z', { status: 'shipped' }),
      order('o1', '2026-11-20T11:00:00Z', { status: 'paid' }),
    ]);
    expect(staged.result).toMatchObject({
      rowsIn: 3,
      rowsStaged: 1,
      duplicatesDropped: 2,
      rowsQuarantined: 0,
    });
    expect(await silver()).toEqual([
      { order_id: 'o1', status: 'shipped', updated_at: '2026-11-20 12:00:00' },
    ]);
  });

  it('gives a tie to the record that arrived later in the file', async () => {
    await load(orders, [
      order('o1', '2026-11-20T10:00:00Z', { status: 'first' }),
      order('o1', '2026-11-20T10:00:00Z', { status: 'second' }),
    ]);
    expect((await silver())[0]?.status).toBe('second');
  });
});

describe('upsert with event-time ordering', () => {
  it('never lets a stale update replace a newer row', async () => {
    await load(orders, [order('o1', '2026-11-21T10:00:00Z', { status: 'shipped' })]);
    const late = await load(orders, [order('o1', '2026-11-20T10:00:00Z', { status: 'placed' })]);
    expect(late.upsert).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
    expect(await silver()).toEqual([
      { order_id: 'o1', status: 'shipped', updated_at: '2026-11-21 10:00:00' },
    ]);
  });

  it('replaces a row with a record of equal or greater precombine', async () => {
    await load(orders, [order('o1', '2026-11-21T10:00:00Z', { status: 'paid' })]);
    const equal = await load(orders, [order('o1', '2026-11-21T10:00:00Z', { status: 'refunded' })]);
    expect(equal.upsert).toMatchObject({ inserted: 0, updated: 1 });
    const newer = await load(orders, [
      order('o1', '2026-11-22T10:00:00Z', { status: 'closed' }),
      order('o2', '2026-11-22T10:00:00Z'),
    ]);
    expect(newer.upsert).toMatchObject({ inserted: 1, updated: 1 });
    expect((await silver()).map((r) => r.status)).toEqual(['closed', 'placed']);
  });

  it('loading the same data twice changes nothing, and counts each record as replaced (as Hudi rewrites it)', async () => {
    const records = [order('o1', '2026-11-21T10:00:00Z'), order('o2', '2026-11-21T11:00:00Z')];
    await load(orders, records);
    const before = await digest('silver.orders');
    const again = await load(orders, records);
    expect(again.upsert).toMatchObject({ inserted: 0, updated: 2, deleted: 0 });
    expect(await digest('silver.orders')).toEqual(before);
  });

  it('normalises timestamps with offsets to UTC', async () => {
    await load(orders, [order('o1', '2026-11-21T12:00:00+02:00')]);
    expect((await silver())[0]?.updated_at).toBe('2026-11-21 10:00:00');
  });

  it('derives the Silver columns with the contract SQL', async () => {
    await load(orders, [
      order('o1', '2026-11-21T10:00:00Z', {
        order_total: 100,
        fx_rate: 1.25,
        order_ts: '2026-11-19T23:30:00Z',
      }),
    ]);
    expect(await silver('SELECT order_total_usd, order_date FROM silver.orders')).toEqual([
      { order_total_usd: '125.00', order_date: '2026-11-19' },
    ]);
  });
});

describe('CDC (DMS Op column)', () => {
  const line = (
    op: string | null,
    ts: string,
    orderId: string,
    lineNo: number,
    quantity: number | null = 1,
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
  const rows = async () =>
    (await wh.query('SELECT order_id, line_no, quantity FROM silver.order_items ORDER BY 1, 2')).rows;

  it('inserts, updates and deletes by composite key', async () => {
    await load(items, [
      line(null, '2026-11-20T01:00:00Z', 'a', 1),
      line(null, '2026-11-20T01:00:00Z', 'a', 2),
      line('I', '2026-11-20T01:00:00Z', 'b', 1),
    ]);
    const changes = await load(items, [
      line('U', '2026-11-21T01:00:00Z', 'a', 1, 5),
      line('D', '2026-11-21T01:00:00Z', 'a', 2, null),
      line('D', '2026-11-21T01:00:00Z', 'zz', 9, null),
    ]);
    expect(changes.upsert).toMatchObject({ inserted: 0, updated: 1, deleted: 1 });
    expect(await rows()).toEqual([
      { order_id: 'a', line_no: 1, quantity: 5 },
      { order_id: 'b', line_no: 1, quantity: 1 },
    ]);
  });

  it('applies deletes in the very first load of a dataset', async () => {
    const first = await load(items, [
      line('I', '2026-11-20T01:00:00Z', 'a', 1),
      line('D', '2026-11-20T02:00:00Z', 'b', 1, null),
    ]);
    expect(first.upsert).toMatchObject({ inserted: 1, deleted: 0 });
    expect(await rows()).toEqual([{ order_id: 'a', line_no: 1, quantity: 1 }]);
  });

  it('ignores a delete older than the stored row', async () => {
    await load(items, [line('U', '2026-11-22T01:00:00Z', 'a', 1, 7)]);
    const stale = await load(items, [line('D', '2026-11-21T01:00:00Z', 'a', 1, null)]);
    expect(stale.upsert.deleted).toBe(0);
    expect(await rows()).toEqual([{ order_id: 'a', line_no: 1, quantity: 7 }]);
  });

  it('lets the latest event of a key in one batch decide, delete included', async () => {
    await load(items, [line('I', '2026-11-20T01:00:00Z', 'a', 1)]);
    await load(items, [
      line('U', '2026-11-21T01:00:00Z', 'a', 1, 3),
      line('D', '2026-11-21T02:00:00Z', 'a', 1, null),
    ]);
    expect(await rows()).toEqual([]);
  });
});

describe('bad input', () => {
  it('quarantines each bad record with a reason naming the field, and loads the rest', async () => {
    const good = Array.from({ length: 20 }, (_, i) => order(`o${i}`, '2026-11-21T10:00:00Z'));
    const { staged } = await load(orders, [
      ...good.slice(0, 4),
      order('x1', '2026-11-21T10:00:00Z', { customer_id: null }),
      ...good.slice(4, 8),
      order('x2', '2026-11-21T10:00:00Z', { fx_rate: 'n/a' }),
      '{"order_id": "x3", "status": "pla',
      '[1, 2, 3]',
      '',
      ...good.slice(8),
    ]);
    expect(staged.result).toMatchObject({ rowsIn: 24, rowsQuarantined: 4, rowsStaged: 20 });
    expect(staged.reader).toBe('line-by-line');
    expect(staged.bad.map((b) => [b.line, b.reason])).toEqual([
      [5, 'field customer_id: null (not nullable)'],
      [10, 'field fx_rate: "n/a" is not a double'],
      [11, 'not valid JSON: Unterminated string starting at: line 1 column 30 (char 29)'],
      [12, 'not a JSON object (the line is an array)'],
    ]);
    expect(staged.bad[2]?.raw).toBe('{"order_id": "x3", "status": "pla');
    expect((await silver()).length).toBe(20);
  });

  it('fails a file that is not NDJSON and leaves Silver exactly as it was', async () => {
    await load(orders, [order('o1', '2026-11-21T10:00:00Z')]);
    const before = await digest('silver.orders');
    const file = ndjson(dir, 'export.csv.ndjson', ['order_id,status', 'o1,cancelled', 'o2,placed']);
    const attempt = wh.stage(orders, {
      loadId: 'orders-bad',
      attempt: 1,
      file,
      displayName: 's3://bronze/orders/export.ndjson',
    });
    await expect(attempt).rejects.toThrow(MalformedFileError);
    await expect(attempt).rejects.toThrow(
      /s3:\/\/bronze\/orders\/export\.ndjson: 3 of 3 records are unreadable.*first at line 1: not valid JSON/,
    );
    expect(await digest('silver.orders')).toEqual(before);
  });

  it('quarantines a line that is not UTF-8 with its reason and loads the rest (the record rules)', async () => {
    const file = join(dir, 'latin1.ndjson');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(`${JSON.stringify(order('o1', '2026-11-21T10:00:00Z'))}\n`),
        Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d, 0x0a]),
        ...['o2', 'o3', 'o4', 'o5'].map((id) =>
          Buffer.from(`${JSON.stringify(order(id, '2026-11-21T10:00:00Z'))}\n`),
        ),
      ]),
    );
    const staged = await wh.stage(orders, {
      loadId: 'orders-latin1',
      attempt: 1,
      file,
      displayName: 'latin1.ndjson',
    });
    expect(staged.result).toMatchObject({ rowsIn: 6, rowsQuarantined: 1, rowsStaged: 5 });
    expect(staged.bad.map((b) => [b.line, b.reason, b.raw])).toEqual([
      [2, 'not valid UTF-8: byte 0xe9 at offset 6', '{"a":"\\xe9"}'],
    ]);
  });
});

describe('atomic commits', () => {
  it('leaves Silver and the commit timeline exactly as before when the upsert fails before COMMIT', async () => {
    await load(orders, [order('o1', '2026-11-21T10:00:00Z')]);
    const before = { silver: await digest('silver.orders'), commits: await digest('lakeplane.commits') };
    const file = ndjson(dir, 'next.ndjson', [
      order('o1', '2026-11-22T10:00:00Z', { status: 'paid' }),
      order('o2', '2026-11-22T10:00:00Z'),
    ]);
    await wh.stage(orders, { loadId: 'orders-next', attempt: 1, file, displayName: file });
    wh.setBeforeCommitHook(() => {
      throw new Error('engine crashed mid-commit');
    });
    await expect(wh.upsert(orders, { loadId: 'orders-next', attempt: 1 })).rejects.toThrow(
      'engine crashed mid-commit',
    );
    expect({ silver: await digest('silver.orders'), commits: await digest('lakeplane.commits') }).toEqual(
      before,
    );

    wh.setBeforeCommitHook(undefined);
    const retried = await wh.upsert(orders, { loadId: 'orders-next', attempt: 1 });
    expect(retried).toMatchObject({ inserted: 1, updated: 1 });
  });

  it('rolls back the first commit of a dataset (staged table renamed into Silver) as a whole', async () => {
    const file = ndjson(dir, 'first.ndjson', [
      order('o1', '2026-11-22T10:00:00Z'),
      order('o2', '2026-11-22T10:00:00Z'),
    ]);
    await wh.stage(orders, { loadId: 'orders-first', attempt: 1, file, displayName: file });
    wh.setBeforeCommitHook(() => {
      throw new Error('crash during the first commit');
    });
    await expect(wh.upsert(orders, { loadId: 'orders-first', attempt: 1 })).rejects.toThrow(
      'crash during the first commit',
    );
    const tables = async () =>
      (
        await wh.query("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'silver' ORDER BY 1")
      ).rows.map((r) => r.table_name);
    expect(await tables()).toEqual(['__lp_staging_orders-first#1']);
    expect(await wh.commits('orders')).toEqual([]);
    wh.setBeforeCommitHook(undefined);
    expect(await wh.upsert(orders, { loadId: 'orders-first', attempt: 1 })).toMatchObject({
      inserted: 2,
      updated: 0,
    });
    expect(await tables()).toEqual(['orders']);
  });

  it('returns the recorded commit when the upsert step runs again for the same attempt', async () => {
    const first = await load(orders, [order('o1', '2026-11-21T10:00:00Z')]);
    const before = await digest('silver.orders');
    const again = await wh.upsert(orders, { loadId: first.loadId, attempt: 1 });
    expect(again).toEqual(first.upsert);
    expect(await digest('silver.orders')).toEqual(before);
    const commits = await wh.commits('orders');
    expect(commits.map((c) => c.loadId)).toEqual([first.loadId]);
  });

  it('records a strictly increasing commit id per commit with its counts', async () => {
    await load(orders, [order('o1', '2026-11-21T10:00:00Z')]);
    await load(orders, [order('o1', '2026-11-22T10:00:00Z'), order('o2', '2026-11-22T10:00:00Z')]);
    const commits = await wh.commits('orders');
    expect(commits).toHaveLength(2);
    expect(commits[1]!.commitId > commits[0]!.commitId).toBe(true);
    expect(commits.map((c) => [c.inserted, c.updated, c.rowsAfter])).toEqual([
      [1, 0, 1],
      [1, 1, 2],
    ]);
  });
});

describe('gold', () => {
  it("rebuilds the dataset's Gold tables from Silver", async () => {
    const { loadId } = await load(orders, [
      order('o1', '2026-11-21T10:00:00Z', { order_total: 10, fx_rate: 2 }),
      order('o2', '2026-11-21T10:00:00Z', { order_total: 5, fx_rate: 1 }),
      order('o3', '2026-11-21T10:00:00Z', { status: 'cancelled' }),
    ]);
    const gold = await wh.buildGold(orders, loadId);
    expect(gold.tables).toEqual([{ name: 'daily_revenue', rows: 1 }]);
    expect((await wh.query('SELECT orders, revenue_usd FROM gold.daily_revenue')).rows).toEqual([
      { orders: '2', revenue_usd: '25.00' },
    ]);
  });
});

describe('a load of several objects (a coalesced load)', () => {
  /** Stages the objects as one load (in this order) and upserts it. */
  async function loadObjects(
    c: typeof orders,
    files: readonly (readonly (Record<string, unknown> | string)[])[],
  ) {
    const loadId = `${c.name}-coalesced${++seq}`;
    const objects = files.map((records, i) => ({
      file: ndjson(dir, `${loadId}-${i}.ndjson`, records),
      source: `s3://bronze/orders/${loadId}-${i}.ndjson?versionId=v${i}`,
    }));
    const staged = await wh.stage(c, { loadId, attempt: 1, objects });
    await wh.upsert(c, { loadId, attempt: 1 });
    return { loadId, staged, objects };
  }

  it('a precombine tie goes to the later object, then the later line', async () => {
    const t = '2026-11-01T10:00:00Z';
    // The first object takes the typed reader (no line numbers, rowid order), the second has a
    // bad line and is read line by line: its line 1 must still beat the first object's rows.
    const first = [
      ...Array.from({ length: 8 }, (_, i) => order(`F${i}`, t)),
      order('A', t, { status: 'a-line9' }),
      order('A', t, { status: 'a-line10' }),
    ];
    const second = [
      order('A', t, { status: 'b-line1' }),
      order('B', t, { status: 'b-only' }),
      ...Array.from({ length: 5 }, (_, i) => order(`S${i}`, t)),
      'not json',
    ];
    const { staged } = await loadObjects(orders, [
      first,
      second,
      [order('B', '2026-11-01T09:00:00Z', { status: 'older' })],
    ]);
    expect(staged.result).toMatchObject({ rowsIn: 19, rowsQuarantined: 1, objectsRejected: 0 });
    expect(
      await silver(
        "SELECT order_id, status FROM silver.orders WHERE order_id IN ('A', 'B') ORDER BY order_id",
      ),
    ).toEqual([
      { order_id: 'A', status: 'b-line1' },
      { order_id: 'B', status: 'b-only' },
    ]);
    await loadObjects(orders, [[order('A', t, { status: 'c-line1' }), order('A', t, { status: 'c-line2' })]]);
    expect(await silver("SELECT status FROM silver.orders WHERE order_id = 'A'")).toEqual([
      { status: 'c-line2' },
    ]);
  });

  it('gives the same Silver as the same records in one file', async () => {
    const records = Array.from({ length: 40 }, (_, i) =>
      order(`O${i % 13}`, `2026-11-01T10:00:${String(i % 7).padStart(2, '0')}Z`, { status: `s${i}` }),
    );
    await loadObjects(orders, [
      records.slice(0, 9),
      records.slice(9, 10),
      records.slice(10, 33),
      records.slice(33),
    ]);
    const coalesced = await digest('silver.orders');
    wh.close();
    dir = tempDir();
    wh = await Warehouse.open(join(dir, 'warehouse.duckdb'));
    await load(orders, records);
    expect(await digest('silver.orders')).toEqual(coalesced);
  });

  it('rejects an object over the bad-record ratio whole and loads the others; records in = Silver + quarantine', async () => {
    const { staged, objects } = await loadObjects(orders, [
      [order('A', '2026-11-01T10:00:00Z')],
      ['not json', order('B', '2026-11-01T10:00:00Z'), '{"also": "bad"', ''],
      [order('C', '2026-11-01T10:00:00Z'), 'oops'],
    ]);
    expect(staged.result).toMatchObject({ rowsIn: 6, rowsQuarantined: 5, rowsStaged: 1, objectsRejected: 2 });
    const q = staged.bad.map((b) => [
      b.source,
      b.line,
      b.reason.replace(/^not valid JSON.*/, 'not valid JSON'),
    ]);
    // Orders allows 20 % bad records: the second object (2 of 3 bad) and the third (1 of 2) are rejected.
    expect(q).toEqual([
      [objects[1]!.source, 1, 'not valid JSON'],
      [
        objects[1]!.source,
        2,
        'object rejected: 2 of 3 records are bad (more than bronze.max_bad_record_ratio allows); fix the file and land it again',
      ],
      [objects[1]!.source, 3, 'not valid JSON'],
      [
        objects[2]!.source,
        1,
        'object rejected: 1 of 2 records are bad (more than bronze.max_bad_record_ratio allows); fix the file and land it again',
      ],
      [objects[2]!.source, 2, 'not valid JSON'],
    ]);
    expect(await silver('SELECT order_id FROM silver.orders ORDER BY order_id')).toEqual([{ order_id: 'A' }]);
  });

  it('fails when every object is over the ratio, naming the first', async () => {
    const files = [['x', 'y'], ['z']].map((lines, i) => ({
      file: ndjson(dir, `all-bad-${i}.ndjson`, lines),
      source: `s3://bronze/orders/all-bad-${i}.ndjson`,
    }));
    await expect(wh.stage(orders, { loadId: 'orders-allbad', attempt: 1, objects: files })).rejects.toThrow(
      new MalformedFileError(
        "s3://bronze/orders/all-bad-0.ndjson: 2 of 2 records are unreadable (more than the contract's max_bad_record_ratio 0.2); first at line 1: not valid JSON",
      ).message.slice(0, 60),
    );
  });
});

describe('compressed input', () => {
  it('a truncated gzip file fails whole, naming it; the complete file loads every record', async () => {
    const records = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify(order(`g${i}`, '2026-11-20T10:00:00Z')),
    );
    const whole = gzipSync(`${records.join('\n')}\n`);
    const truncated = join(dir, 'cut.ndjson.gz');
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.7)));
    await expect(
      wh.stage(orders, {
        loadId: 'orders-cut',
        attempt: 1,
        file: truncated,
        displayName: 's3://b/orders/cut.ndjson.gz',
      }),
    ).rejects.toThrow(
      /^s3:\/\/b\/orders\/cut\.ndjson\.gz is not a whole gzip file \(unexpected end of file\): nothing of it was loaded; land the complete file again$/,
    );
    const complete = join(dir, 'whole.ndjson.gz');
    writeFileSync(complete, whole);
    const staged = await wh.stage(orders, {
      loadId: 'orders-whole',
      attempt: 1,
      file: complete,
      displayName: complete,
    });
    expect(staged.result).toMatchObject({ rowsIn: 10, rowsStaged: 10 });
  });
});
