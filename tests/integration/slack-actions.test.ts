/**
 * The slack-actions handler behind the local HTTP API stand-in, driven by real HTTP requests
 * signed like Slack signs them. Replay runs the real use case over an in-memory ledger and a
 * recording orchestrator; a local HTTP server stands in for the interaction's response_url.
 * Every refused request is logged (the Powertools log lines are captured) and starts nothing;
 * no log line ever holds the signing secret, a signature or the response URL's token.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObservability } from '../../functions/observability.js';
import { createHandler } from '../../functions/slack-actions/handler.js';
import { localContext } from '../../local/lambda-context.js';
import { type ActionsServer, startActionsServer } from '../../local/slack/actions-server.js';
import { loadContractsDir } from '../../shared/contracts-dir.js';
import { type LoadRecord, loadIdFor, type SourceObject } from '../../shared/core/load.js';
import { failedLoadActions, SLACK_ACTION_IDS } from '../../shared/core/slack/buttons.js';
import { MemoryReplayGuard } from '../../shared/core/slack/signature.js';
import type {
  Ledger,
  LoadQuery,
  LoadUpdate,
  Orchestrator,
  RegisterResult,
  StartedExecution,
} from '../../shared/ports.js';
import type { RollbackAndReplay } from '../../shared/usecases/slack-action.js';
import { DATASETS, TEST_LAYOUT } from '../helpers/fixtures.js';

const SECRET = 'lakeplane-it-signing-secret-3f9a7c';
const ONCALL = 'U0ONCALL01';
const STRANGER = 'U0STRANGER';
const RESPONSE_TOKEN = 'rEsPoNsEtOkEn0123456789';
const ALERT_TS = '1714557600.000100';
const SOURCE: SourceObject = {
  bucket: 'lake-bronze',
  key: 'orders/2026/05/01/part-0001.ndjson',
  etag: 'b1946ac92492d2347c6235b4d2611184',
  size: 1024,
  versionId: 'v1',
};
const LOAD_ID = loadIdFor('orders', SOURCE);
const contracts = loadContractsDir(DATASETS);

/** A Ledger in memory with the conditional semantics of the DynamoDB one. */
class MemoryLedger implements Ledger {
  readonly loads = new Map<string, LoadRecord>();

  async register(load: LoadRecord): Promise<RegisterResult> {
    const existing = this.loads.get(load.loadId);
    if (existing) return { created: false, existing };
    this.loads.set(load.loadId, load);
    return { created: true };
  }

  async get(loadId: string): Promise<LoadRecord | undefined> {
    return this.loads.get(loadId);
  }

  async transition(
    loadId: string,
    to: LoadRecord['status'],
    from: readonly LoadRecord['status'][],
    update: LoadUpdate,
    note?: string,
  ): Promise<LoadRecord | undefined> {
    const load = this.loads.get(loadId);
    if (!load || !from.includes(load.status)) return undefined;
    const next: Record<string, unknown> = { ...load, status: to };
    for (const [k, v] of Object.entries(update)) {
      if (v === null) delete next[k];
      else if (v !== undefined) next[k] = v;
    }
    next.history = [...load.history, { status: to, at: new Date().toISOString(), ...(note ? { note } : {}) }];
    const moved = next as unknown as LoadRecord;
    this.loads.set(loadId, moved);
    return moved;
  }

  async list(query: LoadQuery): Promise<LoadRecord[]> {
    return [...this.loads.values()]
      .filter(
        (l) =>
          (!query.dataset || l.dataset === query.dataset) &&
          (!query.status || l.status === query.status) &&
          (!query.since || l.registeredAt >= query.since),
      )
      .sort((a, b) => (a.registeredAt < b.registeredAt ? 1 : -1))
      .slice(0, query.limit ?? 100);
  }
}

class RecordingOrchestrator implements Orchestrator {
  readonly started: { name: string; input: unknown }[] = [];
  async startExecution(name: string, input: unknown): Promise<StartedExecution> {
    this.started.push({ name, input });
    return {
      executionArn: `arn:aws:states:eu-west-1:111122223333:execution:lakeplane-test-load-dataset:${name}`,
      alreadyStarted: false,
    };
  }
}

function failedLoad(status: LoadRecord['status'] = 'FAILED'): LoadRecord {
  return {
    loadId: LOAD_ID,
    dataset: 'orders',
    status,
    source: SOURCE,
    executionName: LOAD_ID,
    attempts: 1,
    registeredAt: '2026-05-01T10:00:00.000Z',
    cause: { error: 'Lakeplane.GoldBuildFailed', message: 'gold cluster unavailable' },
    history: [
      { status: 'REGISTERED', at: '2026-05-01T10:00:00.000Z' },
      { status: 'RUNNING', at: '2026-05-01T10:00:01.000Z' },
      { status: status, at: '2026-05-01T10:01:00.000Z' },
    ],
  };
}

interface ResponseUrlServer {
  readonly url: string;
  readonly posts: { path: string; contentType: string | undefined; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** Stands in for Slack's response_url: records every POST, answers `ok` like Slack. */
async function startResponseUrlServer(): Promise<ResponseUrlServer> {
  const posts: ResponseUrlServer['posts'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/actions/T0TEAM/4242/${RESPONSE_TOKEN}`,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let ledger: MemoryLedger;
let orchestrator: RecordingOrchestrator;
let rollbackCalls: { loadId: string; dataset: string }[];
let rollback: RollbackAndReplay;
let responseUrl: ResponseUrlServer;
let server: ActionsServer;
let handler: ReturnType<typeof createHandler>;
let output: string[];
const sentSignatures: string[] = [];

/** A click on an alert button, as Slack posts it: form-encoded `payload` JSON. */
function clickBody(
  options: { actionId?: string; userId?: string; loadId?: string; dataset?: string } = {},
): string {
  const actionId = options.actionId ?? SLACK_ACTION_IDS.replay;
  const block = failedLoadActions({
    loadId: options.loadId ?? LOAD_ID,
    dataset: options.dataset ?? 'orders',
  });
  const button = block.elements.find((e) => e.action_id === actionId) ?? block.elements[0]!;
  const payload = {
    type: 'block_actions',
    user: {
      id: options.userId ?? ONCALL,
      username: 'oncall.engineer',
      name: 'oncall.engineer',
      team_id: 'T0TEAM',
    },
    api_app_id: 'A0LAKEPLANE',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: ALERT_TS, channel_id: 'C0ALERTS', is_ephemeral: false },
    trigger_id: '123.456.abc',
    team: { id: 'T0TEAM', domain: 'acme' },
    channel: { id: 'C0ALERTS', name: 'data-alerts' },
    message: { type: 'message', ts: ALERT_TS, text: 'Load failed: orders' },
    response_url: responseUrl.url,
    actions: [
      {
        type: 'button',
        block_id: block.block_id,
        action_id: actionId,
        value: button.value,
        text: button.text,
        action_ts: '1714557700.123456',
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

function sign(timestamp: number, body: string, secret = SECRET): string {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  sentSignatures.push(signature);
  return signature;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** POSTs like Slack: form-encoded body, timestamp and signature headers. */
async function post(
  body: string,
  headers: { timestamp?: number; signature?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const timestamp = headers.timestamp ?? nowSeconds();
  const res = await fetch(`${server.url}/slack/actions`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': headers.signature ?? sign(timestamp, body),
    },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface LogLine {
  level: string;
  message: string;
  [key: string]: unknown;
}

function logs(): LogLine[] {
  return output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

function refusals(): LogLine[] {
  return logs().filter((l) => l.message === 'slack action refused');
}

function expectNothingStarted(): void {
  expect(orchestrator.started).toEqual([]);
  expect(rollbackCalls).toEqual([]);
  expect(ledger.loads.get(LOAD_ID)?.status).toBe('FAILED');
}

beforeEach(async () => {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  output = [];
  const capture = (chunk: unknown) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);

  ledger = new MemoryLedger();
  await ledger.register(failedLoad());
  orchestrator = new RecordingOrchestrator();
  rollbackCalls = [];
  rollback = async (loadId, dataset) => {
    rollbackCalls.push({ loadId, dataset });
    return {
      outcome: 'started',
      detail: 'orders went back to commit `20260501095900000`; the replay follows',
    };
  };
  responseUrl = await startResponseUrlServer();
  handler = createHandler({
    ...createObservability('slack-actions', { local: true, logLevel: 'DEBUG' }),
    contracts,
    ledger,
    orchestrator,
    layout: TEST_LAYOUT,
    signingSecret: async () => SECRET,
    replayGuard: new MemoryReplayGuard(),
    allowedUserIds: new Set([ONCALL]),
    rollbackAndReplay: (loadId, dataset) => rollback(loadId, dataset),
    now: () => new Date(),
    // The stand-in listens on 127.0.0.1 over http; Slack's own URLs are https on hooks.slack.com.
    isResponseUrlAllowed: (url) => url.hostname === '127.0.0.1',
  });
  server = await startActionsServer(handler);
});

afterEach(async () => {
  await server.close();
  await responseUrl.close();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  // Whatever the test did: no secret, signature or response URL token in any log line.
  const all = output.join('');
  expect(all).not.toContain(SECRET);
  expect(all).not.toContain(RESPONSE_TOKEN);
  for (const s of sentSignatures) expect(all).not.toContain(s.slice(3));
  sentSignatures.length = 0;
});

describe('slack-actions over HTTP', () => {
  it('a signed Replay click from an on-call engineer starts the replay and answers in the thread', async () => {
    const res = await post(clickBody());

    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(res.json.text)).toContain('started');
    expect(orchestrator.started.map((s) => s.name)).toEqual([`${LOAD_ID}-a2`]);
    expect(ledger.loads.get(LOAD_ID)).toMatchObject({ status: 'REGISTERED', attempts: 2 });

    expect(responseUrl.posts).toHaveLength(1);
    const answer = responseUrl.posts[0]!;
    expect(answer.path).toBe(`/actions/T0TEAM/4242/${RESPONSE_TOKEN}`);
    expect(answer.contentType).toBe('application/json');
    expect(answer.body).toEqual({
      response_type: 'in_channel',
      replace_original: false,
      thread_ts: ALERT_TS,
      text: `<@${ONCALL}> started a replay of load \`${LOAD_ID}\` (orders): attempt 2 runs as \`${LOAD_ID}-a2\`.`,
    });
    const started = logs().find((l) => l.message === 'slack action started');
    expect(started).toMatchObject({
      level: 'INFO',
      loadId: LOAD_ID,
      dataset: 'orders',
      request: { userId: ONCALL, actionId: 'lakeplane.replay', loadId: LOAD_ID, threadTs: ALERT_TS },
    });
    expect((started?.request as { responseUrl?: string } | undefined)?.responseUrl).toMatch(/\/4242\/…$/);
    expect(refusals()).toEqual([]);
  });

  it('Roll back & replay runs the injected rollback for the load and its dataset', async () => {
    const res = await post(clickBody({ actionId: SLACK_ACTION_IDS.rollbackReplay }));

    expect(res.status).toBe(200);
    expect(rollbackCalls).toEqual([{ loadId: LOAD_ID, dataset: 'orders' }]);
    expect(orchestrator.started).toEqual([]);
    expect(responseUrl.posts[0]?.body.text).toBe(
      `<@${ONCALL}> started a roll back & replay of load \`${LOAD_ID}\` (orders): orders went back to commit \`20260501095900000\`; the replay follows.`,
    );
  });

  it('a rollback that cannot run is answered in the thread and logged as an error', async () => {
    rollback = async () => {
      throw Object.assign(new Error('roll back & replay is not available yet'), {
        name: 'RollbackUnavailableError',
      });
    };
    const res = await post(clickBody({ actionId: SLACK_ACTION_IDS.rollbackReplay }));

    expect(res.status).toBe(200);
    expect(String(res.json.text)).toContain('did not start');
    expect(responseUrl.posts[0]?.body.text).toBe(
      `<@${ONCALL}> asked for a roll back & replay of load \`${LOAD_ID}\` (orders): it did not start, RollbackUnavailableError: roll back &amp; replay is not available yet`,
    );
    expect(logs().find((l) => l.message === 'slack action failed')).toMatchObject({
      level: 'ERROR',
      error: { name: 'RollbackUnavailableError' },
    });
  });

  it('a replay the ledger refuses is answered in the thread with the reason', async () => {
    ledger.loads.set(LOAD_ID, failedLoad('SUCCEEDED'));
    const res = await post(clickBody());

    expect(res.status).toBe(200);
    expect(orchestrator.started).toEqual([]);
    expect(responseUrl.posts[0]?.body.text).toBe(
      `<@${ONCALL}> asked for a replay of load \`${LOAD_ID}\` (orders): refused, load ${LOAD_ID} was not replayed: it succeeded; replaying it would change nothing`,
    );
  });

  it('a button whose dataset does not match the ledger is refused, nothing started', async () => {
    const res = await post(clickBody({ actionId: SLACK_ACTION_IDS.rollbackReplay, dataset: 'order_items' }));

    expect(res.status).toBe(200);
    expectNothingStarted();
    expect(String(responseUrl.posts[0]?.body.text)).toContain('belongs to dataset orders, not order_items');
  });

  it('a bad signature is refused with 401, logged, and starts nothing', async () => {
    const body = clickBody();
    const ts = nowSeconds();
    const res = await post(body, { timestamp: ts, signature: sign(ts, body, 'not-the-secret') });

    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'the request is not verifiably from Slack' });
    expectNothingStarted();
    expect(responseUrl.posts).toEqual([]);
    expect(refusals()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        status: 401,
        stage: 'signature',
        reason: 'signature mismatch',
      }),
    ]);
  });

  it('a signature of another length is refused with 401', async () => {
    const res = await post(clickBody(), { signature: 'v0=deadbeef' });

    expect(res.status).toBe(401);
    expectNothingStarted();
    expect(refusals()).toEqual([expect.objectContaining({ reason: 'signature mismatch' })]);
  });

  it('a stale timestamp is refused with 401 even when correctly signed', async () => {
    const body = clickBody();
    const stale = nowSeconds() - 6 * 60;
    const res = await post(body, { timestamp: stale, signature: sign(stale, body) });

    expect(res.status).toBe(401);
    expectNothingStarted();
    expect(responseUrl.posts).toEqual([]);
    expect(refusals()).toEqual([expect.objectContaining({ status: 401, reason: 'stale timestamp' })]);
  });

  it('a replayed request is refused with 401: the replay starts once', async () => {
    const body = clickBody();
    const ts = nowSeconds();
    const signature = sign(ts, body);

    expect((await post(body, { timestamp: ts, signature })).status).toBe(200);
    const again = await post(body, { timestamp: ts, signature });

    expect(again.status).toBe(401);
    expect(orchestrator.started).toHaveLength(1);
    expect(responseUrl.posts).toHaveLength(1);
    expect(refusals()).toEqual([expect.objectContaining({ status: 401, reason: 'replayed request' })]);
  });

  it('a user not on the allow list is refused with 403, logged, told privately, and nothing starts', async () => {
    const res = await post(clickBody({ userId: STRANGER }));

    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: 'not allowed' });
    expectNothingStarted();
    expect(refusals()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        status: 403,
        stage: 'allow list',
        reason: 'user not allowed',
        request: expect.objectContaining({ userId: STRANGER, actionId: 'lakeplane.replay', loadId: LOAD_ID }),
      }),
    ]);
    // Only the clicking user sees the note; nothing goes to the channel.
    expect(responseUrl.posts.map((p) => p.body.response_type)).toEqual(['ephemeral']);
    expect(String(responseUrl.posts[0]?.body.text)).toContain(STRANGER);
  });

  it('an unknown action id is refused with 400, logged, and starts nothing', async () => {
    const res = await post(clickBody({ actionId: 'lakeplane.drop_table' }));

    expect(res.status).toBe(400);
    expectNothingStarted();
    expect(responseUrl.posts).toEqual([]);
    expect(refusals()).toEqual([
      expect.objectContaining({ status: 400, reason: 'unknown action', actionId: 'lakeplane.drop_table' }),
    ]);
  });

  it('answers 405 to anything but POST', async () => {
    const res = await fetch(`${server.url}/slack/actions`);
    expect(res.status).toBe(405);
    expectNothingStarted();
    expect(refusals()).toEqual([expect.objectContaining({ status: 405 })]);
  });
});

describe('slack-actions handler (payload 2.0 events)', () => {
  function event(body: string, headers: Record<string, string>, base64: boolean): APIGatewayProxyEventV2 {
    return {
      version: '2.0',
      routeKey: 'POST /slack/actions',
      rawPath: '/slack/actions',
      rawQueryString: '',
      headers,
      requestContext: {
        accountId: '111122223333',
        apiId: 'api',
        domainName: 'api.example.com',
        domainPrefix: 'api',
        http: {
          method: 'POST',
          path: '/slack/actions',
          protocol: 'HTTP/1.1',
          sourceIp: '3.3.3.3',
          userAgent: 'Slackbot 1.0',
        },
        requestId: 'r1',
        routeKey: 'POST /slack/actions',
        stage: '$default',
        time: '01/May/2026:10:00:00 +0000',
        timeEpoch: Date.now(),
      },
      body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
      isBase64Encoded: base64,
    };
  }

  it('verifies a body that came as text and one that came base64-encoded', async () => {
    for (const base64 of [false, true]) {
      ledger.loads.set(LOAD_ID, failedLoad());
      const body = clickBody();
      // Another second for the second request: the same one again would be a replay.
      const ts = nowSeconds() - (base64 ? 1 : 0);
      const result = await handler(
        event(
          body,
          {
            'content-type': 'application/x-www-form-urlencoded',
            'x-slack-request-timestamp': String(ts),
            'x-slack-signature': sign(ts, body),
          },
          base64,
        ),
        localContext('slack-actions'),
      );
      expect(result.statusCode).toBe(200);
    }
    expect(orchestrator.started).toHaveLength(2);
  });

  it('refuses a base64 body whose decoded bytes were not what was signed', async () => {
    const body = clickBody();
    const ts = nowSeconds();
    // Signed over the base64 text instead of the bytes: not Slack's signature of the body.
    const encoded = Buffer.from(body, 'utf8').toString('base64');
    const result = await handler(
      event(
        body,
        {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': sign(ts, encoded),
        },
        true,
      ),
      localContext('slack-actions'),
    );
    expect(result.statusCode).toBe(401);
    expectNothingStarted();
  });
});

describe('failed-load buttons', () => {
  it('Replay is primary; Roll back & replay is danger behind a confirm dialog; both carry the load', () => {
    const block = failedLoadActions({ loadId: LOAD_ID, dataset: 'orders' });
    expect(block.type).toBe('actions');
    const [replay, rollbackButton] = block.elements;
    expect(replay).toMatchObject({
      action_id: 'lakeplane.replay',
      style: 'primary',
      text: { text: 'Replay' },
    });
    expect(rollbackButton).toMatchObject({
      action_id: 'lakeplane.rollback_replay',
      style: 'danger',
      text: { text: 'Roll back & replay' },
      confirm: { style: 'danger', confirm: { text: 'Roll back & replay' }, deny: { text: 'Cancel' } },
    });
    for (const b of block.elements)
      expect(JSON.parse(b.value ?? '')).toEqual({ loadId: LOAD_ID, dataset: 'orders' });
    expect(rollbackButton?.confirm?.text.text.length).toBeLessThanOrEqual(300);
  });
});
