import { gzipSync } from 'node:zlib';
import { parseS3Uri } from '../../../shared/core/run-results.js';
import { type DuckDbStep, required } from './context.js';

/**
 * `bronze_to_silver.py --phase quarantine` (spark-jobs/lakeplane_jobs/quarantine_job.py) on DuckDB:
 * the staged batch as gzipped JSON lines under `<quarantine>staged-batch/`, then its manifest
 * `_lakeplane.json`, the layout the EMR job leaves.
 */
export const quarantine: DuckDbStep = async ({ contract, args, loadId, attempt, warehouse, store }) => {
  const q = parseS3Uri(required(args, 'quarantine'));
  const prefix = `${q.key}staged-batch/`;
  const location = `s3://${q.bucket}/${prefix}`;
  const rows = await warehouse.quarantineStaged({ loadId, attempt }, async (ndjson, rows) => {
    await store.put(q.bucket, `${prefix}part-00000.json.gz`, gzipSync(ndjson));
    const manifest = { phase: 'quarantine', loadId, dataset: contract.name, attempt, location, rows };
    await store.put(q.bucket, `${prefix}_lakeplane.json`, `${JSON.stringify(manifest)}\n`);
  });
  return { phase: 'quarantine', loadId, dataset: contract.name, rows, location };
};
