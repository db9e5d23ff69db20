/**
 * The real SlackWebhookNotifier posting a data-quality message to a local HTTP server on
 * 127.0.0.1 standing in for the Slack incoming webhook: the JSON body and content type, the
 * escaping and limits as Slack receives them, the retry after a 429, and a webhook URL that no
 * error message gives away.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackPostError, SlackWebhookNotifier } from '../../shared/aws/slack-webhook-notifier.js';
import { parseContract } from '../../shared/core/contract/parse.js';
import { qualityGateMessage } from '../../shared/core/messages/quality.js';
import { type Block, SLACK_LIMITS } from '../../shared/core/messages/slack.js';
import { type ExpectationOutcome, parseGxResult } from '../../shared/core/quality/gx-result.js';
import { decideVerdict, type GateContext } from '../../shared/core/quality/verdict.js';

const REPO = resolve(import.meta.dirname, '../..');
const orders = parseContract(
  readFileSync(resolve(REPO, 'datasets/orders.yaml'), 'utf8'),
  'datasets/orders.yaml',
);
/** The secret part of an incoming-webhook URL. */
const SECRET_PATH = '/services/T0LAKEPLANE/B0DQROUTER/s3cr3tW3bh00kT0k3nDoNotLog';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

type Reply = { status: number; body: string; headers?: Record<string, string> };

let server: Server;
let webhookUrl: string;
let received: Received[];
let replies: Reply[];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      contentType: req.headers['content-type'],
      body: await readBody(req),
    });
    const reply = replies.shift() ?? { status: 200, body: 'ok' };
    res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
    res.end(reply.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SECRET_PATH}`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  received = [];
  replies = [];
});

const LOAD_ID = 'orders-0123456789abcdef0123';
const CTX: GateContext = {
  dataset: 'orders',
  loadId: LOAD_ID,
  attempt: 1,
  resultUri: `s3://lake-artifacts/runs/${LOAD_ID}/attempt-1/validation.json`,
  quarantineUri: `s3://lake-quarantine/orders/${LOAD_ID}/attempt-1/`,
  stage: 'prod',
};

/** The failing fixture, with hostile values in the sample and many more failed expectations. */
function hostileMessage() {
  const parsed = parseGxResult(readFileSync(resolve(REPO, 'tests/fixtures/gx/gx1-orders-fail.json'), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error);
  const extra: ExpectationOutcome[] = Array.from({ length: 60 }, (_, i) => ({
    position: 100 + i,
    type: 'expect_column_values_to_match_regex',
    kwargs: { column: `note_${i}`, regex: '^[a-z]+$' },
    success: false,
    annotation: { severity: 'warn' },
    observed: { elementCount: 10, unexpectedCount: 1, partialUnexpected: ['x'.repeat(5000)] },
  }));
  const results = parsed.result.results.map((r) =>
    r.position === 3
      ? {
          ...r,
          observed: {
            ...r.observed,
            partialUnexpected: ['<!channel>', '<@U024BE7LH>', 'R&D', '`rm -rf`', '@here'],
          },
        }
      : r,
  );
  return qualityGateMessage(
    decideVerdict({ ...parsed.result, results: [...results, ...extra] }, orders),
    CTX,
  );
}

function texts(blocks: readonly Block[]): string[] {
  return blocks.flatMap((b) => {
    if (b.type === 'header') return [b.text.text];
    if (b.type === 'section')
      return [...(b.text ? [b.text.text] : []), ...(b.fields ?? []).map((f) => f.text)];
    if (b.type === 'context') return b.elements.map((e) => e.text);
    return [];
  });
}

describe('SlackWebhookNotifier with a data-quality message', () => {
  it('posts the Block Kit message as JSON, escaped and within Slack limits, without the routing hint', async () => {
    const notifier = new SlackWebhookNotifier(async () => webhookUrl);
    const message = { ...hostileMessage(), channel: '#orders-data' };

    await notifier.notify(message);

    expect(received).toHaveLength(1);
    const [post] = received;
    expect(post!.method).toBe('POST');
    expect(post!.url).toBe(SECRET_PATH);
    expect(post!.contentType).toBe('application/json');
    const body = JSON.parse(post!.body) as { text: string; blocks: Block[]; channel?: string };
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.blocks).toEqual(message.blocks);
    expect(body.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const b of body.blocks) {
      if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      if (b.type === 'section' && b.text)
        expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      if (b.type === 'section') expect((b.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
    }
    const all = [body.text, ...texts(body.blocks)].join('\n');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<@U024BE7LH>');
    expect(all).not.toMatch(/@here\b/);
    expect(all).toContain(
      '`&lt;!channel&gt;`, `&lt;@U024BE7LH&gt;`, `R&amp;D`, `\u02cbrm -rf\u02cb`, `@\u200bhere`',
    );
    expect(all).toContain('more* failed expectations');
    expect(all).toContain(`lakeplane replay ${LOAD_ID} --stage prod`);
  });

  it('retries once after a 429 and then succeeds', async () => {
    replies = [{ status: 429, body: 'rate_limited', headers: { 'retry-after': '0' } }];
    const notifier = new SlackWebhookNotifier(async () => webhookUrl);

    await notifier.notify(hostileMessage());

    expect(received).toHaveLength(2);
    expect(received[1]!.body).toBe(received[0]!.body);
  });

  it('fails with SlackPostError after two 500s, and no error message holds the webhook URL', async () => {
    replies = [
      { status: 500, body: 'internal_error', headers: { 'retry-after': '0' } },
      { status: 500, body: 'internal_error', headers: { 'retry-after': '0' } },
    ];
    const notifier = new SlackWebhookNotifier(async () => webhookUrl);

    const error = await notifier.notify(hostileMessage()).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(received).toHaveLength(2);
    expect(error).toBeInstanceOf(SlackPostError);
    const text = `${(error as Error).message}\n${(error as Error).stack ?? ''}`;
    expect((error as Error).message).toBe('Slack webhook answered 500: internal_error');
    expect(text).not.toContain(webhookUrl);
    expect(text).not.toContain(SECRET_PATH);
    expect(text).not.toContain('s3cr3tW3bh00k');
  });

  it('a webhook that cannot be reached: no error message holds the webhook URL either', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const notifier = new SlackWebhookNotifier(async () => `http://127.0.0.1:${port}${SECRET_PATH}`);

    const error = (await notifier.notify(hostileMessage()).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { cause?: unknown };

    expect(error).toBeInstanceOf(Error);
    const cause = error.cause instanceof Error ? `${error.cause.message}\n${error.cause.stack ?? ''}` : '';
    expect(`${error.message}\n${error.stack ?? ''}\n${cause}`).not.toContain('s3cr3tW3bh00k');
  });
});
