/**
 * Schema drift between two definitions of a Glue table: every added, removed, renamed or
 * retyped column, nested field and partition key, with its path and severity; and which of
 * those changes a dataset contract already declares.
 */
import type { ColumnType, DatasetContract } from '../contract/types.js';
import { GlueTableError, GlueTypeError } from './errors.js';
import { type GlueType, isPrimitive, parseGlueType, printGlueType, sameGlueType } from './glue-type.js';
import { type GlueColumn, type GlueTable, type GlueTableVersion, tableLabel } from './table.js';
import { comparePrimitive, fitsInto } from './widening.js';

/** What changed. `nested-*` kinds are inside a column (struct field, array element, map key/value). */
export type ChangeKind =
  | 'column-added'
  | 'column-removed'
  | 'type-widened'
  | 'type-narrowed'
  | 'type-incompatible'
  | 'likely-rename'
  | 'partition-key-added'
  | 'partition-key-removed'
  | 'partition-key-changed'
  | 'nested-field-added'
  | 'nested-field-removed'
  | 'nested-type-widened'
  | 'nested-type-narrowed'
  | 'nested-type-incompatible';

/**
 * How a change affects readers and writers: `additive` (a new nullable column or field),
 * `widening` (a type every old value fits, see widening.ts), `breaking` (anything else).
 */
export type ChangeSeverity = 'additive' | 'widening' | 'breaking';

/** One schema change. */
export interface DriftChange {
  readonly kind: ChangeKind;
  /**
   * Where: `customer.address.zip`, `items[].sku` (array element), `attrs{}.value` (map value;
   * `{}.key` for the key), `u<1>` (union member). Names with `.[]{}<>`, spaces or other
   * delimiters are backquoted.
   */
  readonly path: string;
  /** The top-level column (or partition key) the change is in, as named in the new table. */
  readonly column: string;
  /** likely-rename: the path before the change. */
  readonly previousPath?: string;
  /** Canonical type text before the change (absent for additions). */
  readonly oldType?: string;
  /** Canonical type text after the change (absent for removals). */
  readonly newType?: string;
  readonly severity: ChangeSeverity;
  /** Why it has this kind and severity, in a sentence. */
  readonly reason: string;
}

/** A change checked against a dataset contract. */
export interface ContractCheckedChange extends DriftChange {
  /** The contract already describes the new state: not drift. */
  readonly declared: boolean;
  /** The contract column's type (as a Glue type), when the contract has the column. */
  readonly contractType?: string;
  /** Why it is (not) declared. */
  readonly contractReason: string;
}

interface Named {
  readonly name: string;
  readonly type: GlueType;
}

const PATH_QUOTE = /[.[\]{}<>,:`\s]/;

/** A path segment: the name, backquoted when it holds a path delimiter. */
function segment(name: string): string {
  return name !== '' && !PATH_QUOTE.test(name) ? name : `\`${name.replaceAll('`', '``')}\``;
}

function unsegment(path: string): string {
  return path.startsWith('`') ? path.slice(1, -1).replaceAll('``', '`') : path;
}

function typeError(label: string, at: string, column: GlueColumn, err: unknown): never {
  if (err instanceof GlueTypeError) {
    throw new GlueTableError(label, at, `column "${column.Name}": ${err.message}`);
  }
  throw err;
}

function parseColumns(table: GlueTable, label: string, list: 'columns' | 'partitions'): Named[] {
  const cols = list === 'columns' ? (table.StorageDescriptor?.Columns ?? []) : (table.PartitionKeys ?? []);
  const base = list === 'columns' ? 'StorageDescriptor.Columns' : 'PartitionKeys';
  return cols.map((c, i) => {
    try {
      return { name: c.Name, type: parseGlueType(c.Type) };
    } catch (err) {
      return typeError(label, `${base}[${i}].Type`, c, err);
    }
  });
}

class Walker {
  readonly out: DriftChange[] = [];

  /** Compares two lists of named members (a table's columns, or a struct's fields). */
  members(
    before: readonly Named[],
    after: readonly Named[],
    prefix: string,
    column: string | undefined,
  ): void {
    const nested = column !== undefined;
    const afterIndex = new Map<string, number>();
    after.forEach((m, i) => {
      afterIndex.set(m.name.toLowerCase(), i);
    });
    const beforeNames = new Set(before.map((m) => m.name.toLowerCase()));
    const path = (name: string) => (prefix === '' ? segment(name) : `${prefix}.${segment(name)}`);

    // Renames: a removed member and an added one of the same type at the same position, where
    // the position is the slot after the nearest member both lists keep (so a removal earlier
    // in the list does not hide a rename); the k-th removed and k-th added of a slot pair up.
    const renamed = new Map<number, number>();
    const renamedTo = new Set<number>();
    const slots = (list: readonly Named[], gone: (name: string) => boolean) => {
      const bySlot = new Map<string, number[]>();
      let anchor = '';
      list.forEach((m, i) => {
        const lower = m.name.toLowerCase();
        if (!gone(lower)) {
          anchor = lower;
          return;
        }
        const slot = bySlot.get(anchor);
        if (slot) slot.push(i);
        else bySlot.set(anchor, [i]);
      });
      return bySlot;
    };
    const removedSlots = slots(before, (n) => !afterIndex.has(n));
    const addedSlots = slots(after, (n) => !beforeNames.has(n));
    for (const [anchor, removed] of removedSlots) {
      const added = addedSlots.get(anchor) ?? [];
      for (let k = 0; k < Math.min(removed.length, added.length); k++) {
        const i = removed[k]!;
        const j = added[k]!;
        if (sameGlueType(before[i]!.type, after[j]!.type)) {
          renamed.set(i, j);
          renamedTo.add(j);
        }
      }
    }

    before.forEach((m, i) => {
      const j = afterIndex.get(m.name.toLowerCase());
      if (j !== undefined) {
        const now = after[j]!;
        this.compare(path(now.name), m.type, now.type, column ?? now.name, nested);
        return;
      }
      const r = renamed.get(i);
      if (r !== undefined) {
        const now = after[r]!;
        const type = printGlueType(now.type);
        this.out.push({
          kind: 'likely-rename',
          path: path(now.name),
          column: column ?? now.name,
          previousPath: path(m.name),
          oldType: type,
          newType: type,
          severity: 'breaking',
          reason: `"${m.name}" is gone and "${now.name}" of the same type (${type}) took its place (position ${r + 1}): readers of "${m.name}" break`,
        });
        return;
      }
      this.out.push({
        kind: nested ? 'nested-field-removed' : 'column-removed',
        path: path(m.name),
        column: column ?? m.name,
        oldType: printGlueType(m.type),
        severity: 'breaking',
        reason: nested ? 'the field is gone: readers of it break' : 'the column is gone: readers of it break',
      });
    });

    let lastKept = -1;
    after.forEach((m, j) => {
      if (beforeNames.has(m.name.toLowerCase()) || renamedTo.has(j)) lastKept = j;
    });
    after.forEach((m, j) => {
      if (beforeNames.has(m.name.toLowerCase()) || renamedTo.has(j)) return;
      const atEnd = j > lastKept;
      const what = nested ? 'new field' : 'new column';
      this.out.push({
        kind: nested ? 'nested-field-added' : 'column-added',
        path: path(m.name),
        column: column ?? m.name,
        newType: printGlueType(m.type),
        severity: 'additive',
        reason: atEnd
          ? `${what}, nullable as every Glue column is; old rows read it as null`
          : `${what} at position ${j + 1} of ${after.length} (before existing ones); old rows read it as null`,
      });
    });
  }

  /** Compares the type of one column, field, element or value. */
  compare(path: string, before: GlueType, after: GlueType, column: string, nested: boolean): void {
    if (sameGlueType(before, after)) return;
    if (before.kind === 'struct' && after.kind === 'struct') {
      this.members(
        before.fields.map((f) => ({ name: f.name, type: f.type })),
        after.fields.map((f) => ({ name: f.name, type: f.type })),
        path,
        column,
      );
      return;
    }
    if (before.kind === 'array' && after.kind === 'array') {
      this.compare(`${path}[]`, before.element, after.element, column, true);
      return;
    }
    if (before.kind === 'map' && after.kind === 'map') {
      this.compare(`${path}{}.key`, before.key, after.key, column, true);
      this.compare(`${path}{}.value`, before.value, after.value, column, true);
      return;
    }
    if (
      before.kind === 'uniontype' &&
      after.kind === 'uniontype' &&
      before.members.length === after.members.length
    ) {
      before.members.forEach((m, i) => {
        this.compare(`${path}<${i}>`, m, after.members[i]!, column, true);
      });
      return;
    }
    const oldType = printGlueType(before);
    const newType = printGlueType(after);
    const prefix = nested ? 'nested-type-' : 'type-';
    if (!isPrimitive(before) || !isPrimitive(after)) {
      this.out.push({
        kind: `${prefix}incompatible` as ChangeKind,
        path,
        column,
        oldType,
        newType,
        severity: 'breaking',
        reason: `${kindWord(before)} became ${kindWord(after)}`,
      });
      return;
    }
    const cmp = comparePrimitive(before, after);
    const kind =
      cmp.relation === 'widening' || cmp.relation === 'unsafe-widening'
        ? 'widened'
        : cmp.relation === 'narrowing'
          ? 'narrowed'
          : 'incompatible';
    this.out.push({
      kind: `${prefix}${kind}` as ChangeKind,
      path,
      column,
      oldType,
      newType,
      severity: cmp.relation === 'widening' ? 'widening' : 'breaking',
      reason: cmp.note,
    });
  }

  partitionKeys(before: readonly Named[], after: readonly Named[]): void {
    const afterIndex = new Map(after.map((k, i) => [k.name.toLowerCase(), i]));
    const beforeNames = new Set(before.map((k) => k.name.toLowerCase()));
    before.forEach((k, i) => {
      const j = afterIndex.get(k.name.toLowerCase());
      if (j === undefined) {
        this.out.push({
          kind: 'partition-key-removed',
          path: segment(k.name),
          column: k.name,
          oldType: printGlueType(k.type),
          severity: 'breaking',
          reason: 'partition key removed: the table layout in S3 changes',
        });
        return;
      }
      const now = after[j]!;
      const typeChanged = !sameGlueType(k.type, now.type);
      if (!typeChanged && i === j) return;
      const why = [
        ...(typeChanged ? [`type ${printGlueType(k.type)} → ${printGlueType(now.type)}`] : []),
        ...(i !== j ? [`moved from position ${i + 1} to ${j + 1}`] : []),
      ];
      this.out.push({
        kind: 'partition-key-changed',
        path: segment(now.name),
        column: now.name,
        oldType: printGlueType(k.type),
        newType: printGlueType(now.type),
        severity: 'breaking',
        reason: `partition key ${why.join(', ')}: the table layout in S3 changes`,
      });
    });
    after.forEach((k) => {
      if (beforeNames.has(k.name.toLowerCase())) return;
      this.out.push({
        kind: 'partition-key-added',
        path: segment(k.name),
        column: k.name,
        newType: printGlueType(k.type),
        severity: 'breaking',
        reason: 'partition key added: the table layout in S3 changes',
      });
    });
  }
}

function kindWord(t: GlueType): string {
  switch (t.kind) {
    case 'struct':
    case 'map':
      return `a ${t.kind}`;
    case 'array':
      return 'an array';
    case 'uniontype':
      return `a uniontype of ${t.members.length}`;
    default:
      return printGlueType(t);
  }
}

/**
 * Every schema change from one definition of a table to the next: columns (and fields nested in
 * them, to any depth) first, in the order of the old table, then added ones in the order of the
 * new table; then partition keys. Names are compared case-insensitively, as Glue does.
 * @throws GlueTableError when a column's type string cannot be read (naming table, column and position).
 */
export function classifyTableChange(before: GlueTable, after: GlueTable): DriftChange[] {
  const beforeLabel = tableLabel(before, 'old table');
  const afterLabel = tableLabel(after, 'new table');
  const walker = new Walker();
  walker.members(
    parseColumns(before, beforeLabel, 'columns'),
    parseColumns(after, afterLabel, 'columns'),
    '',
    undefined,
  );
  walker.partitionKeys(
    parseColumns(before, beforeLabel, 'partitions'),
    parseColumns(after, afterLabel, 'partitions'),
  );
  return walker.out;
}

/** The changes from one table version to the next. */
export interface VersionChanges {
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly changes: readonly DriftChange[];
}

/**
 * The changes between each pair of consecutive versions (as readTableVersions returns them,
 * oldest first). A table with one version has no pairs: an empty list.
 */
export function classifyVersions(versions: readonly GlueTableVersion[]): VersionChanges[] {
  const out: VersionChanges[] = [];
  for (let i = 1; i < versions.length; i++) {
    const from = versions[i - 1]!;
    const to = versions[i]!;
    out.push({
      fromVersion: from.VersionId,
      toVersion: to.VersionId,
      changes: classifyTableChange(from.Table, to.Table),
    });
  }
  return out;
}

/** The Glue type of a contract column type (they share Hive's names). */
export function glueTypeOfContract(type: ColumnType): GlueType {
  return type.kind === 'decimal'
    ? { kind: 'decimal', precision: type.precision, scale: type.scale }
    : { kind: type.kind };
}

/**
 * Marks each change as declared when the contract already describes its new state, so that only
 * the undeclared ones are drift:
 * - an added or retyped column is declared when the contract has the column and every value of
 *   the new type fits the contract's type (e.g. the contract added the column first);
 * - a removed column is declared when the contract does not use it;
 * - a likely rename is declared when the contract has the new name (with a fitting type) and not
 *   the old one;
 * - changes inside a column (contract columns have no nested types) and partition key changes
 *   are never declared.
 */
export function classifyAgainstContract(
  changes: readonly DriftChange[],
  contract: Pick<DatasetContract, 'columns'>,
): ContractCheckedChange[] {
  const byName = new Map(contract.columns.map((c) => [c.name.toLowerCase(), c]));
  return changes.map((change): ContractCheckedChange => {
    const col = byName.get(change.column.toLowerCase());
    const contractType = col ? printGlueType(glueTypeOfContract(col.type)) : undefined;
    const withType = contractType !== undefined ? { contractType } : {};
    const result = (declared: boolean, contractReason: string): ContractCheckedChange => ({
      ...change,
      declared,
      ...withType,
      contractReason,
    });
    const topLevel = change.path === segment(change.column);
    const nestedResult = () =>
      result(
        false,
        col
          ? `the contract declares "${col.name}" as ${contractType}, without nested fields`
          : `the contract does not declare "${change.column}"`,
      );
    const covers = (): boolean => {
      if (!col || change.newType === undefined) return false;
      return fitsInto(parseGlueType(change.newType), glueTypeOfContract(col.type));
    };
    switch (change.kind) {
      case 'partition-key-added':
      case 'partition-key-removed':
      case 'partition-key-changed':
        return result(false, 'partition keys are not declared in the contract');
      case 'column-removed':
        return col
          ? result(false, `the contract still declares "${col.name}" (${contractType})`)
          : result(true, 'the contract does not use this column');
      case 'likely-rename': {
        if (!topLevel || change.previousPath === undefined) return nestedResult();
        const old = byName.get(unsegment(change.previousPath).toLowerCase());
        if (old) return result(false, `the contract still declares "${old.name}"`);
        if (!col) return result(false, `the contract does not declare "${change.column}"`);
        return covers()
          ? result(true, `the contract already declares "${col.name}" as ${contractType}`)
          : result(
              false,
              `the contract declares "${col.name}" as ${contractType}, which does not hold ${change.newType}`,
            );
      }
      case 'column-added':
      case 'type-widened':
      case 'type-narrowed':
      case 'type-incompatible':
        if (!topLevel) return nestedResult();
        if (!col) return result(false, `the contract does not declare "${change.column}"`);
        return covers()
          ? result(true, `the contract already declares "${col.name}" as ${contractType}`)
          : result(
              false,
              `the contract declares "${col.name}" as ${contractType}, which does not hold ${change.newType}`,
            );
      default:
        return nestedResult();
    }
  });
}
