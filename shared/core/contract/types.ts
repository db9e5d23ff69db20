import type { ExpectationSpec } from '../quality/expectations.js';

/** Column types a dataset contract may declare; the names Spark, Hive and Glue use. */
export type ColumnType =
  | { kind: 'string' }
  | { kind: 'int' }
  | { kind: 'bigint' }
  | { kind: 'double' }
  | { kind: 'float' }
  | { kind: 'boolean' }
  | { kind: 'date' }
  | { kind: 'timestamp' }
  | { kind: 'decimal'; precision: number; scale: number };

/** One column of a dataset's Bronze record schema. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** The type as written in the contract, e.g. `decimal(12,2)`. */
  readonly typeName: string;
  readonly nullable: boolean;
  readonly pii: boolean;
}

/** A Gold table rebuilt from Silver after every load of its dataset. */
export interface GoldTableSpec {
  readonly name: string;
  readonly description?: string;
  readonly sql: string;
}

export type DriftPolicy = 'evolve' | 'alert' | 'block';

/** A validated dataset contract: the single source of truth for one dataset. */
export interface DatasetContract {
  readonly name: string;
  readonly description: string;
  readonly owner?: string;
  readonly bronze: {
    readonly prefix: string;
    readonly format: 'ndjson';
    readonly maxBadRecordRatio: number;
  };
  readonly key: readonly string[];
  readonly precombine: string;
  readonly partition: string;
  readonly columns: readonly ColumnSpec[];
  readonly silver: { readonly sql: string };
  readonly gold: readonly GoldTableSpec[];
  readonly cdc?: { readonly column: string; readonly deleteValue: string };
  /** Data-quality expectations run on the staged batch before it may reach Silver. */
  readonly expectations: readonly ExpectationSpec[];
  readonly drift: { readonly policy: DriftPolicy };
  readonly alerts: { readonly slackChannel?: string };
  /** EMR step-hours per UTC day (absent: the stage's default applies). */
  readonly budget?: { readonly emrStepHoursPerDay: number };
  readonly paused: boolean;
  /** Where the contract was read from, for error messages. */
  readonly source: string;
}
