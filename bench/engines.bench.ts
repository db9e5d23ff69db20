/**
 * bench:engines — the same loads on both local engines, in one process: a 100,000-row order file,
 * then a 20,000-row upsert batch, each landed in Bronze and run through the whole load path
 * (object event, ledger, load-dataset state machine, the engine's stage, validate, gate, upsert,
 * savepoint and Gold steps, load-events), as `lakeplane [--engine spark] load` runs them.
 * DuckDB first, then Spark (the spark-jobs in Spark local mode, Hudi 1.0.2, GX 1.8.1). The Spark
 * driver's start is in the Spark load's time, since every CLI command on the Spark engine pays it.
 * Prints one JSON line with both and their ratio (Spark / DuckDB).
 * Needs the Spark toolchain: `npm run setup:spark`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRuntime } from '../local/runtime.js';
import type { LocalEngineName } from '../local/workspace.js';
import { writeOrderFiles } from './orders-data.js';

const BASE_ROWS = Number(process.env.BENCH_BASE_ROWS ?? 100_000);
const UPSERT_ROWS = Number(process.env.BENCH_UPSERT_ROWS ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'lakeplane-bench-engines-'));

interface EngineTiming {
  readonly startMs: number;
  readonly loadMs: number;
  readonly upsertMs: number;
  readonly rows: number;
}

async function onEngine(
  engine: LocalEngineName,
  files: { base: string; upsert: string },
): Promise<EngineTiming> {
  let t = performance.now();
  const rt = await LocalRuntime.start({ home: join(dir, engine), engine, print: () => undefined });
  try {
    const land = async (file: string) => {
      const landed = await rt.land('orders', file);
      await rt.idle();
      const load = landed.loadId ? await rt.ledger.get(landed.loadId) : undefined;
      if (load?.status !== 'SUCCEEDED')
        throw new Error(
          `${engine}: the load of ${file} ended ${load?.status}: ${JSON.stringify(load?.cause)}`,
        );
    };
    // startMs: the runtime (ledger, state machines). The Spark driver starts with the first
    // step, so its ~15 s are in loadMs, as a user's first `lakeplane --engine spark load` pays them.
    const startMs = performance.now() - t;
    t = performance.now();
    await land(files.base);
    const loadMs = performance.now() - t;
    t = performance.now();
    await land(files.upsert);
    const upsertMs = performance.now() - t;
    const rows = Number((await rt.selectRows('SELECT count(*) AS n FROM silver.orders', 'orders'))[0]?.n);
    return { startMs, loadMs, upsertMs, rows };
  } finally {
    await rt.close();
  }
}

try {
  const files = writeOrderFiles(dir, BASE_ROWS, UPSERT_ROWS);
  const duckdb = await onEngine('duckdb', files);
  const spark = await onEngine('spark', files);
  if (duckdb.rows !== spark.rows)
    throw new Error(`Silver row counts differ: duckdb ${duckdb.rows}, spark ${spark.rows}`);
  const total = (e: EngineTiming) => e.startMs + e.loadMs + e.upsertMs;
  const round = (n: number) => Math.round(n);
  console.log(
    JSON.stringify({
      bench: 'engines',
      baseRows: BASE_ROWS,
      upsertRows: UPSERT_ROWS,
      silverRows: duckdb.rows,
      duckdb: {
        startMs: round(duckdb.startMs),
        loadMs: round(duckdb.loadMs),
        upsertMs: round(duckdb.upsertMs),
        totalMs: round(total(duckdb)),
      },
      spark: {
        startMs: round(spark.startMs),
        loadMs: round(spark.loadMs),
        upsertMs: round(spark.upsertMs),
        totalMs: round(total(spark)),
      },
      ratio: Number((total(spark) / total(duckdb)).toFixed(1)),
      loadRatio: Number((spark.loadMs / duckdb.loadMs).toFixed(1)),
      upsertRatio: Number((spark.upsertMs / duckdb.upsertMs).toFixed(1)),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
