import { type BudgetCheck, checkBudget, spentToday, utcDayStart } from '../core/budget.js';
import type { ContractSet } from '../core/contract/parse.js';
import type { Ledger } from '../ports.js';

/**
 * A load was refused because its dataset spent its EMR step-hours of the day. Named like the
 * Step Functions error the state machine sees (Lambda reports the error's name as its type).
 */
export class BudgetExceededError extends Error {
  override readonly name = 'Lakeplane.BudgetExceeded';
}

export interface BudgetGuardDeps {
  readonly ledger: Ledger;
  readonly contracts: ContractSet;
  /** The stage's step-hours per dataset and UTC day, for contracts without `budget`. */
  readonly defaultStepHoursPerDay: number;
  readonly now: () => Date;
}

/** The most loads of one dataset a day that the check reads from the ledger. */
const LEDGER_SCAN = 5000;

/**
 * The first state of every load: refuses it (BudgetExceededError) when its dataset has spent its
 * EMR step-hours of the UTC day, so the load fails before any step runs, with a cause that says
 * what to do; load-events records it and alerts.
 */
export async function guardLoadBudget(
  load: { readonly loadId: string; readonly dataset: string },
  deps: BudgetGuardDeps,
): Promise<BudgetCheck> {
  const contract = deps.contracts.datasets.get(load.dataset);
  const budget = contract?.budget
    ? { hours: contract.budget.emrStepHoursPerDay, source: 'contract' as const }
    : { hours: deps.defaultStepHoursPerDay, source: 'stage' as const };
  const since = utcDayStart(deps.now()).toISOString();
  const today = await deps.ledger.list({ dataset: load.dataset, since, limit: LEDGER_SCAN });
  const check = checkBudget(load.dataset, spentToday(today, load.loadId), budget);
  if (!check.allowed) {
    const where =
      check.source === 'contract'
        ? `budget.emr_step_hours_per_day in datasets/${load.dataset}.yaml`
        : 'the stage parameter emrStepHoursPerDatasetPerDay (or budget.emr_step_hours_per_day in the contract)';
    throw new BudgetExceededError(
      `${load.dataset} has spent ${check.spentHours} of its ${check.budgetHours} EMR step-hours today (UTC, ${check.loadsCounted} loads): load ${load.loadId} did not start. Replay it after midnight UTC (lakeplane replay ${load.loadId}), or raise ${where}`,
    );
  }
  return check;
}
