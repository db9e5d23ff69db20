import * as z from 'zod';
import { describeFailure } from './failure.js';
import type { LoadRecord, LoadWarning } from './load.js';

/** A ledger warning as stored (checked where records are read: the ledger item is not typed). */
export const loadWarningShape = z.object({
  kind: z.literal('SAVEPOINT_FAILED'),
  commitId: z.string().min(1),
  attempt: z.number().int().positive(),
  at: z.string(),
  error: z.string(),
  message: z.string(),
});

/**
 * The warnings of a load record that are about its current commit; an entry that is not a
 * warning (another writer, an older shape) or that names another commit is left out.
 */
export function loadWarningsOf(
  record: Pick<LoadRecord, 'commitId'> & { readonly warnings?: unknown },
): LoadWarning[] {
  const parsed = z.array(z.unknown()).safeParse(record.warnings);
  if (!parsed.success) return [];
  return parsed.data.flatMap((w) => {
    const one = loadWarningShape.safeParse(w);
    return one.success && one.data.commitId === record.commitId ? [one.data] : [];
  });
}

/** True when the load's current commit has no savepoint because its savepoint step failed. */
export function savepointFailed(
  record: Pick<LoadRecord, 'commitId'> & { readonly warnings?: unknown },
): boolean {
  return loadWarningsOf(record).some((w) => w.kind === 'SAVEPOINT_FAILED');
}

/** The warning for a commit whose savepoint step failed with this Step Functions error and cause. */
export function savepointFailedWarning(
  load: { readonly commitId: string; readonly attempt: number },
  caught: { readonly error?: string | undefined; readonly cause?: string | undefined },
  at: Date,
): LoadWarning {
  const why = describeFailure(caught.error, caught.cause);
  return {
    kind: 'SAVEPOINT_FAILED',
    commitId: load.commitId,
    attempt: load.attempt,
    at: at.toISOString(),
    error: why.error,
    message: why.message,
  };
}

/** At most `max` characters of a cause, on one line. */
export function causeSummary(w: LoadWarning, max = 300): string {
  const text = `${w.error}: ${w.message}`.replace(/\s+/g, ' ').trim();
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** What a warning means for on-call, in one sentence (`loads show`, the Slack warning). */
export function warningText(w: LoadWarning): string {
  switch (w.kind) {
    case 'SAVEPOINT_FAILED':
      return `the savepoint of commit ${w.commitId} failed (${causeSummary(w)}): this load cannot be a rollback target once a second commit follows it (Hudi rolls back only the latest commit without a savepoint); roll back to a commit before it or after it`;
  }
}
