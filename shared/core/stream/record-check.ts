import type { ColumnSpec, DatasetContract } from '../contract/types.js';

/** A value the dedupe can order by: numbers for time and numeric types, strings otherwise. */
export type OrderValue = number | string;

/** A record that passed the contract's checks, with what the dedupe needs. */
export interface CheckedRecord {
  readonly key: string;
  readonly order: OrderValue;
}

/** Checks one parsed record against a contract; returns the reason when it fails. */
export type RecordCheck = (record: Record<string, unknown>) => CheckedRecord | string;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const INT32 = 2 ** 31;

function numeric(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return Number.NaN;
}

/**
 * Whether a JSON value casts to the column type, by the rules the engines apply when they load
 * the micro-batch (DuckDB TRY_CAST locally, Spark cast on EMR): numbers may come as numeric
 * strings, strings take any scalar, timestamps are ISO-8601 with an optional offset.
 */
function castable(column: ColumnSpec, v: unknown): boolean {
  switch (column.type.kind) {
    case 'string':
      return true;
    case 'int': {
      const n = numeric(v);
      return Number.isInteger(n) && n >= -INT32 && n < INT32;
    }
    case 'bigint':
      return Number.isInteger(numeric(v));
    case 'double':
    case 'float':
      return Number.isFinite(numeric(v));
    case 'decimal': {
      const n = numeric(v);
      return Number.isFinite(n) && Math.abs(n) < 10 ** (column.type.precision - column.type.scale);
    }
    case 'boolean':
      return typeof v === 'boolean' || (typeof v === 'string' && /^(true|false)$/i.test(v));
    case 'date':
      return typeof v === 'string' && DATE.test(v) && !Number.isNaN(Date.parse(v));
    case 'timestamp':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v));
  }
}

function orderValue(column: ColumnSpec, v: unknown): OrderValue {
  switch (column.type.kind) {
    case 'timestamp':
      return Date.parse(v as string);
    case 'string':
    case 'date':
      return String(v);
    default:
      return numeric(v);
  }
}

function describe(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * Compiles the contract's column rules into one function, so the stream hot path pays no
 * per-record schema interpretation. Reasons use the same words as the load path's quarantine.
 */
export function compileRecordCheck(contract: DatasetContract): RecordCheck {
  const columns = contract.columns;
  const byName = new Map(columns.map((c) => [c.name, c]));
  const keyColumns = contract.key.map((k) => byName.get(k)!);
  const precombine = byName.get(contract.precombine)!;
  return (record) => {
    for (const c of columns) {
      const v = record[c.name];
      if (v === undefined || v === null) {
        if (!c.nullable) return `field ${c.name}: missing or null, but the contract says nullable: false`;
        continue;
      }
      if (!castable(c, v)) return `field ${c.name}: "${describe(v)}" is not a ${c.typeName}`;
    }
    const key =
      keyColumns.length === 1
        ? String(record[keyColumns[0]!.name])
        : keyColumns.map((c) => String(record[c.name])).join('\u0000');
    return { key, order: orderValue(precombine, record[precombine.name]) };
  };
}
