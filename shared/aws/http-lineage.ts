import type { RunEvent } from '../core/lineage/openlineage.js';
import type { LineageSink } from '../ports.js';

export interface HttpLineageOptions {
  /** The consumer's base URL (Marquez: `http://marquez:5000`). */
  readonly url: string;
  /** The path events are posted to, relative to `url` (OpenLineage's HTTP transport default). */
  readonly endpoint?: string;
  /** The API key, sent as `Authorization: Bearer <key>`; read on first use, never logged. */
  readonly apiKey?: () => Promise<string | undefined>;
  /** Attempts per event (network errors, timeouts, 429 and 5xx are retried; other answers are not). */
  readonly attempts?: number;
  /** Per request; a consumer that hangs must not hold a function until its own timeout. */
  readonly requestTimeoutMs?: number;
  /** Wait before attempt n (n ≥ 2): base · 2^(n-2), with full jitter. */
  readonly backoffMs?: number;
  /**
   * After an event could not be sent, the next ones are not tried for this long (they fail at
   * once): a consumer that is down or hangs costs one event's retries, not every event's.
   */
  readonly pauseAfterFailureMs?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/** The consumer refused an event, stayed unreachable after the retries, or is paused after that. */
export class LineageSendError extends Error {
  override readonly name = 'LineageSendError';
}

/**
 * The OpenLineage HTTP transport: POSTs each run event as JSON to `<url>/<endpoint>` (Marquez,
 * Amazon DataZone's OpenLineage endpoint behind a proxy, any OpenLineage consumer). Written over
 * fetch rather than taken from a client library: OpenLineage ships no JavaScript client, and the
 * transport is one POST with a retry. Errors name the consumer's origin and the HTTP status only:
 * never the key, never the answer's body (a consumer may echo the request's headers).
 */
export class HttpLineageSink implements LineageSink {
  private readonly target: string;
  private readonly origin: string;
  private key: Promise<string | undefined> | undefined;
  private pausedUntil = 0;

  constructor(private readonly options: HttpLineageOptions) {
    this.target = new URL(
      options.endpoint ?? 'api/v1/lineage',
      options.url.endsWith('/') ? options.url : `${options.url}/`,
    ).toString();
    this.origin = new URL(this.target).origin;
  }

  async send(event: RunEvent): Promise<void> {
    const now = this.options.now ?? Date.now;
    if (now() < this.pausedUntil)
      throw new LineageSendError(
        `the lineage consumer at ${this.origin} did not take the last event; not tried again until ${new Date(this.pausedUntil).toISOString()}`,
      );
    try {
      await this.post(event);
    } catch (e) {
      this.pausedUntil = now() + (this.options.pauseAfterFailureMs ?? 60_000);
      throw e;
    }
  }

  private async post(event: RunEvent): Promise<void> {
    // A key that could not be read is read again next time (a transient SSM error, a rotation).
    this.key ??= (this.options.apiKey?.() ?? Promise.resolve(undefined)).catch((e: unknown) => {
      this.key = undefined;
      throw new LineageSendError(
        `the lineage consumer's API key could not be read: ${e instanceof Error ? e.name : 'error'}`,
      );
    });
    const key = await this.key;
    const attempts = this.options.attempts ?? 3;
    const doFetch = this.options.fetch ?? fetch;
    let last = '';
    for (let n = 1; n <= attempts; n++) {
      if (n > 1) await sleep(Math.random() * (this.options.backoffMs ?? 200) * 2 ** (n - 2));
      try {
        const res = await doFetch(this.target, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(key ? { authorization: `Bearer ${key}` } : {}),
          },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 2000),
        });
        await res.body?.cancel();
        if (res.ok) return;
        last = `HTTP ${res.status}`;
        if (res.status !== 429 && res.status < 500) break;
      } catch (e) {
        last = e instanceof Error ? (e.name === 'TimeoutError' ? 'no answer in time' : e.message) : String(e);
      }
    }
    throw new LineageSendError(`the lineage consumer at ${this.origin} did not take the event: ${last}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
