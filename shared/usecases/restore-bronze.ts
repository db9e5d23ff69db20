import type { Ledger, ObjectInfo, ObjectStore } from '../ports.js';

export type RestoreBronzeOutcome =
  | {
      readonly outcome: 'restored';
      readonly loadId: string;
      readonly from: string;
      readonly restored: ObjectInfo;
    }
  | { readonly outcome: 'would-restore'; readonly loadId: string; readonly from: string }
  | { readonly outcome: 'refused'; readonly reason: string };

/**
 * Makes the Bronze object version a load read the current object at its key again (after a
 * later file overwrote it): a copy of that version becomes the newest. Replays do not need it
 * (they read the recorded version); crawlers, readers and re-deliveries do. The copy is a new
 * "Object Created" event: object-landed sees the same content and, where the store gives the
 * copy the same ETag (the local store, S3 with SSE-S3), finds the load already registered.
 */
export async function restoreBronze(
  loadId: string,
  deps: { readonly ledger: Ledger; readonly store: ObjectStore },
  options: { readonly dryRun?: boolean } = {},
): Promise<RestoreBronzeOutcome> {
  const load = await deps.ledger.get(loadId);
  if (!load) return { outcome: 'refused', reason: `no load ${loadId}; list loads with \`lakeplane loads\`` };
  const { bucket, key, versionId } = load.source;
  if (!versionId)
    return {
      outcome: 'refused',
      reason: `load ${loadId} recorded no object version for s3://${bucket}/${key} (the bucket was not versioned when it landed): there is no version to restore`,
    };
  const from = `s3://${bucket}/${key} version ${versionId}`;
  if (options.dryRun) return { outcome: 'would-restore', loadId, from };
  if (!deps.store.restoreVersion)
    return { outcome: 'refused', reason: 'this object store cannot restore versions' };
  const restored = await deps.store.restoreVersion(bucket, key, versionId);
  if (!restored)
    return {
      outcome: 'refused',
      reason: `${from} no longer exists (expired by the lifecycle's noncurrentVersionDays, or deleted)`,
    };
  return { outcome: 'restored', loadId, from, restored };
}
