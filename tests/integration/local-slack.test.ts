/**
 * The alert buttons on the local runtime, end to end through HTTP: slack-actions behind the
 * local endpoint (the demo runs it), signed clicks, and "Roll back & replay" of a failed load
 * whose commit reached Silver (its Gold step failed): the commit is taken out, the load and the
 * loads after it run again in order, and Silver ends as a clean run leaves it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { type LocalSlack, startLocalSlack } from '../../local/slack/local-slack.js';
import { SLACK_ACTION_IDS } from '../../shared/core/slack/buttons.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';
import { silverDigest, startRuntime } from '../helpers/runtime.js';

const ONCALL = 'U0ONCALL';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const files = (dir: string) => [
  ndjson(dir, '1.ndjson', [order('o1', '2026-11-20T10:00:00Z'), order('o2', '2026-11-20T10:00:00Z')]),
  ndjson(dir, '2.ndjson', [
    order('o1', '2026-11-20T11:00:00Z', { status: 'paid' }),
    order('o3', '2026-11-20T11:00:00Z'),
  ]),
  ndjson(dir, '3.ndjson', [
    order('o3', '2026-11-20T12:00:00Z', { status: 'shipped' }),
    order('o4', '2026-11-20T12:00:00Z'),
  ]),
];

async function runtime(): Promise<LocalRuntime> {
  const { rt } = await startRuntime();
  open.push(rt);
  return rt;
}

async function slackFor(rt: LocalRuntime): Promise<LocalSlack> {
  const slack = await startLocalSlack(rt, { allowedUserIds: new Set([ONCALL]) });
  open.push(slack);
  return slack;
}

describe('alert buttons on the local endpoint', () => {
  it("Roll back & replay takes a failed load's commit out and runs it and the later loads again, in order", async () => {
    const clean = await runtime();
    for (const f of files(tempDir())) {
      await clean.land('orders', f);
      await clean.idle();
    }
    const expected = await silverDigest(clean);

    const rt = await runtime();
    const [f1, f2, f3] = files(tempDir());
    // The second load's Gold step fails (with its retry): its upsert has committed.
    const goldLoads: string[] = [];
    rt.emr.fault = (job, _phase, args) => {
      const id = args['load-id'] ?? '';
      if (job !== 'silver_to_gold.py' || args.attempt !== '1') return;
      if (!goldLoads.includes(id)) goldLoads.push(id);
      if (goldLoads.indexOf(id) === 1) throw new Error('gold cluster unavailable');
    };
    const landed: string[] = [];
    for (const f of [f1!, f2!, f3!]) {
      landed.push((await rt.land('orders', f)).loadId!);
      await rt.idle();
    }
    const bad = await rt.ledger.get(landed[1]!);
    expect(bad).toMatchObject({ status: 'FAILED' });
    expect(bad?.commitId, 'its upsert committed before Gold failed').toBeDefined();

    const slack = await slackFor(rt);
    const click = await slack.click(
      { loadId: landed[1]!, dataset: 'orders' },
      SLACK_ACTION_IDS.rollbackReplay,
      ONCALL,
    );
    expect(click.status).toBe(200);
    expect(click.thread).toContain(`<@${ONCALL}> started a roll back & replay of load \`${landed[1]}\``);
    await slack.idle();

    expect(await rt.ledger.get(landed[1]!)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(await rt.ledger.get(landed[2]!)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(await rt.ledger.get(landed[0]!)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(await silverDigest(rt)).toEqual(expected);
  });

  it('refuses a stranger (403) and a failed load that left nothing in Silver, changing nothing', async () => {
    const rt = await runtime();
    rt.emr.fault = (job) => {
      if (job === 'bronze_to_silver.py') throw new Error('stage failed');
    };
    const loadId = (await rt.land('orders', files(tempDir())[0]!)).loadId!;
    await rt.idle();
    const slack = await slackFor(rt);
    const stranger = await slack.click({ loadId, dataset: 'orders' }, SLACK_ACTION_IDS.replay, 'U0STRANGER');
    expect(stranger.status).toBe(403);
    expect(stranger.thread).toBe(
      `You are not on lakeplane's on-call list, so a replay of load \`${loadId}\` was not started. Ask the platform team to add your Slack user id (U0STRANGER) to SLACK_ALLOWED_USER_IDS.`,
    );
    const oncall = await slack.click({ loadId, dataset: 'orders' }, SLACK_ACTION_IDS.rollbackReplay, ONCALL);
    expect(oncall.thread).toContain(
      `left no commit in silver.orders (it is FAILED): there is nothing to roll back, press Replay`,
    );
    await slack.idle();
    expect(await rt.ledger.get(loadId)).toMatchObject({ status: 'FAILED', attempts: 1 });
  });
});
