import type { DatasetContract } from '../contract/types.js';
import { type CastValue, compileContractRules, type FieldTexts } from '../record-rules.js';

/**
 * A value the dedupe orders by: the precombine field's strictly cast value (a timestamp as its
 * UTC instant in microseconds, a decimal unscaled, a date as YYYY-MM-DD). Compare with
 * compareOrder: number and bigint mix.
 */
export type OrderValue = CastValue;

/** A record that passed the contract's checks, with what the dedupe needs. */
export interface CheckedRecord {
  /** The record key's cast values (so `5` and `5.0` of an int key are one key, as on the batch path). */
  readonly key: string;
  readonly order: OrderValue;
}

/** Checks one record's parsed fields against a contract; returns the reason when it fails. */
export type RecordCheck = (fields: FieldTexts) => CheckedRecord | string;

/** -1, 0 or 1: the order of two precombine values of one column. */
export function compareOrder(a: OrderValue, b: OrderValue): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compiles the contract's record rules (shared/core/record-rules.ts, casting.py's) into one
 * function, so the stream hot path pays no per-record schema interpretation. A record the batch
 * path would quarantine is refused with the batch path's reason. One rule is the stream's own: a
 * record without its record key or precombine value cannot be deduplicated (the batch path
 * stages it and the quality gate fails the whole batch), so it is refused here
 * (`field order_id: missing (record key field)`).
 */
export function compileRecordCheck(contract: DatasetContract): RecordCheck {
  const columns = contract.columns;
  const rules = compileContractRules(contract);
  const index = new Map(columns.map((c, i) => [c.name, i]));
  const keyAt = contract.key.map((k) => index.get(k)!);
  const orderAt = index.get(contract.precombine)!;
  const needed = [
    ...contract.key.map((k) => [k, 'record key field'] as const),
    ...(contract.key.includes(contract.precombine)
      ? []
      : [[contract.precombine, 'precombine field'] as const]),
  ];
  const single = keyAt.length === 1 ? keyAt[0]! : -1;
  return (fields) => {
    const verdict = rules(fields);
    if (!verdict.ok) return verdict.reason;
    const values = verdict.values;
    const order = values[orderAt];
    if (order === null || order === undefined || keyAt.some((i) => values[i] === null)) {
      return needed
        .filter(([name]) => fields.get(name) === undefined || fields.get(name) === null)
        .map(([name, why]) => `field ${name}: ${fields.get(name) === null ? 'null' : 'missing'} (${why})`)
        .join('; ');
    }
    const key = single >= 0 ? String(values[single]) : keyAt.map((i) => String(values[i])).join('\u0000');
    return { key, order };
  };
}
