import { escapeMrkdwn, header, type SlackMessage, section, truncate } from './slack.js';

/**
 * A Roll back & replay that stopped part way (the rollback failed, or a replayed load did not
 * succeed, or a replay was refused): which loads were not replayed and the command that goes on.
 */
export function replayChainStoppedMessage(
  what: { readonly dataset: string; readonly why: string; readonly waiting: readonly string[] },
  options: { stage?: string; channel?: string } = {},
): SlackMessage {
  const stageFlag = options.stage ? ` --stage ${options.stage}` : '';
  const waiting = what.waiting.length > 0 ? what.waiting.join(', ') : 'none';
  const text = `Roll back & replay of ${what.dataset} stopped: ${what.why}. Not replayed: ${waiting}`;
  return {
    text: truncate(escapeMrkdwn(text), 4000),
    ...(options.channel ? { channel: options.channel } : {}),
    blocks: [
      header(`:warning: Roll back & replay stopped: ${what.dataset}`),
      section(truncate(escapeMrkdwn(`${what.why}.`), 2900)),
      section(
        truncate(
          escapeMrkdwn(
            `Not replayed yet, in this order: ${waiting}. Once the cause is fixed: lakeplane${stageFlag} replay <load-id> for each, in this order.`,
          ),
          2900,
        ),
      ),
    ],
  };
}
