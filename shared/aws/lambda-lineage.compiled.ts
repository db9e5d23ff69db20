import type { ContractSet } from '../core/contract/parse.js';
import {
  type ColumnLineageMap,
  columnLineageMap,
  type DatasetColumnLineage,
} from '../core/lineage/contract-lineage.js';
import type { lambdaColumnLineage as fromSource } from './lambda-lineage.js';

/** The JSON of the DatasetColumnLineage[] of datasets/*.yaml, defined by the build (scripts/esbuild-contracts.mjs). */
declare const LAKEPLANE_COMPILED_LINEAGE: string;

/** lambda-lineage.ts as a function bundle has it: the column lineage computed at build time. */
export const lambdaColumnLineage: typeof fromSource = (_contracts: ContractSet) => {
  const map: ColumnLineageMap = columnLineageMap(
    JSON.parse(LAKEPLANE_COMPILED_LINEAGE) as DatasetColumnLineage[],
  );
  return () => Promise.resolve(map);
};
