import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/**
 * Runs one conditional DynamoDB write: true when it was written, false when its condition did not
 * hold. Any other error is thrown.
 */
export async function conditionalWrite(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}
