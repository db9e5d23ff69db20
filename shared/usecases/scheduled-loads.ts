import * as z from 'zod';
import { matchBronzeKey } from '../core/bronze-key.js';
import type { ContractSet } from '../core/contract/parse.js';
import type { LoadRecord } from '../core/load.js';
import { manifestBody, manifestKey, manifestRef, parseManifest } from '../core/manifest.js';
import { type LakeLayout, type LoadExecutionInput, planLoad, runUri } from '../core/plan.js';
import { parseS3Uri, stageResult } from '../core/run-results.js';
import { DEFAULT_LOAD_LIMITS, type LoadLimits, type PendingObject } from '../core/schedule.js';
import type {
  DatasetControl,
  DatasetSlots,
  Ledger,
  ObjectStore,
  Orchestrator,
  PendingObjects,
  ScheduledLoad,
  ScheduledLoads,
} from '../ports.js';
import { readJsonArtifact } from './run-artifacts.js';
import type { ScheduleDeps } from './schedule-loads.js';

/**
 * The scheduler's loads over the ledger (their records) and the artifacts bucket (their
 * manifests): a load's record names its first object as `source` and refers to the manifest.
 */
export function ledgerLoads(deps: {
  readonly ledger: Ledger;
  readonly store: ObjectStore;
  readonly layout: LakeLayout;
  readonly now: () => Date;
}): ScheduledLoads {
  const bucket = deps.layout.artifactsBucket;
  return {
    putManifest: async (load) => {
      await deps.store.put(
        bucket,
        manifestKey(load.loadId),
        manifestBody(load.loadId, load.dataset, load.objects),
      );
    },
    manifest: async (dataset, loadId) => {
      const body = await deps.store.get(bucket, manifestKey(loadId));
      if (!body) return undefined;
      const file = parseManifest(new TextDecoder().decode(body), `s3://${bucket}/${manifestKey(loadId)}`);
      return { loadId, dataset, objects: file.objects.map((o) => ({ ...o, dataset })) };
    },
    register: async (load) => {
      const record = scheduledRecord(load, deps.layout, deps.now().toISOString());
      const out = await deps.ledger.register(record);
      return out.created
        ? { status: record.status, attempts: record.attempts }
        : { status: out.existing.status, attempts: out.existing.attempts };
    },
    status: async (loadId) => (await deps.ledger.get(loadId))?.status,
  };
}

/** The ledger record of a newly scheduled load. */
export function scheduledRecord(load: ScheduledLoad, layout: LakeLayout, at: string): LoadRecord {
  const n = load.objects.length;
  return {
    loadId: load.loadId,
    dataset: load.dataset,
    status: 'REGISTERED',
    source: sourceOf(firstOf(load)),
    manifest: manifestRef(layout, load.loadId, load.objects),
    executionName: load.loadId,
    attempts: 1,
    registeredAt: at,
    history: [{ status: 'REGISTERED', at, note: n === 1 ? '1 object' : `${n} objects` }],
  };
}

function firstOf(load: ScheduledLoad): PendingObject {
  const first = load.objects[0];
  if (!first) throw new Error(`load ${load.loadId} has an empty manifest`);
  return first;
}

function sourceOf(o: PendingObject): LoadRecord['source'] {
  return {
    bucket: o.bucket,
    key: o.key,
    ...(o.versionId ? { versionId: o.versionId } : {}),
    etag: o.etag,
    size: o.size,
  };
}

/** A load limit of a stage: a whole number above 0 (an unset or empty variable keeps the default). */
function limit(name: string, dflt: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return dflt;
      const n = Number(raw);
      if (Number.isInteger(n) && n >= 1) return n;
      ctx.addIssue({ code: 'custom', message: `${name} must be a whole number above 0, not "${raw}"` });
      return z.NEVER;
    });
}

const loadLimitsEnvironment = z.object({
  LAKEPLANE_LOAD_MAX_OBJECTS: limit('LAKEPLANE_LOAD_MAX_OBJECTS', DEFAULT_LOAD_LIMITS.maxObjects),
  LAKEPLANE_LOAD_MAX_BYTES: limit('LAKEPLANE_LOAD_MAX_BYTES', DEFAULT_LOAD_LIMITS.maxBytes),
});

/** The load limits of a deployment: the stage's (environment) over the defaults. */
export function loadLimitsFrom(env: Record<string, string | undefined>): LoadLimits {
  const parsed = loadLimitsEnvironment.safeParse(env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
  return {
    maxObjects: parsed.data.LAKEPLANE_LOAD_MAX_OBJECTS,
    maxBytes: parsed.data.LAKEPLANE_LOAD_MAX_BYTES,
  };
}

/** The scheduler's dependencies from the platform's parts (object-landed, load-events, the safety net). */
export function scheduleDepsOver(deps: {
  readonly contracts: ContractSet;
  readonly ledger: Ledger;
  readonly store: ObjectStore;
  readonly pending: PendingObjects;
  readonly slots: DatasetSlots;
  readonly orchestrator: Orchestrator;
  readonly layout: LakeLayout;
  readonly limits: LoadLimits;
  readonly control?: DatasetControl | undefined;
  readonly now: () => Date;
}): ScheduleDeps {
  return {
    pending: deps.pending,
    slots: deps.slots,
    loads: ledgerLoads(deps),
    orchestrator: deps.orchestrator,
    limits: () => deps.limits,
    paused: async (dataset) => {
      const contract = deps.contracts.datasets.get(dataset);
      if (!contract || contract.paused) return true;
      return (await deps.control?.get(dataset))?.paused === true;
    },
    input: (load): LoadExecutionInput => {
      const contract = deps.contracts.datasets.get(load.dataset);
      if (!contract) throw new Error(`dataset ${load.dataset} has no contract any more`);
      return planLoad(
        contract,
        {
          loadId: load.loadId,
          source: sourceOf(firstOf(load)),
          manifest: manifestRef(deps.layout, load.loadId, load.objects),
          attempt: 1,
        },
        deps.layout,
      );
    },
  };
}

/** What the platform knows of one Bronze key: the loads that read it and its versions still pending. */
export interface KeyLoads {
  readonly dataset: string;
  readonly loads: LoadRecord[];
  readonly pending: PendingObject[];
}

/**
 * The loads that read a Bronze key (any version), newest first, and the versions still pending:
 * from the scheduler's object items (which load took each) and, for loads from before coalescing,
 * the ledger's records of the dataset whose one object it is. The key may be given as
 * `s3://<bronze bucket>/<key>`. Undefined when no dataset's prefix holds the key.
 */
export async function loadsOfKey(
  key: string,
  deps: {
    readonly contracts: ContractSet;
    readonly ledger: Ledger;
    readonly pending: PendingObjects;
    readonly layout: LakeLayout;
  },
): Promise<KeyLoads | undefined> {
  // The s3:// address `loads show` prints names the same key.
  const bronze = `s3://${deps.layout.bronzeBucket}/`;
  if (key.startsWith(bronze)) key = key.slice(bronze.length);
  const match = matchBronzeKey(key, deps.contracts.datasets.values());
  if ('reason' in match) return undefined;
  const dataset = match.dataset.name;
  const known = await deps.pending.byKey(dataset, deps.layout.bronzeBucket, key);
  const ids = new Set(known.flatMap((k) => (k.loadId ? [k.loadId] : [])));
  const loads: LoadRecord[] = [];
  for (const id of ids) {
    const record = await deps.ledger.get(id);
    if (record) loads.push(record);
  }
  // Loads from before coalescing have no object items: their one object is the record's source.
  for (const r of await deps.ledger.list({ dataset, limit: 100_000 }))
    if (!r.manifest && r.source.key === key && !ids.has(r.loadId)) loads.push(r);
  loads.sort((a, b) => (a.registeredAt < b.registeredAt ? 1 : a.registeredAt > b.registeredAt ? -1 : 0));
  return { dataset, loads, pending: known.filter((k) => !k.loadId).map((k) => k.object) };
}

/** One object of a load, with its records when the stage has counted them. */
export interface LoadObject {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag: string;
  readonly size: number;
  readonly landedAt?: string;
  readonly rowsIn?: number;
  readonly rowsQuarantined?: number;
}

/**
 * A load's objects: its manifest's (artifacts bucket), or its one source for a load from before,
 * each with its records from the stage result of the load's latest attempt (when it ran).
 */
export async function objectsOfLoad(
  load: LoadRecord,
  store: ObjectStore,
  layout?: LakeLayout,
): Promise<LoadObject[]> {
  if (!load.manifest) {
    const c = load.counts;
    return [{ ...load.source, ...(c ? { rowsIn: c.rowsIn, rowsQuarantined: c.rowsQuarantined } : {}) }];
  }
  const at = parseS3Uri(load.manifest.uri);
  const body = await store.get(at.bucket, at.key);
  if (!body) throw new Error(`the manifest of load ${load.loadId} (${load.manifest.uri}) is missing`);
  const objects = parseManifest(new TextDecoder().decode(body), load.manifest.uri).objects;
  if (!layout) return objects;
  const stage = stageResult.safeParse(
    await readJsonArtifact(store, runUri(layout, load.loadId, load.attempts, 'stage.json')).catch(
      () => undefined,
    ),
  );
  const counted = stage.success ? stage.data.objects : undefined;
  if (counted?.length === objects.length) return objects.map((o, i) => ({ ...o, ...counted[i] }));
  if (objects.length === 1 && load.counts)
    return [{ ...objects[0]!, rowsIn: load.counts.rowsIn, rowsQuarantined: load.counts.rowsQuarantined }];
  return objects;
}
