import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../shared/core/lineage/openlineage.js';
import { REPO, tempDir } from '../helpers/fixtures.js';
import { specViolations } from '../helpers/openlineage-spec.js';

// `lakeplane --engine spark demo --fresh` as a user types it, beside the DuckDB demo: the same
// loads, statuses and row counts; then every "Where to look next" command it printed, typed
// literally into the Spark workspace, works.
const BIN = join(REPO, 'bin', 'lakeplane.js');

function lakeplane(home: string, ...args: string[]) {
  return typed('--home', home, ...args);
}

/** A command as printed, `npx lakeplane` being this checkout's bin/lakeplane.js. */
function typed(...args: string[]) {
  const { LAKEPLANE_ENGINE: _engine, ...env } = process.env;
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...env, LAKEPLANE_HOME: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What must agree between the engines: the loads tables and the summary lines, times taken out. */
function comparable(stdout: string, home: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => /^load\s+objects\s+status\s+in\s+inserted/.test(l));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('Stream:'));
  const time = /\b\d+(\.\d+)? ?(ms|s|min)\b/g;
  return [
    ...lines.slice(start, end),
    ...lines.filter((l) =>
      /^(Silver now holds|Stale update check|Schema drift:|order_items is PAUSED)/.test(l),
    ),
  ].map((l) => l.replaceAll(home, '<home>').replace(time, 'T').replace(/\s+/g, ' ').trim());
}

/** The `npx lakeplane …` commands of the demo's "Where to look next" (placeholders left out). */
function nextSteps(stdout: string): string[][] {
  const section = stdout.slice(stdout.indexOf('Where to look next:'));
  return section
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/)[0]!)
    .filter((c) => c.startsWith('npx lakeplane ') && !c.includes('<'))
    .map((c) => [...c.slice('npx lakeplane '.length).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!));
}

let duckdb: ReturnType<typeof lakeplane>;
let spark: ReturnType<typeof lakeplane>;
const sparkHome = tempDir();
const duckdbHome = tempDir();

beforeAll(() => {
  duckdb = lakeplane(duckdbHome, 'demo', '--fresh');
  spark = lakeplane(sparkHome, '--engine', 'spark', 'demo', '--fresh');
});

describe('the demo on the Spark engine', () => {
  it('completes and prints the same loads table as the DuckDB demo', () => {
    expect(duckdb.code, duckdb.stderr).toBe(0);
    expect(spark.code, spark.stderr).toBe(0);
    const rows = comparable(spark.stdout, sparkHome);
    expect(rows.filter((l) => / SUCCEEDED /.test(l))).toHaveLength(9);
    expect(rows).toEqual(comparable(duckdb.stdout, duckdbHome));
    // The stream's micro-batches (gzipped objects, one per shard) load on both engines, in one
    // coalesced load or two (the second shard's object may land once the first is in flight).
    const stream = (s: string) => /^Stream: .*$/m.exec(s)?.[0];
    for (const out of [spark.stdout, duckdb.stdout])
      expect(stream(out)).toMatch(
        /^Stream: 108 order events put on Kinesis → 2 micro-batch objects in ([12]) loads \(\1 succeeded\), 2 records quarantined\.$/,
      );
  });

  it('writes the same runs as the DuckDB demo, each event following the OpenLineage spec', () => {
    const runs = (home: string) =>
      readFileSync(join(home, 'lineage.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as RunEvent);
    const spark = runs(sparkHome);
    expect(spark.flatMap((e) => specViolations(e))).toEqual([]);
    // Job, event type and what was read and written; run ids and times differ (other load ids on
    // a coalesced stream), counts agree.
    const shape = (events: RunEvent[]) =>
      events
        .map(
          (e) =>
            `${e.job.name} ${e.eventType} ${e.inputs.map((i) => i.name)} → ${e.outputs.map((o) => o.name.split('/')[0])}`,
        )
        .sort();
    expect(new Set(shape(spark))).toEqual(new Set(shape(runs(duckdbHome))));
  });

  it('every next step it prints works when typed literally', () => {
    const steps = nextSteps(spark.stdout);
    // Each names the demo's workspace, so it works typed anywhere.
    expect(steps.every((s) => s[0] === '--home' && s[1] === sparkHome)).toBe(true);
    expect(steps.map((s) => s.slice(2, 4).join(' '))).toEqual([
      'loads',
      'loads --status',
      'query SELECT * FROM gold.daily_revenue ORDER BY order_date',
      "query SELECT * FROM silver.orders WHERE order_id = 'ord-20261120-00000'",
      'drift',
      'lineage',
    ]);
    for (const step of steps) {
      const r = typed(...step);
      expect(r.code, `${step.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim()).not.toBe('');
    }
    const gold = lakeplane(
      sparkHome,
      'query',
      '--json',
      'SELECT * FROM gold.daily_revenue ORDER BY order_date',
    );
    expect(JSON.parse(gold.stdout)).toHaveLength(5);
    const resume = /Resume: npx lakeplane (.*)$/m.exec(spark.stdout)![1]!.split(' ');
    const resumed = typed(...resume);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/order_items-\w+\s+SUCCEEDED\s+order_items\/order_items-005\.ndjson/);
  });
});
