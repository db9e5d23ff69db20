import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildContractSet, type ContractSet, parseContract } from './core/contract/parse.js';

/**
 * Reads and validates every dataset contract (`*.yaml`, `*.yml`) of a folder.
 * @throws ContractError naming the file and field at fault.
 */
export function loadContractsDir(dir: string): ContractSet {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return buildContractSet(files.map((f) => parseContract(readFileSync(join(dir, f), 'utf8'), join(dir, f))));
}
