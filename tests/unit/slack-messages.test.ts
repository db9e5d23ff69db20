import { describe, expect, it } from 'vitest';
import type { LoadRecord } from '../../shared/core/load.js';
import { loadFailedMessage } from '../../shared/core/messages/load-failed.js';
import {
  type Block,
  escapeMrkdwn,
  SLACK_LIMITS,
  type SlackMessage,
  toPlainText,
} from '../../shared/core/messages/slack.js';

const LOAD_ID = 'orders-0123456789abcdef0123';

function failedLoad(overrides: Partial<LoadRecord> = {}): LoadRecord {
  return {
    loadId: LOAD_ID,
    dataset: 'orders',
    status: 'FAILED',
    source: {
      bucket: 'lake-bronze',
      key: 'orders/2024/05/01/part-0001.ndjson',
      etag: 'b1946ac92492d2347c6235b4d2611184',
      size: 1024,
    },
    executionName: LOAD_ID,
    attempts: 1,
    registeredAt: '2024-05-01T10:00:00.000Z',
    cause: { error: 'States.TaskFailed', message: 'step "orders stage" failed: Job aborted.' },
    history: [
      { status: 'REGISTERED', at: '2024-05-01T10:00:00.000Z' },
      { status: 'FAILED', at: '2024-05-01T10:05:00.000Z' },
    ],
    ...overrides,
  };
}

/** Every text a Slack client renders from the blocks. */
function blockTexts(blocks: readonly Block[]): string[] {
  return blocks.flatMap((b) => {
    if (b.type === 'header') return [b.text.text];
    if (b.type === 'section')
      return [...(b.text ? [b.text.text] : []), ...(b.fields ?? []).map((f) => f.text)];
    if (b.type === 'context') return b.elements.map((e) => e.text);
    return [];
  });
}

function allText(message: SlackMessage): string {
  return [message.text, ...blockTexts(message.blocks)].join('\n');
}

describe('escapeMrkdwn', () => {
  it('escapes &, < and > as Slack requires', () => {
    expect(escapeMrkdwn('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    expect(escapeMrkdwn('<@U123> <!channel> <https://evil.example|click>')).toBe(
      '&lt;@U123&gt; &lt;!channel&gt; &lt;https://evil.example|click&gt;',
    );
  });

  it('escapes & first, so an already escaped entity stays visible as typed', () => {
    expect(escapeMrkdwn('&lt;')).toBe('&amp;lt;');
  });

  it('neutralises @channel, @here and @everyone in any case', () => {
    for (const mention of ['@channel', '@here', '@everyone', '@Channel', '@HERE']) {
      const escaped = escapeMrkdwn(`ping ${mention} now`);
      expect(escaped).not.toContain(mention);
      expect(escaped).toContain(`@\u200b${mention.slice(1)}`);
    }
  });

  it('leaves ordinary text and other @words alone', () => {
    expect(escapeMrkdwn('orders failed for @alice on 2024-05-01')).toBe(
      'orders failed for @alice on 2024-05-01',
    );
  });
});

describe('loadFailedMessage', () => {
  it('names the dataset, the load, the cause and the replay command', () => {
    const message = loadFailedMessage(failedLoad());
    const text = allText(message);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':x: Load failed: orders' },
    });
    expect(text).toContain(LOAD_ID);
    expect(text).toContain('States.TaskFailed: step "orders stage" failed: Job aborted.');
    expect(text).toContain(`\`lakeplane replay ${LOAD_ID}\``);
    expect(text).not.toContain('--stage');
    expect(text).toContain('s3://lake-bronze/orders/2024/05/01/part-0001.ndjson');
    // The preview opens with what happened and how bad, without the orchestration's wrapping.
    expect(message.text).toBe(
      `Load of orders failed (${LOAD_ID}). Silver is unchanged: none of this load's records reached it. Job aborted.`,
    );
    expect(text).toContain(`Fix the cause, then replay: \`lakeplane replay ${LOAD_ID}\``);
  });

  it('a file the engine could not read: the step is landing the corrected file, not a replay', () => {
    const message = loadFailedMessage(
      failedLoad({
        cause: {
          error: 'States.TaskFailed',
          message:
            'step "orders stage" failed: MalformedFileError: s3://lake-bronze/orders/2024/05/01/part-0001.ndjson?versionId=v1: 3 of 3 records are unreadable',
        },
      }),
      { stage: 'prod' },
    );
    const text = allText(message);
    expect(message.text).toMatch(
      /Silver is unchanged: none of this load's records reached it\. s3:\/\/lake-bronze/,
    );
    expect(text).toContain(
      'Fix the file part-0001.ndjson and land the corrected one at the same key; this load then reads RESOLVED',
    );
    expect(text).toContain(
      '`aws s3 cp part-0001.ndjson s3://lake-bronze/orders/2024/05/01/part-0001.ndjson`',
    );
    expect(text).not.toContain(`\`lakeplane replay ${LOAD_ID}`);
  });

  it('adds --stage to the commands when a stage is given, and routes to the channel', () => {
    const message = loadFailedMessage(failedLoad(), { stage: 'prod', channel: '#orders-data' });
    const text = allText(message);
    expect(text).toContain(`\`lakeplane replay ${LOAD_ID} --stage prod\``);
    expect(text).toContain(`\`lakeplane loads show ${LOAD_ID} --stage prod\``);
    expect(message.channel).toBe('#orders-data');
  });

  it('a coalesced load: how many objects, the first, and that replay and loads show cover all of them', () => {
    const message = loadFailedMessage(
      failedLoad({
        manifest: {
          uri: `s3://lake-artifacts/runs/${LOAD_ID}/manifest.json`,
          objects: 499,
          bytes: 1_048_576,
        },
      }),
    );
    const text = allText(message);
    expect(text).toContain(
      '499 objects (1048576 bytes), the first s3://lake-bronze/orders/2024/05/01/part-0001.ndjson',
    );
    expect(text).toContain('(it reads the same 499 object versions)');
    expect(text).toContain(`Details, every object: \`lakeplane loads show ${LOAD_ID}\``);
  });

  it('says Silver is unchanged when the load has no commit', () => {
    const text = allText(loadFailedMessage(failedLoad()));
    expect(text).toContain("Silver is unchanged: none of this load's records reached it.");
    expect(text).not.toContain('Gold was not rebuilt');
  });

  it('names the Silver commit when the load committed before failing', () => {
    const text = allText(loadFailedMessage(failedLoad({ commitId: '20240501100412345' })));
    expect(text).toContain("Silver has this load's commit 20240501100412345; Gold was not rebuilt.");
    expect(text).not.toContain('Silver is unchanged');
  });

  it('says when no cause was recorded', () => {
    const { cause: _none, ...load } = failedLoad();
    expect(allText(loadFailedMessage(load))).toContain('no cause was recorded');
  });

  it('keeps a 10,000-character hostile cause inside Slack limits, with no raw "<"', () => {
    const hostile = '<@U123> ``` `rm -rf` @channel <!here> & '.repeat(250).slice(0, 10_000);
    expect(hostile).toHaveLength(10_000);
    const message = loadFailedMessage(
      failedLoad({ cause: { error: 'States.TaskFailed', message: hostile } }),
      {
        stage: 'prod',
      },
    );

    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    for (const block of message.blocks) {
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(150);
      if (block.type === 'section') {
        if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
        expect((block.fields ?? []).length).toBeLessThanOrEqual(10);
        for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
      }
      if (block.type === 'context') {
        expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
        for (const e of block.elements) expect(e.text.length).toBeLessThanOrEqual(3000);
      }
    }
    const cause = blockTexts(message.blocks).find((t) => t.startsWith('*Cause*'));
    expect(cause).toContain('&lt;@U123&gt;');
    expect(blockTexts(message.blocks).join('\n')).not.toContain('<');
    // The fallback `text` is shown in notifications and parsed for mentions like the blocks.
    expect(message.text).not.toContain('<');
    expect(allText(message)).not.toMatch(/@(channel|here|everyone)/i);
    // The replay command still makes it into the message.
    expect(allText(message)).toContain(`lakeplane replay ${LOAD_ID} --stage prod`);
  });
});

describe('toPlainText', () => {
  it('renders header, fields as "Label: value" and sections without mrkdwn markup', () => {
    const plain = toPlainText(loadFailedMessage(failedLoad({ attempts: 2 }), { stage: 'prod' }));
    const lines = plain.split('\n');
    expect(lines[0]).toBe(':x: Load failed: orders');
    expect(lines).toContain('Dataset: orders');
    expect(lines).toContain(`Load: ${LOAD_ID}`);
    expect(lines).toContain('Attempt: 2');
    expect(plain).toContain(`lakeplane replay ${LOAD_ID} --stage prod`);
    expect(plain).not.toContain('*');
  });

  it('turns the escapes back into the characters of the data, once', () => {
    const cause = { error: 'E', message: 'a < b && c > d; literal &lt; stays' };
    const plain = toPlainText(loadFailedMessage(failedLoad({ cause })));
    expect(plain).toContain('E: a < b && c > d; literal &lt; stays');
  });
});
