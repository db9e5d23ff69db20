import { parseS3Uri } from '../core/run-results.js';
import type { ObjectStore } from '../ports.js';

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
