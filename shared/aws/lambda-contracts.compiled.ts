import { ConfigurationError } from '../config.js';
import type { CompiledContract } from '../contracts-dir.js';
import { buildContractSet, contractFromDocument } from '../core/contract/document.js';
import type { lambdaContracts as fromFolder } from './lambda-contracts.js';

/**
 * The JSON of the CompiledContract[] of datasets/*.yaml: defined by the build
 * (scripts/esbuild-contracts.mjs, for scripts/build.mjs and serverless.yml alike).
 */
declare const LAKEPLANE_COMPILED_CONTRACTS: string;

/**
 * lambda-contracts.ts as a function bundle has it: the contracts compiled into the bundle at
 * build time, validated again here at cold start with zod and the contract checks, as a YAML
 * file would be, without a YAML parser in the function (`yaml` was 112 KiB of every bundle, and
 * reading the contracts from YAML at cold start about twice as slow: docs/deploy.md, Function
 * bundles). The bundle carries no contract folder to read.
 * @throws ContractError naming the file and field at fault.
 */
export const lambdaContracts: typeof fromFolder = (datasetsDir) => {
  if (datasetsDir !== undefined)
    throw new ConfigurationError(
      `LAKEPLANE_DATASETS_DIR is set (${datasetsDir}), but this function's contracts are compiled into its bundle: unset it`,
    );
  const compiled = JSON.parse(LAKEPLANE_COMPILED_CONTRACTS) as CompiledContract[];
  return buildContractSet(compiled.map((c) => contractFromDocument(c.document, c.file)));
};
