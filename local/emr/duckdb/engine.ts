import { parseS3Uri } from '../../../shared/core/run-results.js';
import type { Warehouse } from '../../engine/warehouse.js';
import type { DirObjectStore } from '../../object-store/dir-object-store.js';
import type { JobStep, LocalStepEngine, StepName } from '../step-engine.js';
import { type DuckDbStep, required } from './context.js';
import { gold } from './gold.js';
import { quarantine } from './quarantine.js';
import { savepoint } from './savepoint.js';
import { stage } from './stage.js';
import { upsert } from './upsert.js';
import { validate } from './validate.js';

/** The DuckDB side of each step; rollback and time travel run on the warehouse itself (no step). */
const STEPS: Partial<Record<StepName, DuckDbStep>> = { stage, validate, quarantine, upsert, savepoint, gold };

/** The default local engine: each step on the local DuckDB warehouse. */
export class DuckDbStepEngine implements LocalStepEngine {
  readonly name = 'duckdb';

  constructor(
    private readonly store: DirObjectStore,
    private readonly warehouse: () => Warehouse,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async run(step: JobStep): Promise<void> {
    const run = STEPS[step.step];
    if (!run)
      throw new Error(`the duckdb engine runs no ${step.script} step (it rolls back and queries itself)`);
    const result = await run({
      contract: step.contract,
      args: step.args,
      loadId: required(step.args, 'load-id'),
      attempt: Number(required(step.args, 'attempt')),
      warehouse: this.warehouse(),
      store: this.store,
      now: this.now(),
    });
    const { bucket, key } = parseS3Uri(required(step.args, 'result'));
    await this.store.put(bucket, key, JSON.stringify(result));
  }

  async close(): Promise<void> {}
}
