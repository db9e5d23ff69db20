import { parseDocument } from 'yaml';
import { contractArtifactFromDocument, contractFromDocument } from './document.js';
import { ContractError } from './errors.js';
import type { ContractDocument } from './schema.js';
import type { DatasetContract } from './types.js';

export { buildContractSet, type ContractSet, contractFromDocument } from './document.js';

/**
 * Parses and validates one dataset contract (YAML text).
 * @param file where the text came from; named in every error.
 * @throws ContractError naming the file, each field path and the reason.
 */
export function parseContract(text: string, file: string): DatasetContract {
  return contractFromDocument(readContractYaml(text, file), file);
}

/**
 * The contract document as validated, with its defaults applied, in the YAML's own field
 * names: what is uploaded as `contracts/<name>.json` for the Spark jobs.
 * @throws ContractError as parseContract does.
 */
export function contractArtifact(text: string, file: string): ContractDocument {
  return contractArtifactFromDocument(readContractYaml(text, file), file);
}

/**
 * The YAML text of a contract as plain data, not yet validated (contractFromDocument does).
 * @throws ContractError on a YAML syntax error.
 */
export function readContractYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ContractError(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` })),
    );
  }
  return doc.toJS();
}
