import type { DuckDbStep } from './context.js';

/** `bronze_to_silver.py --phase upsert` (spark-jobs/lakeplane_jobs/upsert_job.py) on DuckDB. */
export const upsert: DuckDbStep = ({ contract, loadId, attempt, warehouse }) =>
  warehouse.upsert(contract, { loadId, attempt });
