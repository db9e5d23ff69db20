import type { RunEvent } from '../core/lineage/openlineage.js';
import type { LineageSink } from '../ports.js';

export interface HttpLineageOptions {
  /** The consumer's base URL (Marquez: `http://marquez:5000`). */
  readonly url: string;
  /** The path events are posted to, relative to `url` (OpenLineage's HTTP transport default). */
  readonly endpoint?: string;
  /** The API key, sent as `Authorization: Bearer <key>`; read once per container, never logged. */
  readonly apiKey?: () => Promise<string | undefined>;
  /** Attempts per event (network errors, 429 and 5xx are retried; other answers are not). */
  readonly attempts?: number;
  /** Per request; a consumer that hangs must not hold a function until its own timeout. */
  readonly requestTimeoutMs?: number;
  /** Wait before attempt n (n ≥ 2): base · 2^(n-2), with full jitter. */
  readonly backoffMs?: number;
  readonly fetch?: typeof fetch;
}

/** The consumer refused an event or stayed unreachable after the retries. */
export class LineageSendError extends Error {
  override readonly name = 'LineageSendError';
}

/**
 * The OpenLineage HTTP transport: POSTs each run event as JSON to `<url>/<endpoint>` (Marquez,
 * Amazon DataZone's OpenLineage endpoint behind a proxy, any OpenLineage consumer). Written over
 * fetch rather than taken from a client library: OpenLineage ships no JavaScript client, and the
 * transport is one POST with a retry.
 */
export class HttpLineageSink implements LineageSink {
  private readonly target: string;
  private key: Promise<string | undefined> | undefined;

  constructor(private readonly options: HttpLineageOptions) {
    this.target = new URL(
      options.endpoint ?? 'api/v1/lineage',
      options.url.endsWith('/') ? options.url : `${options.url}/`,
    ).toString();
  }

  async send(event: RunEvent): Promise<void> {
    this.key ??= this.options.apiKey?.() ?? Promise.resolve(undefined);
    const key = await this.key;
    const attempts = this.options.attempts ?? 3;
    const doFetch = this.options.fetch ?? fetch;
    let last = '';
    for (let n = 1; n <= attempts; n++) {
      if (n > 1) await sleep(Math.random() * (this.options.backoffMs ?? 200) * 2 ** (n - 2));
      try {
        const res = await doFetch(this.target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 5000),
        });
        if (res.ok) {
          await res.body?.cancel();
          return;
        }
        const text = (await res.text().catch(() => '')).slice(0, 300);
        last = `HTTP ${res.status}${text ? `: ${text}` : ''}`;
        if (res.status !== 429 && res.status < 500) break;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
    }
    throw new LineageSendError(
      `the lineage consumer at ${new URL(this.target).origin} did not take the event: ${last}`,
    );
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
