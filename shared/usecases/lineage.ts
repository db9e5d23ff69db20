/**
 * Sends the OpenLineage run events of loads, Gold rebuilds, rollbacks and schema-drift actions
 * (docs/lineage.md). Lineage is a report, not a step: building or sending an event never throws
 * into the caller, so a consumer that is down or an artefact that cannot be read costs the event
 * (logged as a warning), never the load. Events are sent at least once: a repeated status event
 * sends its run event again, with the same run id and event time, which consumers take as the same.
 */
import * as z from 'zod';
import type { ContractSet } from '../core/contract/parse.js';
import type { DatasetContract } from '../core/contract/types.js';
import type { GlueColumn } from '../core/drift/table.js';
import type { ExecutionStatusChangeEvent } from '../core/events.js';
import type { ColumnLineageMap, DatasetColumnLineage } from '../core/lineage/contract-lineage.js';
import {
  type Assertion,
  type BronzeObject,
  driftRunEvents,
  goldRunEvents,
  type LineageContext,
  loadRunEvent,
  type RollbackRunFacts,
  rollbackRunEvent,
} from '../core/lineage/events.js';
import type { EventType, RunEvent } from '../core/lineage/openlineage.js';
import type { LoadCause, LoadCounts } from '../core/load.js';
import { loadManifestFile } from '../core/manifest.js';
import { goldResult } from '../core/run-results.js';
import type { DriftRecord, LineageSink, ObjectStore } from '../ports.js';
import { readJsonArtifact } from './run-artifacts.js';

export interface LineageDeps {
  readonly sink: LineageSink;
  readonly context: LineageContext;
  readonly contracts: ContractSet;
  /** The contracts' column lineage (computed once per container or at build time). */
  readonly columnLineage: () => Promise<ColumnLineageMap>;
  /** Why an event was not built or sent: names the run, never carries the event itself. */
  readonly warn: (message: string, error?: unknown) => void;
}

/** Sends events in order; a failure is a warning. */
async function sendAll(deps: LineageDeps, events: readonly RunEvent[]): Promise<void> {
  for (const e of events) {
    try {
      await deps.sink.send(e);
    } catch (error) {
      deps.warn(
        `lineage: the ${e.eventType} event of ${e.job.name} (run ${e.run.runId}) was not sent`,
        error,
      );
    }
  }
}

/** Runs `build` and sends what it returns; nothing it does fails the caller. */
export async function emitLineage(
  deps: LineageDeps | undefined,
  what: string,
  build: () => Promise<readonly RunEvent[]>,
): Promise<void> {
  if (!deps) return;
  let events: readonly RunEvent[];
  try {
    events = await build();
  } catch (error) {
    deps.warn(`lineage: the events of ${what} could not be built`, error);
    return;
  }
  await sendAll(deps, events);
}

const inputShape = z.object({
  load: z.object({
    loadId: z.string(),
    dataset: z.string(),
    attempt: z.number().int().positive(),
    source: z.object({
      bucket: z.string(),
      key: z.string(),
      versionId: z.string().optional(),
      etag: z.string(),
      size: z.number(),
    }),
    manifest: z.object({ uri: z.string() }).optional(),
  }),
  results: z.object({ validation: z.string().optional(), gold: z.string() }),
  quarantine: z.object({ uri: z.string() }).optional(),
});

/** What the status use case knows of an attempt's end. */
export interface LoadEnd {
  readonly status: string;
  readonly counts?: LoadCounts;
  readonly commitId?: string;
  readonly cause?: LoadCause;
}

const EVENT_TYPES: Record<ExecutionStatusChangeEvent['detail']['status'], EventType | undefined> = {
  RUNNING: 'START',
  SUCCEEDED: 'COMPLETE',
  FAILED: 'FAIL',
  TIMED_OUT: 'ABORT',
  ABORTED: 'ABORT',
  PENDING_REDRIVE: undefined,
};

/** When a run event about an execution happened: its start for START, else its stop. */
export const eventTimeOf = (
  d: Pick<ExecutionStatusChangeEvent['detail'], 'startDate' | 'stopDate'>,
  eventType: EventType,
): string => new Date(eventType === 'START' ? d.startDate : (d.stopDate ?? d.startDate)).toISOString();

/** The run event type of an execution status (none for a redrive, which the platform does not use). */
export const eventTypeOf = (status: ExecutionStatusChangeEvent['detail']['status']): EventType | undefined =>
  EVENT_TYPES[status];

/**
 * The run events of one status change of a load-dataset execution: START when it runs; at its
 * end the load's COMPLETE / FAIL / ABORT and, after a commit, each Gold table's rebuild. With
 * `startMissed` (the ledger never saw this attempt RUNNING: its RUNNING event was lost) the end
 * comes after the START it did not get, so every run has both.
 */
export function emitLoadLineage(
  event: ExecutionStatusChangeEvent,
  end: LoadEnd | undefined,
  objects: ObjectStore,
  deps: LineageDeps | undefined,
  startMissed = false,
): Promise<void> {
  const d = event.detail;
  return emitLineage(deps, `execution ${d.name}`, async () => {
    const eventType = EVENT_TYPES[d.status];
    if (!eventType || !deps || !d.input) return [];
    const input = inputShape.safeParse(JSON.parse(d.input));
    if (!input.success) {
      deps.warn(
        `lineage: execution ${d.name} has no load-dataset input this version reads; no run event was sent`,
      );
      return [];
    }
    const { load } = input.data;
    const contract = deps.contracts.datasets.get(load.dataset);
    if (!contract) {
      deps.warn(
        `lineage: execution ${d.name} loads ${load.dataset}, which has no contract here; no run event was sent`,
      );
      return [];
    }
    const lineage = (await deps.columnLineage()).get(contract.name);
    const eventTime = eventTimeOf(d, eventType);
    const common = {
      contract,
      loadId: load.loadId,
      attempt: load.attempt,
      executionName: d.name,
      parent: { executionArn: d.executionArn },
      eventTime,
      objects: await bronzeObjects(objects, load, deps),
      ...(lineage ? { lineage: lineage.silver } : {}),
    };
    const start = loadRunEvent(deps.context, {
      ...common,
      eventType: 'START',
      eventTime: eventTimeOf(d, 'START'),
    });
    if (eventType === 'START') return [start];
    const assertions = input.data.results.validation
      ? await validationOutcomes(objects, input.data.results.validation)
      : undefined;
    const events = [
      ...(startMissed ? [start] : []),
      loadRunEvent(deps.context, {
        ...common,
        eventType,
        ...(end ?? {}),
        ...(assertions ? { assertions } : {}),
        ...(input.data.quarantine ? { quarantineUri: input.data.quarantine.uri } : {}),
      }),
    ];
    if (eventType === 'COMPLETE')
      events.push(...(await goldEvents(objects, input.data.results.gold, contract, common, lineage, deps)));
    else if (end?.commitId)
      // Silver committed and a later step failed: the Gold tables were not rebuilt from it.
      events.push(...failedGoldEvents(contract, common, end, deps));
    return events;
  });
}

/** The object versions of the load's manifest; its first object alone when the manifest cannot be read. */
async function bronzeObjects(
  objects: ObjectStore,
  load: z.infer<typeof inputShape>['load'],
  deps: LineageDeps,
): Promise<BronzeObject[]> {
  if (!load.manifest) return [load.source];
  const uri = load.manifest.uri;
  const m = loadManifestFile.safeParse(await readJsonArtifact(objects, uri).catch(() => undefined));
  if (m.success) return m.data.objects;
  deps.warn(
    `lineage: the manifest ${uri} of load ${load.loadId} could not be read; its run names only its first object`,
  );
  return [load.source];
}

/** START and FAIL of each Gold table of a load whose commit reached Silver while a later step failed. */
function failedGoldEvents(
  contract: DatasetContract,
  load: { loadId: string; attempt: number; parent: { executionArn: string }; eventTime: string },
  end: LoadEnd,
  deps: LineageDeps,
): RunEvent[] {
  return contract.gold.flatMap((g) =>
    goldRunEvents(deps.context, {
      contract,
      loadId: load.loadId,
      attempt: load.attempt,
      parent: load.parent,
      eventTime: load.eventTime,
      table: g.name,
      failed: end.cause ?? { error: 'Lakeplane.LoadFailed', message: `the load ended ${end.status}` },
    }),
  );
}

/**
 * The fields of a Great Expectations validation result (1.x `type`, 0.x `expectation_type`) an
 * assertion needs. Not gx-result.ts's full reader: the gate has judged the result already, and
 * these few fields keep the functions that send lineage (the reconciler) within their size.
 */
const validationShape = z.looseObject({
  results: z.array(
    z.looseObject({
      success: z.boolean(),
      expectation_config: z.looseObject({
        type: z.string().optional(),
        expectation_type: z.string().optional(),
        kwargs: z.record(z.string(), z.unknown()).optional(),
        meta: z
          .looseObject({
            lakeplane: z.looseObject({ severity: z.enum(['fail', 'warn']).optional() }).optional(),
          })
          .nullable()
          .optional(),
      }),
    }),
  ),
});

async function validationOutcomes(objects: ObjectStore, uri: string): Promise<Assertion[] | undefined> {
  const parsed = validationShape.safeParse(await readJsonArtifact(objects, uri).catch(() => undefined));
  if (!parsed.success) return undefined;
  return parsed.data.results.map((r) => {
    const c = r.expectation_config;
    const column = c.kwargs?.column;
    const severity = c.meta?.lakeplane?.severity;
    return {
      type: c.type ?? c.expectation_type ?? 'unknown',
      success: r.success,
      ...(typeof column === 'string' ? { column } : {}),
      ...(severity ? { severity } : {}),
    };
  });
}

async function goldEvents(
  objects: ObjectStore,
  uri: string,
  contract: DatasetContract,
  load: { loadId: string; attempt: number; parent: { executionArn: string }; eventTime: string },
  lineage: DatasetColumnLineage | undefined,
  deps: LineageDeps,
): Promise<RunEvent[]> {
  const result = goldResult.safeParse(await readJsonArtifact(objects, uri).catch(() => undefined));
  if (!result.success) return [];
  return result.data.tables.flatMap((t) => {
    const l = lineage?.gold[t.name];
    return goldRunEvents(deps.context, {
      contract,
      loadId: load.loadId,
      attempt: load.attempt,
      parent: load.parent,
      eventTime: load.eventTime,
      table: t.name,
      rows: t.rows,
      ...(l ? { lineage: l } : {}),
    });
  });
}

/** A rollback's run event (START before it, COMPLETE or FAIL after). */
export function emitRollbackLineage(
  deps: LineageDeps | undefined,
  facts: Omit<RollbackRunFacts, 'contract'> & { readonly dataset: string },
): Promise<void> {
  return emitLineage(deps, `rollback ${facts.rollbackId}`, async () => {
    const contract = deps?.contracts.datasets.get(facts.dataset);
    if (!deps || !contract) return [];
    const { dataset: _, ...rest } = facts;
    return [rollbackRunEvent(deps.context, { ...rest, contract })];
  });
}

/** A schema-drift decision's run (START and COMPLETE), from its drift-log record. */
export function emitDriftLineage(
  deps: LineageDeps | undefined,
  drift: DriftRecord,
  columns: readonly GlueColumn[],
): Promise<void> {
  return emitLineage(deps, `schema drift of ${drift.dataset} ${drift.toVersion}`, async () => {
    const contract = deps?.contracts.datasets.get(drift.dataset);
    if (!deps || !contract) return [];
    return driftRunEvents(deps.context, { contract, drift, columns });
  });
}
