/**
 * bench:load — the local load path against the bare engine, in one process.
 *
 * 1,000,000 Bronze order records (10% duplicate keys), then a 200,000-record upsert batch
 * (half updates of stored keys, some of them stale, half new keys). Pipeline: `LocalRuntime.land`
 * → object event → object-landed → ledger → state machine → DuckDB stage/upsert/gold →
 * load-events. Baseline: DuckDB alone reading the same files typed, deduping by key and
 * MERGE-ing into a table. Three alternating rounds (BENCH_ROUNDS), medians reported. Prints one
 * JSON line; target: pipeline ≤ 2× baseline.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalRuntime } from '../local/runtime.js';
import { type OrderFiles as Files, writeOrderFiles } from './orders-data.js';

const BASE_ROWS = Number(process.env.BENCH_BASE_ROWS ?? 1_000_000);
const UPSERT_ROWS = Number(process.env.BENCH_UPSERT_ROWS ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'lakeplane-bench-'));

interface Timing {
  readonly baseMs: number;
  readonly upsertMs: number;
  readonly rows: number;
}

async function pipeline(files: Files, round: number): Promise<Timing> {
  const rt = await LocalRuntime.start({ home: join(dir, `home-${round}`), print: () => undefined });
  try {
    const time = async (file: string) => {
      const t = performance.now();
      const landed = await rt.land('orders', file);
      await rt.idle();
      const load = landed.loadId ? await rt.ledger.get(landed.loadId) : undefined;
      if (load?.status !== 'SUCCEEDED') throw new Error(`bench load failed: ${JSON.stringify(load?.cause)}`);
      return performance.now() - t;
    };
    const baseMs = await time(files.base);
    const upsertMs = await time(files.upsert);
    const rows = Number((await rt.warehouse.query('SELECT count(*) AS n FROM silver.orders')).rows[0]?.n);
    return { baseMs, upsertMs, rows };
  } finally {
    await rt.close();
  }
}

async function bare(files: Files, round: number): Promise<Timing> {
  const db = await DuckDBInstance.create(join(dir, `bare-${round}.duckdb`), {
    autoinstall_known_extensions: 'false',
  });
  const c = await db.connect();
  const cols = `{order_id:'VARCHAR',customer_id:'VARCHAR',customer_email:'VARCHAR',status:'VARCHAR',order_ts:'TIMESTAMP',order_total:'DECIMAL(12,2)',currency:'VARCHAR',fx_rate:'DOUBLE',updated_at:'TIMESTAMP'}`;
  const deduped = (file: string) =>
    `SELECT * FROM read_json('${file}', format='newline_delimited', columns=${cols}) QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY updated_at DESC) = 1`;
  let t = performance.now();
  await c.run(`CREATE TABLE silver AS ${deduped(files.base)}`);
  const baseMs = performance.now() - t;
  t = performance.now();
  await c.run(`BEGIN; CREATE TEMP TABLE batch AS ${deduped(files.upsert)};
    MERGE INTO silver t USING batch s ON t.order_id = s.order_id
    WHEN MATCHED AND s.updated_at >= t.updated_at THEN UPDATE
    WHEN NOT MATCHED THEN INSERT; COMMIT;`);
  const upsertMs = performance.now() - t;
  const rows = Number((await c.runAndReadAll('SELECT count(*) AS n FROM silver')).getRowObjectsJson()[0]?.n);
  c.closeSync();
  db.closeSync();
  return { baseMs, upsertMs, rows };
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const files = writeOrderFiles(dir, BASE_ROWS, UPSERT_ROWS);
  const p: Timing[] = [];
  const b: Timing[] = [];
  // Alternate the two so that machine noise hits both alike; report medians.
  for (let round = 0; round < ROUNDS; round++) {
    b.push(await bare(files, round));
    p.push(await pipeline(files, round));
    if (p[round]!.rows !== b[round]!.rows)
      throw new Error(`row counts differ: pipeline ${p[round]!.rows}, bare ${b[round]!.rows}`);
  }
  const pipelineMs = median(p.map((r) => r.baseMs + r.upsertMs));
  const bareMs = median(b.map((r) => r.baseMs + r.upsertMs));
  const round = (n: number) => Math.round(n);
  console.log(
    JSON.stringify({
      bench: 'load',
      baseRows: BASE_ROWS,
      upsertRows: UPSERT_ROWS,
      silverRows: p[0]!.rows,
      rounds: ROUNDS,
      pipelineMs: round(pipelineMs),
      pipelineBaseMs: round(median(p.map((r) => r.baseMs))),
      pipelineUpsertMs: round(median(p.map((r) => r.upsertMs))),
      bareEngineMs: round(bareMs),
      bareBaseMs: round(median(b.map((r) => r.baseMs))),
      bareUpsertMs: round(median(b.map((r) => r.upsertMs))),
      ratio: Number((pipelineMs / bareMs).toFixed(2)),
      target: 2,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
