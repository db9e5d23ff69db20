import type { LoadRecord, LoadWarning } from '../load.js';
import { causeSummary } from '../load-warnings.js';
import {
  code,
  context,
  dataCode,
  escapeData,
  escapeMrkdwn,
  header,
  type SlackMessage,
  section,
  truncate,
} from './slack.js';

/**
 * The warning for a load whose commit reached Silver while its savepoint step failed: the load
 * succeeded, but a rollback cannot return to this commit once a second commit follows it.
 */
export function savepointFailedMessage(
  load: LoadRecord,
  warning: LoadWarning,
  options: { channel?: string; stage?: string } = {},
): SlackMessage {
  const stageFlag = options.stage ? ` --stage ${options.stage}` : '';
  const show = `lakeplane loads show ${load.loadId}${stageFlag}`;
  const commits = `lakeplane commits ${load.dataset}${stageFlag}`;
  const cause = causeSummary(warning, 500);
  return {
    text: truncate(
      escapeMrkdwn(
        `Savepoint failed: ${load.dataset} commit ${warning.commitId} (${load.loadId}) has no savepoint: ${cause}`,
      ),
      4000,
    ),
    ...(options.channel ? { channel: options.channel } : {}),
    blocks: [
      header(`:warning: Savepoint failed: ${load.dataset}`),
      section(
        `The load ${dataCode(load.loadId, 120)} succeeded and its commit ${dataCode(warning.commitId, 40)} is in Silver, but the savepoint step after it failed: ${escapeData(cause, 600)}`,
      ),
      section(
        `*What it means*\nThis load cannot be a rollback target once a second commit follows it (Hudi rolls back only the latest commit without a savepoint): roll back to a commit before it or after it. Nothing else is affected; the next load savepoints its own commit.\nDetails: ${code(show)} · ${code(commits)}`,
      ),
      context(`lakeplane · ${escapeMrkdwn(load.executionName)}`),
    ],
  };
}
