import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseContract } from '../../shared/core/contract/parse.js';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import type { LakeLayout } from '../../shared/core/plan.js';

export const REPO = join(import.meta.dirname, '..', '..');
export const DATASETS = join(REPO, 'datasets');

export function tempDir(prefix = 'lakeplane-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function contract(name: 'orders' | 'order_items'): DatasetContract {
  const file = join(DATASETS, `${name}.yaml`);
  return parseContract(readFileSync(file, 'utf8'), file);
}

/** An orders record with sensible defaults. */
export function order(
  id: string,
  updatedAt: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    order_id: id,
    customer_id: 'cus-1',
    customer_email: 'a@example.com',
    status: 'placed',
    order_ts: '2026-11-20T10:00:00Z',
    order_total: 10.5,
    currency: 'EUR',
    fx_rate: 1.1,
    updated_at: updatedAt,
    ...extra,
  };
}

/** Writes NDJSON (objects are stringified, strings written as they are) and returns the path. */
export function ndjson(
  dir: string,
  name: string,
  records: readonly (Record<string, unknown> | string)[],
): string {
  const path = join(dir, name);
  writeFileSync(path, `${records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`);
  return path;
}

/** A deployment layout for tests of planning and handlers. */
export const TEST_LAYOUT: LakeLayout = {
  bronzeBucket: 'lake-bronze',
  silverBucket: 'lake-silver',
  goldBucket: 'lake-gold',
  quarantineBucket: 'lake-quarantine',
  artifactsBucket: 'lake-artifacts',
  silverDatabase: 'lake_silver',
  goldDatabase: 'lake_gold',
  clusterId: 'j-2AXXXXXXGAPLF',
  dqRouterFunction: 'arn:aws:lambda:eu-west-1:123456789012:function:lakeplane-test-dq-router',
  budgetGuardFunction: 'arn:aws:lambda:eu-west-1:123456789012:function:lakeplane-test-budget-guard',
};
