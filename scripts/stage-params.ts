/** The stage parameters of serverless.yml (`params:`), merged over `default` as osls does. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

const paramsFile = z.object({ params: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()) });

/** `params.default` overlaid with `params.<stage>`; values as written (strings, numbers, booleans). */
export function stageParams(
  stage: string,
  file = join(REPO_ROOT, 'serverless.yml'),
): Record<string, unknown> {
  // serverless.yml holds CloudFormation tags (!Ref, !Sub): only `params` is read, the tags are ignored.
  const doc = paramsFile.parse(parse(readFileSync(file, 'utf8'), { logLevel: 'error' }));
  return { ...(doc.params.default ?? {}), ...(doc.params[stage] ?? {}) };
}
