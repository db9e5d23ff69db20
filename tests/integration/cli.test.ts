import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BIN, lakeplane } from '../helpers/cli.js';
import { ndjson, order, REPO, tempDir } from '../helpers/fixtures.js';

describe('lakeplane CLI', () => {
  it('lists its commands in --help', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const cmd of [
      'load',
      'stream',
      'recover',
      'loads',
      'replay',
      'query',
      'dq',
      'drift',
      'lineage',
      'events',
      'datasets',
      'demo',
    ])
      expect(r.stdout).toMatch(new RegExp(`\\n\\s+${cmd}\\b`));
  });

  it('loads a folder in coalesced loads; loads --key and loads show name every object of a load', () => {
    const home = tempDir();
    const dir = tempDir();
    for (const [i, status] of ['placed', 'paid', 'shipped'].entries())
      ndjson(dir, `part-${i}.ndjson`, [
        order('o1', '2026-11-20T10:00:00Z', { status }),
        order(`x${i}`, '2026-11-20T10:00:00Z'),
      ]);
    const load = lakeplane(home, 'load', 'orders', dir);
    expect(load.stderr).toBe('');
    expect(load.code).toBe(0);
    const lines = load.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    // Every file lands first; a load takes what is pending (the first alone, the dataset idle).
    const ids = lines.map((l) => /: load (orders-\w+)/.exec(l)?.[1]);
    expect(ids.every((id) => id !== undefined)).toBe(true);
    const coalesced = ids.at(-1)!;
    expect(lines.at(-1)).toMatch(/\(with \d other files?\) SUCCEEDED/);

    for (const key of ['orders/part-2.ndjson', 's3://lakeplane-bronze/orders/part-2.ndjson']) {
      const byKey = lakeplane(home, 'loads', '--key', key, '--json');
      expect(byKey.code, key).toBe(0);
      expect((JSON.parse(byKey.stdout) as { loadId: string }[]).map((r) => r.loadId)).toEqual([coalesced]);
    }

    const show = lakeplane(home, 'loads', 'show', coalesced);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(
      /objects {4}\d \(\d+ bytes\), manifest s3:\/\/lakeplane-artifacts\/runs\/orders-\w+\/manifest\.json/,
    );
    expect(show.stdout).toMatch(
      / {2}s3:\/\/lakeplane-bronze\/orders\/part-2\.ndjson {2}version \w+ {2}\d+ bytes {2}landed \S+ {2}2 records, 0 quarantined\n/,
    );
    const json = JSON.parse(lakeplane(home, 'loads', 'show', coalesced, '--json').stdout) as {
      objects: { key: string }[];
    };
    expect(json.objects.map((o) => o.key).at(-1)).toBe('orders/part-2.ndjson');
    expect(
      JSON.parse(
        lakeplane(home, 'query', '--json', "SELECT status FROM silver.orders WHERE order_id = 'o1'").stdout,
      ),
    ).toEqual([{ status: 'shipped' }]);

    const outside = lakeplane(home, 'loads', '--key', 'elsewhere/x.ndjson');
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain(
      "elsewhere/x.ndjson is under no dataset's Bronze prefix (order_items/, orders/)",
    );
  });

  it('loads a file, recognises it when loaded again, lists the loads and queries Silver', () => {
    const home = tempDir();
    const file = ndjson(tempDir(), 'orders-1.ndjson', [
      order('o1', '2026-11-20T10:00:00Z'),
      order('o2', '2026-11-20T10:00:00Z'),
    ]);
    const first = lakeplane(home, 'load', 'orders', file);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/load orders-[0-9a-f]{20} SUCCEEDED in .*2 records in, 2 inserted/);

    const second = lakeplane(home, 'load', 'orders', file);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/already loaded as orders-[0-9a-f]{20} \(SUCCEEDED\); nothing was started/);

    const loads = lakeplane(home, 'loads', '--json');
    expect(loads.code).toBe(0);
    const records = JSON.parse(loads.stdout) as { status: string; dataset: string }[];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 'SUCCEEDED', dataset: 'orders' });
    const id = (records[0] as { loadId?: string }).loadId!;
    for (const args of [
      ['loads', 'show', id, '--json'],
      ['loads', 'show', '--json', id],
    ]) {
      expect(JSON.parse(lakeplane(home, ...args).stdout)).toMatchObject({ loadId: id, status: 'SUCCEEDED' });
    }

    const q = lakeplane(home, 'query', '--json', 'SELECT order_id FROM silver.orders ORDER BY 1');
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([{ order_id: 'o1' }, { order_id: 'o2' }]);
  });

  it('exits non-zero with the cause when a load fails', () => {
    const home = tempDir();
    const bad = ndjson(tempDir(), 'export.ndjson', ['order_id,status', 'o1,placed']);
    const r = lakeplane(home, 'load', 'orders', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /FAILED[\s\S]*cause: .*export\.ndjson\?versionId=\w+: 2 of 2 records are unreadable/,
    );
    const show = lakeplane(home, 'loads', '--status', 'FAILED');
    expect(show.stdout).toContain('FAILED');
  });

  it('refuses the other engine on a workspace (exit 2, what to do); an empty LAKEPLANE_ENGINE is unset', () => {
    const home = tempDir();
    const file = ndjson(tempDir(), 'x.ndjson', [order('o1', '2026-11-20T10:00:00Z')]);
    expect(lakeplane(home, 'load', 'orders', file).code).toBe(0);
    for (const args of [
      ['query', 'SELECT 1'],
      ['load', 'orders', file],
      ['commits', 'orders'],
    ]) {
      const r = lakeplane(home, '--engine', 'spark', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(
        `lakeplane: the workspace ${home} holds a lake built by the duckdb engine; run without --engine spark (or LAKEPLANE_ENGINE) to use it, or give another workspace: --home <dir> --engine spark\n`,
      );
    }
    const empty = spawnSync(
      process.execPath,
      [BIN, '--home', home, 'query', 'SELECT count(*) AS n FROM silver.orders'],
      {
        encoding: 'utf8',
        env: { ...process.env, LAKEPLANE_HOME: '', LAKEPLANE_ENGINE: '' },
      },
    );
    expect(empty.status, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('n\n-\n1\n(1 rows)\n');
  });

  it('refuses an unknown dataset and a missing file with a clear message', () => {
    const home = tempDir();
    const file = ndjson(tempDir(), 'x.ndjson', [order('o1', '2026-11-20T10:00:00Z')]);
    const unknown = lakeplane(home, 'load', 'ordrs', file);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no dataset named "ordrs"; known datasets: order_items, orders');
    const missing = lakeplane(home, 'load', 'orders', '/nonexistent/file.ndjson');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/file.ndjson: no such file or folder');
  });

  it('says where a load put its quarantined records; the folder holds each with its line and reason', () => {
    const home = tempDir();
    const file = ndjson(tempDir(), 'some-bad.ndjson', [
      order('g1', '2026-11-20T10:00:00Z'),
      order('g2', '2026-11-20T10:00:00Z'),
      order('g3', '2026-11-20T10:00:00Z'),
      order('g4', '2026-11-20T10:00:00Z'),
      order('b1', '2026-11-20T10:00:00Z', { fx_rate: 'NaN' }),
    ]);
    const r = lakeplane(home, 'load', 'orders', file);
    expect(r.code).toBe(0);
    const dir = /quarantined records, each with its line and reason: (\S+)/.exec(r.stdout)?.[1];
    const parts = readdirSync(dir!, { recursive: true, encoding: 'utf8' }).filter((f) =>
      /part-.*\.json/.test(f),
    );
    const records = parts.flatMap((f) => {
      const body = readFileSync(join(dir!, f));
      return (f.endsWith('.gz') ? gunzipSync(body) : body)
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { lineNumber: number; reason: string });
    });
    expect(records.map((q) => ({ line: q.lineNumber, reason: q.reason }))).toEqual([
      { line: 5, reason: 'field fx_rate: "NaN" is not a double' },
    ]);
  });

  it('streams a file through the local Kinesis stream into Silver and reports quarantined records', () => {
    const home = tempDir();
    const file = ndjson(tempDir(), 'events.ndjson', [
      order('s1', '2026-11-20T10:00:00Z'),
      order('s1', '2026-11-20T11:00:00Z', { status: 'paid' }),
      order('s2', '2026-11-20T10:00:00Z'),
      'not json at all',
    ]);
    const r = lakeplane(home, 'stream', 'orders', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /4 records put on the stream; \d+ micro-batch objects in \d+ loads; 1 records quarantined/,
    );
    expect(r.stdout).toMatch(/SUCCEEDED/);
    // Where the quarantined record is, with its reason: the folder printed holds it.
    const dir = /quarantined records, each with its reason: (\S+)/.exec(r.stdout)?.[1];
    const files = readdirSync(dir!, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ndjson'),
    );
    const reasons = files.flatMap((f) =>
      readFileSync(join(dir!, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { reason: string }).reason),
    );
    expect(reasons).toEqual([expect.stringMatching(/^not valid JSON: Expecting value: line 1 column 1/)]);
    const q = lakeplane(home, 'query', '--json', 'SELECT order_id, status FROM silver.orders ORDER BY 1');
    expect(JSON.parse(q.stdout)).toEqual([
      { order_id: 's1', status: 'paid' },
      { order_id: 's2', status: 'placed' },
    ]);
  });

  it('routes a validation result as a dry run: verdict, cause and the Slack message, nothing sent', () => {
    const home = tempDir();
    const fixture = join(REPO, 'tests', 'fixtures', 'gx', 'gx1-orders-fail.json');
    const text = lakeplane(home, 'dq', 'route', fixture, '--dataset', 'orders');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/verdict: FAIL/);
    expect(text.stdout).toMatch(/SendTaskFailure, error Lakeplane\.QualityGateFailed/);
    const json = lakeplane(
      home,
      'dq',
      'route',
      join(REPO, 'tests', 'fixtures', 'gx', 'gx1-orders-warn.json'),
      '--dataset',
      'orders',
      '--json',
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ verdict: 'warn' });
    const unknown = lakeplane(home, 'dq', 'route', fixture, '--dataset', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no dataset "nope"/);
  });

  it('classifies two Glue table versions with drift diff and fails on a breaking change', () => {
    const home = tempDir();
    const versions = join(REPO, 'tests', 'fixtures', 'glue', 'orders-table-versions.json');
    const r = lakeplane(
      home,
      'drift',
      'diff',
      `${versions}#1`,
      `${versions}#3`,
      '--dataset',
      'orders',
      '--json',
    );
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { changes: { kind: string; path: string; severity: string }[] };
    expect(out.changes).toContainEqual(
      expect.objectContaining({ kind: 'column-added', path: 'coupon_code', severity: 'additive' }),
    );
    expect(out.changes).toContainEqual(
      expect.objectContaining({ kind: 'likely-rename', severity: 'breaking' }),
    );
    const same = lakeplane(home, 'drift', 'diff', `${versions}#1`, `${versions}#1`);
    expect(same.code).toBe(0);
  });

  it('rolls back to before a bad load and replays the later ones: Silver equals a clean run', () => {
    const dir = tempDir();
    const a = ndjson(dir, 'a.ndjson', [
      order('ord-1', '2026-11-20T10:00:00Z'),
      order('ord-2', '2026-11-20T10:00:00Z'),
    ]);
    // Bad but valid-looking: every total multiplied by 100.
    const b = ndjson(dir, 'b.ndjson', [
      order('ord-1', '2026-11-21T10:00:00Z', { order_total: 1050 }),
      order('ord-3', '2026-11-21T10:00:00Z', { order_total: 999999 }),
    ]);
    const c = ndjson(dir, 'c.ndjson', [
      order('ord-2', '2026-11-22T10:00:00Z', { status: 'paid' }),
      order('ord-4', '2026-11-22T10:00:00Z'),
    ]);
    const all = 'SELECT order_id, status, order_total, updated_at FROM silver.orders ORDER BY order_id';
    const home = tempDir();
    for (const f of [a, b, c]) expect(lakeplane(home, 'load', 'orders', f).code).toBe(0);
    const loads = JSON.parse(lakeplane(home, 'loads', '--json').stdout) as {
      loadId: string;
      source: { key: string };
    }[];
    const bad = loads.find((l) => l.source.key === 'orders/b.ndjson')!.loadId;
    const firstCommit = (
      JSON.parse(lakeplane(home, 'commits', 'orders', '--json').stdout) as { commitId: string }[]
    )[0]!.commitId;

    const dry = lakeplane(home, 'rollback', 'orders', '--before', bad, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would roll back silver\.orders to commit/);
    const unknown = lakeplane(home, 'bronze', 'restore', 'orders-nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no load orders-nope');
    const restoreDry = lakeplane(home, 'bronze', 'restore', bad, '--dry-run');
    expect(restoreDry.code).toBe(0);
    expect(restoreDry.stdout).toMatch(
      /^would restore s3:\/\/lakeplane-bronze\/orders\/b\.ndjson version \S+ as the current object/,
    );
    const loose = lakeplane(home, 'rollback', 'orders', '--before', bad, '--replay-load');
    expect(loose.code).toBe(2);
    expect(loose.stderr).toContain('--replay-load goes with --before <load-id> --replay-after');
    const rolled = lakeplane(home, 'rollback', 'orders', '--before', bad, '--replay-after');
    expect(rolled.stderr).toBe('');
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(/rolled back silver\.orders/);

    const clean = tempDir();
    for (const f of [a, c]) expect(lakeplane(clean, 'load', 'orders', f).code).toBe(0);
    expect(JSON.parse(lakeplane(home, 'query', '--json', all).stdout)).toEqual(
      JSON.parse(lakeplane(clean, 'query', '--json', all).stdout),
    );

    const asOf = lakeplane(
      home,
      'query',
      '--json',
      '--dataset',
      'orders',
      '--as-of',
      firstCommit,
      'SELECT order_id FROM silver.orders ORDER BY 1',
    );
    expect(asOf.code).toBe(0);
    expect(JSON.parse(asOf.stdout)).toEqual([{ order_id: 'ord-1' }, { order_id: 'ord-2' }]);
  });

  it('answers events test-pattern like aws events test-event-pattern', () => {
    const dir = tempDir();
    const pattern = join(dir, 'pattern.json');
    const event = join(dir, 'event.json');
    writeFileSync(
      pattern,
      JSON.stringify({ source: ['aws.s3'], detail: { object: { key: [{ prefix: 'orders/' }] } } }),
    );
    const base = {
      id: '1',
      account: '123456789012',
      source: 'aws.s3',
      time: '2026-11-20T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      'detail-type': 'Object Created',
    };
    writeFileSync(event, JSON.stringify({ ...base, detail: { object: { key: 'orders/a.ndjson' } } }));
    expect(lakeplane(dir, 'events', 'test-pattern', pattern, event).stdout.trim()).toBe('{"Result":true}');
    writeFileSync(event, JSON.stringify({ ...base, detail: { object: { key: 'customers/a.ndjson' } } }));
    expect(lakeplane(dir, 'events', 'test-pattern', pattern, event).stdout.trim()).toBe('{"Result":false}');
    // TestEventPattern answers an event without resources, and an array detail-type (any element).
    const { resources: _r, ...noResources } = base;
    writeFileSync(
      event,
      JSON.stringify({
        ...noResources,
        'detail-type': ['Other', 'Object Created'],
        detail: { object: { key: 'orders/a' } },
      }),
    );
    expect(lakeplane(dir, 'events', 'test-pattern', pattern, event).stdout.trim()).toBe('{"Result":true}');
    writeFileSync(pattern, JSON.stringify({ 'detail-type': ['Object Created'] }));
    expect(lakeplane(dir, 'events', 'test-pattern', pattern, event).stdout.trim()).toBe('{"Result":true}');
    writeFileSync(pattern, JSON.stringify({ 'detail-type': ['Object Deleted'] }));
    expect(lakeplane(dir, 'events', 'test-pattern', pattern, event).stdout.trim()).toBe('{"Result":false}');
    writeFileSync(pattern, JSON.stringify({ source: 'aws.s3' }));
    const invalid = lakeplane(dir, 'events', 'test-pattern', pattern, event);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/Event pattern is not valid/);
  });

  it('runs the demo twice in one workspace with the same tables the second time', () => {
    const home = tempDir();
    const digest =
      "SELECT (SELECT md5(string_agg(o::VARCHAR, '|' ORDER BY o::VARCHAR)) FROM silver.orders o) AS orders, (SELECT md5(string_agg(i::VARCHAR, '|' ORDER BY i::VARCHAR)) FROM silver.order_items i) AS items, (SELECT md5(string_agg(g::VARCHAR, '|' ORDER BY g::VARCHAR)) FROM gold.daily_revenue g) AS gold";
    const first = lakeplane(home, 'demo');
    expect(first.code).toBe(0);
    // Its next steps name the workspace it ran in.
    expect(first.stdout).toContain(`  npx lakeplane --home ${home} loads `);
    expect(first.stdout).toContain(`Run \`npx lakeplane --home ${home} demo\` again`);
    expect(first.stdout).toMatch(/loads\s+succeeded\s+failed/);
    expect(first.stdout).toContain('did not overwrite it');
    expect(first.stdout).toMatch(/Expected failure: orders\/orders-2026-11-23-export\.ndjson/);
    expect(first.stdout).toMatch(
      /Expected failure: orders\/orders-2026-11-24-partner\.ndjson → .*failed the data-quality gate/,
    );
    expect(first.stdout).toMatch(/FAILED_QUALITY/);
    const tables = lakeplane(home, 'query', '--json', digest).stdout;
    const second = lakeplane(home, 'demo');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/\n\s+11\s+9\s+2\s+11\s+0\s+0\s+0\s/);
    expect(lakeplane(home, 'query', '--json', digest).stdout).toBe(tables);

    // The demo leaves order_items paused by its incompatible schema change, one file held.
    expect(first.stdout).toMatch(/order_items is PAUSED \(breaking schema drift .*unit_price/);
    const drift = JSON.parse(lakeplane(home, 'drift', '--json').stdout) as {
      dataset: string;
      action: string;
    }[];
    expect(drift.map((d) => [d.dataset, d.action]).sort()).toEqual([
      ['order_items', 'pause'],
      ['orders', 'alert'],
    ]);
    const resumed = lakeplane(home, 'dataset', 'resume', 'order_items', '--accept-schema');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(
      /dataset order_items resumed; accepted Bronze schema version \d+; 1 object that waited ran in 1 load, in landing order\n\s+order_items-\w+\s+SUCCEEDED\s+order_items\/order_items-005\.ndjson/,
    );
  });
});
