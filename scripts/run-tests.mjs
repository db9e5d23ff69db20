// `npm test`: type check, lint, the vitest suites and the Spark jobs' unittest suite, then
// one closing line with the totals ("N passed, N failed") that CI reads.
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
rmSync('.test-results/vitest.json', { force: true });
run('vitest', 'vitest', [
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile=.test-results/vitest.json',
]);
try {
  const report = JSON.parse(readFileSync('.test-results/vitest.json', 'utf8'));
  results.passed += report.numPassedTests;
  results.failed +=
    report.numFailedTests +
    (report.numTotalTestSuites > 0 && report.success === false && report.numFailedTests === 0 ? 1 : 0);
} catch {
  results.failed++;
  problems.push('vitest wrote no report');
}

process.stdout.write('\n== spark-jobs: python3 -m unittest\n');
const py = spawnSync(
  'python3',
  ['-m', 'unittest', 'discover', '-s', 'spark-jobs/tests', '-t', 'spark-jobs'],
  { encoding: 'utf8' },
);
process.stdout.write(py.stdout ?? '');
process.stderr.write(py.stderr ?? '');
const ran = Number(/Ran (\d+) tests?/.exec(py.stderr ?? '')?.[1] ?? 0);
const bad = /FAILED \(([^)]*)\)/.exec(py.stderr ?? '')?.[1] ?? '';
const pyFailed = [...bad.matchAll(/(?:failures|errors)=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
if (py.status !== 0 && pyFailed === 0) {
  results.failed++;
  problems.push(`python3 unittest exited ${py.status}`);
}
if (ran === 0) problems.push('the Spark jobs ran no unittest');
results.passed += ran - pyFailed;
results.failed += pyFailed;

if (problems.length > 0) process.stdout.write(`\nproblems: ${problems.join('; ')}\n`);
process.stdout.write(`\n${results.passed} passed, ${results.failed} failed\n`);
process.exit(results.failed > 0 || problems.length > 0 ? 1 : 0);
