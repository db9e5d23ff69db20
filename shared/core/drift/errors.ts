/**
 * A Hive/Glue type string that cannot be read. `position` is the 0-based offset into `input`
 * where reading stopped (Hive's own TypeInfoParser counts the same way).
 */
export class GlueTypeError extends Error {
  override readonly name = 'GlueTypeError';
  constructor(
    readonly input: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`invalid Glue type ${JSON.stringify(input)} at position ${position}: ${reason}`);
  }

  /** Two lines for a terminal: the type string and a caret under the position. */
  get pointer(): string {
    const shown = this.input.replace(/[\t\r\n]/g, ' ');
    return `${shown}\n${' '.repeat(Math.min(this.position, shown.length))}^`;
  }
}

/**
 * A table definition (a GetTable or GetTableVersions document) that cannot be compared:
 * `path` names the offending field, e.g. `Table.StorageDescriptor.Columns[3].Type`.
 */
export class GlueTableError extends Error {
  override readonly name = 'GlueTableError';
  constructor(
    readonly source: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${source}: ${path === '' ? '(root)' : path}: ${reason}`);
  }
}
