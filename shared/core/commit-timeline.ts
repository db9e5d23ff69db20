import type { LoadRecord, LoadWarning } from './load.js';
import { loadWarningsOf } from './load-warnings.js';

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
  /** The savepoint step after this commit failed: it has no Hudi savepoint (the load's warning). */
  readonly savepointFailed?: LoadWarning;
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
const COMMITTED: readonly LoadRecord['status'][] = ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'RESOLVED'];

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
    .map((l) => {
      const savepointFailed = loadWarningsOf(l).find((w) => w.kind === 'SAVEPOINT_FAILED');
      return {
        commitId: l.commitId,
        loadId: l.loadId,
        attempt: l.attempts,
        committedAt: l.finishedAt ?? l.history.at(-1)?.at ?? l.registeredAt,
        ...(l.counts
          ? { inserted: l.counts.inserted, updated: l.counts.updated, deleted: l.counts.deleted }
          : {}),
        ...(savepointFailed ? { savepointFailed } : {}),
      };
    })
    .sort((a, b) => (instantOrder(a.commitId) < instantOrder(b.commitId) ? -1 : 1));
}

/** A rollback target that cannot be reached on EMR, with the reason and what to do. */
export class RollbackTargetError extends Error {
  override readonly name = 'RollbackTargetError';
}

/**
 * Whether a rollback on EMR can return to `commits[i]`: it has a savepoint (restore), or at most
 * one commit follows it (rollback_to_instant of the latest commit, or nothing to do). A commit
 * whose savepoint step failed has none; the ledger knows that from the load's warning.
 */
export function reachableOnEmr(commits: readonly LedgerCommit[], i: number): boolean {
  return !commits[i]?.savepointFailed || commits.length - 1 - i <= 1;
}

/**
 * Refuses a target commit without a savepoint that more than one commit follows, naming the
 * nearest reachable commits before and after it.
 */
function refuseUnsavepointed(dataset: string, commits: readonly LedgerCommit[], instant: string): void {
  const i = commits.findIndex((c) => c.commitId === instant);
  if (i < 0 || reachableOnEmr(commits, i)) return;
  const c = commits[i]!;
  const w = c.savepointFailed!;
  const name = (x: LedgerCommit) => `\`--to ${x.commitId}\` (load ${x.loadId})`;
  const before = commits.slice(0, i).findLastIndex((_, j) => reachableOnEmr(commits, j));
  const afterAt = commits.findIndex((_, j) => j > i && reachableOnEmr(commits, j));
  const options = [
    ...(before >= 0 ? [`${name(commits[before]!)}, before it (its changes undone too)`] : []),
    ...(afterAt >= 0 ? [`${name(commits[afterAt]!)}, after it (its changes kept)`] : []),
  ];
  const why = `${w.error}: ${w.message}`.replace(/\s+/g, ' ');
  throw new RollbackTargetError(
    `commit ${c.commitId} of silver.${dataset} (load ${c.loadId}) cannot be a rollback target: its savepoint step failed (${why.length > 300 ? `${why.slice(0, 299)}…` : why}), so it has no savepoint, and ${commits.length - 1 - i} commits follow it (Hudi rolls back only the latest commit without one); roll back to ${options.join(' or ') || 'another commit'} instead`,
  );
}

/**
 * The Hudi instant a rollback returns to: `toCommit` itself, or for `beforeLoad` the commit
 * before that load's. Hudi keeps no state before a table's first commit, so "start" and the
 * first commit's load are refused with what to do instead; so is a commit whose savepoint step
 * failed once more than one commit follows it, naming a reachable neighbour.
 */
export function rollbackInstant(
  dataset: string,
  commits: readonly LedgerCommit[],
  target: { readonly toCommit: string } | { readonly beforeLoad: string },
  loadStatus?: string,
): string {
  const instant = rollbackTarget(dataset, commits, target, loadStatus);
  refuseUnsavepointed(dataset, commits, instant);
  return instant;
}

function rollbackTarget(
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
