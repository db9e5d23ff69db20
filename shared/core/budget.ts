import type { LoadRecord } from './load.js';

/** The EMR step-hours a dataset may spend per UTC day, and what it spent. */
export interface BudgetCheck {
  readonly allowed: boolean;
  readonly dataset: string;
  readonly budgetHours: number;
  readonly spentHours: number;
  /** Where the budget came from: the contract, or the stage's default. */
  readonly source: 'contract' | 'stage';
  /** The loads counted (today's, other than the one asking). */
  readonly loadsCounted: number;
}

/** Midnight UTC of the day of `now`. */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/**
 * What a dataset spent today: the run time of its loads registered since midnight UTC (their
 * last attempt's execution duration, which holds its EMR steps: an upper bound of the
 * step-hours), except the load that asks.
 */
export function spentToday(
  loads: readonly LoadRecord[],
  exceptLoadId: string,
): { hours: number; loads: number } {
  let ms = 0;
  let counted = 0;
  for (const l of loads) {
    if (l.loadId === exceptLoadId || l.durationMs === undefined) continue;
    ms += l.durationMs;
    counted++;
  }
  return { hours: ms / 3_600_000, loads: counted };
}

/** Whether another load fits: spent strictly below the budget. */
export function checkBudget(
  dataset: string,
  spent: { hours: number; loads: number },
  budget: { hours: number; source: 'contract' | 'stage' },
): BudgetCheck {
  return {
    allowed: spent.hours < budget.hours,
    dataset,
    budgetHours: budget.hours,
    spentHours: Math.round(spent.hours * 1000) / 1000,
    source: budget.source,
    loadsCounted: spent.loads,
  };
}
