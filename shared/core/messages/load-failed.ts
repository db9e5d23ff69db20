import type { LoadRecord } from '../load.js';
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
 * The alert for a failed load: what failed, why, and the command that re-runs it once the
 * cause is fixed.
 */
export function loadFailedMessage(
  load: LoadRecord,
  options: { channel?: string; stage?: string } = {},
): SlackMessage {
  const stageFlag = options.stage ? ` --stage ${options.stage}` : '';
  const replay = `lakeplane replay ${load.loadId}${stageFlag}`;
  const show = `lakeplane loads show ${load.loadId}${stageFlag}`;
  const cause = load.cause ? `${load.cause.error}: ${load.cause.message}` : 'no cause was recorded';
  const source = `s3://${load.source.bucket}/${load.source.key}`;
  return {
    text: truncate(escapeMrkdwn(`Load failed: ${load.dataset} (${load.loadId}): ${cause}`), 4000),
    ...(options.channel ? { channel: options.channel } : {}),
    blocks: [
      header(`:x: Load failed: ${load.dataset}`),
      fields([
        ['Dataset', load.dataset],
        ['Load', load.loadId],
        ['Source', source],
        ['Attempt', String(load.attempts)],
      ]),
      // A ``` inside the cause would close the code block early: break it up.
      section(`*Cause*\n\`\`\`${truncate(escapeMrkdwn(cause).replaceAll('```', '`\u200b``'), 2800)}\`\`\``),
      section(
        `*What to do*\n${load.commitId ? `Silver has this load's commit ${escapeMrkdwn(load.commitId)}; Gold was not rebuilt.` : 'Silver is unchanged by this load.'} Fix the cause, then replay it: ${code(replay)}\nDetails: ${code(show)}`,
      ),
      failedLoadActions({ loadId: load.loadId, dataset: load.dataset }),
      context(`lakeplane · ${escapeMrkdwn(load.executionName)}`),
    ],
  };
}
