import * as z from 'zod';
import { parseS3Uri } from '../core/run-results.js';
import type { ExecutionRunner, FinishedExecution, ObjectStore } from '../ports.js';

/** A run artefact (a step's result) that is there but is not JSON. */
export class UnreadableArtifactError extends Error {
  override readonly name = 'UnreadableArtifactError';
}

/**
 * Reads the JSON a step wrote at `uri` (`s3://bucket/key`); undefined when there is none (its
 * step did not get that far).
 * @throws UnreadableArtifactError when the object is not JSON
 */
export async function readJsonArtifact(store: ObjectStore, uri: string): Promise<unknown> {
  const { bucket, key } = parseS3Uri(uri);
  const body = await store.get(bucket, key);
  if (!body) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(body)) as unknown;
  } catch {
    throw new UnreadableArtifactError(`${uri} is not JSON`);
  }
}

/** What an on-call execution of one EMR step left: how it ended and what its step wrote. */
export interface StepRun {
  readonly executionArn: string;
  readonly finished: FinishedExecution;
  /** The reason a failed step wrote (the jobs' error result: `{ phase, …, error }`). */
  readonly stepError?: string;
  /** The step's result document when it is not an error; undefined when it wrote none. */
  readonly result?: unknown;
}

const stepErrorResult = z.object({ error: z.string() });

/**
 * Starts an execution (rollback-dataset, query-dataset), waits for its end and reads the result
 * its step wrote at `resultUri`, whether the execution succeeded or not.
 */
export async function runStepExecution(
  executions: ExecutionRunner,
  store: ObjectStore,
  run: { readonly name: string; readonly input: unknown; readonly resultUri: string },
  onStarted?: (executionArn: string) => void,
): Promise<StepRun> {
  const started = await executions.startExecution(run.name, run.input);
  onStarted?.(started.executionArn);
  const finished = await executions.waitFor(started.executionArn);
  const doc = await readJsonArtifact(store, run.resultUri);
  const failed = stepErrorResult.safeParse(doc);
  return {
    executionArn: started.executionArn,
    finished,
    ...(failed.success ? { stepError: failed.data.error } : doc === undefined ? {} : { result: doc }),
  };
}
