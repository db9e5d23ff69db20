import type { ColumnType } from './types.js';

const SIMPLE = new Set(['string', 'int', 'bigint', 'double', 'float', 'boolean', 'date', 'timestamp']);
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/** The type names a contract column may use, for error messages. */
export const COLUMN_TYPE_NAMES = 'string, int, bigint, double, float, boolean, date, timestamp, decimal(p,s)';

/**
 * Parses a contract column type (`decimal(12,2)`, `timestamp`, ...).
 * @returns the type, or an error message saying what is accepted.
 */
export function parseColumnType(text: string): ColumnType | { error: string } {
  const t = text.trim().toLowerCase();
  if (SIMPLE.has(t)) return { kind: t } as ColumnType;
  const m = DECIMAL.exec(t);
  if (m) {
    const precision = Number(m[1]);
    const scale = Number(m[2]);
    if (precision < 1 || precision > 38)
      return { error: `decimal precision must be 1..38, got ${precision}` };
    if (scale > precision)
      return { error: `decimal scale ${scale} is larger than its precision ${precision}` };
    return { kind: 'decimal', precision, scale };
  }
  return { error: `unknown type "${text}"; use one of ${COLUMN_TYPE_NAMES}` };
}

/** The DuckDB SQL type of a contract column type. */
export function duckdbType(type: ColumnType): string {
  switch (type.kind) {
    case 'string':
      return 'VARCHAR';
    case 'int':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE';
    case 'float':
      return 'FLOAT';
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
  }
}
