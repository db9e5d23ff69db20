/**
 * The schema-drift Slack messages: escaping of everything that comes from the catalog, and
 * Slack's limits whatever the number and size of the changes.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeKind, ChangeSeverity, DriftChange } from '../../shared/core/drift/index.js';
import {
  bronzeTableDeletedMessage,
  describeChange,
  driftClassification,
  MAX_LISTED_CHANGES,
  resumeCommand,
  type SchemaDriftNotice,
  schemaDriftMessage,
} from '../../shared/core/messages/drift.js';
import { type Block, SLACK_LIMITS, type SlackMessage } from '../../shared/core/messages/slack.js';
import { carryChange, driftEventDetail, MAX_CHANGES_CARRIED } from '../../shared/usecases/schema-drift.js';

function change(
  path: string,
  kind: ChangeKind,
  severity: ChangeSeverity,
  types: { oldType?: string; newType?: string; previousPath?: string } = {},
): DriftChange {
  return { kind, path, column: path.split('.')[0]!, severity, reason: `${kind} of ${path}`, ...types };
}

function notice(changes: readonly DriftChange[], over: Partial<SchemaDriftNotice> = {}): SchemaDriftNotice {
  return {
    dataset: 'orders',
    database: 'lakeplane_bronze',
    table: 'orders',
    fromVersion: '7',
    toVersion: '8',
    policy: 'evolve',
    action: 'alert',
    changes,
    ...over,
  };
}

/** Every text of a message with its kind, for limit and escaping checks. */
function texts(m: SlackMessage): { kind: 'plain' | 'mrkdwn'; text: string; block: Block['type'] }[] {
  const out: { kind: 'plain' | 'mrkdwn'; text: string; block: Block['type'] }[] = [];
  for (const b of m.blocks) {
    if (b.type === 'header') out.push({ kind: 'plain', text: b.text.text, block: b.type });
    if (b.type === 'section') {
      if (b.text) out.push({ kind: 'mrkdwn', text: b.text.text, block: b.type });
      for (const f of b.fields ?? []) out.push({ kind: 'mrkdwn', text: f.text, block: b.type });
    }
    if (b.type === 'context')
      for (const e of b.elements) out.push({ kind: 'mrkdwn', text: e.text, block: b.type });
  }
  return out;
}

function expectWithinLimits(m: SlackMessage): void {
  expect(m.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(m.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  for (const b of m.blocks) {
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (b.type === 'section') {
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

const listedLines = (m: SlackMessage) =>
  texts(m)
    .flatMap((t) => t.text.split('\n'))
    .filter((l) => l.startsWith('• '));

/** 500 changes: every 50th breaking, the rest additive, with long nested types. */
const FIVE_HUNDRED: DriftChange[] = Array.from({ length: 500 }, (_, i) =>
  i % 50 === 49
    ? change(`col_${i}`, 'type-incompatible', 'breaking', { oldType: 'date', newType: 'boolean' })
    : change(`col_${i}`, 'column-added', 'additive', {
        newType: `struct<${Array.from({ length: 40 }, (_, j) => `field_${j}:array<map<string,decimal(38,18)>>`).join(',')}>`,
      }),
);

describe('schemaDriftMessage limits', () => {
  it('500 changes: within every Slack limit, 15 listed (breaking first), the rest counted', () => {
    const m = schemaDriftMessage(notice(FIVE_HUNDRED), { stage: 'prod' });

    expectWithinLimits(m);
    const lines = listedLines(m);
    expect(lines).toHaveLength(MAX_LISTED_CHANGES);
    // The 10 breaking changes come first, then additive ones in their order.
    expect(lines.slice(0, 10).every((l) => l.includes('*breaking*'))).toBe(true);
    expect(lines[0]).toContain('`col_49`');
    expect(lines[10]).toContain('`col_0`');
    const all = texts(m)
      .map((t) => t.text)
      .join('\n');
    expect(all).toContain('*What changed* (500: 10 breaking, 490 additive)');
    expect(all).toContain('…and *485 more* (485 additive)');
    // Long types are cut inside their code span, which stays closed.
    for (const l of lines) expect((l.match(/`/g) ?? []).length % 2).toBe(0);
    expect(lines[10]!.length).toBeLessThan(300);
  });

  it('maxListed lists fewer, never more than 15', () => {
    const few = schemaDriftMessage(notice(FIVE_HUNDRED), { maxListed: 3 });
    const many = schemaDriftMessage(notice(FIVE_HUNDRED), { maxListed: 1000 });
    expect(listedLines(few)).toHaveLength(3);
    expect(listedLines(many)).toHaveLength(MAX_LISTED_CHANGES);
  });

  it('paths and types of the maximum length still fit the sections', () => {
    const huge = 'x'.repeat(20_000);
    const changes = Array.from({ length: 15 }, (_, i) =>
      change(`${huge}${i}`, 'likely-rename', 'breaking', {
        previousPath: huge,
        oldType: huge,
        newType: huge,
      }),
    );
    const m = schemaDriftMessage(notice(changes, { dataset: 'd'.repeat(500), table: huge }));
    expectWithinLimits(m);
    expect(listedLines(m)).toHaveLength(15);
  });
});

describe('schemaDriftMessage escaping', () => {
  const hostile = [
    change('<!channel>', 'column-added', 'additive', { newType: 'string' }),
    change('a.@here', 'nested-field-added', 'additive', { newType: 'struct<x:int>' }),
    change('`tick` *bold* _it_', 'type-incompatible', 'breaking', {
      oldType: 'map<string,<script>>',
      newType: 'string & more',
    }),
    change('new\nline', 'likely-rename', 'breaking', {
      previousPath: '<https://evil.example|click>',
      oldType: 'int',
      newType: 'int',
    }),
  ];
  const m = schemaDriftMessage(
    notice(hostile, { dataset: 'orders', table: '<@U123> @everyone', database: 'db&co' }),
  );

  it('no text from data can link, ping or mention', () => {
    for (const t of texts(m).filter((x) => x.kind === 'mrkdwn')) {
      expect(t.text).not.toMatch(/[<>]/);
      expect(t.text).not.toMatch(/@(channel|here|everyone)\b/);
    }
    expect(m.text).not.toMatch(/[<>]/);
    expect(m.text).not.toMatch(/@(channel|here|everyone)\b/);
  });

  it('escapes entities once and keeps data inside closed code spans', () => {
    const all = texts(m)
      .map((t) => t.text)
      .join('\n');
    expect(all).toContain('`&lt;!channel&gt;`');
    expect(all).toContain('`map&lt;string,&lt;script&gt;&gt;`');
    expect(all).toContain('`string &amp; more`');
    expect(all).toContain('db&amp;co');
    expect(all).not.toContain('&amp;lt;');
    // A backtick in a name cannot close the span early: it becomes a look-alike.
    expect(all).toContain('ˋtickˋ *bold* _it_');
    // A newline in a name does not break the line.
    expect(all).toContain('`new line` renamed from `&lt;https://evil.example|click&gt;`');
    for (const l of listedLines(m)) expect((l.match(/`/g) ?? []).length % 2).toBe(0);
  });
});

describe('schemaDriftMessage content', () => {
  it('says what each action does to Silver', () => {
    const added = [change('loyalty_tier', 'column-added', 'additive', { newType: 'string' })];
    const accepted = JSON.stringify(schemaDriftMessage(notice(added, { action: 'accept' })));
    expect(accepted).toContain('Accepted into Silver: Silver loads continue.');
    expect(accepted).toContain('New columns are not loaded into Silver until the contract declares them.');
    expect(accepted).not.toContain('--accept-schema');

    const alerted = JSON.stringify(schemaDriftMessage(notice(added, { action: 'alert', policy: 'alert' })));
    expect(alerted).toContain("Not accepted: Silver loads continue with the contract's schema.");
    expect(alerted).toContain('`lakeplane dataset resume orders --accept-schema 8`');

    const paused = schemaDriftMessage(notice(added, { action: 'pause', policy: 'block' }), { stage: 'dev' });
    const pausedText = JSON.stringify(paused);
    expect(pausedText).toContain(
      'Dataset *PAUSED*: files keep landing in Bronze, no Silver loads until it is resumed.',
    );
    expect(pausedText).toContain('`lakeplane dataset resume orders --accept-schema 8 --stage dev`');
    expect(paused.text).toBe(
      'Schema drift in orders (lakeplane_bronze.orders version 7 → 8): 1 change (additive), PAUSED',
    );
  });

  it('classifies a set of changes by its worst severity', () => {
    expect(driftClassification([{ severity: 'additive' }])).toBe('additive');
    expect(driftClassification([{ severity: 'additive' }, { severity: 'widening' }])).toBe('widening');
    expect(driftClassification([{ severity: 'widening' }, { severity: 'breaking' }])).toBe('breaking');
  });

  it('describes a change in one plain line', () => {
    expect(
      describeChange(
        change('items[].qty', 'nested-type-widened', 'widening', { oldType: 'int', newType: 'bigint' }),
      ),
    ).toBe('items[].qty: field type widened, int → bigint (widening)');
    expect(
      describeChange(
        change('email', 'likely-rename', 'breaking', {
          previousPath: 'mail',
          oldType: 'string',
          newType: 'string',
        }),
      ),
    ).toBe('email: renamed from mail, string → string (breaking)');
    expect(resumeCommand('orders', '8', 'prod')).toBe(
      'lakeplane dataset resume orders --accept-schema 8 --stage prod',
    );
    expect(resumeCommand('orders')).toBe('lakeplane dataset resume orders --accept-schema <version>');
  });

  it('announces a deleted Bronze table as breaking, escaped, within limits', () => {
    const m = bronzeTableDeletedMessage(
      {
        dataset: 'orders',
        database: 'lakeplane_bronze',
        table: '<!here>',
        deletedAt: '2026-11-21T14:27:09Z',
      },
      { channel: '#orders-data', stage: 'prod' },
    );
    expectWithinLimits(m);
    expect(m.channel).toBe('#orders-data');
    for (const t of texts(m).filter((x) => x.kind === 'mrkdwn')) expect(t.text).not.toMatch(/[<>]/);
    const all = JSON.stringify(m);
    expect(all).toContain('Bronze table deleted: orders');
    expect(all).toContain('*Classification*\\nbreaking');
    expect(all).toContain('lakeplane dataset resume orders --accept-schema &lt;version&gt; --stage prod');
  });
});

describe('driftEventDetail', () => {
  it('carries at most 50 changes, counts the rest, and stays far below the PutEvents limit', () => {
    const detail = driftEventDetail({
      dataset: 'orders',
      database: 'lakeplane_bronze',
      table: 'orders',
      fromVersion: '7',
      toVersion: '8',
      action: 'alert',
      breaking: true,
      policy: 'evolve',
      typeOfChange: 'UpdateTable',
      summary: { total: 500 },
      changes: FIVE_HUNDRED.map(carryChange),
      detectedAt: '2026-11-20T06:04:00.000Z',
    });
    const changes = detail.changes as { newType?: string }[];
    expect(changes).toHaveLength(MAX_CHANGES_CARRIED);
    expect(detail.omittedChanges).toBe(500 - MAX_CHANGES_CARRIED);
    expect(changes.every((c) => (c.newType ?? '').length <= 500)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(detail))).toBeLessThan(128 * 1024);
  });
});
