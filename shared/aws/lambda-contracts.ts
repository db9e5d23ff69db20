import { loadContractsDir } from '../contracts-dir.js';
import type { ContractSet } from '../core/contract/document.js';

/**
 * The dataset contracts of a Lambda function, read once per container: from `datasetsDir`
 * (LAKEPLANE_DATASETS_DIR), else `${LAMBDA_TASK_ROOT}/datasets`.
 *
 * This is the version that runs from source (tests, tsx). A function bundle gets
 * lambda-contracts.compiled.ts in its place (scripts/esbuild-contracts.mjs): the contracts
 * compiled to JSON at build time, so no YAML parser ships in a Lambda.
 * @throws ContractError naming the file and field at fault.
 */
export function lambdaContracts(
  datasetsDir: string | undefined,
  taskRoot: string | undefined = process.env.LAMBDA_TASK_ROOT,
): ContractSet {
  return loadContractsDir(datasetsDir ?? `${taskRoot ?? '.'}/datasets`);
}
