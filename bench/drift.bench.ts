/**
 * bench:drift — schema drift classification of a wide table.
 *
 * A 2,000-column Glue table (every 5th column a nested struct, every 7th an array of structs,
 * every 11th a map of structs, the rest primitives), and a next version with a few hundred
 * changes: widened and retyped columns, removed and renamed columns, fields added and retyped
 * deep inside structs, arrays and maps, new columns and a new partition key. Times
 * `classifyTableChange` (type strings parsed each run, as in production): median and p95 of 30
 * runs after 10 warm-up runs. Prints one JSON line; target: median ≤ 50 ms.
 */
import { classifyTableChange, type GlueColumn, type GlueTable } from '../shared/core/drift/index.js';

const COLUMNS = Number(process.env.BENCH_DRIFT_COLUMNS ?? 2000);
const RUNS = Number(process.env.BENCH_DRIFT_RUNS ?? 30);
const WARMUP = 10;
const TARGET_MS = 50;

const PRIMITIVES = [
  'string',
  'int',
  'bigint',
  'double',
  'decimal(12,2)',
  'date',
  'timestamp',
  'boolean',
  'varchar(64)',
];

const struct = (zip: string, extra: string) =>
  `struct<id:bigint,name:string,address:struct<line1:string,zip:${zip},geo:struct<lat:double,lon:double>${extra}>,tags:array<string>>`;
const items = (qty: string) =>
  `array<struct<sku:string,qty:${qty},price:decimal(10,2),attrs:map<string,string>>>`;
const attrs = (v: string) => `map<string,struct<v:${v},u:string,history:array<struct<at:timestamp,v:${v}>>>>`;

function oldType(i: number): string {
  if (i % 5 === 0) return struct('int', '');
  if (i % 7 === 0) return items('int');
  if (i % 11 === 0) return attrs('int');
  return PRIMITIVES[i % PRIMITIVES.length]!;
}

function tables(): { before: GlueTable; after: GlueTable } {
  const before: GlueColumn[] = [];
  const after: GlueColumn[] = [];
  for (let i = 0; i < COLUMNS; i++) {
    const name = `col_${String(i).padStart(4, '0')}`;
    const type = oldType(i);
    before.push({ Name: name, Type: type });
    if (i % 40 === 3) continue; // removed
    if (i % 50 === 9) {
      after.push({ Name: `${name}_renamed`, Type: type }); // likely rename (same type, same position only
      continue; // while nothing before it was removed)
    }
    let next = type;
    if (type === 'int' && i % 4 === 1) next = 'bigint';
    else if (type === 'decimal(12,2)' && i % 4 === 2) next = 'decimal(14,2)';
    else if (type === 'varchar(64)' && i % 4 === 0) next = 'varchar(32)';
    else if (type === 'double' && i % 4 === 3) next = 'string';
    else if (type === struct('int', '') && i % 50 === 0) next = struct('string', ',country:string');
    else if (type === struct('int', '') && i % 30 === 0) next = struct('int', ',state:varchar(2)');
    else if (type === items('int') && i % 8 === 0) next = items('bigint');
    else if (type === attrs('int') && i % 8 === 0) next = attrs('bigint');
    after.push({ Name: name, Type: next });
  }
  for (let j = 0; j < 60; j++)
    after.push({ Name: `added_${j}`, Type: j % 2 === 0 ? 'string' : struct('int', '') });
  return {
    before: {
      Name: 'wide',
      StorageDescriptor: { Columns: before },
      PartitionKeys: [{ Name: 'dt', Type: 'string' }],
    },
    after: {
      Name: 'wide',
      StorageDescriptor: { Columns: after },
      PartitionKeys: [
        { Name: 'dt', Type: 'string' },
        { Name: 'hour', Type: 'string' },
      ],
    },
  };
}

const { before, after } = tables();
let changes = 0;
for (let i = 0; i < WARMUP; i++) changes = classifyTableChange(before, after).length;
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const out = classifyTableChange(before, after);
  times.push(performance.now() - t);
  if (out.length !== changes) throw new Error('classification is not deterministic');
}
times.sort((a, b) => a - b);
const pick = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
const round = (ms: number) => Math.round(ms * 100) / 100;
console.log(
  JSON.stringify({
    bench: 'drift',
    columns: COLUMNS,
    changes,
    medianMs: round(pick(0.5)),
    p95Ms: round(pick(0.95)),
    targetMs: TARGET_MS,
  }),
);
