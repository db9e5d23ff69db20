/**
 * What a dataset's drift policy does with the schema changes found for it.
 */
import type { DriftPolicy } from '../contract/types.js';
import type { ChangeSeverity, DriftChange } from './classify.js';

/** `none`: no drift; `accept`: evolve the schema; `alert`: announce; `pause`: pause the dataset (and announce). */
export type DriftAction = 'none' | 'accept' | 'alert' | 'pause';

/** The decision for one set of changes. */
export interface DriftDecision<C extends DriftChange = DriftChange> {
  readonly action: DriftAction;
  /** At least one drift change is breaking. */
  readonly breaking: boolean;
  /** The drift the decision is about: the changes not declared by the contract. */
  readonly changes: readonly C[];
  readonly policy: DriftPolicy;
}

/**
 * Decides what to do with schema changes under a dataset's drift policy. Changes marked
 * `declared` (see classifyAgainstContract) are not drift and are left out.
 * - no drift: `none`;
 * - `evolve`: additive and widening changes are accepted;
 * - `alert`: every drift is announced;
 * - `block`: every drift pauses the dataset;
 * - a breaking change always alerts, whatever the policy (and `block` still pauses).
 */
export function decideDriftAction<C extends DriftChange & { readonly declared?: boolean }>(
  changes: readonly C[],
  policy: DriftPolicy,
): DriftDecision<C> {
  const drift = changes.filter((c) => c.declared !== true);
  const breaking = drift.some((c) => c.severity === 'breaking');
  let action: DriftAction;
  if (drift.length === 0) action = 'none';
  else if (policy === 'block') action = 'pause';
  else if (breaking || policy === 'alert') action = 'alert';
  else action = 'accept';
  return { action, breaking, changes: drift, policy };
}

/** Counts of changes by severity and kind. */
export interface DriftSummary {
  readonly total: number;
  readonly bySeverity: Readonly<Record<ChangeSeverity, number>>;
  readonly byKind: Readonly<Partial<Record<DriftChange['kind'], number>>>;
  /** Changes the contract already declares (when checked against one). */
  readonly declared: number;
  /** Changes that are drift: not declared. */
  readonly drift: number;
  readonly breaking: boolean;
}

/** Summarises a list of changes (checked against a contract or not). */
export function summarizeChanges(
  changes: readonly (DriftChange & { readonly declared?: boolean })[],
): DriftSummary {
  const bySeverity: Record<ChangeSeverity, number> = { additive: 0, widening: 0, breaking: 0 };
  const byKind: Partial<Record<DriftChange['kind'], number>> = {};
  let declared = 0;
  let breaking = false;
  for (const c of changes) {
    bySeverity[c.severity]++;
    byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
    if (c.declared === true) declared++;
    else if (c.severity === 'breaking') breaking = true;
  }
  return { total: changes.length, bySeverity, byKind, declared, drift: changes.length - declared, breaking };
}
