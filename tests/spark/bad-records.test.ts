import { afterAll, expect, it } from 'vitest';
import { LocalRuntime } from '../../local/runtime.js';
import {
  BAD_RECORD_DATASETS,
  corpus,
  expectedVerdicts,
  loadCorpus,
  verdicts,
} from '../helpers/bad-records.js';
import { tempDir } from '../helpers/fixtures.js';

// The bad-record corpus through the Spark engine (spark-jobs' stage on Spark local mode, reading
// the file's lines as bytes): every record the verdict and reason the corpus names, the same the
// DuckDB engine and the stream path give (tests/integration/bad-records.test.ts), and records
// in = Silver + quarantine.
const runtimes: LocalRuntime[] = [];
afterAll(async () => {
  for (const rt of runtimes) await rt.close();
});

it('gives every corpus record its verdict and reason on the Spark engine', async () => {
  const rt = await LocalRuntime.start({
    home: tempDir(),
    engine: 'spark',
    datasetsDir: BAD_RECORD_DATASETS,
    print: () => undefined,
  });
  runtimes.push(rt);
  const run = await loadCorpus(rt);
  expect({ status: run.status, cause: run.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
  expect(verdicts(run.good, run.bad)).toEqual(expectedVerdicts);
  expect(corpus.length).toBe(run.good.size + run.bad.size);
});
