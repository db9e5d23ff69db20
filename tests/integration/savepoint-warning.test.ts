/**
 * A savepoint step that fails after the upsert committed: the state machine catches it into
 * `$.savepointError` and the load succeeds; load-events reads the execution output, records a
 * SAVEPOINT_FAILED warning on the load, sends one Slack warning, and `loads show` prints it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { ndjson, order, REPO, tempDir } from '../helpers/fixtures.js';
import { notifications, startRuntime } from '../helpers/runtime.js';

let rt: LocalRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

function loadsShow(home: string, loadId: string) {
  const r = spawnSync(
    process.execPath,
    [join(REPO, 'bin', 'lakeplane.js'), '--home', home, 'loads', 'show', loadId],
    {
      encoding: 'utf8',
      env: { ...process.env, LAKEPLANE_HOME: '' },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a failed savepoint on the local runtime', () => {
  it('is a warning on the load in the ledger, one Slack warning and a line of loads show; a later load has none', async () => {
    const home = tempDir();
    ({ rt } = await startRuntime(home));
    let savepointRuns = 0;
    rt.emr.fault = (job) => {
      if (job === 'savepoint_table.py') {
        savepointRuns++;
        throw new Error('create_savepoint returned false (Hudi refused; see the driver log) <@channel>');
      }
    };
    const landed = await rt.land(
      'orders',
      ndjson(tempDir(), 'd1.ndjson', [order('o1', '2026-11-20T10:00:00Z')]),
    );
    await rt.idle();

    expect(savepointRuns).toBe(2); // one retry of States.TaskFailed, then the Catch
    const load = await rt.ledger.get(landed.loadId!);
    expect(load?.status).toBe('SUCCEEDED');
    expect(load?.commitId).toMatch(/\S/);
    expect(load?.warnings).toEqual([
      {
        kind: 'SAVEPOINT_FAILED',
        commitId: load?.commitId,
        attempt: 1,
        at: load?.finishedAt,
        error: 'States.TaskFailed',
        message: expect.stringContaining('create_savepoint returned false'),
      },
    ]);

    const sent = notifications(rt);
    expect(sent).toHaveLength(1);
    const text = JSON.stringify(sent[0]);
    expect(sent[0]!.message.text).toContain(
      `Savepoint failed: orders commit ${load?.commitId} (${landed.loadId})`,
    );
    expect(text).toContain('cannot be a rollback target once a second commit follows it');
    expect(text).toContain(`lakeplane loads show ${landed.loadId}`);
    // Data in the cause is escaped: it can neither ping a channel nor open a link.
    expect(text).not.toContain('<@channel>');
    expect(text).toContain('&lt;@\u200bchannel&gt;');

    // A load whose savepoint works carries no warning and sends nothing.
    rt.emr.fault = undefined;
    const next = await rt.land(
      'orders',
      ndjson(tempDir(), 'd2.ndjson', [order('o2', '2026-11-20T11:00:00Z')]),
    );
    await rt.idle();
    const ok = await rt.ledger.get(next.loadId!);
    expect(ok?.status).toBe('SUCCEEDED');
    expect(ok?.warnings).toBeUndefined();
    expect(notifications(rt)).toHaveLength(1);
    await rt.close();
    rt = undefined;

    const shown = loadsShow(home, landed.loadId!);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(
      new RegExp(
        `\\nwarning {4}the savepoint of commit ${load?.commitId} failed \\(States\\.TaskFailed: step "orders savepoint ${landed.loadId}#1" failed: .*create_savepoint returned false.*\\): this load cannot be a rollback target once a second commit follows it .*; roll back to a commit before it or after it`,
      ),
    );
    expect(loadsShow(home, next.loadId!).stdout).not.toContain('warning');
  });
});
