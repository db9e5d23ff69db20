/**
 * The replay guard slack-actions uses in AWS, against dynalite: a Slack request (timestamp,
 * signature) is accepted once across every container, until it expires.
 */
import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CONTROL_TABLE, type LocalLedger, startLocalLedger } from '../../local/ledger/local-ledger.js';
import { DynamoReplayGuard } from '../../shared/aws/dynamo-replay-guard.js';
import {
  MemoryReplayGuard,
  SLACK_SIGNATURE_HEADER,
  SLACK_TIMESTAMP_HEADER,
  slackSignature,
  verifySlackRequest,
} from '../../shared/core/slack/signature.js';

let local: LocalLedger;
beforeAll(async () => {
  local = await startLocalLedger(undefined);
});
afterAll(async () => {
  await local?.close();
});

describe('DynamoReplayGuard', () => {
  it('lets the first claim of a key through, refuses the second, and frees it after it expires', async () => {
    // Two containers: two guards over one table.
    const a = new DynamoReplayGuard(local.client, LOCAL_CONTROL_TABLE);
    const b = new DynamoReplayGuard(local.client, LOCAL_CONTROL_TABLE);
    const now = 1_800_000_000_000;
    expect(await a.claim('k1', now + 300_000, now)).toBe(true);
    expect(await b.claim('k1', now + 300_000, now + 1000)).toBe(false);
    expect(await a.claim('k1', now + 300_000, now + 299_999)).toBe(false);
    expect(await b.claim('k2', now + 300_000, now)).toBe(true);
    // Expired but not yet deleted by TTL: claimable again.
    expect(await b.claim('k1', now + 900_000, now + 300_001)).toBe(true);
    const item = await local.client.send(
      new GetItemCommand({ TableName: LOCAL_CONTROL_TABLE, Key: { pk: { S: 'slack-request#k1' } } }),
    );
    expect(item.Item).toEqual({
      pk: { S: 'slack-request#k1' },
      expiresAtMs: { N: String(now + 900_000) },
      ttl: { N: String((now + 900_000) / 1000) },
    });
    await local.client.send(
      new DeleteItemCommand({ TableName: LOCAL_CONTROL_TABLE, Key: { pk: { S: 'slack-request#k1' } } }),
    );
  });

  it('of concurrent claims of one key, exactly one wins', async () => {
    const guards = Array.from({ length: 8 }, () => new DynamoReplayGuard(local.client, LOCAL_CONTROL_TABLE));
    const now = 1_800_000_000_000;
    const won = await Promise.all(guards.map((g) => g.claim('race', now + 300_000, now)));
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it('refuses a signed request sent again to another container, as the memory guard does in one', async () => {
    const secret = 'test-signing-secret';
    const now = new Date('2026-11-27T14:00:00Z');
    const timestamp = String(now.getTime() / 1000);
    const rawBody = 'payload=%7B%7D';
    const request = {
      rawBody,
      headers: {
        [SLACK_TIMESTAMP_HEADER]: timestamp,
        [SLACK_SIGNATURE_HEADER]: slackSignature(secret, timestamp, rawBody),
      },
    };
    for (const makeGuard of [
      () => new DynamoReplayGuard(local.client, LOCAL_CONTROL_TABLE),
      () => new MemoryReplayGuard(),
    ]) {
      const shared = makeGuard();
      const first = await verifySlackRequest(request, {
        signingSecret: secret,
        now: () => now,
        replayGuard: shared,
      });
      const again = await verifySlackRequest(request, {
        signingSecret: secret,
        now: () => now,
        replayGuard: shared instanceof MemoryReplayGuard ? shared : makeGuard(),
      });
      expect(first).toEqual({ ok: true });
      expect(again).toMatchObject({ ok: false, status: 401, reason: 'replayed request' });
    }
  });
});
