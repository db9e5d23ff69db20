/**
 * Slack request verification (v0): Slack's published example, the five-minute window both
 * ways, wrong and wrong-length signatures, and the replay guard.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkSlackSignature,
  headerValue,
  MemoryReplayGuard,
  MissingSigningSecretError,
  replayKey,
  slackSignature,
  verifySlackRequest,
} from '../../shared/core/slack/signature.js';

// The worked example of "Verifying requests from Slack" (api.slack.com/authentication/verifying-requests-from-slack).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const SECRET = 'lakeplane-test-signing-secret';
const NOW = new Date('2026-05-01T10:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

/** Signed independently of the module under test, so the scheme is checked, not echoed. */
function sign(timestamp: number | string, body: string, secret = SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function headers(timestamp: number | string, signature: string): Record<string, string> {
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

const at = (d: Date) => () => d;

describe("Slack's published example", () => {
  it('computes the documented signature', () => {
    expect(slackSignature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
    expect(slackSignature(DOC_SECRET, DOC_TIMESTAMP, Buffer.from(DOC_BODY))).toBe(DOC_SIGNATURE);
  });

  it('verifies the documented request, headers in the case Slack sends them', () => {
    const result = checkSlackSignature(
      {
        headers: { 'X-Slack-Request-Timestamp': DOC_TIMESTAMP, 'X-Slack-Signature': DOC_SIGNATURE },
        rawBody: DOC_BODY,
      },
      { signingSecret: DOC_SECRET, now: at(new Date((Number(DOC_TIMESTAMP) + 60) * 1000)) },
    );
    expect(result).toEqual({ ok: true });
  });
});

describe('checkSlackSignature', () => {
  const check = (h: Record<string, string>, body: string | Uint8Array = BODY, now = NOW) =>
    checkSlackSignature({ headers: h, rawBody: body }, { signingSecret: SECRET, now: at(now) });

  it('accepts a fresh, correctly signed request over the raw bytes', () => {
    expect(check(headers(NOW_S, sign(NOW_S, BODY)))).toEqual({ ok: true });
    expect(check(headers(NOW_S, sign(NOW_S, BODY)), new TextEncoder().encode(BODY))).toEqual({ ok: true });
  });

  it('accepts the edges of the window: exactly five minutes old or ahead', () => {
    expect(check(headers(NOW_S - 300, sign(NOW_S - 300, BODY)))).toEqual({ ok: true });
    expect(check(headers(NOW_S + 300, sign(NOW_S + 300, BODY)))).toEqual({ ok: true });
  });

  it('refuses a stale timestamp even when the signature is right', () => {
    const ts = NOW_S - 301;
    expect(check(headers(ts, sign(ts, BODY)))).toEqual({ ok: false, status: 401, reason: 'stale timestamp' });
  });

  it('refuses a timestamp more than five minutes in the future', () => {
    const ts = NOW_S + 301;
    expect(check(headers(ts, sign(ts, BODY)))).toEqual({
      ok: false,
      status: 401,
      reason: 'timestamp in the future',
    });
  });

  it('refuses a bad signature: another secret, another body, another timestamp, one hex digit off', () => {
    const mismatch = { ok: false, status: 401, reason: 'signature mismatch' };
    expect(check(headers(NOW_S, sign(NOW_S, BODY, 'another-secret')))).toEqual(mismatch);
    expect(check(headers(NOW_S, sign(NOW_S, `${BODY}&x=1`)))).toEqual(mismatch);
    expect(check(headers(NOW_S, sign(NOW_S - 1, BODY)))).toEqual(mismatch);
    const good = sign(NOW_S, BODY);
    const flipped = `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`;
    expect(check(headers(NOW_S, flipped))).toEqual(mismatch);
    // A body re-encoded on the way (a space as + instead of %20) is not the signed body.
    expect(check(headers(NOW_S, sign(NOW_S, 'a=b%20c')), 'a=b+c')).toEqual(mismatch);
  });

  it('refuses signatures of another length without throwing', () => {
    const mismatch = { ok: false, status: 401, reason: 'signature mismatch' };
    const good = sign(NOW_S, BODY);
    expect(check(headers(NOW_S, 'v0=abc'))).toEqual(mismatch);
    expect(check(headers(NOW_S, `${good}00`))).toEqual(mismatch);
    expect(check(headers(NOW_S, good.slice(3)))).toEqual(mismatch);
    // Same number of characters, more bytes (UTF-8): still unequal lengths for timingSafeEqual.
    expect(check(headers(NOW_S, `v0=${'é'.repeat(64)}`))).toEqual(mismatch);
  });

  it('refuses missing or malformed headers', () => {
    const sig = sign(NOW_S, BODY);
    expect(check({ 'x-slack-request-timestamp': String(NOW_S) })).toMatchObject({
      reason: 'missing signature',
    });
    expect(check({ 'x-slack-signature': sig })).toMatchObject({ reason: 'missing timestamp' });
    expect(check(headers('1e9', sig))).toMatchObject({ reason: 'malformed timestamp' });
    expect(check(headers('-5', sig))).toMatchObject({ reason: 'malformed timestamp' });
    expect(check(headers(`${NOW_S}.5`, sig))).toMatchObject({ reason: 'malformed timestamp' });
  });

  it('will not verify with an empty signing secret', () => {
    expect(() =>
      checkSlackSignature(
        { headers: headers(NOW_S, sign(NOW_S, BODY, '')), rawBody: BODY },
        { signingSecret: '', now: at(NOW) },
      ),
    ).toThrow(MissingSigningSecretError);
  });

  it('reads headers in any case', () => {
    expect(headerValue({ 'X-Slack-Signature': ' v0=1 ' }, 'x-slack-signature')).toBe('v0=1');
    expect(headerValue({ 'x-slack-signature': '' }, 'X-Slack-Signature')).toBeUndefined();
  });
});

describe('verifySlackRequest (replay guard)', () => {
  it('accepts a request once and refuses the same request again within the window', async () => {
    const guard = new MemoryReplayGuard();
    const request = { headers: headers(NOW_S, sign(NOW_S, BODY)), rawBody: BODY };
    const options = { signingSecret: SECRET, now: at(NOW), replayGuard: guard };
    expect(await verifySlackRequest(request, options)).toEqual({ ok: true });
    expect(
      await verifySlackRequest(request, { ...options, now: at(new Date(NOW.getTime() + 299_000)) }),
    ).toEqual({
      ok: false,
      status: 401,
      reason: 'replayed request',
    });
    // Another request of the same second is another key.
    const other = { headers: headers(NOW_S, sign(NOW_S, `${BODY}x`)), rawBody: `${BODY}x` };
    expect(await verifySlackRequest(other, options)).toEqual({ ok: true });
  });

  it('does not let a forged request use up the key of a real one', async () => {
    const guard = new MemoryReplayGuard();
    const options = { signingSecret: SECRET, now: at(NOW), replayGuard: guard };
    const forged = { headers: headers(NOW_S, sign(NOW_S, BODY, 'attacker')), rawBody: BODY };
    expect(await verifySlackRequest(forged, options)).toMatchObject({ reason: 'signature mismatch' });
    expect(guard.size).toBe(0);
    const real = { headers: headers(NOW_S, sign(NOW_S, BODY)), rawBody: BODY };
    expect(await verifySlackRequest(real, options)).toEqual({ ok: true });
  });

  it('forgets requests once their timestamps are outside the window', async () => {
    const guard = new MemoryReplayGuard();
    const options = { signingSecret: SECRET, now: at(NOW), replayGuard: guard };
    await verifySlackRequest({ headers: headers(NOW_S, sign(NOW_S, BODY)), rawBody: BODY }, options);
    expect(guard.size).toBe(1);
    const later = NOW_S + 400;
    await verifySlackRequest(
      { headers: headers(later, sign(later, BODY)), rawBody: BODY },
      { ...options, now: at(new Date(later * 1000)) },
    );
    expect(guard.size).toBe(1);
  });

  it('keys requests by timestamp and a digest of the signature, never the signature itself', () => {
    const sig = sign(NOW_S, BODY);
    const key = replayKey(String(NOW_S), sig);
    expect(key.startsWith(`v0:${NOW_S}:`)).toBe(true);
    expect(key).not.toContain(sig.slice(3, 20));
  });

  it('keeps at most maxEntries requests, dropping the oldest', async () => {
    const guard = new MemoryReplayGuard(2);
    for (const k of ['a', 'b', 'c'])
      expect(await guard.claim(k, NOW.getTime() + 1000, NOW.getTime())).toBe(true);
    expect(guard.size).toBe(2);
    expect(await guard.claim('c', NOW.getTime() + 1000, NOW.getTime())).toBe(false);
  });
});
