import { defineConfig } from 'vitest/config';

/**
 * The Spark suite: the local runtime on the Spark engine (spark-jobs in Spark local mode, Hudi
 * tables on disk, GX), against the DuckDB engine. `npm test` installs the toolchain first
 * (scripts/setup-spark.mjs). One file at a time: each holds a Spark driver of 2 GB on 2 cores.
 * No time limit: a Spark step on a busy machine takes what it takes; the steps end by themselves
 * (each EMR step has its own TimeoutSeconds in the state machine).
 */
export default defineConfig({
  test: {
    include: ['tests/spark/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 0,
    hookTimeout: 0,
  },
});
