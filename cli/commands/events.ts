import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { compileEventPattern, InvalidEventPatternError } from '../../local/eventbus/pattern.js';
import { UsageError } from '../context.js';

/**
 * The envelope fields `aws events test-event-pattern` requires of the event: TestEventPattern
 * answers an event without `resources`, and one whose `detail-type` is an array (matched like
 * any array value: one element matching is enough), though its documentation lists both as
 * mandatory.
 */
const testEvent = z.object({
  id: z.string(),
  account: z.string(),
  source: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()).optional(),
  'detail-type': z.union([z.string(), z.array(z.string())]),
});

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`${what} ${path}: cannot read the file`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Answers like `aws events test-event-pattern`: `{"Result": true|false}`. */
export function testPatternFiles(patternFile: string, eventFile: string): { Result: boolean } {
  const pattern = readJson(patternFile, 'pattern');
  const event = readJson(eventFile, 'event');
  const envelope = testEvent.safeParse(event);
  if (!envelope.success) {
    throw new UsageError(
      `event ${eventFile} is not a complete EventBridge event: ${envelope.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  try {
    return { Result: compileEventPattern(pattern)(event) };
  } catch (e) {
    if (e instanceof InvalidEventPatternError) throw new UsageError(`pattern ${patternFile}: ${e.message}`);
    throw e;
  }
}
