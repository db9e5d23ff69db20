/**
 * The data-quality Slack message: what it says, that data can neither ping, link nor break a
 * code span, and that it stays inside Slack's Block Kit limits whatever the failures.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../shared/core/contract/parse.js';
import { qualityGateMessage, qualityResultUnreadableMessage } from '../../shared/core/messages/quality.js';
import { type Block, escapeData, SLACK_LIMITS, type SlackMessage } from '../../shared/core/messages/slack.js';
import {
  type ExpectationOutcome,
  parseGxResult,
  type ValidationResult,
} from '../../shared/core/quality/gx-result.js';
import { decideVerdict, type GateContext } from '../../shared/core/quality/verdict.js';

const REPO = resolve(import.meta.dirname, '../..');
const orders = parseContract(
  readFileSync(resolve(REPO, 'datasets/orders.yaml'), 'utf8'),
  'datasets/orders.yaml',
);

function fixture(name: string): ValidationResult {
  const parsed = parseGxResult(readFileSync(resolve(REPO, 'tests/fixtures/gx', name), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.result;
}

const LOAD_ID = 'orders-0123456789abcdef0123';
const CTX: GateContext = {
  dataset: 'orders',
  loadId: LOAD_ID,
  attempt: 1,
  resultUri: `s3://lake-artifacts/runs/${LOAD_ID}/attempt-1/validation.json`,
  quarantineUri: `s3://lake-quarantine/orders/${LOAD_ID}/attempt-1/`,
};

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

function mrkdwnTexts(message: SlackMessage): string[] {
  return [message.text, ...blockTexts(message.blocks.filter((b) => b.type !== 'header'))];
}

function expectWithinLimits(message: SlackMessage): void {
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  for (const b of message.blocks) {
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (b.type === 'section') {
      expect(b.text !== undefined || b.fields !== undefined).toBe(true);
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.field);
    }
    if (b.type === 'context') {
      expect(b.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      for (const e of b.elements) expect(e.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
  }
}

/** Inline code spans open and close on the same line: an even number of backticks per line. */
function expectBalancedCodeSpans(text: string): void {
  for (const line of text.replaceAll('```', '').split('\n')) {
    expect((line.match(/`/g) ?? []).length % 2, line).toBe(0);
  }
}

function failing(results: ExpectationOutcome[]): ValidationResult {
  return { success: false, parameters: {}, results };
}

const HOSTILE = [
  '<!channel>',
  '<@U123ABC>',
  '<!here|here>',
  'Fish & Chips',
  'a`b``c',
  '```',
  '@here now',
  '@everyone',
  '<https://evil.example|click me>',
  'line one\nline two',
];

/** Failures whose columns, values, kwargs and exceptions are hostile (no contract: all block). */
function hostileVerdict() {
  const valuesOf = (values: readonly string[], position: number): ExpectationOutcome => ({
    position,
    type: 'expect_column_values_to_be_in_set',
    kwargs: { column: 'currency', value_set: ['EUR', '<!channel>', 'A&B', 'x`y'] },
    success: false,
    observed: { elementCount: 100, unexpectedCount: values.length, partialUnexpected: values },
  });
  return decideVerdict(
    failing([
      valuesOf(HOSTILE.slice(0, 5), 0),
      valuesOf(HOSTILE.slice(5), 1),
      {
        position: 2,
        type: 'expect_column_values_to_not_be_null',
        kwargs: { column: '<@U999> `col` & @channel' },
        success: false,
        observed: { partialUnexpected: [] },
        exception: 'KeyError: "<!subteam^S123>" ``` @here & `boom`',
      },
    ]),
    { expectations: [], columns: orders.columns },
  );
}

describe('qualityGateMessage', () => {
  it('fail: names the dataset, the load, each failed expectation with expected and observed, the quarantine and the replay', () => {
    const message = qualityGateMessage(decideVerdict(fixture('gx1-orders-fail.json'), orders), CTX, {
      channel: '#orders-data',
    });
    const all = mrkdwnTexts(message).join('\n');

    expect(message.channel).toBe('#orders-data');
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':x: Data quality failed: orders' },
    });
    expect(all).toContain(LOAD_ID);
    expect(all).toContain('FAIL: blocked, quarantined');
    expect(all).toContain(':x: *Blocking* · `expect_column_values_to_be_in_set` on `currency`');
    expect(all).toContain('*Expected:* values in {EUR, USD, GBP}');
    expect(all).toContain('*Observed:* 12 unexpected of 1,000 rows (1.2%)');
    expect(all).toContain('*Unexpected values:* `JPY`, `CHF`');
    expect(all).toContain(':warning: *Warning* · `expect_column_values_to_be_in_set` on `status`');
    expect(all).toContain(`\`${CTX.quarantineUri}\``);
    expect(all).toContain(`\`lakeplane replay ${LOAD_ID}\``);
    expect(message.text).toBe(
      `Data quality failed: orders load ${LOAD_ID}: 2 of 9 failed (1 blocking, 1 warning)`,
    );
    expectWithinLimits(message);
  });

  it('warn: says the batch is loaded, without quarantine or replay', () => {
    const message = qualityGateMessage(decideVerdict(fixture('gx1-orders-warn.json'), orders), {
      ...CTX,
      stage: 'prod',
    });
    const all = mrkdwnTexts(message).join('\n');

    expect(blockTexts(message.blocks)[0]).toBe(':warning: Data quality warning: orders');
    expect(all).toContain('WARN: loaded');
    expect(all).toContain('The batch is loaded into Silver');
    expect(all).not.toContain('lakeplane replay');
    expect(all).not.toContain(CTX.quarantineUri);
    expect(all).toContain('*Unexpected values:* `ORD-20261120-0042`, `tmp-7781`');
  });

  it('escapes everything that comes from data: no mention, no link, no entity left raw, no broken code span', () => {
    const message = qualityGateMessage(hostileVerdict(), { ...CTX, loadId: 'orders-<!channel>&x' });
    const texts = mrkdwnTexts(message);
    const all = texts.join('\n');

    for (const raw of [
      '<!channel>',
      '<@U123ABC>',
      '<!here',
      '<@U999>',
      '<!subteam',
      '<https://evil.example',
    ]) {
      expect(all).not.toContain(raw);
    }
    expect(all).not.toMatch(/<(?!https?:)/);
    expect(all).not.toMatch(/&(?!amp;|lt;|gt;)/);
    expect(all).not.toMatch(/@(here|channel|everyone)\b/i);
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).toContain('Fish &amp; Chips');
    expect(all).toContain('@\u200bhere now');
    // Backticks from data become a look-alike; the code spans of the message stay balanced.
    expect(all).toContain('`a\u02cbb\u02cb\u02cbc`');
    expect(all).toContain('`line one line two`');
    for (const t of texts) expectBalancedCodeSpans(t);
    expectWithinLimits(message);
  });

  it('never shows values of a pii column', () => {
    const v = decideVerdict(
      failing([
        {
          position: 0,
          type: 'expect_column_values_to_match_regex',
          kwargs: { column: 'customer_email', regex: '@' },
          success: false,
          observed: { elementCount: 10, unexpectedCount: 1, partialUnexpected: ['alice.at.example.com'] },
        },
      ]),
      orders,
    );

    const all = mrkdwnTexts(qualityGateMessage(v, CTX)).join('\n');

    expect(all).not.toContain('alice.at.example.com');
    expect(all).toContain('*Unexpected values:* withheld (pii column)');
  });

  it('stays inside the limits with hundreds of failures and huge values, summarising the rest in one line', () => {
    const huge = 'X'.repeat(10_000);
    const results: ExpectationOutcome[] = Array.from({ length: 300 }, (_, i) => ({
      position: i,
      type: i % 3 === 0 ? 'expect_column_values_to_be_in_set' : 'expect_column_values_to_match_regex',
      kwargs: {
        column: `col_${i}_${'<&>'.repeat(300)}`,
        value_set: Array.from({ length: 500 }, (_, j) => `value-${j}-${'&'.repeat(20)}`),
        regex: huge,
      },
      success: false,
      annotation: { severity: i % 2 === 0 ? 'fail' : 'warn' },
      observed: {
        elementCount: 1_000_000,
        unexpectedCount: 1000 + i,
        unexpectedPercent: 0.1,
        partialUnexpected: Array.from({ length: 20 }, () => `${huge}<!channel>`),
      },
      exception: `${'`'.repeat(50)}${huge}`,
    }));
    const v = decideVerdict(failing(results), undefined);

    const message = qualityGateMessage(v, { ...CTX, dataset: `orders_${'d'.repeat(300)}` });

    expectWithinLimits(message);
    for (const t of mrkdwnTexts(message)) {
      expect(t).not.toMatch(/&(?!amp;|lt;|gt;)/);
      expectBalancedCodeSpans(t);
    }
    const sections = message.blocks.filter(
      (b) => b.type === 'section' && b.text?.text.includes('*Expected:*'),
    );
    expect(sections).toHaveLength(10);
    const rest = blockTexts(message.blocks).filter((t) => t.startsWith('…and'));
    expect(rest).toEqual([
      expect.stringContaining('*290 more* failed expectations (140 blocking, 150 warnings)'),
    ]);
  });

  it('keeps to 50 blocks however many detailed sections are asked for', () => {
    const results: ExpectationOutcome[] = Array.from({ length: 80 }, (_, i) => ({
      position: i,
      type: 'expect_column_values_to_not_be_null',
      kwargs: { column: `c${i}` },
      success: false,
      observed: { partialUnexpected: [] },
    }));

    const message = qualityGateMessage(decideVerdict(failing(results), undefined), CTX, { maxDetailed: 500 });

    expect(message.blocks).toHaveLength(SLACK_LIMITS.blocks);
    expectWithinLimits(message);
  });
});

describe('qualityResultUnreadableMessage', () => {
  it('shows the reason in a code block that data cannot close, and the replay command', () => {
    const message = qualityResultUnreadableMessage(
      'not JSON: Unexpected token \'<\', "<!channel> ```" is not valid JSON',
      { ...CTX, stage: 'prod' },
    );
    const all = mrkdwnTexts(message).join('\n');

    expect(blockTexts(message.blocks)[0]).toBe(':x: Data quality result unreadable: orders');
    expect(all).toContain(
      '```not JSON: Unexpected token \'&lt;\', "&lt;!channel&gt; \u02cb\u02cb\u02cb" is not valid JSON```',
    );
    expect(all).toContain(`\`lakeplane replay ${LOAD_ID} --stage prod\``);
    expect(all).toContain(CTX.quarantineUri);
    expectWithinLimits(message);
  });
});

describe('escapeData', () => {
  it('cuts to the limit without splitting an entity or a surrogate pair', () => {
    expect(escapeData('<<<<<<', 10)).toBe('&lt;&lt;…');
    expect(escapeData('a&b', 3)).toBe('a…');
    const emoji = escapeData('ab😀😀', 4);
    expect(emoji).toBe('ab…');
  });
});
