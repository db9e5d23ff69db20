import { getParameter } from '@aws-lambda-powertools/parameters/ssm';

/**
 * The Slack webhook URL from an SSM SecureString parameter, through Powertools Parameters: read
 * on first use, decrypted, cached for the container (5 minutes). The URL is never logged and
 * never put in an error message.
 * @param purpose what the alerts are, for the error when the parameter is not configured
 */
export function slackWebhookFromSsm(
  parameterName: string | undefined,
  purpose: string,
): () => Promise<string> {
  return async () => {
    if (!parameterName) throw new Error(`SLACK_WEBHOOK_PARAMETER is not set: ${purpose} cannot be sent`);
    const value = await getParameter(parameterName, { decrypt: true, maxAge: 300 });
    if (!value) throw new Error(`SSM parameter ${parameterName} has no value`);
    return value;
  };
}
