/** One problem found in a dataset contract. */
export interface ContractIssue {
  /** Dotted path of the offending field, e.g. `key[0]` or `gold[1].sql`. */
  readonly path: string;
  readonly message: string;
}

/**
 * A dataset contract that cannot be used. The message names the file, every field path
 * and the reason, so it can be shown to the person who wrote the contract as it is.
 */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    readonly file: string,
    readonly issues: readonly ContractIssue[],
  ) {
    super(
      `Invalid dataset contract ${file}:\n` +
        issues.map((i) => `  - ${i.path === '' ? '(root)' : i.path}: ${i.message}`).join('\n'),
    );
  }
}
