import type { LoadRecord } from './load.js';

/** A Silver commit as the ledger knows it: the load whose upsert made it (a Hudi instant on EMR). */
export interface LedgerCommit {
  readonly commitId: string;
  readonly loadId: string;
  readonly attempt: number;
  /** When the load finished (the commit is a few minutes older: the Gold step follows it). */
  readonly committedAt: string;
  readonly inserted?: number;
  readonly updated?: number;
  readonly deleted?: number;
}

/** A Hudi instant time: 14 (seconds) to 17 (milliseconds) digits. */
export const HUDI_INSTANT = /^\d{14,17}$/;

/**
 * Orders instants the way Hudi does: a 14-digit instant counts as its last millisecond (`999`),
 * as `lakeplane_jobs.rollback.instant_order` does on the EMR side.
 */
export function instantOrder(instant: string): string {
  return instant.length === 14 ? `${instant}999` : instant.padEnd(17, '0');
}

/** Statuses whose commit id is in Silver: a FAILED load whose upsert committed before a later step failed keeps it. */
const COMMITTED: readonly LoadRecord['status'][] = ['SUCCEEDED', 'FAILED'];

/**
 * The Silver commits of a dataset from its ledger records, oldest first: the loads with a
 * commit id that SUCCEEDED, or FAILED after their upsert (Gold failed). A commit undone by a
 * rollback stays listed until its load is replayed (the rollback step reads the table's own
 * timeline and refuses an undone target).
 */
export function ledgerCommits(loads: readonly LoadRecord[]): LedgerCommit[] {
  return loads
    .filter(
      (l): l is LoadRecord & { commitId: string } => COMMITTED.includes(l.status) && l.commitId !== undefined,
    )
    .map((l) => ({
      commitId: l.commitId,
      loadId: l.loadId,
      attempt: l.attempts,
      committedAt: l.finishedAt ?? l.history.at(-1)?.at ?? l.registeredAt,
      ...(l.counts
        ? { inserted: l.counts.inserted, updated: l.counts.updated, deleted: l.counts.deleted }
        : {}),
    }))
    .sort((a, b) => (instantOrder(a.commitId) < instantOrder(b.commitId) ? -1 : 1));
}

/** A rollback target that cannot be reached on EMR, with the reason and what to do. */
export class RollbackTargetError extends Error {
  override readonly name = 'RollbackTargetError';
}

/**
 * The Hudi instant a rollback returns to: `toCommit` itself, or for `beforeLoad` the commit
 * before that load's. Hudi keeps no state before a table's first commit, so "start" and the
 * first commit's load are refused with what to do instead.
 */
export function rollbackInstant(
  dataset: string,
  commits: readonly LedgerCommit[],
  target: { readonly toCommit: string } | { readonly beforeLoad: string },
  loadStatus?: string,
): string {
  const first = commits[0];
  const noStart = `Hudi keeps no state before the first commit of silver.${dataset}${first ? ` (${first.commitId}, load ${first.loadId})` : ''}: to start over, delete the table's data and replay its loads`;
  if ('toCommit' in target) {
    if (target.toCommit === 'start') throw new RollbackTargetError(noStart);
    if (!HUDI_INSTANT.test(target.toCommit)) {
      const latest = commits.slice(-3).map((c) => c.commitId);
      throw new RollbackTargetError(
        `"${target.toCommit}" is not a Silver commit (a Hudi instant, 14 to 17 digits); recent commits of ${dataset}: ${latest.join(', ') || 'none'} (see \`lakeplane --stage <s> commits ${dataset}\`)`,
      );
    }
    return target.toCommit;
  }
  const at = commits.findIndex((c) => c.loadId === target.beforeLoad);
  if (at < 0) {
    throw new RollbackTargetError(
      `load ${target.beforeLoad} has no commit in silver.${dataset}${loadStatus ? ` (it is ${loadStatus})` : ''}: there is nothing of it to roll back`,
    );
  }
  if (at === 0) throw new RollbackTargetError(noStart);
  return commits[at - 1]!.commitId;
}
