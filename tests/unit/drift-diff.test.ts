/**
 * `lakeplane drift diff`: two Glue table files in any of the shapes the Glue API returns,
 * compared and shown as a table; with a contract, which changes are drift and what the policy does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffTableFiles, formatDriftDiff } from '../../cli/commands/drift-diff.js';
import { UsageError } from '../../cli/context.js';
import { parseContract } from '../../shared/core/contract/parse.js';

const ROOT = resolve(import.meta.dirname, '../..');
const F = (name: string) => resolve(ROOT, 'tests/fixtures/glue', name);
const orders = parseContract(
  readFileSync(resolve(ROOT, 'datasets/orders.yaml'), 'utf8'),
  'datasets/orders.yaml',
);
const dir = mkdtempSync(join(tmpdir(), 'lakeplane-drift-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, body: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
  return file;
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no UsageError was thrown');
}

describe('diffTableFiles', () => {
  it('compares a TableVersion file with a GetTable file', () => {
    const r = diffTableFiles(F('orders-table-version-1.json'), F('orders-get-table.json'));
    expect(r.tables).toEqual({
      old: 'lakeplane_bronze.orders (version 1)',
      new: 'lakeplane_bronze.orders (version 3)',
    });
    expect(r.changes.map((c) => c.kind)).toEqual([
      'likely-rename',
      'type-widened',
      'nested-field-added',
      'nested-type-widened',
      'column-added',
      'partition-key-added',
      'partition-key-added',
      'partition-key-added',
    ]);
    expect(r.summary).toMatchObject({
      total: 8,
      breaking: true,
      bySeverity: { additive: 2, widening: 1, breaking: 5 },
    });
    expect(r.decision).toBeUndefined();
  });

  it('picks versions out of a GetTableVersions response with #<VersionId>', () => {
    const r = diffTableFiles(F('orders-table-versions.json#1'), F('orders-table-versions.json#2'));
    expect(r.changes.map((c) => [c.path, c.severity])).toEqual([
      ['shipping.address.state', 'additive'],
      ['items[].quantity', 'widening'],
      ['coupon_code', 'additive'],
    ]);
  });

  it('reads a bare Table and names it by its file when it has no Name', () => {
    const doc = JSON.parse(readFileSync(F('orders-get-table.json'), 'utf8')) as {
      Table: Record<string, unknown>;
    };
    const bare = write('bare.json', { ...doc.Table, Name: undefined, VersionId: undefined });
    const r = diffTableFiles(bare, F('orders-get-table.json'));
    expect(r.tables.old).toBe(bare);
    expect(r.changes).toEqual([]);
  });

  it('with a contract: every change is checked and the policy decides', () => {
    const r = diffTableFiles(F('orders-table-versions.json#1'), F('orders-table-versions.json#2'), orders);
    expect(r.changes.every((c) => 'declared' in c && c.declared === false)).toBe(true);
    expect(r.summary).toMatchObject({ declared: 0, drift: 3, breaking: false });
    expect(r.decision).toMatchObject({
      dataset: 'orders',
      policy: 'alert',
      action: 'alert',
      breaking: false,
    });
    const evolve = { ...orders, drift: { policy: 'evolve' as const } };
    expect(
      diffTableFiles(F('orders-table-versions.json#1'), F('orders-table-versions.json#2'), evolve).decision,
    ).toMatchObject({ action: 'accept' });
    const block = { ...orders, drift: { policy: 'block' as const } };
    expect(
      diffTableFiles(F('orders-table-versions.json#2'), F('orders-table-versions.json#3'), block).decision,
    ).toMatchObject({ action: 'pause', breaking: true });
  });

  it('a table with one version compared with itself has no changes', () => {
    const r = diffTableFiles(F('clickstream-table-versions.json#1'), F('clickstream-table-versions.json#1'));
    expect(r.changes).toEqual([]);
    expect(formatDriftDiff(r)).toBe(
      'lakeplane_bronze.clickstream (version 1) → lakeplane_bronze.clickstream (version 1)\nno schema changes',
    );
  });

  it.each([
    [
      'a GetTableVersions response without #',
      () => [F('orders-table-versions.json'), F('orders-get-table.json')],
      /is a GetTableVersions response: pick a version with .*#<VersionId> \(versions: 1, 2, 3\)/,
    ],
    [
      'an unknown version',
      () => [F('clickstream-table-versions.json#4'), F('orders-get-table.json')],
      /no VersionId 4 \(versions: 1\)/,
    ],
    [
      '# on a single table',
      () => [F('orders-get-table.json#2'), F('orders-get-table.json')],
      /"#2" picks a version, but this is no GetTableVersions response/,
    ],
    [
      'a missing file',
      () => [join(dir, 'missing.json'), F('orders-get-table.json')],
      /missing\.json: cannot read the file \(ENOENT\)/,
    ],
    [
      'a file that is not JSON',
      () => [write('text.json', 'Name: orders'), F('orders-get-table.json')],
      /text\.json: not JSON/,
    ],
    [
      'JSON that is no table',
      () => [write('list.json', [1, 2]), F('orders-get-table.json')],
      /list\.json: expected a JSON object/,
    ],
    [
      'a column without a type',
      () => [
        write('notype.json', { Table: { StorageDescriptor: { Columns: [{ Name: 'a' }] } } }),
        F('orders-get-table.json'),
      ],
      /notype\.json: Table\.StorageDescriptor\.Columns\[0\]\.Type: column "a" has no type/,
    ],
    [
      'a malformed type string',
      () => [
        F('orders-get-table.json'),
        write('badtype.json', {
          Table: { Name: 'orders', StorageDescriptor: { Columns: [{ Name: 'a', Type: 'struct<x int>' }] } },
        }),
      ],
      /badtype\.json: StorageDescriptor\.Columns\[0\]\.Type: column "a": invalid Glue type "struct<x int>" at position 12/,
    ],
  ] as [string, () => [string, string], RegExp][])(
    'refuses %s with a UsageError',
    (_what, files, message) => {
      const [a, b] = files();
      expect(usageError(() => diffTableFiles(a, b))).toMatch(message);
    },
  );
});

describe('formatDriftDiff', () => {
  it('shows a headline, a table of changes and why each breaking change breaks', () => {
    const text = formatDriftDiff(
      diffTableFiles(F('orders-table-versions.json#2'), F('orders-table-versions.json#3')),
    );
    expect(text.split('\n')).toEqual([
      'lakeplane_bronze.orders (version 2) → lakeplane_bronze.orders (version 3)',
      '5 changes: 0 additive, 0 widening, 5 breaking',
      '',
      'path                        change               old → new        severity',
      '--------------------------  -------------------  ---------------  --------',
      'email (was customer_email)  likely-rename        string           breaking',
      'fx_rate                     type-widened         double → string  breaking',
      'partition_0                 partition-key-added  → string         breaking',
      'partition_1                 partition-key-added  → string         breaking',
      'partition_2                 partition-key-added  → string         breaking',
      '',
      'why breaking:',
      '  email: "customer_email" is gone and "email" of the same type (string) took its place (position 3): readers of "customer_email" break',
      '  fx_rate: Hudi promotes double to string, but ordering, comparisons and arithmetic on the column change',
      '  partition_0: partition key added: the table layout in S3 changes',
      '  partition_1: partition key added: the table layout in S3 changes',
      '  partition_2: partition key added: the table layout in S3 changes',
    ]);
  });

  it('with a contract: a contract column and the decision', () => {
    const text = formatDriftDiff(
      diffTableFiles(F('orders-table-versions.json#1'), F('orders-table-versions.json#2'), orders),
    );
    expect(text).toContain('path                    change               old → new     severity  contract');
    expect(text).toContain('items[].quantity        nested-type-widened  int → bigint  widening  drift');
    expect(text).toContain('→ string      additive  drift');
    expect(text.endsWith('contract orders (drift policy alert): 0 declared, 3 drift → alert')).toBe(true);
    expect(text).not.toContain('why breaking');
  });
});
