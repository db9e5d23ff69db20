/**
 * Verifying requests from Slack, version 0 (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>" with the signing secret>`
 * and `X-Slack-Request-Timestamp: <unix seconds>`.
 *
 * On top of Slack's recipe: the timestamp must be within five minutes of the injected clock in
 * either direction, the comparison is constant-time, and a {@link ReplayGuard} refuses a
 * second use of the same (timestamp, signature) pair while it is inside that window.
 *
 * Nothing here logs or returns the signing secret or a signature: a refusal carries only a
 * {@link SignatureFailure} code.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
/** Slack's recommended window: requests older (or newer) than five minutes are refused. */
export const SLACK_SIGNATURE_TOLERANCE_SECONDS = 300;
const VERSION = 'v0';

/** Why a request was not accepted as Slack's. Safe to log. */
export type SignatureFailure =
  | 'missing signature'
  | 'missing timestamp'
  | 'malformed timestamp'
  | 'stale timestamp'
  | 'timestamp in the future'
  | 'signature mismatch'
  | 'replayed request';

/** A refused request: the HTTP status to answer and the reason (safe to log). */
export interface SlackRefusal<Reason extends string = string> {
  readonly ok: false;
  readonly status: 401 | 403;
  readonly reason: Reason;
}

export type SignatureResult = { readonly ok: true } | SlackRefusal<SignatureFailure>;

/** The headers of a request: any case (API Gateway HTTP API payload v2 sends them lower-case). */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/** What is verified: the headers and the body exactly as received (bytes, or their UTF-8 text). */
export interface SignedRequest {
  readonly headers: RequestHeaders;
  readonly rawBody: Uint8Array | string;
}

/**
 * Remembers verified requests so each is accepted once. In-memory ({@link MemoryReplayGuard})
 * it protects one process only (the local server). In AWS it is shared by all containers:
 * DynamoReplayGuard (shared/aws/dynamo-replay-guard.ts), a conditional put on the control table.
 */
export interface ReplayGuard {
  /**
   * Claims `key` until `expiresAtMs`.
   * @param nowMs the verifier's clock, for guards that evict or compare expiry
   * @returns true on the first claim while unexpired; false when the key was claimed already
   */
  claim(key: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
}

/** Thrown when the signing secret is empty: a configuration error, not a bad request. */
export class MissingSigningSecretError extends Error {
  override readonly name = 'MissingSigningSecretError';
}

export interface VerifyOptions {
  readonly signingSecret: string;
  readonly now: () => Date;
  /** Seconds a timestamp may be away from `now` in either direction (default 300). */
  readonly toleranceSeconds?: number;
}

/** Reads a header case-insensitively; blank counts as absent. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) {
      const v = value.trim();
      return v === '' ? undefined : v;
    }
  }
  return undefined;
}

/** `v0=<hex>`: the signature Slack would send for this timestamp and body. */
export function slackSignature(
  signingSecret: string,
  timestamp: string,
  rawBody: Uint8Array | string,
): string {
  if (signingSecret === '') throw new MissingSigningSecretError('the Slack signing secret is empty');
  const hmac = createHmac('sha256', signingSecret).update(`${VERSION}:${timestamp}:`);
  hmac.update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody);
  return `${VERSION}=${hmac.digest('hex')}`;
}

function refuse(reason: SignatureFailure): SlackRefusal<SignatureFailure> {
  return { ok: false, status: 401, reason };
}

/** Constant-time for equal lengths; different lengths are unequal without comparing. */
function sameSignature(received: string, expected: string): boolean {
  const a = Buffer.from(received, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks the signature and the timestamp window (no replay check: see {@link verifySlackRequest}).
 * Pure apart from the clock.
 * @throws MissingSigningSecretError when the secret is empty
 */
export function checkSlackSignature(request: SignedRequest, options: VerifyOptions): SignatureResult {
  if (options.signingSecret === '') throw new MissingSigningSecretError('the Slack signing secret is empty');
  const signature = headerValue(request.headers, SLACK_SIGNATURE_HEADER);
  if (signature === undefined) return refuse('missing signature');
  const timestamp = headerValue(request.headers, SLACK_TIMESTAMP_HEADER);
  if (timestamp === undefined) return refuse('missing timestamp');
  if (!/^\d{1,12}$/.test(timestamp)) return refuse('malformed timestamp');
  const tolerance = options.toleranceSeconds ?? SLACK_SIGNATURE_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor(options.now().getTime() / 1000);
  const age = nowSeconds - Number(timestamp);
  if (age > tolerance) return refuse('stale timestamp');
  if (-age > tolerance) return refuse('timestamp in the future');
  const expected = slackSignature(options.signingSecret, timestamp, request.rawBody);
  return sameSignature(signature, expected) ? { ok: true } : refuse('signature mismatch');
}

/** The replay-guard key of a request: the timestamp and a digest of the signature (never the signature). */
export function replayKey(timestamp: string, signature: string): string {
  return `${VERSION}:${timestamp}:${createHash('sha256').update(signature).digest('hex').slice(0, 32)}`;
}

/**
 * Verifies a request from Slack: {@link checkSlackSignature}, then claims it in the replay
 * guard, so the same request is accepted once while its timestamp is inside the window.
 * @throws MissingSigningSecretError when the secret is empty
 */
export async function verifySlackRequest(
  request: SignedRequest,
  options: VerifyOptions & { readonly replayGuard: ReplayGuard },
): Promise<SignatureResult> {
  const checked = checkSlackSignature(request, options);
  if (!checked.ok) return checked;
  // Both headers are present and well-formed: checkSlackSignature has just read them.
  const signature = headerValue(request.headers, SLACK_SIGNATURE_HEADER) ?? '';
  const timestamp = headerValue(request.headers, SLACK_TIMESTAMP_HEADER) ?? '';
  const tolerance = options.toleranceSeconds ?? SLACK_SIGNATURE_TOLERANCE_SECONDS;
  // After this instant the timestamp check refuses the request anyway.
  const expiresAtMs = (Number(timestamp) + tolerance + 1) * 1000;
  const first = await options.replayGuard.claim(
    replayKey(timestamp, signature),
    expiresAtMs,
    options.now().getTime(),
  );
  return first ? { ok: true } : refuse('replayed request');
}

/**
 * A {@link ReplayGuard} in a Map: for one process (the local server; one Lambda container, so
 * a replay that reaches another container is not caught). Expired keys are evicted on each
 * claim; beyond `maxEntries` the oldest go first.
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  async claim(key: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    for (const [k, expiry] of this.seen) if (expiry <= nowMs) this.seen.delete(k);
    if (this.seen.has(key)) return false;
    this.seen.set(key, expiresAtMs);
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (oldest.done) break;
      this.seen.delete(oldest.value);
    }
    return true;
  }

  /** How many requests are remembered (for tests and metrics). */
  get size(): number {
    return this.seen.size;
  }
}
