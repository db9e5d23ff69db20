import type { ContractSet } from '../core/contract/parse.js';
import type { DatasetContract } from '../core/contract/types.js';
import {
  type ContractCheckedChange,
  classifyAgainstContract,
  classifyTableChange,
  type DriftChange,
  type DriftSummary,
  decideDriftAction,
  summarizeChanges,
} from '../core/drift/index.js';
import type { GlueTableVersion } from '../core/drift/table.js';
import {
  changedTablesOf,
  type GlueCatalogChangeEvent,
  TABLE_DEFINITION_CHANGES,
  TABLE_DELETIONS,
} from '../core/events-glue.js';
import {
  bronzeTableDeletedMessage,
  type DriftMessageOptions,
  schemaDriftMessage,
} from '../core/messages/drift.js';
import type { Catalog, DatasetControl, DriftLog, DriftRecord, EventPublisher, Notifier } from '../ports.js';
import { emitDriftLineage, type LineageDeps } from './lineage.js';

/** The custom event announcing drift: `source` and `detail-type` of the PutEvents entry. */
export const DRIFT_EVENT = { source: 'lakeplane', detailType: 'Schema Drift Detected' } as const;
/** Who pauses a dataset for drift (DatasetState.pausedBy). */
export const DRIFT_PAUSED_BY = 'schema-drift';
/** At most this many changes go into the custom event and into the drift log record. */
export const MAX_CHANGES_CARRIED = 50;
/** Text fields of carried changes are cut at this many characters (a struct type can be huge). */
const MAX_CHANGE_TEXT = 500;
/** The custom event's detail stays below this many bytes (PutEvents allows 256 KB per entry). */
const MAX_DETAIL_BYTES = 128 * 1024;

/** Maps a Bronze table name to its dataset name (undefined: the table is no dataset's). */
export type TableDatasetMapping = (table: string) => string | undefined;

/** The default mapping: the Bronze table is named after its dataset. */
export const identityTableDataset: TableDatasetMapping = (table) => table;

/** A mapping for tables a crawler names with a prefix (its `TablePrefix`): `bronze_orders` → `orders`. */
export function stripTablePrefix(prefix: string): TableDatasetMapping {
  return (table) =>
    table.startsWith(prefix) && table.length > prefix.length ? table.slice(prefix.length) : undefined;
}

export interface SchemaDriftDeps {
  readonly contracts: ContractSet;
  readonly catalog: Catalog;
  readonly control: DatasetControl;
  readonly driftLog: DriftLog;
  readonly notifier: Notifier;
  readonly events: EventPublisher;
  /** The Glue database of the Bronze tables; events of other databases are ignored. */
  readonly bronzeDatabase: string;
  /** Bronze table → dataset; {@link identityTableDataset} when not set. */
  readonly tableDataset?: TableDatasetMapping;
  /** The deployed stage, for the commands in alerts. */
  readonly stage?: string;
  /** How the commands in alerts start (the local runtime: `npx lakeplane --home …`). */
  readonly cli?: string;
  readonly now: () => Date;
  /** Where each recorded decision's run events go (none: no lineage is sent). */
  readonly lineage?: LineageDeps;
}

/** What happened for one table of an event. */
export type TableDriftOutcome =
  /** Not a dataset's Bronze table. */
  | { readonly outcome: 'ignored'; readonly table: string; readonly reason: string }
  /** Fewer than two versions (a new table, or one already gone): nothing to compare. */
  | {
      readonly outcome: 'nothing-to-compare';
      readonly dataset: string;
      readonly table: string;
      readonly versions: number;
    }
  /** The two newest versions have the same schema (e.g. only table parameters changed). */
  | {
      readonly outcome: 'unchanged';
      readonly dataset: string;
      readonly table: string;
      readonly fromVersion: string;
      readonly toVersion: string;
    }
  /** This table version was recorded before (a repeated event): nothing done. */
  | {
      readonly outcome: 'duplicate';
      readonly dataset: string;
      readonly table: string;
      readonly fromVersion: string;
      readonly toVersion: string;
    }
  /** Recorded in the drift log, and acted upon unless the action is `none`. */
  | {
      readonly outcome: 'recorded';
      readonly dataset: string;
      readonly table: string;
      readonly fromVersion: string;
      readonly toVersion: string;
      readonly action: DriftRecord['action'];
      readonly breaking: boolean;
      readonly paused: boolean;
      readonly summary: DriftSummary;
    };

export type SchemaDriftResult =
  | { readonly outcome: 'ignored'; readonly reason: string }
  | {
      readonly outcome: 'processed';
      readonly typeOfChange: string;
      readonly tables: readonly TableDriftOutcome[];
    };

/** A change in the shape it is carried in the custom event and the drift log (texts cut). */
export interface CarriedChange {
  readonly kind: string;
  readonly path: string;
  readonly column: string;
  readonly previousPath?: string;
  readonly oldType?: string;
  readonly newType?: string;
  readonly severity: DriftChange['severity'];
  readonly reason: string;
  readonly declared?: boolean;
}

/** The pseudo-change recorded when a Bronze table is deleted. */
function tableDeleted(table: string): CarriedChange {
  return {
    kind: 'table-deleted',
    path: table,
    column: table,
    severity: 'breaking',
    reason: 'the Bronze table was deleted from the Glue Data Catalog',
  };
}

function cut(text: string): string {
  return text.length <= MAX_CHANGE_TEXT ? text : `${text.slice(0, MAX_CHANGE_TEXT - 1)}…`;
}

/** A change as carried: at most {@link MAX_CHANGE_TEXT} characters per text. */
export function carryChange(c: DriftChange & { readonly declared?: boolean }): CarriedChange {
  return {
    kind: c.kind,
    path: cut(c.path),
    column: cut(c.column),
    ...(c.previousPath !== undefined ? { previousPath: cut(c.previousPath) } : {}),
    ...(c.oldType !== undefined ? { oldType: cut(c.oldType) } : {}),
    ...(c.newType !== undefined ? { newType: cut(c.newType) } : {}),
    severity: c.severity,
    reason: cut(c.reason),
    ...(c.declared !== undefined ? { declared: c.declared } : {}),
  };
}

/** Breaking changes first (kept in their order), so capping never drops one for a lesser change. */
function breakingFirst<C extends DriftChange>(changes: readonly C[]): C[] {
  return [
    ...changes.filter((c) => c.severity === 'breaking'),
    ...changes.filter((c) => c.severity !== 'breaking'),
  ];
}

/** Inputs of the `Schema Drift Detected` detail. */
export interface DriftEventInput {
  readonly dataset: string;
  readonly database: string;
  readonly table: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly action: DriftRecord['action'];
  readonly breaking: boolean;
  readonly policy: DatasetContract['drift']['policy'];
  readonly typeOfChange: string;
  readonly summary: DriftSummary | Record<string, unknown>;
  /** Every change the event is about; the detail carries the first {@link MAX_CHANGES_CARRIED}. */
  readonly changes: readonly CarriedChange[];
  readonly detectedAt: string;
}

/**
 * The detail of the `Schema Drift Detected` event: the table, versions, action, summary and the
 * changes (at most {@link MAX_CHANGES_CARRIED}; `omittedChanges` counts the rest), kept below
 * 128 KB so it always fits a PutEvents entry.
 */
export function driftEventDetail(input: DriftEventInput): Record<string, unknown> {
  let changes = input.changes.slice(0, MAX_CHANGES_CARRIED);
  const build = () => ({
    dataset: input.dataset,
    database: input.database,
    table: input.table,
    fromVersion: input.fromVersion,
    toVersion: input.toVersion,
    action: input.action,
    breaking: input.breaking,
    policy: input.policy,
    typeOfChange: input.typeOfChange,
    summary: input.summary,
    changes,
    omittedChanges: input.changes.length - changes.length,
    detectedAt: input.detectedAt,
  });
  let detail = build();
  while (changes.length > 0 && Buffer.byteLength(JSON.stringify(detail), 'utf8') > MAX_DETAIL_BYTES) {
    changes = changes.slice(0, Math.floor(changes.length / 2));
    detail = build();
  }
  return detail;
}

/**
 * The reason a dataset is paused for: the table version and the breaking changes (or, under the
 * `block` policy without breaking changes, the drift), at most five named.
 */
export function pauseReason(
  database: string,
  table: string,
  fromVersion: string,
  toVersion: string,
  drift: readonly DriftChange[],
): string {
  const breaking = drift.filter((c) => c.severity === 'breaking');
  const named = breaking.length > 0 ? breaking : drift;
  const shown = named
    .slice(0, 5)
    .map(
      (c) =>
        `${cut(c.path)} ${c.kind}${c.oldType !== undefined || c.newType !== undefined ? ` (${cut(c.oldType ?? '—')} → ${cut(c.newType ?? '—')})` : ''}`,
    );
  const more = named.length > shown.length ? `, and ${named.length - shown.length} more` : '';
  const what = breaking.length > 0 ? 'breaking schema drift' : 'schema drift (policy block)';
  return `${what} in Bronze table ${database}.${table} version ${fromVersion} → ${toVersion}: ${shown.join('; ')}${more}`;
}

/** Where a drift alert goes (the contract's Slack channel) and the stage its commands name. */
function messageOptions(contract: DatasetContract, deps: SchemaDriftDeps): DriftMessageOptions {
  return {
    ...(contract.alerts.slackChannel ? { channel: contract.alerts.slackChannel } : {}),
    ...(deps.stage ? { stage: deps.stage } : {}),
    ...(deps.cli ? { cli: deps.cli } : {}),
  };
}

/** Newest first by numeric version id, whatever order the catalog returned. */
function newestFirst(versions: readonly GlueTableVersion[]): GlueTableVersion[] {
  return [...versions].sort((a, b) => Number(b.VersionId) - Number(a.VersionId));
}

/**
 * A Glue Data Catalog change: for each changed Bronze table of a dataset, compare its newest
 * table version with the previous one, check the changes against the dataset contract, and act
 * by the contract's drift policy (accept, alert, or pause the dataset) — announcing it in Slack
 * and as a `Schema Drift Detected` event. A deleted Bronze table is a breaking alert.
 *
 * Each table version is recorded in the drift log first, with a conditional write: when it was
 * recorded before (a repeated or late event) nothing else happens, so a dataset resumed by an
 * engineer is never paused again by the same version. The flip side: when pausing, Slack or
 * PutEvents fail after the record, a retry does not repeat them, so the failure is thrown as a
 * {@link DriftAnnouncementError} that says what was not done.
 * Partition changes and other databases are ignored without calling the catalog.
 */
export async function onGlueCatalogChange(
  event: GlueCatalogChangeEvent,
  deps: SchemaDriftDeps,
): Promise<SchemaDriftResult> {
  const { databaseName, typeOfChange } = event.detail;
  if (databaseName !== deps.bronzeDatabase) {
    return {
      outcome: 'ignored',
      reason: `database ${databaseName} is not the Bronze database ${deps.bronzeDatabase}`,
    };
  }
  if (!TABLE_DEFINITION_CHANGES.has(typeOfChange)) {
    return { outcome: 'ignored', reason: `${typeOfChange} does not change a table definition` };
  }
  const mapping = deps.tableDataset ?? identityTableDataset;
  const tables: TableDriftOutcome[] = [];
  // One table after the other: a failure stops the event, and its retry finds the tables done
  // before it recorded (duplicates), so each table is acted upon once.
  for (const table of changedTablesOf(event)) {
    const datasetName = mapping(table);
    const contract = datasetName !== undefined ? deps.contracts.datasets.get(datasetName) : undefined;
    if (!contract) {
      tables.push({
        outcome: 'ignored',
        table,
        reason:
          datasetName === undefined
            ? `table ${table} maps to no dataset`
            : `no dataset contract named ${datasetName}`,
      });
      continue;
    }
    tables.push(
      TABLE_DELETIONS.has(typeOfChange)
        ? await onTableDeleted(event, table, contract, deps)
        : await onTableChanged(event, table, contract, deps),
    );
  }
  return { outcome: 'processed', typeOfChange, tables };
}

/**
 * Announcing recorded drift failed. The table version is already in the drift log, so a retry of
 * the event does not repeat it: the message says what was not done, for a person to finish.
 */
export class DriftAnnouncementError extends Error {
  override readonly name = 'DriftAnnouncementError';
  constructor(
    readonly dataset: string,
    readonly table: string,
    readonly toVersion: string,
    /** What failed: `pause`, `slack`, `event`. */
    readonly failed: readonly { readonly step: string; readonly error: unknown }[],
  ) {
    super(
      `drift of ${table} version ${toVersion} (dataset ${dataset}) is recorded, but ${failed
        .map(
          ({ step, error }) =>
            `${step} failed (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`,
        )
        .join(' and ')}; a retry of the event will not repeat it`,
      { cause: failed[0]?.error },
    );
  }
}

/**
 * After the record: pause (when asked), then the Slack message and the event. A failed pause
 * stops there (the message would claim PAUSED); Slack and the event are tried independently.
 * @throws DriftAnnouncementError naming every step that failed.
 */
async function announce(
  at: { readonly dataset: string; readonly table: string; readonly toVersion: string },
  steps: {
    readonly pause?: () => Promise<unknown>;
    readonly slack: () => Promise<void>;
    readonly event: () => Promise<void>;
  },
): Promise<void> {
  if (steps.pause) {
    try {
      await steps.pause();
    } catch (error) {
      throw new DriftAnnouncementError(at.dataset, at.table, at.toVersion, [{ step: 'pause', error }]);
    }
  }
  const failed: { step: string; error: unknown }[] = [];
  for (const [step, run] of [
    ['slack', steps.slack],
    ['event', steps.event],
  ] as const) {
    try {
      await run();
    } catch (error) {
      failed.push({ step, error });
    }
  }
  if (failed.length > 0) throw new DriftAnnouncementError(at.dataset, at.table, at.toVersion, failed);
}

/** The summary of a deleted table: one breaking change (its kind is not a schema change kind). */
const DELETED_SUMMARY: DriftSummary = {
  total: 1,
  bySeverity: { additive: 0, widening: 0, breaking: 1 },
  byKind: {},
  declared: 0,
  drift: 1,
  breaking: true,
};

async function onTableDeleted(
  event: GlueCatalogChangeEvent,
  table: string,
  contract: DatasetContract,
  deps: SchemaDriftDeps,
): Promise<TableDriftOutcome> {
  const database = deps.bronzeDatabase;
  const fromVersion = 'unknown';
  // The table's versions are gone with it: the deletion is keyed by the event time, which a
  // repeated delivery of the same event keeps.
  const toVersion = `deleted@${event.time}`;
  const change = tableDeleted(table);
  const detectedAt = deps.now().toISOString();
  const recorded = await deps.driftLog.record({
    dataset: contract.name,
    database,
    table,
    fromVersion,
    toVersion,
    action: 'alert',
    breaking: true,
    changes: [change],
    detectedAt,
  });
  if (!recorded) return { outcome: 'duplicate', dataset: contract.name, table, fromVersion, toVersion };
  await announce(
    { dataset: contract.name, table, toVersion },
    {
      slack: () =>
        deps.notifier.notify(
          bronzeTableDeletedMessage(
            { dataset: contract.name, database, table, deletedAt: event.time },
            messageOptions(contract, deps),
          ),
        ),
      event: () =>
        deps.events.publish(
          DRIFT_EVENT.source,
          DRIFT_EVENT.detailType,
          driftEventDetail({
            dataset: contract.name,
            database,
            table,
            fromVersion,
            toVersion,
            action: 'alert',
            breaking: true,
            policy: contract.drift.policy,
            typeOfChange: event.detail.typeOfChange,
            summary: { ...DELETED_SUMMARY, byKind: { 'table-deleted': 1 } },
            changes: [change],
            detectedAt,
          }),
        ),
    },
  );
  return {
    outcome: 'recorded',
    dataset: contract.name,
    table,
    fromVersion,
    toVersion,
    action: 'alert',
    breaking: true,
    paused: false,
    summary: DELETED_SUMMARY,
  };
}

async function onTableChanged(
  event: GlueCatalogChangeEvent,
  table: string,
  contract: DatasetContract,
  deps: SchemaDriftDeps,
): Promise<TableDriftOutcome> {
  const database = deps.bronzeDatabase;
  const dataset = contract.name;
  const versions = newestFirst(await deps.catalog.tableVersions(database, table));
  const [newest, previous] = versions;
  if (!newest || !previous)
    return { outcome: 'nothing-to-compare', dataset, table, versions: versions.length };
  const fromVersion = previous.VersionId;
  const toVersion = newest.VersionId;
  const changes = classifyTableChange(previous.Table, newest.Table);
  if (changes.length === 0) return { outcome: 'unchanged', dataset, table, fromVersion, toVersion };

  const checked = classifyAgainstContract(changes, contract);
  const decision = decideDriftAction(checked, contract.drift.policy);
  const summary = summarizeChanges(checked);
  const drift: DriftRecord = {
    dataset,
    database,
    table,
    fromVersion,
    toVersion,
    action: decision.action,
    breaking: decision.breaking,
    changes: breakingFirst<ContractCheckedChange>(checked).slice(0, MAX_CHANGES_CARRIED).map(carryChange),
    detectedAt: deps.now().toISOString(),
  };
  const recorded = await deps.driftLog.record(drift);
  if (!recorded) return { outcome: 'duplicate', dataset, table, fromVersion, toVersion };
  await emitDriftLineage(deps.lineage, drift, newest.Table.StorageDescriptor?.Columns ?? []);
  const result = {
    outcome: 'recorded' as const,
    dataset,
    table,
    fromVersion,
    toVersion,
    action: decision.action,
    breaking: decision.breaking,
    summary,
  };
  if (decision.action === 'none') return { ...result, paused: false };

  const action = decision.action;
  await announce(
    { dataset, table, toVersion },
    {
      ...(action === 'pause'
        ? {
            pause: () =>
              deps.control.pause(
                dataset,
                pauseReason(database, table, fromVersion, toVersion, decision.changes),
                DRIFT_PAUSED_BY,
              ),
          }
        : {}),
      slack: () =>
        deps.notifier.notify(
          schemaDriftMessage(
            {
              dataset,
              database,
              table,
              fromVersion,
              toVersion,
              policy: contract.drift.policy,
              action,
              changes: decision.changes,
              declared: summary.declared,
            },
            messageOptions(contract, deps),
          ),
        ),
      event: () =>
        deps.events.publish(
          DRIFT_EVENT.source,
          DRIFT_EVENT.detailType,
          driftEventDetail({
            dataset,
            database,
            table,
            fromVersion,
            toVersion,
            action,
            breaking: decision.breaking,
            policy: contract.drift.policy,
            typeOfChange: event.detail.typeOfChange,
            summary,
            changes: breakingFirst(decision.changes).map(carryChange),
            detectedAt: drift.detectedAt,
          }),
        ),
    },
  );
  return { ...result, paused: decision.action === 'pause' };
}
