/**
 * The data-quality alerts: one Slack message per gate that did not pass. It says which load,
 * how bad (warn: loaded; fail: blocked and quarantined), each failed expectation with what it
 * expected and observed and a few unexpected values, and what to do. Everything that comes
 * from data is escaped; values of `pii` columns are never shown.
 */

import {
  describeObserved,
  type FailedExpectation,
  formatNumber,
  type GateContext,
  plural,
  type QualityVerdict,
  replayCommand,
  sampleValues,
} from '../quality/verdict.js';
import { failedLoadActions } from '../slack/buttons.js';
import {
  type Block,
  code,
  context,
  dataCode,
  escapeData,
  fields,
  header,
  SLACK_LIMITS,
  type SlackMessage,
  section,
} from './slack.js';

export interface QualityMessageOptions {
  /** Routing hint for sinks that fan out by channel (the contract's `alerts.slack_channel`). */
  readonly channel?: string;
  /** At most this many failed expectations get their own section; the rest one summary line. */
  readonly maxDetailed?: number;
}

const DEFAULT_DETAILED = 10;
/** header, fields, the summary of the rest, what to do, context. */
const FIXED_BLOCKS = 6; // incl. the Replay / Roll back buttons of a failed gate

function severityIcon(f: FailedExpectation): string {
  return f.severity === 'fail' ? ':x: *Blocking*' : ':warning: *Warning*';
}

function failureSection(f: FailedExpectation): Block {
  const shown = f.columns.slice(0, 5).map((c) => dataCode(c, 100));
  const moreColumns = f.columns.length > shown.length ? ` and ${f.columns.length - shown.length} more` : '';
  const on = shown.length > 0 ? ` on ${shown.join(', ')}${moreColumns}` : '';
  const lines = [`${severityIcon(f)} · ${dataCode(f.type, 150)}${on}`];
  if (f.description) lines.push(escapeData(f.description, 300));
  lines.push(`*Expected:* ${escapeData(f.expected, 800)}`);
  lines.push(`*Observed:* ${escapeData(describeObserved(f), 300)}`);
  if (f.exception !== undefined) lines.push(`*Raised:* ${dataCode(f.exception, 500)}`);
  // A value that must not be null has no values to show: the count says it.
  const samples = f.type === 'expect_column_values_to_not_be_null' ? [] : sampleValues(f, 5);
  if (samples.length > 0)
    lines.push(`*Unexpected values:* ${samples.map((s) => dataCode(s, 60)).join(', ')}`);
  else if (f.sensitive && f.observed.partialUnexpected.length > 0)
    lines.push('*Unexpected values:* withheld (pii column)');
  if (f.basis === 'unmatched') lines.push('_Not in the dataset contract: it blocks the load._');
  return section(lines.join('\n'));
}

function countsText(v: QualityVerdict): string {
  const c = v.counts;
  const parts = [`${c.failed} of ${c.evaluated} failed`];
  if (c.exceptions > 0) parts.push(`${plural(c.exceptions, 'exception')} raised`);
  if (c.notEvaluated > 0) parts.push(`${c.notEvaluated} not evaluated`);
  return `${parts.join(', ')} (${c.blocking} blocking, ${plural(c.warnings, 'warning')})`;
}

function restLine(rest: readonly FailedExpectation[], resultUri: string): Block {
  const blocking = rest.filter((f) => f.severity === 'fail').length;
  const types = [...new Set(rest.map((f) => f.type))];
  const shownTypes = types.slice(0, 5).map((t) => dataCode(t, 80));
  const more = types.length > shownTypes.length ? `, and ${types.length - shownTypes.length} more types` : '';
  return section(
    `…and *${formatNumber(rest.length)} more* failed expectations (${formatNumber(blocking)} blocking, ` +
      `${plural(rest.length - blocking, 'warning')}): ${shownTypes.join(', ')}${more}. ` +
      `All of them are in ${dataCode(resultUri, 500)}.`,
  );
}

/**
 * The alert for a gate that did not pass: `warn` (the batch is loaded) or `fail` (it is
 * quarantined and Silver is unchanged). Within Slack's limits whatever the number of failures.
 */
export function qualityGateMessage(
  v: QualityVerdict,
  ctx: GateContext,
  options: QualityMessageOptions = {},
): SlackMessage {
  const failed = v.verdict === 'fail';
  const title = failed
    ? `:x: Data quality failed: ${ctx.dataset}`
    : `:warning: Data quality warning: ${ctx.dataset}`;
  const maxDetailed = Math.max(
    0,
    Math.min(options.maxDetailed ?? DEFAULT_DETAILED, SLACK_LIMITS.blocks - FIXED_BLOCKS),
  );
  const detailed = v.failed.slice(0, maxDetailed);
  const rest = v.failed.slice(detailed.length);
  const replay = replayCommand(ctx.loadId, ctx.stage, ctx.cli);
  const todo = failed
    ? `*What happens*\nNothing of this batch reaches Silver: it goes to quarantine at ${dataCode(ctx.quarantineUri, 1000)}.\n` +
      `*What to do*\nIf a failed expectation is wrong, fix it in the contract, then replay the load: ${code(replay)}. If the data is, land the corrected file at the same key instead: the load then reads RESOLVED.`
    : '*What happens*\nThe batch is loaded into Silver; the warnings do not block it.\n' +
      '*What to do*\nCheck the source or relax the expectation in the contract if the values are legitimate.';
  const blocks: Block[] = [
    header(title),
    fields([
      ['Dataset', ctx.dataset],
      ['Load', ctx.loadId],
      ['Verdict', failed ? 'FAIL: blocked, quarantined' : 'WARN: loaded'],
      ['Attempt', String(ctx.attempt)],
      ['Expectations', countsText(v)],
    ]),
    ...detailed.map(failureSection),
    ...(rest.length > 0 ? [restLine(rest, ctx.resultUri)] : []),
    section(todo),
    ...(failed ? [failedLoadActions({ loadId: ctx.loadId, dataset: ctx.dataset })] : []),
    context(`lakeplane data-quality gate · validation result ${dataCode(ctx.resultUri, 1000)}`),
  ];
  const fallback = `Data quality ${failed ? 'failed' : 'warning'}: ${ctx.dataset} load ${ctx.loadId}: ${countsText(v)}`;
  return {
    text: escapeData(fallback, SLACK_LIMITS.fallbackText),
    ...(options.channel ? { channel: options.channel } : {}),
    blocks,
  };
}

/**
 * The alert for a gate that could not read its validation result: it fails closed, so the
 * batch is quarantined like a failed one.
 */
export function qualityResultUnreadableMessage(
  reason: string,
  ctx: GateContext,
  options: Pick<QualityMessageOptions, 'channel'> = {},
): SlackMessage {
  const replay = replayCommand(ctx.loadId, ctx.stage, ctx.cli);
  const blocks: Block[] = [
    header(`:x: Data quality result unreadable: ${ctx.dataset}`),
    fields([
      ['Dataset', ctx.dataset],
      ['Load', ctx.loadId],
      ['Verdict', 'FAIL: the validation result cannot be used'],
      ['Attempt', String(ctx.attempt)],
    ]),
    section(`*Reason*\n\`\`\`${escapeData(reason, 2500)}\`\`\``),
    section(
      `*What happens*\nThe gate fails closed: nothing of this batch reaches Silver; it goes to quarantine at ${dataCode(ctx.quarantineUri, 1000)}.\n` +
        `*What to do*\nCheck the validation step and its output ${dataCode(ctx.resultUri, 1000)}, then replay the load: ${code(replay)}`,
    ),
    context('lakeplane data-quality gate'),
  ];
  return {
    text: escapeData(
      `Data quality result unreadable: ${ctx.dataset} load ${ctx.loadId}: ${reason}`,
      SLACK_LIMITS.fallbackText,
    ),
    ...(options.channel ? { channel: options.channel } : {}),
    blocks,
  };
}
