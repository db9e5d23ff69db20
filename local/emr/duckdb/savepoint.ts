import { upsertResult } from '../../../shared/core/run-results.js';
import { readJsonArtifact } from '../../../shared/usecases/run-artifacts.js';
import { type DuckDbStep, required } from './context.js';

/**
 * `savepoint_table.py` (spark-jobs/lakeplane_jobs/savepoint_job.py) on DuckDB. The warehouse
 * keeps the snapshots of its last commits itself (retainCommits); the step only checks that the
 * upsert it follows left a commit, as the EMR job does.
 */
export const savepoint: DuckDbStep = async ({ contract, args, loadId, store }) => {
  const uri = required(args, 'upsert-result');
  const upsert = upsertResult.safeParse(await readJsonArtifact(store, uri));
  if (!upsert.success) throw new Error(`${uri} names no commitId: the upsert left no commit to savepoint`);
  return {
    phase: 'savepoint',
    loadId,
    dataset: contract.name,
    commitId: upsert.data.commitId,
    created: true,
    deleted: [],
    keep: Number(required(args, 'keep')),
  };
};
