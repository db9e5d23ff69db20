import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBudget, spentToday, utcDayStart } from '../../shared/core/budget.js';
import { parseContract } from '../../shared/core/contract/index.js';
import type { LoadRecord } from '../../shared/core/load.js';
import type { Ledger, LoadQuery } from '../../shared/ports.js';
import { BudgetExceededError, guardLoadBudget } from '../../shared/usecases/budget-guard.js';
import { contract, DATASETS } from '../helpers/fixtures.js';

/** datasets/orders.yaml with a budget section appended. */
const ordersWithBudget = (hours: number) =>
  `${readFileSync(join(DATASETS, 'orders.yaml'), 'utf8')}\nbudget:\n  emr_step_hours_per_day: ${hours}\n`;

const load = (loadId: string, durationMs?: number): LoadRecord =>
  ({ loadId, dataset: 'orders', ...(durationMs !== undefined ? { durationMs } : {}) }) as LoadRecord;

describe('EMR step-hour budget', () => {
  it('counts today from midnight UTC', () => {
    expect(utcDayStart(new Date('2026-11-27T23:59:59.999+05:00')).toISOString()).toBe(
      '2026-11-27T00:00:00.000Z',
    );
    expect(utcDayStart(new Date('2026-11-27T00:00:00.000Z')).toISOString()).toBe('2026-11-27T00:00:00.000Z');
  });

  it("sums the other loads' run time, skipping the asking load and loads still without a duration", () => {
    const spent = spentToday(
      [load('a', 3_600_000), load('b', 1_800_000), load('me', 7_200_000), load('c')],
      'me',
    );
    expect(spent).toEqual({ hours: 1.5, loads: 2 });
  });

  it('allows a load only while the spent hours are below the budget', () => {
    expect(checkBudget('orders', { hours: 5.9999, loads: 3 }, { hours: 6, source: 'stage' })).toMatchObject({
      allowed: true,
      spentHours: 6,
    });
    expect(checkBudget('orders', { hours: 6, loads: 3 }, { hours: 6, source: 'contract' })).toMatchObject({
      allowed: false,
      budgetHours: 6,
      source: 'contract',
    });
  });

  it('takes the budget from the contract when it has one, else from the stage', async () => {
    const queries: LoadQuery[] = [];
    const ledger = {
      list: async (q: LoadQuery) => {
        queries.push(q);
        return [load('a', 2 * 3_600_000)];
      },
    } as unknown as Ledger;
    const withBudget = parseContract(ordersWithBudget(1.5), 'datasets/orders.yaml');
    const now = () => new Date('2026-11-27T14:00:00Z');
    const deps = (c = withBudget) => ({
      ledger,
      contracts: { datasets: new Map([['orders', c]]) } as never,
      defaultStepHoursPerDay: 3,
      now,
    });
    await expect(guardLoadBudget({ loadId: 'me', dataset: 'orders' }, deps())).rejects.toThrow(
      BudgetExceededError,
    );
    await expect(guardLoadBudget({ loadId: 'me', dataset: 'orders' }, deps())).rejects.toThrow(
      'orders has spent 2 of its 1.5 EMR step-hours today (UTC, 1 loads): load me did not start. Replay it after midnight UTC (lakeplane replay me), or raise budget.emr_step_hours_per_day in datasets/orders.yaml',
    );
    expect(
      await guardLoadBudget({ loadId: 'me', dataset: 'orders' }, deps(contract('orders'))),
    ).toMatchObject({
      allowed: true,
      budgetHours: 3,
      source: 'stage',
    });
    expect(queries[0]).toEqual({ dataset: 'orders', since: '2026-11-27T00:00:00.000Z', limit: 5000 });
    expect(new BudgetExceededError('x').name).toBe('Lakeplane.BudgetExceeded');
  });

  it('rejects a contract budget that is not a positive number of hours', () => {
    expect(() => parseContract(ordersWithBudget(0), 'datasets/orders.yaml')).toThrow(
      /budget\.emr_step_hours_per_day/,
    );
  });
});
