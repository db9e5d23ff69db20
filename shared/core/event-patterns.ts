/**
 * The EventBridge rule patterns of the stack. serverless.yml declares the same patterns (a
 * test checks they match), and the local runtime routes its bus with these.
 */

/** S3 "Object Created" events of the Bronze bucket → object-landed. */
export function objectCreatedPattern(bronzeBucket: string) {
  return {
    source: ['aws.s3'],
    'detail-type': ['Object Created'],
    detail: { bucket: { name: [bronzeBucket] } },
  };
}

/** Status changes of load-dataset executions → load-events. */
export function executionStatusPattern(stateMachineArn: string) {
  return {
    source: ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    detail: { stateMachineArn: [stateMachineArn] },
  };
}
