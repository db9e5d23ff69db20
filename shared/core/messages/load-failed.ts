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
  const first = `s3://${load.source.bucket}/${load.source.key}`;
  const objects = load.manifest?.objects ?? 1;
  // A coalesced load: how many objects, the first, and where all of them are listed.
  const source =
    objects > 1 ? `${objects} objects (${load.manifest?.bytes} bytes), the first ${first}` : first;
  return {
    text: truncate(escapeMrkdwn(`Load failed: ${load.dataset} (${load.loadId}): ${cause}`), 4000),
    ...(options.channel ? { channel: options.channel } : {}),
    blocks: [
      header(`:x: Load failed: ${load.dataset}`),
      fields([
        ['Dataset', load.dataset],
        ['Load', load.loadId],
        [objects > 1 ? 'Objects' : 'Source', source],
        ['Attempt', String(load.attempts)],
      ]),
      // A ``` inside the cause would close the code block early: break it up.
      section(`*Cause*\n\`\`\`${truncate(escapeMrkdwn(cause).replaceAll('```', '`\u200b``'), 2800)}\`\`\``),
      section(
        `*What to do*\n${load.commitId ? `Silver has this load's commit ${escapeMrkdwn(load.commitId)}; Gold was not rebuilt.` : 'Silver is unchanged by this load.'} Fix the cause, then replay it: ${code(replay)}${objects > 1 ? ` (it reads the same ${objects} object versions)` : ''}\nDetails${objects > 1 ? ', every object' : ''}: ${code(show)}`,
      ),
      failedLoadActions({ loadId: load.loadId, dataset: load.dataset }),
      context(`lakeplane · ${escapeMrkdwn(load.executionName)}`),
    ],
  };
}
