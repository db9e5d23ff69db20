import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The Spark suite runs on its own after the toolchain is installed (vitest.spark.config.ts).
    exclude: ['tests/spark/**', '**/node_modules/**'],
    pool: 'forks',
    // No wall-clock limits: a busy 2-core machine runs a CLI spawn or a load many times slower,
    // and the tests wait for events (a load's end, a process's exit), not for time. A test that
    // hangs is stopped by CI's own limit.
    testTimeout: 0,
    hookTimeout: 0,
  },
});
