/**
 * bench:cli — how long the lakeplane CLI takes to start and to load one record, as a user runs it
 * (`node bin/lakeplane.js …`, a new process each time), against what it cannot be faster than:
 *
 * - `lakeplane --help` and `lakeplane --version` against `node -e 0` (a bare Node start);
 * - a one-row `lakeplane load orders <file>` into a new workspace against bench/cli-bare-load.mjs,
 *   the same record read and inserted into a table of a new DuckDB file the plain @duckdb/node-api
 *   way, in a new process too;
 * - the same pair into an existing workspace (database), a new record each time (informational).
 *
 * One warm-up run each (it builds the CLI if it is stale and fills Node's compile cache), then
 * BENCH_ROUNDS rounds (default 7) that alternate the commands, so that machine noise hits them
 * alike; medians. Prints one JSON line. Targets: --help ≤ 3× node -e 0, one-row load ≤ 2.5× bare.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/lakeplane.js', import.meta.url));
const BARE = fileURLToPath(new URL('./cli-bare-load.mjs', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const dir = mkdtempSync(join(tmpdir(), 'lakeplane-bench-cli-'));
const env = { ...process.env, LAKEPLANE_HOME: '', LAKEPLANE_DEV: '' };

/** One NDJSON file of one order record (its own key, so that each load inserts a row). */
function orderFile(name) {
  const at = new Date(Date.UTC(2026, 10, 20, 10)).toISOString();
  const record = {
    order_id: name,
    customer_id: 'c-1',
    customer_email: 'someone@example.com',
    status: 'placed',
    order_ts: at,
    order_total: 12.5,
    currency: 'EUR',
    fx_rate: 1.1,
    updated_at: at,
  };
  const file = join(dir, `${name}.ndjson`);
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  return file;
}

/** Wall time of one process, in ms; it must exit 0 and print what `expect` matches. */
function timed(args, expect) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env });
  const ms = performance.now() - t;
  if (r.status !== 0 || !expect.test(r.stdout))
    throw new Error(`${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return ms;
}

const runs = {
  node: () => timed(['-e', 'process.stdout.write("0")'], /0/),
  help: () => timed([BIN, '--help'], /Usage: lakeplane/),
  version: () => timed([BIN, '--version'], /^\d+\.\d+\.\d+/),
  load: (n) =>
    timed([BIN, '--home', join(dir, `home-${n}`), 'load', 'orders', orderFile(`new-${n}`)], /SUCCEEDED/),
  bare: (n) => timed([BARE, orderFile(`bare-${n}`), join(dir, `bare-${n}.duckdb`)], /1 rows/),
  loadAgain: (n) =>
    timed([BIN, '--home', join(dir, 'home-kept'), 'load', 'orders', orderFile(`kept-${n}`)], /SUCCEEDED/),
  bareAgain: (n) => timed([BARE, orderFile(`bare-kept-${n}`), join(dir, 'bare-kept.duckdb')], /\d+ rows/),
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const times = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (const run of Object.values(runs)) run('warm-up');
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, run] of Object.entries(runs)) times[name].push(run(round));
  const ms = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, Math.round(median(xs))]));
  const ratio = (a, b) => Number((median(times[a]) / median(times[b])).toFixed(2));
  const result = {
    bench: 'cli',
    rounds: ROUNDS,
    nodeMs: ms.node,
    helpMs: ms.help,
    versionMs: ms.version,
    loadMs: ms.load,
    bareLoadMs: ms.bare,
    loadAgainMs: ms.loadAgain,
    bareLoadAgainMs: ms.bareAgain,
    helpVsNode: ratio('help', 'node'),
    versionVsNode: ratio('version', 'node'),
    loadVsBare: ratio('load', 'bare'),
    loadAgainVsBare: ratio('loadAgain', 'bareAgain'),
    targets: { helpVsNode: 3, loadVsBare: 2.5 },
  };
  console.log(JSON.stringify({ ...result, met: result.helpVsNode <= 3 && result.loadVsBare <= 2.5 }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
