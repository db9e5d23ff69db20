// `npm test`: type check, lint, the vitest suites and the Spark jobs' unittest suite; then the
// Spark toolchain (installed by scripts/setup-spark.mjs, cached), the jobs' Spark suite on real
// Spark, Hudi and Great Expectations, and the vitest Spark suite (both engines, the parity
// corpus); then one closing line with the totals ("N passed, N failed") that CI reads.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const results = { passed: 0, failed: 0 };
const problems = [];

function run(label, cmd, args) {
  process.stdout.write(`\n== ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  if (r.status !== 0) problems.push(`${label} exited ${r.status ?? r.signal}`);
  return r.status === 0;
}

// Static checks count as one check each.
for (const [label, cmd, args] of [
  ['typecheck', 'tsc', ['--noEmit', '-p', '.']],
  ['lint', 'biome', ['check', '.']],
]) {
  if (run(label, cmd, args)) results.passed++;
  else results.failed++;
}

mkdirSync('.test-results', { recursive: true });

/** Runs vitest with a config, counting its tests from its JSON report. */
function vitest(label, config, report) {
  rmSync(report, { force: true });
  run(label, 'vitest', [
    'run',
    `--config=${config}`,
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${report}`,
  ]);
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    results.passed += r.numPassedTests;
    results.failed +=
      r.numFailedTests + (r.numTotalTestSuites > 0 && r.success === false && r.numFailedTests === 0 ? 1 : 0);
    if (r.numTotalTests === 0) problems.push(`${label} ran no test`);
  } catch {
    results.failed++;
    problems.push(`${label} wrote no report`);
  }
}

/** Runs a Python unittest suite, counting its tests from unittest's summary. */
function unittest(label, python, dir) {
  process.stdout.write(`\n== ${label}: ${python} -m unittest discover -s ${dir}\n`);
  const py = spawnSync(python, ['-m', 'unittest', 'discover', '-s', dir, '-t', 'spark-jobs'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  process.stdout.write(py.stdout ?? '');
  process.stderr.write(py.stderr ?? '');
  const ran = Number(/Ran (\d+) tests?/.exec(py.stderr ?? '')?.[1] ?? 0);
  const bad = /FAILED \(([^)]*)\)/.exec(py.stderr ?? '')?.[1] ?? '';
  const failed = [...bad.matchAll(/(?:failures|errors)=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  if (py.status !== 0 && failed === 0) {
    results.failed++;
    problems.push(`${label} exited ${py.status ?? py.signal}`);
  }
  if (ran === 0) problems.push(`${label} ran no unittest`);
  results.passed += ran - failed;
  results.failed += failed;
}

vitest('vitest', 'vitest.config.ts', '.test-results/vitest.json');
unittest('spark-jobs (no Spark)', 'python3', 'spark-jobs/tests');

// The Spark toolchain, pinned to EMR 7.12 (cached after the first install); its failure says what to install.
if (run('spark toolchain', process.execPath, ['scripts/setup-spark.mjs'])) {
  results.passed++;
  const toolchain = JSON.parse(
    spawnSync(process.execPath, ['scripts/setup-spark.mjs', '--print'], { encoding: 'utf8' }).stdout,
  );
  unittest('spark-jobs on Spark', toolchain.python, 'spark-jobs/tests_spark');
  vitest('vitest on Spark', 'vitest.spark.config.ts', '.test-results/vitest-spark.json');
} else {
  results.failed++;
  problems.push('the Spark toolchain could not be installed, so the Spark suites did not run');
}

if (problems.length > 0) process.stdout.write(`\nproblems: ${problems.join('; ')}\n`);
process.stdout.write(`\n${results.passed} passed, ${results.failed} failed\n`);
process.exit(results.failed > 0 || problems.length > 0 ? 1 : 0);
