import * as z from 'zod';

/** EventBridge envelope fields we rely on. */
const envelope = {
  version: z.string(),
  id: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
};

/**
 * S3 "Object Created" as EventBridge delivers it (bucket notifications to EventBridge).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 */
export const objectCreatedEvent = z.object({
  ...envelope,
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative(),
      etag: z.string().min(1),
      'version-id': z.string().optional(),
      sequencer: z.string().optional(),
    }),
    reason: z.string().optional(),
  }),
});
export type ObjectCreatedEvent = z.infer<typeof objectCreatedEvent>;

export const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;

/**
 * "Step Functions Execution Status Change" as EventBridge delivers it.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
export const executionStatusChangeEvent = z.object({
  ...envelope,
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.enum(EXECUTION_STATUSES),
    startDate: z.number(),
    stopDate: z.number().nullable().optional(),
    input: z.string().nullable().optional(),
    output: z.string().nullable().optional(),
    error: z.string().nullable().optional(),
    cause: z.string().nullable().optional(),
  }),
});
export type ExecutionStatusChangeEvent = z.infer<typeof executionStatusChangeEvent>;

/** Formats zod issues of an event as one line naming each field. */
export function describeEventIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ');
}
