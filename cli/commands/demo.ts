import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalRuntime } from '../../local/runtime.js';
import { startLocalSlack } from '../../local/slack/local-slack.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { SLACK_ACTION_IDS } from '../../shared/core/slack/buttons.js';
import { writeSampleData } from '../demo/sample-data.js';
import { duration, table } from '../output.js';
import { type FileOutcome, landAndWait, outcomesTable } from './load.js';
import { streamFile } from './stream.js';

/** Deletes the demo's earlier state so the next run starts from an empty workspace. */
export function wipeWorkspace(home: string): void {
  for (const part of [
    's3',
    'ledger',
    'warehouse.duckdb',
    'warehouse.duckdb.wal',
    'executions.json',
    'notifications.jsonl',
    'lineage.jsonl',
    'dead-letters.jsonl',
    'demo-data',
    'engine',
    'spark',
  ]) {
    rmSync(join(home, part), { recursive: true, force: true });
  }
}

/** The Slack user the demo presses buttons as (on its allow list). */
const DEMO_ONCALL = 'U0DEMOONCALL';

/**
 * The alert buttons, for real: slack-actions runs behind a local HTTP endpoint while the demo
 * runs, and the demo sends it signed clicks on the first failed load's alert, one from someone
 * not on the allow list and one from the on-call engineer. Neither changes anything: the
 * stranger is refused, and the failed load left nothing in Silver to roll back.
 */
async function pressAlertButtons(rt: LocalRuntime, failed: FileOutcome[], write: (text: string) => void) {
  const load = failed.find((f) => f.load?.status === 'FAILED')?.load;
  if (!load) return;
  const slack = await startLocalSlack(rt, { allowedUserIds: new Set([DEMO_ONCALL]) });
  try {
    const ref = { loadId: load.loadId, dataset: load.dataset };
    const stranger = await slack.click(ref, SLACK_ACTION_IDS.replay, 'U0STRANGER');
    const oncall = await slack.click(ref, SLACK_ACTION_IDS.rollbackReplay, DEMO_ONCALL);
    write(
      `Slack buttons (slack-actions at ${slack.actionsUrl} while the demo runs): Replay pressed by U0STRANGER → HTTP ${stranger.status}, not on the allow list; Roll back & replay pressed by ${DEMO_ONCALL} → HTTP ${oncall.status}, thread: ${oncall.thread ?? '(no answer)'}\n`,
    );
  } finally {
    await slack.close();
  }
}

/**
 * The main job: seeds sample data and runs every file through the real load path (object
 * event → object-landed → ledger → state machine → engine → load-events), then prints what
 * happened and where to look next.
 */
export async function runDemo(
  rt: LocalRuntime,
  write: (text: string) => void,
  /** How the printed next steps call the CLI (with the `--home` the demo ran with, if any). */
  cli = 'npx lakeplane',
): Promise<{ outcomes: FileOutcome[] }> {
  const started = Date.now();
  const sample = writeSampleData(join(rt.workspace.home, 'demo-data'));
  write(
    `lakeplane demo: ${sample.files.length} files into Bronze (${LOCAL_LAYOUT.bronzeBucket}), workspace ${rt.workspace.home}\n`,
  );
  const outcomes: FileOutcome[] = [];
  for (const f of sample.files) outcomes.push(...(await landAndWait(rt, f.dataset, [f.path])));

  write(`${outcomesTable(outcomes)}\n`);
  const sum = (pick: (o: FileOutcome) => number | undefined) =>
    outcomes.reduce((n, o) => n + (o.alreadyLoaded ? 0 : (pick(o) ?? 0)), 0);
  const failed = outcomes.filter((o) => o.load?.status === 'FAILED' || o.load?.status === 'FAILED_QUALITY');
  const already = outcomes.filter((o) => o.alreadyLoaded).length;
  write(
    `\n${table(
      [
        'loads',
        'succeeded',
        'failed',
        'already loaded',
        'rows in',
        'rows out (silver upserts)',
        'quarantined',
        'duration',
      ],
      [
        [
          outcomes.length,
          outcomes.filter((o) => o.load?.status === 'SUCCEEDED').length,
          failed.length,
          already,
          sum((o) => o.load?.counts?.rowsIn),
          sum((o) =>
            o.load?.counts ? o.load.counts.inserted + o.load.counts.updated + o.load.counts.deleted : 0,
          ),
          sum((o) => o.load?.counts?.rowsQuarantined),
          duration(Date.now() - started),
        ],
      ],
    )}\n`,
  );
  const streamed = await streamFile(rt, 'orders', sample.streamFile);
  write(
    `Stream: ${streamed.recordsPut} order events put on Kinesis → ${streamed.objects} micro-batch objects in ${streamed.loads.length} loads (${streamed.loads.filter((l) => l.status === 'SUCCEEDED').length} succeeded), ${streamed.quarantined} records quarantined.\n`,
  );
  // Schema drift: the crawler records each dataset's Bronze schema, new files change it.
  await rt.crawl('orders');
  await rt.crawl('order_items');
  for (const step of [sample.drift.additive, sample.drift.incompatible]) {
    await landAndWait(rt, step.dataset, [step.path]);
    await rt.crawl(step.dataset);
  }
  const held = await landAndWait(rt, sample.drift.afterPause.dataset, [sample.drift.afterPause.path]);
  for (const d of await rt.control.list({})) {
    write(
      `Schema drift: ${d.dataset} ${d.fromVersion} → ${d.toVersion}: ${d.action}${d.breaking ? ' (breaking)' : ''}, ${d.changes.length} change(s)\n`,
    );
  }
  const paused = await rt.control.get('order_items');
  if (paused?.paused) {
    write(
      `order_items is PAUSED (${paused.reason}); ${held.filter((h) => h.pending).length} file(s) wait in Bronze (pending). Resume: ${cli} dataset resume order_items --accept-schema\n`,
    );
  }
  const countOf = async (dataset: string) =>
    (await rt.selectRows(`SELECT count(*) AS n FROM silver.${dataset}`, dataset))[0]?.n;
  const after = { orders: await countOf('orders'), order_items: await countOf('order_items') };
  write(`Silver now holds ${after.orders} orders and ${after.order_items} order lines.\n`);

  const probe = sample.staleProbe;
  const row = (
    await rt.selectRows(
      `SELECT status, updated_at FROM silver.orders WHERE order_id = '${probe.orderId}'`,
      'orders',
    )
  )[0];
  const staleIgnored = row !== undefined && row.status !== probe.staleStatus;
  // DuckDB's JSON rows write a timestamp with a space, the Spark query's with a T: one form here.
  const updatedAt = String(row?.updated_at).replace(' ', 'T');
  write(
    `Stale update check: ${probe.orderId} has status "${row?.status}" updated ${updatedAt}; the late record (status "${probe.staleStatus}", updated ${probe.staleUpdatedAt}) ${staleIgnored ? 'did not overwrite it' : 'OVERWROTE it'}.\n`,
  );
  for (const f of failed) {
    write(`Expected failure: ${f.key} → ${f.load?.cause?.message}\n`);
  }
  await pressAlertButtons(rt, failed, write);
  const again = cli === 'npx lakeplane' ? '`npm start`' : `\`${cli} demo\``;
  const steps: [string, string][] = [
    ['loads', 'every load, newest first'],
    ['loads --status FAILED --json', 'the failed load, with its cause'],
    ['query "SELECT * FROM gold.daily_revenue ORDER BY order_date"', ''],
    [`query "SELECT * FROM silver.orders WHERE order_id = '${probe.orderId}'"`, ''],
    ['stream orders <file.ndjson>', 'put your own events on the local stream'],
    ['drift', 'schema changes the crawler found, and what they did'],
    ['lineage', 'what each job read and wrote, and its last run (OpenLineage run events)'],
  ];
  const width = Math.max(...steps.filter(([, what]) => what).map(([c]) => cli.length + 1 + c.length)) + 2;
  write(`
Where to look next:
${steps.map(([c, what]) => `  ${what ? `${cli} ${c}`.padEnd(width) + what : `${cli} ${c}`}`).join('\n')}
  ${join(rt.workspace.objects, LOCAL_LAYOUT.quarantineBucket)}   quarantined records with their reasons
  ${rt.workspace.notifications}   alerts as Slack would receive them
  ${join(rt.workspace.home, 'lineage.jsonl')}   the runs' OpenLineage events, one per line
Run ${again} again: every file is recognised as already loaded; the stream's events come again as new micro-batches, which leave the tables as they are.
`);
  if (!staleIgnored) throw new Error(`stale update of ${probe.orderId} overwrote newer data`);
  return { outcomes };
}
