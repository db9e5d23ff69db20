import type { DatasetContract } from '../../../shared/core/contract/types.js';
import type { Warehouse } from '../../engine/warehouse.js';
import type { DirObjectStore } from '../../object-store/dir-object-store.js';

/** What one DuckDB step gets: the contract, the job's arguments, the warehouse and the store. */
export interface DuckDbStepContext {
  readonly contract: DatasetContract;
  readonly args: Readonly<Record<string, string>>;
  readonly loadId: string;
  readonly attempt: number;
  readonly warehouse: Warehouse;
  readonly store: DirObjectStore;
  /** The validation time (freshness expectations are relative to it). */
  readonly now: Date;
}

/** One step of the DuckDB engine: returns the result document the EMR job would write. */
export type DuckDbStep = (ctx: DuckDbStepContext) => Promise<unknown>;

export function required(args: Readonly<Record<string, string>>, name: string): string {
  const v = args[name];
  if (v === undefined) throw new Error(`job argument --${name} is missing`);
  return v;
}
