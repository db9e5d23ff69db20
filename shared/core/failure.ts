import * as z from 'zod';
import type { LoadCause } from './load.js';

/** The parts of an EMR DescribeStep answer that `addStep.sync` puts in a failure cause. */
const emrStepCause = z.object({
  Step: z.object({
    Name: z.string().optional(),
    Status: z
      .object({
        State: z.string().optional(),
        FailureDetails: z
          .object({
            Reason: z.string().optional(),
            Message: z.string().optional(),
            LogFile: z.string().optional(),
          })
          .optional(),
      })
      .optional(),
  }),
});

const MAX_CAUSE = 2000;

/**
 * Turns a Step Functions error and cause into words: for a failed EMR step, the step name,
 * the failure reason and message and where the log is; otherwise the cause as given.
 */
export function describeFailure(error: string | undefined, cause: string | undefined): LoadCause {
  const name = error && error.length > 0 ? error : 'States.Failed';
  if (!cause) return { error: name, message: 'the execution failed without a cause' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    parsed = undefined;
  }
  const step = emrStepCause.safeParse(parsed);
  if (step.success) {
    const s = step.data.Step;
    const d = s.Status?.FailureDetails;
    const parts = [
      `step "${s.Name ?? 'unnamed'}" ${s.Status?.State?.toLowerCase() ?? 'failed'}`,
      d?.Reason,
      d?.Message,
      d?.LogFile ? `log: ${d.LogFile}` : undefined,
    ].filter((p): p is string => typeof p === 'string' && p.length > 0);
    return { error: name, message: clip(parts.join(': ')) };
  }
  return { error: name, message: clip(cause) };
}

function clip(text: string): string {
  return text.length <= MAX_CAUSE ? text : `${text.slice(0, MAX_CAUSE - 1)}…`;
}
