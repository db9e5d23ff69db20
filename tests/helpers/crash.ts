/**
 * The crash tests' view of a workspace (tests/integration/crash-recovery-*.test.ts): what a clean
 * run leaves, and whether a workspace a killed process left is in that state after the next command.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { LocalRuntime } from '../../local/runtime.js';
import { ndjson, order } from './fixtures.js';

/** Three files of orders: the first loads alone, the other two together (coalesced). */
export function crashFiles(dir: string): string {
  ndjson(
    dir,
    'a.ndjson',
    Array.from({ length: 20 }, (_, i) => order(`o${i}`, '2026-11-20T10:00:00Z')),
  );
  ndjson(
    dir,
    'b.ndjson',
    Array.from({ length: 20 }, (_, i) => order(`o${i + 10}`, '2026-11-21T10:00:00Z', { status: 'paid' })),
  );
  ndjson(
    dir,
    'c.ndjson',
    Array.from({ length: 10 }, (_, i) =>
      order(`o${i + 25}`, '2026-11-22T10:00:00Z', { status: 'shipped', order_ts: '2026-11-22T09:00:00Z' }),
    ),
  );
  return dir;
}

/** Stream records of orders: every key twice, the later version winning. */
export function streamFile(dir: string): string {
  const lines = [
    ...Array.from({ length: 30 }, (_, i) => order(`s${i}`, '2026-11-20T10:00:00Z')),
    ...Array.from({ length: 30 }, (_, i) => order(`s${i}`, '2026-11-21T10:00:00Z', { status: 'paid' })),
  ];
  return ndjson(dir, 'stream.ndjson', lines);
}

export interface LakeState {
  readonly silver: readonly Record<string, unknown>[];
  readonly gold: readonly Record<string, unknown>[];
  /** Gold computed from Silver now, by the contract's SQL. */
  readonly goldFromSilver: readonly Record<string, unknown>[];
  readonly loads: readonly { status: string; cause: string | undefined }[];
  readonly pending: number;
  /** The dataset's scheduler slot is free (no holder, or a holder whose load ended). */
  readonly slotFree: boolean;
  readonly runningExecutions: readonly string[];
  /** What the runtime's own recovery did on opening (nothing, when the command before it did it all). */
  readonly recoveredOnOpen: boolean;
}

/** Opens the workspace in-process and reads its state. */
export async function lakeState(home: string): Promise<LakeState> {
  const rt = await LocalRuntime.start({ home, print: () => undefined, safetyNetMs: 0 });
  try {
    const contract = rt.contracts.datasets.get('orders')!;
    // No table yet (no load reached Silver): no rows.
    const rows = async (sql: string) =>
      (await rt.warehouse.query(sql).catch(() => ({ rows: [] }))).rows.map((r) =>
        Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('__lp_'))),
      );
    const silver = await rows('SELECT * FROM silver.orders ORDER BY order_id');
    const goldSql = contract.gold[0]!.sql;
    const gold = await rows(`SELECT * FROM gold.${contract.gold[0]!.name} ORDER BY ALL`);
    const goldFromSilver = await rows(`SELECT * FROM (${goldSql}) ORDER BY ALL`);
    const loads = (await rt.ledger.list({ dataset: 'orders', limit: 1000 })).map((l) => ({
      status: l.status,
      cause: l.cause?.message,
    }));
    const registry = join(home, 'executions.json');
    const entries = existsSync(registry)
      ? (JSON.parse(readFileSync(registry, 'utf8')) as Record<string, { status: string }>)
      : {};
    const r = rt.recovery;
    return {
      silver,
      gold,
      goldFromSilver,
      loads,
      pending: (await rt.scheduler.pending.list('orders')).length,
      slotFree: await slotFree(rt),
      runningExecutions: Object.entries(entries)
        .filter(([, e]) => e.status === 'RUNNING')
        .map(([n]) => n),
      recoveredOnOpen:
        r !== undefined && (r.full || r.resumed.length + r.abandoned.length + r.republished.length > 0),
    };
  } finally {
    await rt.close();
  }
}

async function slotFree(rt: LocalRuntime): Promise<boolean> {
  const holder = await rt.scheduler.slots.holder('orders');
  if (holder === undefined) return true;
  const status = (await rt.ledger.get(holder))?.status;
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'FAILED_QUALITY';
}

/** The workspace holds what a clean run left, and nothing is stuck. */
export function expectTrueState(state: LakeState, clean: LakeState, what: string): void {
  expect({ what, recoveredOnOpen: state.recoveredOnOpen }).toEqual({ what, recoveredOnOpen: false });
  expect({ what, running: state.runningExecutions, pending: state.pending }).toEqual({
    what,
    running: [],
    pending: 0,
  });
  expect({ what, stuck: state.loads.filter((l) => !['SUCCEEDED'].includes(l.status)) }).toEqual({
    what,
    stuck: [],
  });
  expect({ what, slotFree: state.slotFree }).toEqual({ what, slotFree: true });
  expect(state.silver.length).toBeGreaterThan(0);
  expect({ what, silver: state.silver }).toEqual({ what, silver: clean.silver });
  expect({ what, gold: state.gold }).toEqual({ what, gold: clean.gold });
  expect({ what, gold: state.gold }).toEqual({ what, gold: state.goldFromSilver });
}
