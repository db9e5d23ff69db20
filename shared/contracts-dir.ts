import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ContractError } from './core/contract/errors.js';
import {
  buildContractSet,
  type ContractSet,
  contractFromDocument,
  parseContract,
  readContractYaml,
} from './core/contract/parse.js';

/** One dataset contract as a Lambda bundle carries it: its file and its document as JSON data. */
export interface CompiledContract {
  readonly file: string;
  readonly document: unknown;
}

const contractFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();

/**
 * Reads and validates every dataset contract (`*.yaml`, `*.yml`) of a folder.
 * @throws ContractError naming the file and field at fault.
 */
export function loadContractsDir(dir: string): ContractSet {
  return buildContractSet(
    contractFiles(dir).map((f) => parseContract(readFileSync(join(dir, f), 'utf8'), join(dir, f))),
  );
}

/**
 * The contracts of a folder compiled to JSON data, for a function bundle that has no YAML parser
 * (scripts/esbuild-contracts.mjs). Validated as loadContractsDir validates them, and each one
 * checked to give, read back from its JSON, exactly the contract its YAML gives.
 * @param as the folder the files are named under in the contracts (their `source`) and errors.
 * @throws ContractError naming the file and field at fault.
 */
export function compileContractsDir(dir: string, as: string = dir): CompiledContract[] {
  const compiled = contractFiles(dir).map((f) => {
    const file = join(as, f);
    const text = readFileSync(join(dir, f), 'utf8');
    const contract = parseContract(text, file);
    const document: unknown = JSON.parse(JSON.stringify(readContractYaml(text, file)));
    if (!isDeepStrictEqual(contractFromDocument(document, file), contract))
      throw new ContractError(file, [
        { path: '', message: 'holds a value JSON cannot carry (e.g. .inf or .nan): write it another way' },
      ]);
    return { file, document };
  });
  buildContractSet(compiled.map((c) => contractFromDocument(c.document, c.file)));
  return compiled;
}
