import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../local/runtime.js';
import { tempDir } from '../helpers/fixtures.js';
import { type CorpusSnapshot, runCorpus } from '../helpers/parity.js';

// One truth for both engines: the parity corpus through the Spark engine (the spark-jobs on
// Spark local mode, Hudi 1.0.2, GX 1.8.1) and through DuckDB, compared after the normalisation
// of tests/helpers/parity.ts. DuckDB's side is held to the rules in tests/integration/parity-corpus.test.ts.
const DATASETS = ['orders', 'order_items'] as const;
const snaps: Record<'duckdb' | 'spark', Record<string, CorpusSnapshot>> = { duckdb: {}, spark: {} };
const runtimes: LocalRuntime[] = [];

beforeAll(async () => {
  for (const engine of ['duckdb', 'spark'] as const) {
    const rt = await LocalRuntime.start({ home: tempDir(), engine, print: () => undefined });
    runtimes.push(rt);
    for (const d of DATASETS) snaps[engine][d] = await runCorpus(rt, d);
  }
});
afterAll(async () => {
  for (const rt of runtimes) await rt.close();
});

describe.each(DATASETS)('the engines agree on the %s corpus', (dataset) => {
  it('each load: status, counts, failure, expectation outcomes, staged batch quarantined', () => {
    const loads = (s: CorpusSnapshot) => s.loads.map(({ quarantined: _q, ...load }) => load);
    expect(loads(snaps.spark[dataset]!)).toEqual(loads(snaps.duckdb[dataset]!));
  });

  it('quarantine: the same bad lines with the same reasons', () => {
    const q = (s: CorpusSnapshot) => s.loads.map((l) => ({ file: l.file, records: l.quarantined }));
    expect(q(snaps.spark[dataset]!)).toEqual(q(snaps.duckdb[dataset]!));
  });

  it('Silver, row for row', () => {
    expect(snaps.spark[dataset]!.silver.length).toBeGreaterThan(5);
    expect(snaps.spark[dataset]!.silver).toEqual(snaps.duckdb[dataset]!.silver);
  });

  it('Gold, row for row', () => {
    expect(snaps.spark[dataset]!.gold).toEqual(snaps.duckdb[dataset]!.gold);
  });
});
