/**
 * Drift classification: type pairs, nested paths, renames, partition keys, real
 * GetTableVersions documents, comparison with dataset contracts and the drift policies.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../shared/core/contract/parse.js';
import type { DatasetContract, DriftPolicy } from '../../shared/core/contract/types.js';
import {
  type ChangeKind,
  type ChangeSeverity,
  classifyAgainstContract,
  classifyTableChange,
  classifyVersions,
  comparePrimitive,
  type DriftChange,
  decideDriftAction,
  fitsInto,
  type GlueTable,
  GlueTableError,
  glueTypeOfContract,
  type PrimitiveGlueType,
  parseGlueType,
  readGlueTable,
  readTableVersions,
  summarizeChanges,
  type TypeRelation,
} from '../../shared/core/drift/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(resolve(ROOT, 'tests/fixtures/glue', name), 'utf8')) as unknown;
const contractFile = (name: string): DatasetContract =>
  parseContract(readFileSync(resolve(ROOT, 'datasets', name), 'utf8'), `datasets/${name}`);

type Cols = readonly (readonly [string, string])[];
/** A bare Glue Table with these columns and partition keys. */
function table(columns: Cols, partitionKeys: Cols = []): GlueTable {
  return {
    StorageDescriptor: { Columns: columns.map(([Name, Type]) => ({ Name, Type })) },
    PartitionKeys: partitionKeys.map(([Name, Type]) => ({ Name, Type })),
  };
}

/** The changes when column `c` changes from type `a` to type `b`. */
function retype(a: string, b: string): DriftChange[] {
  return classifyTableChange(table([['c', a]]), table([['c', b]]));
}

/** [old type, new type, kind, severity] for one top-level column. */
const TYPE_PAIRS: readonly (readonly [string, string, ChangeKind, ChangeSeverity])[] = [
  // integers grow: Hudi int→long, Athena TINYINT→SMALLINT→INT→BIGINT
  ['tinyint', 'smallint', 'type-widened', 'widening'],
  ['tinyint', 'bigint', 'type-widened', 'widening'],
  ['smallint', 'int', 'type-widened', 'widening'],
  ['int', 'bigint', 'type-widened', 'widening'],
  ['integer', 'BIGINT', 'type-widened', 'widening'],
  ['bigint', 'int', 'type-narrowed', 'breaking'],
  ['int', 'smallint', 'type-narrowed', 'breaking'],
  // floating point: exact only within the mantissa
  ['float', 'double', 'type-widened', 'widening'],
  ['smallint', 'float', 'type-widened', 'widening'],
  ['int', 'double', 'type-widened', 'widening'],
  ['int', 'float', 'type-widened', 'breaking'],
  ['bigint', 'double', 'type-widened', 'breaking'],
  ['bigint', 'float', 'type-widened', 'breaking'],
  ['double', 'float', 'type-narrowed', 'breaking'],
  ['double', 'bigint', 'type-narrowed', 'breaking'],
  ['double', 'int', 'type-narrowed', 'breaking'],
  // decimals: precision up with the scale kept is safe
  ['decimal(10,2)', 'decimal(12,2)', 'type-widened', 'widening'],
  ['decimal', 'decimal(18)', 'type-widened', 'widening'],
  ['decimal(10,2)', 'decimal(12,4)', 'type-widened', 'breaking'],
  ['decimal(12,2)', 'decimal(10,2)', 'type-narrowed', 'breaking'],
  ['decimal(10,2)', 'decimal(10,4)', 'type-narrowed', 'breaking'],
  ['decimal(10,4)', 'decimal(12,2)', 'type-narrowed', 'breaking'],
  ['int', 'decimal(12,0)', 'type-widened', 'breaking'],
  ['int', 'decimal(9,0)', 'type-incompatible', 'breaking'],
  ['decimal(10,2)', 'double', 'type-incompatible', 'breaking'],
  ['double', 'decimal(38,10)', 'type-incompatible', 'breaking'],
  // text
  ['varchar(100)', 'varchar(255)', 'type-widened', 'widening'],
  ['varchar(255)', 'string', 'type-widened', 'widening'],
  ['char(2)', 'varchar(2)', 'type-widened', 'widening'],
  ['char(2)', 'string', 'type-widened', 'widening'],
  ['varchar(255)', 'varchar(100)', 'type-narrowed', 'breaking'],
  ['string', 'varchar(64)', 'type-narrowed', 'breaking'],
  ['string', 'char(3)', 'type-narrowed', 'breaking'],
  // numbers to string: Hudi promotes, but SQL semantics change
  ['int', 'string', 'type-widened', 'breaking'],
  ['double', 'string', 'type-widened', 'breaking'],
  ['decimal(12,2)', 'string', 'type-widened', 'breaking'],
  ['string', 'int', 'type-narrowed', 'breaking'],
  ['string', 'double', 'type-narrowed', 'breaking'],
  // dates and times
  ['date', 'timestamp', 'type-widened', 'breaking'],
  ['timestamp', 'date', 'type-narrowed', 'breaking'],
  ['date', 'string', 'type-incompatible', 'breaking'],
  ['string', 'timestamp', 'type-incompatible', 'breaking'],
  ['timestamp', 'timestamp with local time zone', 'type-incompatible', 'breaking'],
  // everything else
  ['boolean', 'int', 'type-incompatible', 'breaking'],
  ['string', 'boolean', 'type-incompatible', 'breaking'],
  ['binary', 'string', 'type-incompatible', 'breaking'],
  ['void', 'string', 'type-widened', 'widening'],
  ['string', 'void', 'type-incompatible', 'breaking'],
  // complex types change shape
  ['string', 'struct<a:string>', 'type-incompatible', 'breaking'],
  ['array<string>', 'string', 'type-incompatible', 'breaking'],
  ['array<string>', 'map<string,string>', 'type-incompatible', 'breaking'],
  ['struct<a:int>', 'array<struct<a:int>>', 'type-incompatible', 'breaking'],
];

describe('type changes of a column', () => {
  it.each(TYPE_PAIRS)('%s → %s: %s, %s', (a, b, kind, severity) => {
    const changes = retype(a, b);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind,
      severity,
      path: 'c',
      column: 'c',
      oldType: parseAndPrint(a),
      newType: parseAndPrint(b),
    });
    expect(changes[0]!.reason).not.toBe('');
  });

  it.each([
    ['int', 'INT'],
    ['decimal', 'decimal(10,0)'],
    ['struct<Id:bigint>', 'struct<id:BIGINT>'],
    ['map<string, int>', 'map<string,int>'],
  ])('%s → %s is no change', (a, b) => {
    expect(retype(a, b)).toEqual([]);
  });
});

function parseAndPrint(t: string): string {
  return classifyTableChange(table([]), table([['x', t]]))[0]!.newType!;
}

describe('comparePrimitive and fitsInto', () => {
  const prim = (t: string) => parseGlueType(t) as PrimitiveGlueType;
  it.each([
    ['int', 'int', 'same', true],
    ['int', 'bigint', 'widening', true],
    ['int', 'float', 'unsafe-widening', false],
    ['int', 'decimal(10,0)', 'unsafe-widening', true],
    ['date', 'timestamp', 'unsafe-widening', true],
    ['decimal(10,2)', 'decimal(11,3)', 'unsafe-widening', true],
    ['bigint', 'smallint', 'narrowing', false],
    ['date', 'boolean', 'incompatible', false],
  ] as const)('%s → %s: %s (fits: %s)', (a, b, relation: TypeRelation, fits) => {
    const cmp = comparePrimitive(prim(a), prim(b));
    expect(cmp.relation).toBe(relation);
    expect(cmp.fits).toBe(fits);
    expect(fitsInto(prim(a), prim(b))).toBe(fits);
  });

  it('fits complex types only into the same type', () => {
    expect(fitsInto(parseGlueType('array<int>'), parseGlueType('ARRAY<int>'))).toBe(true);
    expect(fitsInto(parseGlueType('array<int>'), parseGlueType('array<bigint>'))).toBe(false);
    expect(fitsInto(parseGlueType('struct<a:int>'), parseGlueType('string'))).toBe(false);
  });
});

describe('columns added and removed', () => {
  it('an added column is additive; a removed one is breaking', () => {
    const changes = classifyTableChange(
      table([
        ['id', 'bigint'],
        ['legacy_flag', 'boolean'],
      ]),
      table([
        ['id', 'bigint'],
        ['coupon_code', 'string'],
        ['created', 'timestamp'],
      ]),
    );
    expect(changes.map((c) => [c.kind, c.path, c.oldType ?? c.newType, c.severity])).toEqual([
      ['column-removed', 'legacy_flag', 'boolean', 'breaking'],
      ['column-added', 'coupon_code', 'string', 'additive'],
      ['column-added', 'created', 'timestamp', 'additive'],
    ]);
  });

  it('says when a column is added before existing ones', () => {
    const [added] = classifyTableChange(
      table([
        ['id', 'bigint'],
        ['name', 'string'],
      ]),
      table([
        ['id', 'bigint'],
        ['tenant', 'string'],
        ['name', 'string'],
      ]),
    );
    expect(added).toMatchObject({ kind: 'column-added', path: 'tenant', severity: 'additive' });
    expect(added!.reason).toMatch(/position 2 of 3 \(before existing ones\)/);
  });

  it('compares names case-insensitively, as Glue does', () => {
    expect(classifyTableChange(table([['OrderId', 'int']]), table([['orderid', 'int']]))).toEqual([]);
  });

  it('from or to an empty table', () => {
    expect(classifyTableChange(table([]), table([['a', 'int']]))).toMatchObject([{ kind: 'column-added' }]);
    expect(classifyTableChange(table([['a', 'int']]), table([]))).toMatchObject([{ kind: 'column-removed' }]);
    expect(classifyTableChange({}, {})).toEqual([]);
  });
});

describe('likely renames', () => {
  it('a removed and an added column of the same type at the same position are one rename', () => {
    const changes = classifyTableChange(
      table([
        ['order_id', 'string'],
        ['customer_email', 'string'],
        ['total', 'double'],
      ]),
      table([
        ['order_id', 'string'],
        ['email', 'string'],
        ['total', 'double'],
      ]),
    );
    expect(changes).toEqual([
      {
        kind: 'likely-rename',
        path: 'email',
        column: 'email',
        previousPath: 'customer_email',
        oldType: 'string',
        newType: 'string',
        severity: 'breaking',
        reason: expect.stringMatching(/"customer_email" is gone and "email" of the same type \(string\)/),
      },
    ]);
  });

  it('is no rename when the type differs or the position does', () => {
    const differentType = classifyTableChange(
      table([
        ['id', 'string'],
        ['amount', 'double'],
      ]),
      table([
        ['id', 'string'],
        ['amount_cents', 'bigint'],
      ]),
    );
    expect(differentType.map((c) => c.kind)).toEqual(['column-removed', 'column-added']);
    const differentPosition = classifyTableChange(
      table([
        ['a', 'string'],
        ['b', 'string'],
      ]),
      table([
        ['b', 'string'],
        ['c', 'string'],
        ['d', 'string'],
      ]),
    );
    // a (position 1) is gone; b moved (no change); c took position 2, d position 3
    expect(differentPosition.map((c) => [c.kind, c.path])).toEqual([
      ['column-removed', 'a'],
      ['column-added', 'c'],
      ['column-added', 'd'],
    ]);
  });

  it('finds a rename in its slot between surviving neighbours, after removals earlier on', () => {
    const changes = classifyTableChange(
      table([
        ['id', 'string'],
        ['dropped', 'int'],
        ['status', 'string'],
        ['cust_email', 'string'],
        ['total', 'double'],
      ]),
      table([
        ['id', 'string'],
        ['status', 'string'],
        ['email', 'string'],
        ['total', 'double'],
        ['note', 'string'],
      ]),
    );
    expect(changes.map((c) => [c.kind, c.previousPath, c.path])).toEqual([
      ['column-removed', undefined, 'dropped'],
      ['likely-rename', 'cust_email', 'email'],
      ['column-added', undefined, 'note'],
    ]);
    expect(changes[1]!.reason).toMatch(/took its place \(position 3\)/);
  });

  it('pairs removed and added columns of one slot in order, by type', () => {
    const changes = classifyTableChange(
      table([
        ['id', 'string'],
        ['a', 'int'],
        ['b', 'string'],
      ]),
      table([
        ['id', 'string'],
        ['x', 'int'],
        ['y', 'date'],
      ]),
    );
    expect(changes.map((c) => [c.kind, c.previousPath, c.path])).toEqual([
      ['likely-rename', 'a', 'x'],
      ['column-removed', undefined, 'b'],
      ['column-added', undefined, 'y'],
    ]);
  });

  it('detects several renames and renamed struct fields', () => {
    const changes = classifyTableChange(
      table([
        ['a', 'int'],
        ['b', 'string'],
        ['customer', 'struct<id:bigint,mail:string,zip:string>'],
      ]),
      table([
        ['a2', 'int'],
        ['b2', 'string'],
        ['customer', 'struct<id:bigint,email:string,zip:string>'],
      ]),
    );
    expect(changes.map((c) => [c.kind, c.previousPath, c.path, c.column])).toEqual([
      ['likely-rename', 'a', 'a2', 'a2'],
      ['likely-rename', 'b', 'b2', 'b2'],
      ['likely-rename', 'customer.mail', 'customer.email', 'customer'],
    ]);
  });
});

describe('nested structures', () => {
  const before = table([
    ['id', 'bigint'],
    ['customer', 'struct<name:string,address:struct<zip:int,city:string>,legacy:string>'],
    ['items', 'array<struct<sku:string,qty:int,tags:array<string>>>'],
    ['attrs', 'map<string,struct<value:int,unit:string>>'],
    ['scores', 'map<int,double>'],
    ['matrix', 'array<array<int>>'],
    ['u', 'uniontype<int,string>'],
  ]);
  const after = table([
    ['id', 'bigint'],
    ['customer', 'struct<name:string,address:struct<zip:string,city:string,country:string>>'],
    ['items', 'array<struct<sku:string,qty:bigint,tags:array<varchar(10)>,discount:decimal(5,2)>>'],
    ['attrs', 'map<string,struct<value:bigint>>'],
    ['scores', 'map<bigint,float>'],
    ['matrix', 'array<array<bigint>>'],
    ['u', 'uniontype<bigint,string>'],
  ]);
  const changes = classifyTableChange(before, after);

  it('reports each change at its full path', () => {
    expect(changes.map((c) => [c.path, c.kind, c.oldType, c.newType, c.severity, c.column])).toEqual([
      ['customer.address.zip', 'nested-type-widened', 'int', 'string', 'breaking', 'customer'],
      ['customer.address.country', 'nested-field-added', undefined, 'string', 'additive', 'customer'],
      ['customer.legacy', 'nested-field-removed', 'string', undefined, 'breaking', 'customer'],
      ['items[].qty', 'nested-type-widened', 'int', 'bigint', 'widening', 'items'],
      ['items[].tags[]', 'nested-type-narrowed', 'string', 'varchar(10)', 'breaking', 'items'],
      ['items[].discount', 'nested-field-added', undefined, 'decimal(5,2)', 'additive', 'items'],
      ['attrs{}.value.value', 'nested-type-widened', 'int', 'bigint', 'widening', 'attrs'],
      ['attrs{}.value.unit', 'nested-field-removed', 'string', undefined, 'breaking', 'attrs'],
      ['scores{}.key', 'nested-type-widened', 'int', 'bigint', 'widening', 'scores'],
      ['scores{}.value', 'nested-type-narrowed', 'double', 'float', 'breaking', 'scores'],
      ['matrix[][]', 'nested-type-widened', 'int', 'bigint', 'widening', 'matrix'],
      ['u<0>', 'nested-type-widened', 'int', 'bigint', 'widening', 'u'],
    ]);
  });

  it('a struct gaining fields at any depth is additive', () => {
    const grown = classifyTableChange(
      table([['e', 'struct<a:struct<b:struct<c:int>>>']]),
      table([['e', 'struct<a:struct<b:struct<c:int,d:array<string>>,x:int>,y:map<string,int>>']]),
    );
    expect(grown.map((c) => [c.path, c.kind, c.severity])).toEqual([
      ['e.a.b.d', 'nested-field-added', 'additive'],
      ['e.a.x', 'nested-field-added', 'additive'],
      ['e.y', 'nested-field-added', 'additive'],
    ]);
  });

  it('backquotes path segments that hold path delimiters', () => {
    const odd = classifyTableChange(
      table([['ctx', 'struct<`page.url`:string,user-agent:string,`a b`:int>']]),
      table([['ctx', 'struct<`page.url`:int,user-agent:int,`a b`:bigint>']]),
    );
    expect(odd.map((c) => c.path)).toEqual(['ctx.`page.url`', 'ctx.user-agent', 'ctx.`a b`']);
  });

  it('a union whose arity changes, or a struct becoming a scalar, is incompatible', () => {
    expect(
      classifyTableChange(table([['u', 'uniontype<int>']]), table([['u', 'uniontype<int,string>']])),
    ).toMatchObject([{ kind: 'type-incompatible', path: 'u', severity: 'breaking' }]);
    expect(
      classifyTableChange(table([['s', 'struct<a:struct<b:int>>']]), table([['s', 'struct<a:string>']])),
    ).toMatchObject([
      {
        kind: 'nested-type-incompatible',
        path: 's.a',
        oldType: 'struct<b:int>',
        newType: 'string',
        severity: 'breaking',
      },
    ]);
  });
});

describe('partition keys', () => {
  const cols: Cols = [['id', 'bigint']];
  it.each([
    [[['dt', 'string']], [['dt', 'string']], []],
    [[], [['dt', 'string']], [['partition-key-added', 'dt', undefined, 'string']]],
    [[['dt', 'string']], [], [['partition-key-removed', 'dt', 'string', undefined]]],
    [[['dt', 'string']], [['dt', 'date']], [['partition-key-changed', 'dt', 'string', 'date']]],
    [
      [
        ['year', 'string'],
        ['month', 'string'],
      ],
      [
        ['month', 'string'],
        ['year', 'string'],
      ],
      [
        ['partition-key-changed', 'year', 'string', 'string'],
        ['partition-key-changed', 'month', 'string', 'string'],
      ],
    ],
    [
      [['year', 'string']],
      [
        ['year', 'string'],
        ['month', 'string'],
        ['day', 'string'],
      ],
      [
        ['partition-key-added', 'month', undefined, 'string'],
        ['partition-key-added', 'day', undefined, 'string'],
      ],
    ],
  ] as [Cols, Cols, unknown[][]][])('%j → %j', (before, after, expected) => {
    const changes = classifyTableChange(table(cols, before), table(cols, after));
    expect(changes.map((c) => [c.kind, c.path, c.oldType, c.newType])).toEqual(expected);
    expect(changes.every((c) => c.severity === 'breaking')).toBe(true);
  });

  it('says why a partition key changed', () => {
    const [a, b] = classifyTableChange(
      table(cols, [
        ['a', 'string'],
        ['b', 'int'],
      ]),
      table(cols, [
        ['b', 'bigint'],
        ['a', 'string'],
      ]),
    );
    expect(a!.reason).toBe('partition key moved from position 1 to 2: the table layout in S3 changes');
    expect(b!.reason).toMatch(/type int → bigint, moved from position 2 to 1/);
  });

  it('a column that became a partition key is removed from the columns and added as a key', () => {
    const changes = classifyTableChange(
      table([
        ['id', 'bigint'],
        ['dt', 'string'],
      ]),
      table([['id', 'bigint']], [['dt', 'string']]),
    );
    expect(changes.map((c) => c.kind)).toEqual(['column-removed', 'partition-key-added']);
  });
});

describe('unreadable table definitions', () => {
  it('names the table, the column and the position of a malformed type', () => {
    const bad: GlueTable = {
      ...table([
        ['id', 'bigint'],
        ['tags', 'array<string'],
      ]),
      Name: 'orders',
      VersionId: '7',
    };
    expect(() => classifyTableChange(table([['id', 'bigint']]), bad)).toThrow(GlueTableError);
    expect(() => classifyTableChange(table([['id', 'bigint']]), bad)).toThrow(
      'orders (version 7): StorageDescriptor.Columns[1].Type: column "tags": invalid Glue type "array<string" at position 12: expected ">" to close "array<", found end of the string',
    );
  });

  it.each([
    [
      { Table: { StorageDescriptor: { Columns: [{ Name: 'a' }] } } },
      'Table.StorageDescriptor.Columns[0].Type',
      /no type/,
    ],
    [
      { Table: { StorageDescriptor: { Columns: [{ Type: 'int' }] } } },
      'Table.StorageDescriptor.Columns[0].Name',
      /non-empty/,
    ],
    [
      { Table: { StorageDescriptor: { Columns: 'a int' } } },
      'Table.StorageDescriptor.Columns',
      /list of columns/,
    ],
    [
      {
        Table: {
          StorageDescriptor: {
            Columns: [
              { Name: 'a', Type: 'int' },
              { Name: 'A', Type: 'int' },
            ],
          },
        },
      },
      'Table.StorageDescriptor.Columns[1].Name',
      /already Table.StorageDescriptor.Columns\[0\]/,
    ],
    [
      {
        Table: {
          StorageDescriptor: { Columns: [{ Name: 'dt', Type: 'int' }] },
          PartitionKeys: [{ Name: 'dt', Type: 'string' }],
        },
      },
      'Table.PartitionKeys',
      /both a column and a partition key/,
    ],
    [{ Table: 3 }, 'Table', /must be an object/],
    [[], '', /expected a JSON object/],
    [{ Name: 'x' }, '', /expected a Glue table/],
    [{ TableVersions: [] }, 'TableVersions', /GetTableVersions response/],
  ])('%j fails at %s', (doc, path, reason) => {
    try {
      readGlueTable(doc, 'doc.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GlueTableError);
      expect((e as GlueTableError).path).toBe(path);
      expect((e as GlueTableError).reason).toMatch(reason);
      expect((e as GlueTableError).message.startsWith('doc.json: ')).toBe(true);
    }
  });
});

describe('GetTableVersions documents', () => {
  it('reads versions oldest first, whatever order the response lists them in', () => {
    const versions = readTableVersions(fixture('orders-table-versions.json'), 'orders-table-versions.json');
    expect(versions.map((v) => v.VersionId)).toEqual(['1', '2', '3']);
    expect(versions[0]!.Table).toMatchObject({
      Name: 'orders',
      DatabaseName: 'lakeplane_bronze',
      VersionId: '1',
    });
    expect(versions[0]!.Table.StorageDescriptor?.Columns).toHaveLength(11);
  });

  it('classifies each crawler run of the orders table', () => {
    const versions = readTableVersions(fixture('orders-table-versions.json'), 'orders-table-versions.json');
    const runs = classifyVersions(versions);
    expect(runs.map((r) => [r.fromVersion, r.toVersion])).toEqual([
      ['1', '2'],
      ['2', '3'],
    ]);
    expect(runs[0]!.changes.map((c) => [c.kind, c.path, c.severity])).toEqual([
      ['nested-field-added', 'shipping.address.state', 'additive'],
      ['nested-type-widened', 'items[].quantity', 'widening'],
      ['column-added', 'coupon_code', 'additive'],
    ]);
    expect(runs[1]!.changes.map((c) => [c.kind, c.path, c.previousPath, c.severity])).toEqual([
      ['likely-rename', 'email', 'customer_email', 'breaking'],
      ['type-widened', 'fx_rate', undefined, 'breaking'],
      ['partition-key-added', 'partition_0', undefined, 'breaking'],
      ['partition-key-added', 'partition_1', undefined, 'breaking'],
      ['partition-key-added', 'partition_2', undefined, 'breaking'],
    ]);
  });

  it('a table with one version only has nothing to compare', () => {
    const versions = readTableVersions(
      fixture('clickstream-table-versions.json'),
      'clickstream-table-versions.json',
    );
    expect(versions).toHaveLength(1);
    expect(classifyVersions(versions)).toEqual([]);
    // every crawler type in it parses, and the table equals itself
    expect(classifyTableChange(versions[0]!.Table, versions[0]!.Table)).toEqual([]);
  });

  it('reads GetTable and TableVersion documents', () => {
    const v1 = readGlueTable(fixture('orders-table-version-1.json'), 'v1.json');
    const current = readGlueTable(fixture('orders-get-table.json'), 'current.json');
    expect(v1.VersionId).toBe('1');
    expect(current.VersionId).toBe('3');
    expect(summarizeChanges(classifyTableChange(v1, current))).toEqual({
      total: 8,
      bySeverity: { additive: 2, widening: 1, breaking: 5 },
      byKind: {
        'likely-rename': 1,
        'type-widened': 1,
        'nested-field-added': 1,
        'nested-type-widened': 1,
        'column-added': 1,
        'partition-key-added': 3,
      },
      declared: 0,
      drift: 8,
      breaking: true,
    });
  });

  it('refuses versions without a version number', () => {
    expect(() => readTableVersions({ TableVersions: [{ Table: {} }] }, 'v.json')).toThrow(
      'v.json: TableVersions[0].VersionId: must be the version number as a string, e.g. "3"',
    );
  });
});

describe('classifyAgainstContract', () => {
  const orderItems = contractFile('order_items.yaml');

  it('maps contract column types to Glue types', () => {
    expect(orderItems.columns.map((c) => glueTypeOfContract(c.type))).toEqual([
      { kind: 'string' },
      { kind: 'timestamp' },
      { kind: 'string' },
      { kind: 'int' },
      { kind: 'string' },
      { kind: 'int' },
      { kind: 'decimal', precision: 12, scale: 2 },
      { kind: 'date' },
    ]);
  });

  it('the first crawl of order_items matches its contract; the second drifts', () => {
    const [v1, v2] = readTableVersions(fixture('order-items-table-versions.json'), 'order-items.json');
    // the contract and the crawler agree on every column of version 1
    const asAdded = classifyAgainstContract(classifyTableChange({}, v1!.Table), orderItems);
    expect(asAdded.every((c) => c.declared)).toBe(true);

    const checked = classifyAgainstContract(classifyTableChange(v1!.Table, v2!.Table), orderItems);
    expect(checked.map((c) => [c.kind, c.path, c.contractType, c.declared])).toEqual([
      ['column-removed', 'sku', 'string', false],
      ['type-widened', 'quantity', 'int', false],
      ['type-widened', 'unit_price', 'decimal(12,2)', false],
      ['column-added', 'discount', undefined, false],
    ]);
    expect(checked[1]!.contractReason).toBe(
      'the contract declares "quantity" as int, which does not hold bigint',
    );
  });

  it('a contract that changed first declares the changes: no drift', () => {
    const [v1, v2] = readTableVersions(fixture('order-items-table-versions.json'), 'order-items.json');
    const updated: Pick<DatasetContract, 'columns'> = {
      columns: orderItems.columns
        .filter((c) => c.name !== 'sku')
        .map((c) =>
          c.name === 'quantity'
            ? { ...c, type: { kind: 'bigint' } as const, typeName: 'bigint' }
            : c.name === 'unit_price'
              ? {
                  ...c,
                  type: { kind: 'decimal', precision: 16, scale: 2 } as const,
                  typeName: 'decimal(16,2)',
                }
              : c,
        )
        .concat([
          {
            name: 'discount',
            type: { kind: 'decimal', precision: 12, scale: 2 },
            typeName: 'decimal(12,2)',
            nullable: true,
            pii: false,
          },
        ]),
    };
    const checked = classifyAgainstContract(classifyTableChange(v1!.Table, v2!.Table), updated);
    expect(checked.map((c) => [c.path, c.declared, c.contractReason])).toEqual([
      ['sku', true, 'the contract does not use this column'],
      ['quantity', true, 'the contract already declares "quantity" as bigint'],
      ['unit_price', true, 'the contract already declares "unit_price" as decimal(16,2)'],
      ['discount', true, 'the contract already declares "discount" as decimal(12,2)'],
    ]);
    expect(decideDriftAction(checked, orderItems.drift.policy)).toMatchObject({
      action: 'none',
      changes: [],
    });
  });

  it('orders: renames, nested changes and partition keys are drift', () => {
    const orders = contractFile('orders.yaml');
    const versions = readTableVersions(fixture('orders-table-versions.json'), 'orders.json');
    const checked = classifyAgainstContract(
      classifyTableChange(versions[1]!.Table, versions[2]!.Table),
      orders,
    );
    expect(checked.map((c) => [c.path, c.declared])).toEqual([
      ['email', false],
      ['fx_rate', false],
      ['partition_0', false],
      ['partition_1', false],
      ['partition_2', false],
    ]);
    expect(checked[0]!.contractReason).toBe('the contract still declares "customer_email"');
    expect(checked[1]!.contractReason).toBe(
      'the contract declares "fx_rate" as double, which does not hold string',
    );
    expect(checked[2]!.contractReason).toBe('partition keys are not declared in the contract');
    const decision = decideDriftAction(checked, orders.drift.policy);
    expect(decision).toMatchObject({ action: 'alert', breaking: true, policy: 'alert' });
    expect(decision.changes).toHaveLength(5);
  });

  it.each<[string, Cols, Cols, Cols, boolean]>([
    // [what, old table, new table, contract columns, declared]
    ['added column the contract declares with the same type', [], [['a', 'int']], [['a', 'int']], true],
    ['added column the contract declares wider', [], [['a', 'int']], [['a', 'bigint']], true],
    ['added column narrower in the contract', [], [['a', 'bigint']], [['a', 'int']], false],
    ['added decimal that fits the contract', [], [['p', 'decimal(10,2)']], [['p', 'decimal(12,2)']], true],
    ['added int that fits a contract decimal', [], [['p', 'int']], [['p', 'decimal(12,2)']], true],
    ['added double for a contract decimal', [], [['p', 'double']], [['p', 'decimal(12,2)']], false],
    ['added struct for a contract string', [], [['s', 'struct<a:int>']], [['s', 'string']], false],
    ['added column unknown to the contract', [], [['a', 'int']], [], false],
    ['removed column the contract still declares', [['a', 'int']], [], [['a', 'int']], false],
    ['removed column the contract dropped', [['a', 'int']], [], [], true],
    [
      'widened column already wide in the contract',
      [['a', 'int']],
      [['a', 'bigint']],
      [['a', 'bigint']],
      true,
    ],
    [
      'narrowed column the contract already narrowed',
      [['a', 'bigint']],
      [['a', 'int']],
      [['a', 'int']],
      true,
    ],
    ['incompatible change', [['a', 'int']], [['a', 'string']], [['a', 'int']], false],
    ['rename the contract made first', [['a', 'int']], [['b', 'int']], [['b', 'int']], true],
    [
      'rename the contract still has the old name of',
      [['a', 'int']],
      [['b', 'int']],
      [
        ['a', 'int'],
        ['b', 'int'],
      ],
      false,
    ],
    ['rename the contract knows nothing of', [['a', 'int']], [['b', 'int']], [], false],
    ['names compare case-insensitively', [], [['Amount', 'int']], [['amount', 'bigint']], true],
  ])('%s', (_what, before, after, contractCols, declared) => {
    const contract: Pick<DatasetContract, 'columns'> = {
      columns: contractCols.map(([name, type]) => {
        const t = glueToContract(type);
        return { name, type: t, typeName: type, nullable: true, pii: false };
      }),
    };
    const checked = classifyAgainstContract(classifyTableChange(table(before), table(after)), contract);
    expect(checked).toHaveLength(1);
    expect(checked[0]!.declared).toBe(declared);
  });

  it('never declares changes inside a column', () => {
    const checked = classifyAgainstContract(
      classifyTableChange(table([['s', 'struct<a:int>']]), table([['s', 'struct<a:int,b:string>']])),
      { columns: [{ name: 's', type: { kind: 'string' }, typeName: 'string', nullable: true, pii: false }] },
    );
    expect(checked).toMatchObject([{ kind: 'nested-field-added', declared: false, contractType: 'string' }]);
  });
});

function glueToContract(text: string): DatasetContract['columns'][number]['type'] {
  const t = parseGlueType(text);
  if (t.kind === 'decimal') return { kind: 'decimal', precision: t.precision, scale: t.scale };
  if (['string', 'int', 'bigint', 'double', 'float', 'boolean', 'date', 'timestamp'].includes(t.kind)) {
    return { kind: t.kind } as DatasetContract['columns'][number]['type'];
  }
  throw new Error(`no contract type for ${text}`);
}

describe('decideDriftAction', () => {
  const change = (severity: ChangeSeverity, declared?: boolean): DriftChange & { declared?: boolean } => ({
    kind:
      severity === 'additive' ? 'column-added' : severity === 'widening' ? 'type-widened' : 'column-removed',
    path: 'c',
    column: 'c',
    severity,
    reason: 'test',
    ...(declared === undefined ? {} : { declared }),
  });

  it.each<[DriftPolicy, ChangeSeverity[], string, boolean]>([
    // [policy, severities of the changes, action, breaking]
    ['evolve', [], 'none', false],
    ['alert', [], 'none', false],
    ['block', [], 'none', false],
    ['evolve', ['additive'], 'accept', false],
    ['evolve', ['widening'], 'accept', false],
    ['evolve', ['additive', 'widening'], 'accept', false],
    ['evolve', ['additive', 'breaking'], 'alert', true],
    ['evolve', ['breaking'], 'alert', true],
    ['alert', ['additive'], 'alert', false],
    ['alert', ['widening'], 'alert', false],
    ['alert', ['breaking'], 'alert', true],
    ['block', ['additive'], 'pause', false],
    ['block', ['widening'], 'pause', false],
    ['block', ['breaking', 'additive'], 'pause', true],
  ])('%s with %j → %s', (policy, severities, action, breaking) => {
    const decision = decideDriftAction(
      severities.map((s) => change(s)),
      policy,
    );
    expect(decision).toMatchObject({ action, breaking, policy });
    expect(decision.changes).toHaveLength(severities.length);
  });

  it('leaves declared changes out: they are not drift', () => {
    const decision = decideDriftAction([change('breaking', true), change('additive', false)], 'evolve');
    expect(decision).toMatchObject({ action: 'accept', breaking: false });
    expect(decision.changes).toHaveLength(1);
    expect(decideDriftAction([change('breaking', true)], 'block')).toMatchObject({
      action: 'none',
      breaking: false,
    });
  });
});
