import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRunId } from '../../shared/core/lineage/events.js';
import type { RunEvent } from '../../shared/core/lineage/openlineage.js';
import type { LoadRecord } from '../../shared/core/load.js';
import { BIN, lakeplane, lakeplaneWith, typed } from '../helpers/cli.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';
import { specViolations } from '../helpers/openlineage-spec.js';

const events = (home: string): RunEvent[] =>
  readFileSync(join(home, 'lineage.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunEvent);
const loads = (home: string) => JSON.parse(lakeplane(home, 'loads', '--json').stdout) as LoadRecord[];
/** A facet's fields, as the test reads them. */
const fields = <T>(f: unknown): T => f as T;
const facet = (e: RunEvent, name: string) => e.run.facets?.[name] as Record<string, unknown> | undefined;

describe('lineage after the demo', () => {
  const home = tempDir();
  beforeAll(() => {
    const demo = lakeplane(home, 'demo');
    expect(demo.code, demo.stderr).toBe(0);
  });

  it('every load that ran has a START and one terminal event per attempt, and every event follows the spec', () => {
    const all = events(home);
    const problems = all.flatMap((e, i) =>
      specViolations(e).map((p) => `event ${i} (${e.job.name} ${e.eventType}): ${p}`),
    );
    expect(problems).toEqual([]);
    const ran = loads(home).filter((l) => l.startedAt !== undefined);
    expect(ran.length).toBeGreaterThanOrEqual(8);
    for (const load of ran)
      for (let attempt = 1; attempt <= load.attempts; attempt++) {
        const runId = loadRunId(load.loadId, attempt);
        const mine = all.filter((e) => e.run.runId === runId).map((e) => e.eventType);
        expect(mine, `${load.loadId} attempt ${attempt} (${load.status})`).toContain('START');
        expect(
          mine.filter((t) => t === 'COMPLETE' || t === 'FAIL' || t === 'ABORT'),
          `${load.loadId} attempt ${attempt} (${load.status})`,
        ).toHaveLength(1);
        const end = all.find((e) => e.run.runId === runId && e.eventType !== 'START')!;
        expect(end.eventType).toBe(
          load.status === 'FAILED' || load.status === 'FAILED_QUALITY' ? 'FAIL' : 'COMPLETE',
        );
        // The Bronze object versions the load read, by the ledger's manifest.
        const objects = fields<{ objects: { key: string }[] }>(
          end.inputs[0]?.inputFacets?.lakeplane_objectVersions,
        ).objects;
        expect(objects.map((o) => o.key)).toContain(load.source.key);
        // The Step Functions execution is the parent run.
        const parent = facet(end, 'parent') as { job: { name: string } };
        expect(parent.job.name).toBe('lakeplane-load-dataset');
      }
  });

  it('names datasets by the OpenLineage conventions and carries the facets the platform knows', () => {
    const all = events(home);
    const complete = all.find((e) => e.job.name === 'orders.load' && e.eventType === 'COMPLETE')!;
    expect(complete.job.namespace).toBe('lakeplane.local');
    expect(complete.inputs.map((i) => `${i.namespace} ${i.name}`)).toEqual(['s3://lakeplane-bronze orders']);
    const silver = complete.outputs[0]!;
    expect(`${silver.namespace} ${silver.name}`).toBe('arn:aws:glue:local:000000000000 table/silver/orders');
    const lineage = fields<{ fields: Record<string, { inputFields: { field: string }[] }> }>(
      silver.facets?.columnLineage,
    );
    expect(lineage.fields.order_total_usd?.inputFields.map((f) => f.field)).toEqual([
      'order_total',
      'fx_rate',
    ]);
    const stats = fields<{ rowCount: number }>(silver.outputFacets?.outputStatistics);
    const counts = facet(complete, 'lakeplane_load')?.counts as {
      inserted: number;
      updated: number;
      deleted: number;
    };
    expect(stats.rowCount).toBe(counts.inserted + counts.updated + counts.deleted);
    const dq = fields<{ assertions: { assertion: string; column?: string; success: boolean }[] }>(
      complete.inputs[0]?.inputFacets?.dataQualityAssertions,
    );
    expect(dq.assertions).toContainEqual(
      expect.objectContaining({ assertion: 'expect_column_values_to_be_in_set', column: 'currency' }),
    );
    // A failed load says why; a failed gate's batch is an output in quarantine.
    const failed = all.filter((e) => e.job.name === 'orders.load' && e.eventType === 'FAIL');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const f of failed)
      expect(String((facet(f, 'errorMessage') as { message: string }).message)).not.toBe('');
    expect(
      all.some((e) =>
        e.outputs.some(
          (o) => o.namespace === 's3://lakeplane-quarantine' && o.outputFacets?.lakeplane_quarantine,
        ),
      ),
    ).toBe(true);
    // Each Gold table's rebuild reads Silver and writes Gold.
    const gold = all.find((e) => e.job.name === 'orders.gold.daily_revenue' && e.eventType === 'COMPLETE')!;
    expect(gold.inputs.map((i) => i.name)).toEqual(['table/silver/orders']);
    expect(gold.outputs.map((o) => o.name)).toEqual(['table/gold/daily_revenue']);
    // The crawl's drift decisions are runs too.
    expect(all.some((e) => e.job.name === 'orders.schema_drift' && e.eventType === 'COMPLETE')).toBe(true);
  });

  it('`lineage` prints the graph as text, JSON, DOT and Mermaid, and one load', () => {
    const text = lakeplane(home, 'lineage');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^silver\.orders\s+last written by orders\.load: COMPLETE/m);
    expect(text.stdout).toMatch(
      /^gold\.daily_revenue\s+last written by orders\.gold\.daily_revenue: COMPLETE/m,
    );
    expect(text.stdout).toContain(
      '  s3://lakeplane-bronze/orders → silver.orders, s3://lakeplane-quarantine/orders/',
    );
    const json = JSON.parse(lakeplane(home, 'lineage', 'orders', '--json').stdout) as {
      jobs: { name: string }[];
    };
    expect(json.jobs.map((j) => j.name)).toEqual([
      'orders.gold.daily_revenue',
      'orders.load',
      'orders.schema_drift',
    ]);
    const dot = lakeplane(home, 'lineage', '--dot').stdout;
    expect(dot).toMatch(/^digraph lineage \{\n[\s\S]*\n\}\n$/);
    expect(dot).toContain(
      '  "lakeplane.local/orders.gold.daily_revenue" -> "arn:aws:glue:local:000000000000/table/gold/daily_revenue";',
    );
    expect(lakeplane(home, 'lineage', 'order_items', '--mermaid').stdout).toMatch(
      /^flowchart LR\n[\s\S]*order_items\.load/,
    );
    const load = loads(home).find((l) => l.dataset === 'orders' && l.status === 'SUCCEEDED')!;
    const one = lakeplane(home, 'lineage', '--load', load.loadId);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`orders.load attempt 1  run ${loadRunId(load.loadId, 1)}`);
    expect(one.stdout).toContain(`         ${load.source.key} (version ${load.source.versionId})`);
    expect(one.stdout).toMatch(/ {2}out {2}gold\.daily_revenue {2}\d+ rows/);
  });

  it('refuses what it cannot show, with a next step that works', () => {
    const unknown = lakeplane(home, 'lineage', '--load', 'orders-0000');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`no run events of load orders-0000 in ${join(home, 'lineage.jsonl')}`);
    const step = /`(npx lakeplane [^`]+)`/.exec(unknown.stderr)![1]!;
    expect(typed(step, home).code).toBe(0);
    expect(lakeplane(home, 'lineage', 'nosuch').code).toBe(2);
    expect(lakeplane(home, 'lineage', '--dot', '--mermaid').code).toBe(2);
    // A home with nothing yet: a sentence, or for the machine formats an empty graph (the sentence
    // on stderr), and no workspace made for it.
    const fresh = join(tempDir(), 'new-home');
    const empty = lakeplane(fresh, 'lineage');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('no lineage recorded yet');
    expect(JSON.parse(lakeplane(fresh, 'lineage', '--json').stdout)).toEqual({ datasets: [], jobs: [] });
    const dot = lakeplane(fresh, 'lineage', '--dot');
    expect([dot.code, dot.stdout]).toEqual([
      0,
      'digraph lineage {\n  rankdir=LR;\n  node [fontname="Helvetica"];\n}\n',
    ]);
    expect(dot.stderr).toContain('no lineage recorded yet');
    expect(lakeplane(fresh, 'lineage', '--load', 'orders-1').code).toBe(2);
    expect(existsSync(fresh)).toBe(false);
  });
});

describe('lineage of a rollback and a replay', () => {
  it('shows the rollback run and the replayed attempt in the JSONL and the graph', () => {
    const home = tempDir();
    const dir = tempDir();
    const ids = ['a', 'b', 'c'].map((name, i) => {
      const file = ndjson(dir, `orders-${name}.ndjson`, [order(`o-${name}`, `2026-11-20T1${i}:00:00Z`)]);
      const r = lakeplane(home, 'load', 'orders', file);
      expect(r.code, r.stderr).toBe(0);
      return /load (orders-\w+) SUCCEEDED/.exec(r.stdout)![1]!;
    });
    const rolled = lakeplane(home, 'rollback', 'orders', '--before', ids[1]!, '--replay-after');
    expect(rolled.code, rolled.stderr).toBe(0);

    const all = events(home);
    expect(all.flatMap((e) => specViolations(e))).toEqual([]);
    const rollback = all.filter((e) => e.job.name === 'orders.rollback');
    expect(rollback.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
    expect(new Set(rollback.map((e) => e.run.runId)).size).toBe(1);
    const done = facet(rollback[1]!, 'lakeplane_rollback') as { undoneLoads: { loadId: string }[] };
    expect(done.undoneLoads.map((u) => u.loadId)).toEqual([ids[1], ids[2]]);
    expect(rollback[1]!.outputs.map((o) => o.name)).toEqual([
      'table/silver/orders',
      'table/gold/daily_revenue',
    ]);

    // The load after the bad one ran again: attempt 2, a replay, with its own run id.
    const replayed = all.filter((e) => e.run.runId === loadRunId(ids[2]!, 2)).map((e) => e.eventType);
    expect(replayed).toEqual(['START', 'COMPLETE']);
    expect(facet(all.find((e) => e.run.runId === loadRunId(ids[2]!, 2))!, 'lakeplane_load')?.replay).toBe(
      true,
    );

    const graph = lakeplane(home, 'lineage', 'orders').stdout;
    expect(graph).toMatch(
      /^orders\.rollback\n {2}silver\.orders → silver\.orders, gold\.daily_revenue\n {2}last run COMPLETE/m,
    );
    expect(graph).toMatch(
      /^silver\.orders\s+last written by orders\.load: COMPLETE .*load orders-\w+ attempt 2 \(replay\)$/m,
    );
    // The bad load's view says a rollback took its commit out.
    const b = lakeplane(home, 'lineage', '--load', ids[1]!).stdout;
    expect(b).toMatch(
      /^orders\.rollback {2}run [0-9a-f-]{36}\n {2}\S+: took this load's commit out of Silver \(ROLLED_BACK/m,
    );
    const c = lakeplane(home, 'lineage', '--load', ids[2]!).stdout;
    expect(c).toContain(`orders.load attempt 1  run ${loadRunId(ids[2]!, 1)}`);
    expect(c).toContain(`orders.load attempt 2  run ${loadRunId(ids[2]!, 2)}`);
  });
});

describe('lineage when the process dies', () => {
  it.each(['load-events@2', 'execution-ended', 'execution-saved'])(
    'killed at %s: the command again sends what was not sent, each run has a START and an end',
    (point) => {
      const home = tempDir();
      const dir = tempDir();
      const file = ndjson(dir, 'orders-k.ndjson', [order('o-1', '2026-11-20T10:00:00Z')]);
      const killed = lakeplaneWith({ LAKEPLANE_CRASH_AT: point }, home, 'load', 'orders', file);
      expect(killed.signal).toBe('SIGKILL');
      // The same command again, as after any crash: recovery brings the dead process's load to its end.
      const again = lakeplane(home, 'load', 'orders', file);
      expect(again.code, again.stderr).toBe(0);
      const [load] = loads(home);
      expect(load?.status).toBe('SUCCEEDED');
      const mine = events(home)
        .filter((e) => e.job.name === 'orders.load')
        .map((e) => `${e.run.runId} ${e.eventType}`);
      const runId = loadRunId(load!.loadId, load!.attempts);
      expect(mine.filter((m) => m.startsWith(runId))).toEqual([`${runId} START`, `${runId} COMPLETE`]);
      expect(events(home).flatMap((e) => specViolations(e))).toEqual([]);
    },
  );
});

/** The CLI as a child process that does not block this one (the consumer below answers it). */
function lakeplaneAsync(env: Record<string, string>, home: string, ...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, '--home', home, ...args], {
      env: { ...process.env, LAKEPLANE_HOME: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('lineage over HTTP', () => {
  it('an OpenLineage consumer gets every event the JSONL has; a consumer that is down costs a warning, never the load', async () => {
    const got: { auth?: string; event: RunEvent }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({
          ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
          event: JSON.parse(body),
        });
        res.statusCode = req.url === '/api/v1/lineage' ? 201 : 404;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const home = tempDir();
      const dir = tempDir();
      const file = ndjson(dir, 'orders-x.ndjson', [order('o-1', '2026-11-20T10:00:00Z')]);
      const r = await lakeplaneAsync(
        { OPENLINEAGE_URL: url, OPENLINEAGE_API_KEY: 's3cret' },
        home,
        'load',
        'orders',
        file,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(got.map((g) => `${g.event.job.name} ${g.event.eventType}`)).toEqual([
        'orders.load START',
        'orders.load COMPLETE',
        'orders.gold.daily_revenue START',
        'orders.gold.daily_revenue COMPLETE',
      ]);
      expect(got.every((g) => g.auth === 'Bearer s3cret')).toBe(true);
      expect(got.map((g) => g.event)).toEqual(events(home));

      // The consumer is gone: the load succeeds, the JSONL has its events, stderr says what was not sent.
      await new Promise<void>((res) => server.close(() => res()));
      const file2 = ndjson(dir, 'orders-y.ndjson', [order('o-2', '2026-11-20T11:00:00Z')]);
      const down = await lakeplaneAsync({ OPENLINEAGE_URL: url }, home, 'load', 'orders', file2);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toMatch(/load orders-\w+ SUCCEEDED/);
      expect(down.stderr).toMatch(
        /lineage: the START event of orders\.load \(run [0-9a-f-]{36}\) was not sent: the lineage consumer at http:\/\/127\.0\.0\.1:\d+ did not take the event/,
      );
      expect(events(home)).toHaveLength(8);
    } finally {
      server.close();
    }
  });
});
