import { parseS3Uri } from '../../../shared/core/run-results.js';
import { type DuckDbStep, required } from './context.js';

/** `bronze_to_silver.py --phase quarantine` (spark-jobs/lakeplane_jobs/quarantine_job.py) on DuckDB. */
export const quarantine: DuckDbStep = async ({ contract, args, loadId, attempt, warehouse, store }) => {
  const q = parseS3Uri(required(args, 'quarantine'));
  const { ndjson, rows } = await warehouse.quarantineStaged({ loadId, attempt });
  // The same layout as the EMR job's: a folder of JSON-lines parts.
  await store.put(q.bucket, `${q.key}staged-batch/part-00000.json`, ndjson);
  return {
    phase: 'quarantine',
    loadId,
    dataset: contract.name,
    rows,
    location: `s3://${q.bucket}/${q.key}staged-batch/`,
  };
};
