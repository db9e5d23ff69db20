import type { LoadRecord } from '../load.js';
import { nextStep, plainCause } from '../next-step.js';
import { failedLoadActions } from '../slack/buttons.js';
import {
  code,
  context,
  escapeMrkdwn,
  fields,
  header,
  type SlackMessage,
  section,
  truncate,
} from './slack.js';

/**
 * The alert for a failed load: what happened and how bad in plain words first (the preview shows
 * them), then the one next step and its command, then the details.
 */
export function loadFailedMessage(
  load: LoadRecord,
  options: { channel?: string; stage?: string; cli?: string } = {},
): SlackMessage {
  const stageFlag = options.stage ? ` --stage ${options.stage}` : '';
  const cli = options.cli ?? 'lakeplane';
  const show = `${cli} loads show ${load.loadId}${stageFlag}`;
  const cause = load.cause ? `${load.cause.error}: ${load.cause.message}` : 'no cause was recorded';
  const first = `s3://${load.source.bucket}/${load.source.key}`;
  const objects = load.manifest?.objects ?? 1;
  // A coalesced load: how many objects, the first, and where all of them are listed.
  const source =
    objects > 1 ? `${objects} objects (${load.manifest?.bytes} bytes), the first ${first}` : first;
  const impact = load.commitId
    ? `Silver has this load's commit ${load.commitId}; Gold was not rebuilt.`
    : `Silver is unchanged: none of this load's records reached it.`;
  const step = nextStep(load, options.stage ? { stage: options.stage, cli } : { cli });
  const happened = plainCause(load);
  return {
    text: truncate(
      escapeMrkdwn(`Load of ${load.dataset} failed (${load.loadId}). ${impact} ${happened}`),
      4000,
    ),
    ...(options.channel ? { channel: options.channel } : {}),
    blocks: [
      header(`:x: Load failed: ${load.dataset}`),
      section(truncate(`${escapeMrkdwn(impact)} ${escapeMrkdwn(happened)}`, 2900)),
      section(
        `*What to do*\n${escapeMrkdwn(step.what)}: ${code(step.command)}${objects > 1 && step.kind !== 'bad-file' ? ` (it reads the same ${objects} object versions)` : ''}`,
      ),
      fields([
        ['Dataset', load.dataset],
        ['Load', load.loadId],
        [objects > 1 ? 'Objects' : 'Source', source],
        ['Attempt', String(load.attempts)],
      ]),
      // A ``` inside the cause would close the code block early: break it up.
      section(`*Cause*\n\`\`\`${truncate(escapeMrkdwn(cause).replaceAll('```', '`\u200b``'), 2800)}\`\`\``),
      section(`Details${objects > 1 ? ', every object' : ''}: ${code(show)}`),
      failedLoadActions({ loadId: load.loadId, dataset: load.dataset }),
      context(`lakeplane · ${escapeMrkdwn(load.executionName)}`),
    ],
  };
}
