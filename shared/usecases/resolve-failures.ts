import { type LoadRecord, NEEDS_SOMEONE } from '../core/load.js';
import type { Ledger } from '../ports.js';
import type { ScheduleDeps } from './schedule-loads.js';

export interface ResolveDeps {
  readonly ledger: Ledger;
  /** The scheduler's manifests and object versions: which keys a coalesced load read, and who read them later. */
  readonly scheduler?: Pick<ScheduleDeps, 'loads' | 'pending'>;
}

/**
 * How many failed loads one success looks at (newest first, all datasets: the ledger's status index
 * is read, not the dataset's, so a success costs a read of what needs someone, not of the dataset's history).
 */
const FAILED_SCAN = 1000;

/**
 * A load of `dataset` succeeded: every failed load of the dataset registered before it whose every
 * object key has been read again by a load that succeeded (the corrected file was landed at the
 * same key) is RESOLVED, by `succeeded`. Nobody needs to replay it any more (a replay would bring the
 * older version back), so it leaves `lakeplane loads --status FAILED`.
 *
 * Idempotent and self-healing: it looks at every failed load of the dataset, not only those this
 * success covers, so a process that died before resolving (or a success that only completed what
 * earlier successes began) is caught up by the dataset's next success. The move is a conditional
 * write from FAILED/FAILED_QUALITY, so a replay that started meanwhile wins.
 */
export async function resolveFailures(succeeded: LoadRecord, deps: ResolveDeps): Promise<LoadRecord[]> {
  if (succeeded.status !== 'SUCCEEDED') return [];
  const failed: LoadRecord[] = [];
  for (const status of NEEDS_SOMEONE)
    failed.push(...(await deps.ledger.list({ status, limit: FAILED_SCAN })));
  const earlier = failed.filter(
    (f) =>
      f.dataset === succeeded.dataset &&
      f.loadId !== succeeded.loadId &&
      f.registeredAt < succeeded.registeredAt,
  );
  if (earlier.length === 0) return [];
  const read = new Set((await objectsOf(succeeded, deps)).map((o) => o.ref));
  const resolved: LoadRecord[] = [];
  for (const load of earlier) {
    const objects = await objectsOf(load, deps);
    let covered = true;
    for (const o of objects) {
      if (read.has(o.ref) || (await readAgainLater(load, o, deps))) continue;
      covered = false;
      break;
    }
    if (!covered || objects.length === 0) continue;
    const moved = await deps.ledger.transition(
      load.loadId,
      'RESOLVED',
      NEEDS_SOMEONE,
      { resolvedBy: succeeded.loadId },
      `resolved by load ${succeeded.loadId}: a later load read ${objects.length === 1 ? 'its object key' : `all ${objects.length} of its object keys`} again and succeeded`,
    );
    if (moved) resolved.push(moved);
  }
  return resolved;
}

interface KeyRead {
  /** `bucket/key`. */
  readonly ref: string;
  readonly bucket: string;
  readonly key: string;
  /** When the version this load read landed (absent for a load from before manifests). */
  readonly landedAt?: string;
}

/** The object keys a load read: its manifest's, or its one source (a load from before manifests). */
async function objectsOf(load: LoadRecord, deps: ResolveDeps): Promise<KeyRead[]> {
  const manifest = load.manifest
    ? await deps.scheduler?.loads.manifest(load.dataset, load.loadId)
    : undefined;
  if (manifest)
    return manifest.objects.map((o) => ({
      ref: `${o.bucket}/${o.key}`,
      bucket: o.bucket,
      key: o.key,
      landedAt: o.landedAt,
    }));
  const { bucket, key } = load.source;
  return [{ ref: `${bucket}/${key}`, bucket, key }];
}

/** Whether a later version of the key was read by a load that succeeded (the scheduler's record of each version). */
async function readAgainLater(load: LoadRecord, o: KeyRead, deps: ResolveDeps): Promise<boolean> {
  const scheduler = deps.scheduler;
  if (!scheduler || o.landedAt === undefined) return false;
  const since = o.landedAt;
  for (const v of await scheduler.pending.byKey(load.dataset, o.bucket, o.key)) {
    if (!v.loadId || v.loadId === load.loadId || v.object.landedAt <= since) continue;
    if ((await deps.ledger.get(v.loadId))?.status === 'SUCCEEDED') return true;
  }
  return false;
}
