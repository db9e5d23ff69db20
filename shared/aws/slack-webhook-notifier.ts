import type { SlackMessage } from '../core/messages/slack.js';
import type { Notifier } from '../ports.js';

/** Thrown when Slack refuses a message; never carries the webhook URL. */
export class SlackPostError extends Error {
  override readonly name = 'SlackPostError';
}

/**
 * Posts messages to a Slack incoming webhook. The URL is a secret: it is never logged and
 * never put in an error message. Retries once on 429/5xx, honouring Retry-After.
 */
export class SlackWebhookNotifier implements Notifier {
  constructor(
    private readonly webhookUrl: () => Promise<string>,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async notify(message: SlackMessage): Promise<void> {
    const url = await this.webhookUrl();
    const { channel: _routing, ...payload } = message;
    const body = JSON.stringify(payload);
    for (let attempt = 1; ; attempt++) {
      const res = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (res.ok) return;
      const retryable = res.status === 429 || res.status >= 500;
      if (!retryable || attempt >= 2) {
        const text = (await res.text()).slice(0, 200);
        throw new SlackPostError(`Slack webhook answered ${res.status}: ${text}`);
      }
      const wait = Math.min(Number(res.headers.get('retry-after') ?? '1'), 5);
      await new Promise((r) => setTimeout(r, wait * 1000));
    }
  }
}
