import type { ContractSet } from '../core/contract/parse.js';
import { type ColumnLineageMap, columnLineageMap } from '../core/lineage/contract-lineage.js';

/**
 * The contracts' column lineage for a function, once per container. From source (tests, tsx)
 * DuckDB's parser computes it; a function bundle gets lambda-lineage.compiled.ts in its place
 * (scripts/esbuild-contracts.mjs), which carries the result computed at build time: no DuckDB in
 * a Lambda.
 */
export function lambdaColumnLineage(contracts: ContractSet): () => Promise<ColumnLineageMap> {
  let computed: Promise<ColumnLineageMap> | undefined;
  return () => {
    computed ??= import('../contract-lineage.js').then(async ({ columnLineageWithDuckDb }) =>
      columnLineageMap(await columnLineageWithDuckDb(contracts)),
    );
    return computed;
  };
}
