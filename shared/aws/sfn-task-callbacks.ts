import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { clip, clipBytes, TASK_ANSWER_LIMITS, utf8Bytes } from '../core/quality/verdict.js';
import type { TaskCallbacks } from '../ports.js';

/** The output of a task answer exceeds what Step Functions accepts; nothing was sent. */
export class TaskOutputTooLargeError extends Error {
  override readonly name = 'TaskOutputTooLargeError';
}

/**
 * Answers `.waitForTaskToken` tasks with SendTaskSuccess / SendTaskFailure. The output is sent
 * as JSON and must fit Step Functions' 262,144 bytes (checked before sending); the error and
 * cause are cut to their limits (256 and 32,768 characters). Step Functions' own errors pass
 * through unchanged: `TaskTimedOut` and `TaskDoesNotExist` (the task is no longer open),
 * `InvalidToken`, throttling. The task token is never put in an error message here.
 */
export class StepFunctionsTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: unknown): Promise<void> {
    const json = JSON.stringify(output ?? null);
    const bytes = utf8Bytes(json);
    if (bytes > TASK_ANSWER_LIMITS.outputBytes) {
      throw new TaskOutputTooLargeError(
        `task output is ${bytes} bytes; Step Functions accepts at most ${TASK_ANSWER_LIMITS.outputBytes}`,
      );
    }
    await this.client.send(new SendTaskSuccessCommand({ taskToken, output: json }));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await this.client.send(
      new SendTaskFailureCommand({
        taskToken,
        error: clip(error, TASK_ANSWER_LIMITS.errorChars),
        // Cut by UTF-8 bytes: within the character limit whatever the characters.
        cause: clipBytes(cause, TASK_ANSWER_LIMITS.causeChars),
      }),
    );
  }
}
