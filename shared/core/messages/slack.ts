/**
 * Slack Block Kit messages: the subset we send, escaping of text that comes from data,
 * and Slack's size limits (https://api.slack.com/reference/block-kit/blocks).
 */

export interface TextObject {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
}

import type { ActionsBlock } from '../slack/buttons.js';

export type Block =
  | { readonly type: 'header'; readonly text: TextObject }
  | { readonly type: 'section'; readonly text?: TextObject; readonly fields?: readonly TextObject[] }
  | { readonly type: 'context'; readonly elements: readonly TextObject[] }
  | { readonly type: 'divider' }
  | ActionsBlock;

/** An incoming-webhook payload. `text` is the notification fallback. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Block[];
  /** Routing hint for sinks that fan out by channel; webhooks post to their own channel. */
  readonly channel?: string;
}

export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  contextElements: 10,
  fallbackText: 4000,
} as const;

/**
 * Escapes text from data for mrkdwn: `&`, `<` and `>` as Slack requires, and breaks
 * `@channel`/`@here`/`@everyone` so data can never ping a channel.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u200b$1');
}

/** Shortens text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Text from data for mrkdwn, at most `max` characters once escaped: `&`, `<`, `>` and channel
 * mentions as {@link escapeMrkdwn} does, and backticks replaced by a look-alike (U+02CB), so
 * data can neither ping, link, nor open or close a code span. Never cuts an entity in two.
 */
export function escapeData(text: string, max: number): string {
  const escaped = escapeMrkdwn(text).replaceAll('`', '\u02cb');
  if (escaped.length <= max) return escaped;
  let cut = Math.max(0, max - 1);
  const amp = escaped.lastIndexOf('&', cut - 1);
  if (amp >= 0 && amp > cut - 5 && !escaped.slice(amp, cut).includes(';')) cut = amp;
  const before = escaped.charCodeAt(cut - 1);
  if (before >= 0xd800 && before <= 0xdbff) cut--;
  return `${escaped.slice(0, cut)}…`;
}

/** Text from data as an inline code span on one line (escaped, at most `max` characters inside). */
export function dataCode(text: string, max = 200): string {
  return `\`${escapeData(text.replace(/\s*\n\s*/g, ' '), max)}\``;
}

/** A header block (plain text, at most 150 characters). */
export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.headerText) } };
}

/** A mrkdwn section; `text` must already be escaped where it holds data. */
export function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) } };
}

/** A section of label/value fields (values escaped here). */
export function fields(pairs: ReadonlyArray<readonly [string, string]>): Block {
  return {
    type: 'section',
    fields: pairs.slice(0, SLACK_LIMITS.fields).map(([label, value]) => ({
      type: 'mrkdwn' as const,
      text: truncate(`*${label}*\n${escapeMrkdwn(value)}`, SLACK_LIMITS.field),
    })),
  };
}

export function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) }] };
}

/** A code span for a command; backticks in it are replaced so the span cannot be broken. */
export function code(text: string): string {
  return `\`${escapeMrkdwn(text).replaceAll('`', "'")}\``;
}

/** Renders a message as plain lines for a console. */
export function toPlainText(message: SlackMessage): string {
  const lines: string[] = [];
  const plain = (s: string) =>
    s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&').replaceAll('*', '');
  for (const b of message.blocks) {
    if (b.type === 'header') lines.push(b.text.text);
    else if (b.type === 'section') {
      if (b.text) lines.push(plain(b.text.text));
      for (const f of b.fields ?? []) lines.push(plain(f.text).replace('\n', ': '));
    } else if (b.type === 'context') lines.push(...b.elements.map((e) => plain(e.text)));
  }
  return lines.join('\n');
}
