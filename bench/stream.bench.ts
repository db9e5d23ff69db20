/**
 * bench:stream — three ways to turn one 10,000-record Kinesis batch (~300-byte JSON orders, 20%
 * duplicate keys) into one gzip NDJSON Bronze object, each bundled by esbuild as the deployed
 * function is (scripts/build.mjs, serverless.yml: minified ESM, node22, @aws-sdk external) and
 * timed in one plain node process on the same batch (bench/stream/runner.ts):
 * - handler: functions/stream-upsert as deployed, S3 writes in memory;
 * - reference: the plain Powertools pattern (BatchProcessor + processPartialResponse, JSON.parse,
 *   a zod schema per record), the same dedupe and gzip;
 * - floor: the required work only (decode, JSON.parse, field checks, dedupe, NDJSON, gzip).
 * The runner checks the three write the same bytes, then prints one JSON line of medians and
 * ratios. Targets: handler ≤ 1.5× the floor, the reference ≥ 2× the handler.
 * BENCH_ROUNDS, BENCH_WARMUP, BENCH_RECORDS tune it; BENCH_KEEP=1 keeps the bundles (their
 * folder on stderr) to profile: node --cpu-prof <folder>/runner.mjs <folder> datasets
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUILD_OPTIONS } from '../scripts/bundle-functions.mjs';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'lakeplane-bench-stream-'));
try {
  await build({
    entryPoints: {
      handler: join(root, 'bench/stream/handler.entry.ts'),
      reference: join(root, 'bench/stream/reference.entry.ts'),
      floor: join(root, 'bench/stream/floor.entry.ts'),
      runner: join(root, 'bench/stream/runner.ts'),
    },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    // A deployed function's settings (serverless.yml's esbuild block), one bundle per entry.
    ...LAMBDA_BUILD_OPTIONS,
  });
  // The nodejs22.x runtime provides the AWS SDK the bundles leave out.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const run = spawnSync(process.execPath, [join(dir, 'runner.mjs'), dir, join(root, 'datasets')], {
    stdio: 'inherit',
  });
  if (run.status !== 0) process.exitCode = run.status ?? 1;
} finally {
  if (process.env.BENCH_KEEP === '1') console.error(`bundles kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
