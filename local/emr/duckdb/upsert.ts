import { crashPoint } from '../../crash-point.js';
import type { DuckDbStep } from './context.js';

/** `bronze_to_silver.py --phase upsert` (spark-jobs/lakeplane_jobs/upsert_job.py) on DuckDB. */
export const upsert: DuckDbStep = async ({ contract, loadId, attempt, warehouse }) => {
  const result = await warehouse.upsert(contract, { loadId, attempt });
  crashPoint('upsert-committed');
  return result;
};
