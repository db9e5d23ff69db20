import type { Context } from 'aws-lambda';

/** What SendTaskSuccess/SendTaskFailure do, as the TaskCallbacks port sees them. */
interface Callbacks {
  succeed(taskToken: string, output: unknown): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** A callback for a token nobody waits for (Step Functions: TaskDoesNotExist). */
export class TaskDoesNotExistError extends Error {
  override readonly name = 'TaskDoesNotExist';
}

/**
 * The local stand-in for Step Functions task tokens: aws-local-stepfunctions ignores
 * `.waitForTaskToken`, so such a Task state is bound to `invokeAndWait`, which invokes the
 * function with the payload (holding the token) and waits until the function answers through
 * `succeed`/`fail` — the same TaskCallbacks port dq-router uses in AWS.
 */
export class LocalTaskTokens implements Callbacks {
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  async succeed(taskToken: string, output: unknown): Promise<void> {
    this.settle(taskToken).resolve(output);
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    const e = new Error(cause);
    e.name = error;
    this.settle(taskToken).reject(e);
  }

  /**
   * The local handler of a `lambda:invoke.waitForTaskToken` Task state: invokes the function
   * (its error fails the task, as an invocation error does in AWS) and waits for the callback.
   */
  invokeAndWait(
    functions: Readonly<Record<string, (event: unknown, context: Context) => Promise<unknown>>>,
    context: (functionName: string) => Context,
  ) {
    return async (params: { FunctionName: string; Payload: { taskToken?: unknown } }): Promise<unknown> => {
      const token = params.Payload.taskToken;
      if (typeof token !== 'string')
        throw new Error('the Payload of a waitForTaskToken task must carry taskToken ($$.Task.Token)');
      const name = params.FunctionName.split(':').pop() ?? params.FunctionName;
      const fn = functions[name];
      if (!fn) throw new Error(`no local function ${name} for ${params.FunctionName}`);
      const answered = new Promise<unknown>((resolve, reject) =>
        this.pending.set(token, { resolve, reject }),
      );
      try {
        await fn(params.Payload, context(name));
      } catch (e) {
        this.pending.delete(token);
        throw e;
      }
      return answered;
    };
  }

  private settle(token: string) {
    const waiting = this.pending.get(token);
    if (!waiting)
      throw new TaskDoesNotExistError(
        `Task Token does not exist or has already been answered: ${token.slice(0, 12)}…`,
      );
    this.pending.delete(token);
    return waiting;
  }
}
