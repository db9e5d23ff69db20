import { appendFileSync } from 'node:fs';
import { type SlackMessage, toPlainText } from '../../shared/core/messages/slack.js';
import type { Notifier } from '../../shared/ports.js';

/**
 * The local alert sink when no webhook URL is set: every message is appended to a JSONL file
 * (the exact Slack payload) and shown as plain text through `print`.
 */
export class FileNotifier implements Notifier {
  constructor(
    private readonly file: string,
    private readonly print: (text: string) => void,
  ) {}

  async notify(message: SlackMessage): Promise<void> {
    appendFileSync(this.file, `${JSON.stringify({ at: new Date().toISOString(), message })}\n`);
    this.print(toPlainText(message));
  }
}
