import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { replayLoad } from '../../shared/usecases/replay.js';
import { resumeDataset } from '../../shared/usecases/resume-dataset.js';
import { DATASETS, ndjson, order, tempDir } from '../helpers/fixtures.js';
import { executions, startRuntime } from '../helpers/runtime.js';

let rt: LocalRuntime;
afterEach(async () => {
  await rt?.close();
});

const deps = () => ({
  contracts: rt.contracts,
  ledger: rt.ledger,
  orchestrator: rt.stepFunctions,
  layout: LOCAL_LAYOUT,
});

async function failedLoad(): Promise<string> {
  let broken = true;
  rt.emr.fault = (job) => {
    if (broken && job === 'silver_to_gold.py') throw new Error('gold cluster unavailable');
  };
  const landed = await rt.land(
    'orders',
    ndjson(tempDir(), 'd.ndjson', [order('o1', '2026-11-20T10:00:00Z')]),
  );
  await rt.idle();
  expect((await rt.ledger.get(landed.loadId!))?.status).toBe('FAILED');
  broken = false;
  return landed.loadId!;
}

describe('replay of a failed load', () => {
  it('runs the same object version again as attempt 2 and succeeds once the cause is gone', async () => {
    ({ rt } = await startRuntime());
    const loadId = await failedLoad();
    const result = await replayLoad(loadId, deps());
    expect(result.outcome).toBe('started');
    await rt.idle();
    const load = await rt.ledger.get(loadId);
    expect(load).toMatchObject({ status: 'SUCCEEDED', attempts: 2, executionName: `${loadId}-a2` });
    expect(load?.cause).toBeUndefined();
    expect(load?.history.map((h) => h.status)).toEqual([
      'REGISTERED',
      'RUNNING',
      'FAILED',
      'REGISTERED',
      'RUNNING',
      'SUCCEEDED',
    ]);
    expect(executions(rt)).toEqual([loadId, `${loadId}-a2`]);
    expect((await rt.warehouse.query('SELECT count(*) AS n FROM gold.daily_revenue')).rows).toEqual([
      { n: '1' },
    ]);
  });

  it('starts exactly one execution when two replays of a load race', async () => {
    ({ rt } = await startRuntime());
    const loadId = await failedLoad();
    const results = await Promise.all([replayLoad(loadId, deps()), replayLoad(loadId, deps())]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['refused', 'started']);
    await rt.idle();
    expect(executions(rt)).toEqual([loadId, `${loadId}-a2`]);
  });

  it('refuses to replay a load that succeeded, or one that does not exist', async () => {
    ({ rt } = await startRuntime());
    const landed = await rt.land(
      'orders',
      ndjson(tempDir(), 'ok.ndjson', [order('o1', '2026-11-20T10:00:00Z')]),
    );
    await rt.idle();
    expect(await replayLoad(landed.loadId!, deps())).toEqual({
      outcome: 'refused',
      reason: `load ${landed.loadId} was not replayed: it succeeded; replaying it would change nothing`,
    });
    expect((await replayLoad('orders-nope', deps())).outcome).toBe('refused');
  });
});

describe('replay, on-call details', () => {
  it('says what a dry run would do and changes nothing', async () => {
    ({ rt } = await startRuntime());
    const loadId = await failedLoad();
    const before = await rt.ledger.get(loadId);
    const dry = await replayLoad(loadId, deps(), { dryRun: true });
    expect(dry).toMatchObject({ outcome: 'would-start', attempt: 2 });
    expect(await rt.ledger.get(loadId)).toEqual(before);
    expect(executions(rt)).toEqual([loadId]);
  });

  it('a failed load a later successful load of the same key read again is RESOLVED by it, and its replay refused', async () => {
    ({ rt } = await startRuntime());
    const dir = tempDir();
    rt.emr.fault = (job) => {
      if (job === 'silver_to_gold.py') throw new Error('gold cluster unavailable');
    };
    const first = await rt.land('orders', ndjson(dir, 'same.ndjson', [order('o1', '2026-11-20T10:00:00Z')]));
    await rt.idle();
    rt.emr.fault = undefined;
    await rt.land(
      'orders',
      ndjson(dir, 'same.ndjson', [order('o1', '2026-11-21T10:00:00Z', { status: 'fixed' })]),
    );
    await rt.idle();
    const later = (await rt.ledger.list({ dataset: 'orders', status: 'SUCCEEDED' }))[0]!;
    const resolved = await rt.ledger.get(first.loadId!);
    expect(resolved?.status).toBe('RESOLVED');
    expect(resolved?.resolvedBy).toBe(later.loadId);
    const refused = await replayLoad(first.loadId!, deps());
    expect(refused.outcome).toBe('refused');
    expect(refused.outcome === 'refused' && refused.reason).toBe(
      `load ${first.loadId} was not replayed: it is RESOLVED: load ${later.loadId} read its object key again and succeeded, so nothing is left to do (replaying it would bring the older version back)`,
    );
  });

  it('succeeds once the contract is fixed: a quality failure replayed with the new contract', async () => {
    const home = tempDir();
    const datasets = tempDir();
    for (const f of readdirSync(DATASETS)) copyFileSync(join(DATASETS, f), join(datasets, f));
    rt = await LocalRuntime.start({ home, datasetsDir: datasets, print: () => undefined });
    const landed = await rt.land(
      'orders',
      ndjson(tempDir(), 'jpy.ndjson', [order('ord-1', '2026-11-20T10:00:00Z', { currency: 'JPY' })]),
    );
    await rt.idle();
    expect((await rt.ledger.get(landed.loadId!))?.status).toBe('FAILED_QUALITY');
    await rt.close();

    // The team decides JPY is valid: the contract changes, the load is replayed.
    const file = join(datasets, 'orders.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('value_set: [EUR, USD, GBP]', 'value_set: [EUR, USD, GBP, JPY]'),
    );
    rt = await LocalRuntime.start({ home, datasetsDir: datasets, print: () => undefined });
    const result = await replayLoad(landed.loadId!, deps());
    expect(result.outcome).toBe('started');
    await rt.idle();
    expect((await rt.ledger.get(landed.loadId!))?.status).toBe('SUCCEEDED');
    expect((await rt.warehouse.query('SELECT currency FROM silver.orders')).rows).toEqual([
      { currency: 'JPY' },
    ]);
    expect((await replayLoad(landed.loadId!, deps())).outcome).toBe('refused');
  });
});

describe('replay of a coalesced load', () => {
  it('is refused when a later load succeeded with a newer version of any of its keys, naming it', async () => {
    ({ rt } = await startRuntime());
    const dir = tempDir();
    // Two files wait while the dataset is paused; on resume one load takes both and fails.
    await rt.control.pause('orders', 'a source change', 'oncall');
    await rt.land('orders', ndjson(dir, 'a.ndjson', [order('o1', '2026-11-20T10:00:00Z')]));
    const b = await rt.land('orders', ndjson(dir, 'b.ndjson', [order('o2', '2026-11-20T10:00:00Z')]));
    let broken = true;
    rt.emr.fault = (job) => {
      if (broken && job === 'bronze_to_silver.py') throw new Error('stage cluster unavailable');
    };
    await resumeDataset(
      'orders',
      { ...rt.replayDeps, control: rt.control, scheduler: rt.scheduler },
      { by: 'oncall' },
    );
    await rt.idle();
    broken = false;
    const coalesced = (await rt.loadOf('orders', b))!;
    expect(await rt.ledger.get(coalesced)).toMatchObject({ status: 'FAILED', manifest: { objects: 2 } });

    // A newer b.ndjson (its second object) loads on its own.
    const fixed = await rt.land(
      'orders',
      ndjson(tempDir(), 'b.ndjson', [order('o2', '2026-11-20T11:00:00Z', { status: 'paid' })]),
    );
    await rt.idle();
    expect((await rt.ledger.get(fixed.loadId!))?.status).toBe('SUCCEEDED');

    const refused = await replayLoad(coalesced, rt.replayDeps);
    expect(refused).toEqual({
      outcome: 'refused',
      reason: `load ${coalesced} was not replayed: it is superseded by load ${fixed.loadId} of the same object key (orders/b.ndjson), which succeeded later; replaying it would bring back the older version. Land corrected files for what it still lacks`,
    });
    expect((await rt.warehouse.query("SELECT status FROM silver.orders WHERE order_id = 'o2'")).rows).toEqual(
      [{ status: 'paid' }],
    );
  });
});
