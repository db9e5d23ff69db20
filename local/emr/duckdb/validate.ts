import type { DuckDbStep } from './context.js';

/** `validate_batch.py` (spark-jobs/lakeplane_jobs/validate_job.py) on DuckDB: a GX 1.x result. */
export const validate: DuckDbStep = ({ contract, loadId, attempt, warehouse, now }) =>
  warehouse.validate(contract, { loadId, attempt }, now);
