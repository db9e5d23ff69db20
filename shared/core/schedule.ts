import { createHash } from 'node:crypto';
import { loadIdFor } from './load.js';

/**
 * Coalesced loads (the pure part): objects that landed in Bronze wait as pending objects of their
 * dataset; a load takes every pending object up to the limits, oldest first, as one manifest of
 * exact object versions. The load id derives from the manifest, so two schedulers that see the
 * same pending objects build the same load, and a retried start is the same execution.
 */

/** One landed Bronze object version waiting for a load of its dataset. */
export interface PendingObject {
  readonly dataset: string;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag: string;
  readonly size: number;
  /** When object-landed registered it (ISO 8601): landing order is (landedAt, key, versionId). */
  readonly landedAt: string;
  /**
   * The same content landed again after the load that took it was rolled back: how many times. Such
   * an object makes a new load (its id is the manifest's, with the version), not the undone one again.
   */
  readonly relanded?: number;
}

/** How much one load may take. */
export interface LoadLimits {
  /** Objects per load (1: one load per object, the model of the old behaviour). */
  readonly maxObjects: number;
  /** Bytes per load; an object bigger than this alone still makes a load of one. */
  readonly maxBytes: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = { maxObjects: 20_000, maxBytes: 8 * 1024 ** 3 };

/** Landing order: time, then key, then version (a tie of the first two is the same second). */
export function landingOrder(a: PendingObject, b: PendingObject): number {
  return cmp(a.landedAt, b.landedAt) || cmp(a.key, b.key) || cmp(a.versionId ?? '', b.versionId ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The next load's manifest: the oldest pending objects in landing order while both limits hold
 * (at least one object, whatever its size), or none when nothing is pending.
 */
export function nextManifest(pending: readonly PendingObject[], limits: LoadLimits): PendingObject[] {
  const out: PendingObject[] = [];
  let bytes = 0;
  for (const o of [...pending].sort(landingOrder)) {
    if (out.length >= limits.maxObjects) break;
    if (out.length > 0 && bytes + o.size > limits.maxBytes) break;
    out.push(o);
    bytes += o.size;
  }
  return out;
}

/**
 * The load id of a manifest: for one object, the object's own load id (`loadIdFor`, as every
 * load had before loads were coalesced, so the ledger's older loads keep their meaning); for more,
 * the dataset and a digest of the object versions in order (bucket, key, version, ETag). At most
 * 80 characters of [A-Za-z0-9-_], as an execution name must be.
 */
export function manifestLoadId(dataset: string, manifest: readonly PendingObject[]): string {
  if (manifest.length === 1 && !manifest[0]!.relanded) return loadIdFor(dataset, manifest[0]!);
  const h = createHash('sha256');
  for (const o of manifest)
    h.update(`${o.bucket}\n${o.key}\n${o.versionId ?? ''}\n${o.etag.replaceAll('"', '')}\n`);
  return `${dataset}-m${h.digest('hex').slice(0, 19)}`;
}

/**
 * The identity of a pending object within its dataset: bucket, key and content ETag, as a load id
 * was before loads were coalesced, so the same content landing at the same key again (a duplicate
 * event, the same file uploaded twice, a Bronze restore) is recognised and not loaded twice.
 */
export function pendingKey(o: Pick<PendingObject, 'bucket' | 'key' | 'etag'>): string {
  return `${o.bucket}/${o.key}#${o.etag.replaceAll('"', '')}`;
}
