import type { DuckDbStep } from './context.js';

/** `silver_to_gold.py` (spark-jobs/lakeplane_jobs/gold_job.py) on DuckDB. */
export const gold: DuckDbStep = ({ contract, loadId, warehouse }) => warehouse.buildGold(contract, loadId);
