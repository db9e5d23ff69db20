import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadRecord } from '../../shared/core/load.js';
import { lakeplane, typed } from '../helpers/cli.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';

// On-call scenarios, each following the step the platform prints, typed as printed.

const show = (home: string, id: string) =>
  JSON.parse(lakeplane(home, 'loads', 'show', id, '--json').stdout) as LoadRecord;

/** The command of the `next` block of `loads show` (its last line). */
function nextOfShow(home: string, id: string): string {
  const text = lakeplane(home, 'loads', 'show', id).stdout;
  const block = /\nnext\n {2}(.+):\n {2}(.+)/.exec(text);
  expect(block, text).not.toBeNull();
  return block![2]!;
}

describe('on-call on the local runtime', () => {
  it('a malformed file: landing the corrected one, as printed, RESOLVES the failed load; nothing FAILED is left', () => {
    const home = tempDir();
    const dir = tempDir();
    writeFileSync(join(dir, 'orders-0001.ndjson'), 'order_id,status\no-1,placed\no-2,shipped\n');
    const first = lakeplane(home, 'load', 'orders', join(dir, 'orders-0001.ndjson'));
    expect(first.code).toBe(1);
    const failedId = /load (orders-\w+) FAILED/.exec(first.stdout)![1]!;
    // The cause without the orchestration's wrapping; one next step, the corrected file landed again.
    expect(first.stdout).toMatch(
      /cause: s3:\/\/lakeplane-bronze\/orders\/orders-0001\.ndjson\?versionId=\w+: 3 of 3/,
    );
    expect(first.stdout).not.toMatch(/States\.TaskFailed|MalformedFileError/);
    expect(first.stdout).toMatch(
      /next: Fix the file orders-0001\.ndjson and land the corrected one at the same key/,
    );
    expect(first.stdout).toContain(
      `    npx lakeplane --home ${home} load orders ${join(dir, 'orders-0001.ndjson')}`,
    );

    // The alert says the same step first, in plain words, and carries the dataset's channel.
    const alerts = readFileSync(join(home, 'notifications.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) => (JSON.parse(l) as { message: { text: string; channel?: string; blocks: unknown[] } }).message,
      );
    const alert = alerts.find((a) => a.text.startsWith('Load of orders failed'))!;
    expect(alert.text).toMatch(
      /^Load of orders failed \(orders-\w+\)\. Silver is unchanged: none of this load's records reached it\. s3:/,
    );
    expect(alert.channel).toBe('#orders-data');
    expect(JSON.stringify(alert.blocks)).toContain(
      `npx lakeplane --home ${home} load orders orders-0001.ndjson`,
    );

    // A replay would read the same bad object version: it is not the step, and is refused as such.
    const step = nextOfShow(home, failedId);
    // `loads show` names the file the load was landed from (the local store keeps its path).
    expect(step).toBe(`npx lakeplane --home ${home} load orders ${join(dir, 'orders-0001.ndjson')}`);
    ndjson(dir, 'orders-0001.ndjson', [
      order('o-1', '2026-11-20T10:00:00Z'),
      order('o-2', '2026-11-20T10:00:00Z'),
    ]);
    const fixed = typed(step, dir);
    expect(fixed.stderr).toBe('');
    expect(fixed.code).toBe(0);
    const fixedId = /load (orders-\w+) SUCCEEDED/.exec(fixed.stdout)![1]!;

    const resolved = show(home, failedId);
    expect(resolved.status).toBe('RESOLVED');
    expect(resolved.resolvedBy).toBe(fixedId);
    expect(resolved.history.at(-1)?.note).toMatch(
      /resolved by load orders-\w+: a later load read its object key again/,
    );
    expect(lakeplane(home, 'loads', 'show', failedId).stdout).toContain(`resolved   by load ${fixedId}`);
    const stillFailed = lakeplane(home, 'loads', '--status', 'FAILED');
    expect(stillFailed.code).toBe(0);
    expect(stillFailed.stdout.trim()).toBe('no FAILED loads: none needs someone');
    const replay = lakeplane(home, 'replay', failedId);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toMatch(/it is RESOLVED: load orders-\w+ read its object key again and succeeded/);
  });

  it('a valid-looking bad load: rollback → ROLLED_BACK, and landing its file again is a new load', () => {
    const home = tempDir();
    const dir = tempDir();
    const good = ndjson(dir, 'orders-a.ndjson', [order('o-1', '2026-11-20T10:00:00Z')]);
    const bad = ndjson(dir, 'orders-b.ndjson', [
      order('o-2', '2026-11-20T11:00:00Z', { order_total: 99999 }),
    ]);
    expect(lakeplane(home, 'load', 'orders', good).code).toBe(0);
    const loaded = lakeplane(home, 'load', 'orders', bad);
    expect(loaded.code).toBe(0);
    const badId = /load (orders-\w+) SUCCEEDED/.exec(loaded.stdout)![1]!;

    const dry = lakeplane(home, 'rollback', 'orders', '--before', badId, '--dry-run');
    expect(dry.code).toBe(0);
    expect(show(home, badId).status).toBe('SUCCEEDED');
    const rolled = lakeplane(home, 'rollback', 'orders', '--before', badId);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toContain('the undone loads are ROLLED_BACK in the ledger');
    const record = show(home, badId);
    expect(record.status).toBe('ROLLED_BACK');
    expect(record.rolledBackBy).toMatch(/^\d{17}$/);
    expect(record.history.at(-1)?.note).toMatch(/was taken out of Silver by rollback \d+/);
    const replay = lakeplane(home, 'replay', badId);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toMatch(
      /it is ROLLED_BACK: .*land the corrected file \(or the same file\) again: it makes a new load/,
    );
    const rows = () =>
      JSON.parse(lakeplane(home, 'query', '--json', 'SELECT order_id FROM silver.orders ORDER BY 1').stdout);
    expect(rows()).toEqual([{ order_id: 'o-1' }]);

    const again = lakeplane(home, 'load', 'orders', bad);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('already loaded');
    const againId = /load (orders-\w+) SUCCEEDED/.exec(again.stdout)![1]!;
    expect(againId).not.toBe(badId);
    expect(rows()).toEqual([{ order_id: 'o-1' }, { order_id: 'o-2' }]);
    expect(show(home, badId).status).toBe('ROLLED_BACK');
    // The same content a third time is the load that just ran: a duplicate again.
    expect(lakeplane(home, 'load', 'orders', bad).stdout).toContain(
      `already loaded as ${againId} (SUCCEEDED)`,
    );
  });

  it('a drift pause: resume with a version that exists, as printed; a missing one is refused', () => {
    const home = tempDir();
    const demo = lakeplane(home, 'demo');
    expect(demo.code).toBe(0);
    const printed = /Resume: (npx lakeplane .+ dataset resume order_items --accept-schema)\n/.exec(
      demo.stdout,
    )?.[1];
    expect(printed).toBe(`npx lakeplane --home ${home} dataset resume order_items --accept-schema`);

    const missing = lakeplane(home, 'dataset', 'resume', 'order_items', '--accept-schema', '7');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /dataset order_items has no Bronze table version 7 \(its versions: 1, 2\); nothing was changed\. Accept one that exists, e.g\. the newest: `npx lakeplane --home .+ dataset resume order_items --accept-schema 2`/,
    );
    expect(
      lakeplane(home, 'loads', '--dataset', 'order_items', '--status', 'SUCCEEDED').stdout,
    ).not.toContain('order_items-005');

    const resumed = typed(printed!, home);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(
      /^dataset order_items resumed; accepted Bronze schema version 2; 1 object that waited ran in 1 load, in landing order\n\s+order_items-\w+\s+SUCCEEDED\s+order_items\/order_items-005\.ndjson/,
    );
    const again = lakeplane(home, 'dataset', 'resume', 'order_items');
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(
      'dataset order_items is not paused: nothing to resume, nothing was changed',
    );
  });
});

describe('one exit-code rule: 0 done, 1 the work failed, 2 refused or wrong usage', () => {
  it('an unknown dataset, a bad option, an unknown command and a bad path are refused with 2 and a sentence', () => {
    const home = tempDir();
    const dir = tempDir();
    const file = ndjson(dir, 'orders-1.ndjson', [order('o-1', '2026-11-20T10:00:00Z')]);
    writeFileSync(join(dir, 'orders.csv'), 'order_id\no-1\n');
    writeFileSync(join(dir, 'not-a-folder'), '');
    const refused: [string[], RegExp][] = [
      // First: the commands after it open the runtime, which makes the lake.
      [
        ['query', 'SELECT 1'],
        /^lakeplane: the workspace .+ has no lake yet \(nothing was loaded there\): load a file first/,
      ],
      [['load', 'nope', file], /^lakeplane: no dataset named "nope"; known datasets: order_items, orders/],
      [['stream', 'nope', file], /^lakeplane: no dataset named "nope"/],
      [['rollback', 'nope', '--to', 'start'], /^lakeplane: no dataset named "nope"/],
      [['commits', 'nope'], /^lakeplane: no dataset named "nope"/],
      [['replay', '--dataset', 'nope'], /^lakeplane: no dataset named "nope"/],
      [['loads', '--dataset', 'nope'], /^lakeplane: no dataset named "nope"/],
      [['drift', '--dataset', 'nope'], /^lakeplane: no dataset named "nope"/],
      [['dataset', 'resume', 'nope'], /^lakeplane: no dataset named "nope"/],
      [['crawl', 'nope'], /^lakeplane: no dataset named "nope"/],
      [['loads', '--limit', 'abc'], /^lakeplane: option --limit "abc": needs a number/],
      [['load', 'orders', join(dir, 'orders.csv')], /orders\.csv: not an NDJSON file: .*nothing was landed/],
      [['no-such-command'], /unknown command 'no-such-command'/],
    ];
    for (const [args, message] of refused) {
      const r = lakeplane(home, ...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at |ZodError|Invalid input/);
    }
    // Refused before anything opens: the workspace is still empty.
    expect(readdirSync(home)).toEqual([]);
    const notAFolder = lakeplane(join(dir, 'not-a-folder'), 'loads');
    expect(notAFolder.code).toBe(2);
    expect(notAFolder.stderr).toMatch(/option --home ".+not-a-folder": is a file, not a folder/);
  });

  it('done is 0 (help, version, a dry run, a load), a failed load is 1', () => {
    const home = tempDir();
    const dir = tempDir();
    const version = lakeplane(home, '--version');
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(
      (
        JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
    );
    expect(lakeplane(home, '--help').code).toBe(0);
    const loaded = lakeplane(
      home,
      'load',
      'orders',
      ndjson(dir, 'orders-1.ndjson', [order('o-1', '2026-11-20T10:00:00Z')]),
    );
    expect(loaded.code).toBe(0);
    const id = /load (orders-\w+) SUCCEEDED/.exec(loaded.stdout)![1]!;
    expect(lakeplane(home, 'rollback', 'orders', '--before', id, '--dry-run', '--replay-after').code).toBe(0);
    // An empty file has no records: nothing to load, and no empty commit in Silver's timeline.
    writeFileSync(join(dir, 'orders-0.ndjson'), '');
    const empty = lakeplane(home, 'load', 'orders', join(dir, 'orders-0.ndjson'));
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('orders-0.ndjson: empty (0 bytes): no records, nothing to load');
    const commits = JSON.parse(lakeplane(home, 'commits', 'orders', '--json').stdout) as unknown[];
    expect(commits).toHaveLength(1);
    writeFileSync(join(dir, 'orders-2.ndjson'), 'not json\n');
    expect(lakeplane(home, 'load', 'orders', join(dir, 'orders-2.ndjson')).code).toBe(1);
  });
});
