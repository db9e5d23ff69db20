import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReplayGuard } from '../core/slack/signature.js';
import { conditionalWrite } from './conditional-write.js';

/** Key prefix of the claims on the control table (the slack-actions role may write only these). */
export const SLACK_REQUEST_PREFIX = 'slack-request#';

/**
 * A replay guard shared by every Lambda container: a claim is a conditional put on the control
 * table, `pk = slack-request#<key>`, that succeeds when no claim exists or the existing one has
 * expired (DynamoDB TTL deletes expired items lazily, up to days later, so the condition must
 * accept them). `ttl` (epoch seconds) lets TTL clean up.
 */
export class DynamoReplayGuard implements ReplayGuard {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async claim(key: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    return conditionalWrite(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `${SLACK_REQUEST_PREFIX}${key}`, expiresAtMs, ttl: Math.ceil(expiresAtMs / 1000) },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now',
          ExpressionAttributeValues: { ':now': nowMs },
        }),
      ),
    );
  }
}
