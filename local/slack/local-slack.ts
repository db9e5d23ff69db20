/**
 * The Slack side of the demo, on this machine: slack-actions (the same handler as in AWS)
 * behind the local HTTP API stand-in, a response-URL sink that collects the thread answers, and
 * `click`, which sends a signed `block_actions` request as Slack does when someone presses a
 * button of a failed-load alert. "Roll back & replay" runs on the local warehouse.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createObservability } from '../../functions/observability.js';
import { createHandler as createSlackActions } from '../../functions/slack-actions/handler.js';
import { failedLoadActions, type LoadRef, type SlackActionId } from '../../shared/core/slack/buttons.js';
import {
  MemoryReplayGuard,
  SLACK_SIGNATURE_HEADER,
  SLACK_TIMESTAMP_HEADER,
} from '../../shared/core/slack/signature.js';
import { noCommitToRollBack, rollbackDataset } from '../../shared/usecases/rollback.js';
import type { RollbackAndReplay } from '../../shared/usecases/slack-action.js';
import type { LocalRuntime } from '../runtime.js';
import { LOCAL_LAYOUT } from '../workspace.js';
import { startActionsServer } from './actions-server.js';

export interface LocalSlack {
  /** The Interactivity Request URL of the local endpoint. */
  readonly actionsUrl: string;
  /**
   * Presses a button of the failed-load alert of `load` as `userId`: a signed request to the
   * endpoint. Resolves with the HTTP status and the answer posted to the alert's thread.
   */
  click(load: LoadRef, actionId: SlackActionId, userId: string): Promise<{ status: number; thread?: string }>;
  /** Waits for the work the clicks started (a rollback and its replays). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface LocalSlackOptions {
  /** Slack user ids allowed to press the buttons. */
  readonly allowedUserIds: ReadonlySet<string>;
  /** Default: a random secret for this run (the demo signs its own clicks). */
  readonly signingSecret?: string;
}

/** Local "Roll back & replay": start it (Slack waits 3 s), let the loads' alerts tell the rest. */
function localRollbackAndReplay(rt: LocalRuntime, pending: Set<Promise<unknown>>): RollbackAndReplay {
  return async (loadId, dataset) => {
    const load = await rt.ledger.get(loadId);
    if (!load?.commitId)
      return { outcome: 'refused', reason: noCommitToRollBack(loadId, dataset, load?.status) };
    const work = rt.idle().then(() =>
      rollbackDataset(dataset, { beforeLoad: loadId }, rt.rollbackDeps, {
        replayAfter: true,
        replayTarget: true,
        afterEach: () => rt.idle(),
      }),
    );
    pending.add(work);
    void work.finally(() => pending.delete(work)).catch(() => undefined);
    return {
      outcome: 'started',
      detail: `silver.${dataset} goes back to before commit ${load.commitId}, then ${loadId} and the loads after it run again in order`,
    };
  };
}

export async function startLocalSlack(rt: LocalRuntime, options: LocalSlackOptions): Promise<LocalSlack> {
  const secret = options.signingSecret ?? randomBytes(24).toString('hex');
  const pending = new Set<Promise<unknown>>();
  const answers: string[] = [];
  const sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown };
        if (typeof body.text === 'string') answers.push(body.text);
      } catch {
        // not an answer: ignored
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  const handler = createSlackActions({
    ...createObservability('slack-actions', { local: true, logLevel: 'SILENT' }),
    contracts: rt.contracts,
    ledger: rt.ledger,
    orchestrator: rt.stepFunctions,
    layout: LOCAL_LAYOUT,
    signingSecret: async () => secret,
    replayGuard: new MemoryReplayGuard(),
    allowedUserIds: options.allowedUserIds,
    rollbackAndReplay: localRollbackAndReplay(rt, pending),
    now: () => new Date(),
    // The thread answers go to the local sink (Slack's own are https on hooks.slack.com).
    isResponseUrlAllowed: (url) => url.origin === sinkUrl,
  });
  const server = await startActionsServer(handler);
  const actionsUrl = `${server.url}/slack/actions`;
  let clicks = 0;

  const idle = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
    await rt.idle();
  };
  return {
    actionsUrl,
    idle,
    async click(load, actionId, userId) {
      clicks++;
      const button = failedLoadActions(load).elements.find((e) => e.action_id === actionId);
      const payload = {
        type: 'block_actions',
        user: { id: userId },
        actions: [{ action_id: actionId, value: button?.value ?? '' }],
        response_url: `${sinkUrl}/actions/T0LOCAL/${clicks}/local-token`,
        channel: { id: 'C0LOCAL', name: 'lakeplane-demo' },
        message: { ts: `${Math.floor(Date.now() / 1000)}.000${clicks}` },
      };
      const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
      const before = answers.length;
      const res = await fetch(actionsUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          [SLACK_TIMESTAMP_HEADER]: timestamp,
          [SLACK_SIGNATURE_HEADER]: signature,
        },
        body,
      });
      await res.text();
      const thread = answers.slice(before).join('\n');
      return { status: res.status, ...(thread ? { thread } : {}) };
    },
    async close() {
      await idle();
      await server.close();
      await new Promise<void>((resolve) => {
        sink.close(() => resolve());
        sink.closeAllConnections();
      });
    },
  };
}
