import type { Context } from 'aws-lambda';

/** A local function as a Task state invokes it. */
export type LocalFunction = (event: unknown, context: Context) => Promise<unknown>;

/**
 * The local handler of a `lambda:invoke` Task state (request-response): calls the function the
 * state names with its Payload and answers like the integration does (`{ StatusCode, Payload }`).
 * A function error fails the task with the error's name, as Lambda's error type does in AWS.
 */
export function localLambdaInvoke(
  functions: Readonly<Record<string, LocalFunction>>,
  context: (functionName: string) => Context,
) {
  return async (params: { FunctionName: string; Payload?: unknown }): Promise<unknown> => {
    const name = params.FunctionName.split(':').pop() ?? params.FunctionName;
    const fn = functions[name];
    if (!fn) throw new Error(`no local function ${name} for ${params.FunctionName}`);
    return { StatusCode: 200, Payload: await fn(params.Payload, context(name)) };
  };
}
