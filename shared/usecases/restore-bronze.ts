import type { Ledger, ObjectInfo, ObjectStore } from '../ports.js';
import { objectsOfLoad } from './scheduled-loads.js';

/** One object of the load: its version, and the copy that made it current. */
export interface RestoredObject {
  readonly from: string;
  readonly restored: ObjectInfo;
}

export type RestoreBronzeOutcome =
  | { readonly outcome: 'restored'; readonly loadId: string; readonly objects: RestoredObject[] }
  | {
      readonly outcome: 'would-restore';
      readonly loadId: string;
      readonly objects: { readonly from: string }[];
    }
  | { readonly outcome: 'refused'; readonly reason: string };

/**
 * Makes the Bronze object versions a load read the current objects at their keys again (after
 * later files overwrote them): a copy of each version becomes the newest. Every object of a coalesced load is restored
 * (its manifest's versions). Replays do not need it (they read the recorded versions); crawlers,
 * readers and re-deliveries do. Each copy is a new "Object Created" event: object-landed sees the
 * same content (the same ETag: the local store, S3 with SSE-S3) and adds nothing.
 */
export async function restoreBronze(
  loadId: string,
  deps: { readonly ledger: Ledger; readonly store: ObjectStore },
  options: { readonly dryRun?: boolean } = {},
): Promise<RestoreBronzeOutcome> {
  const load = await deps.ledger.get(loadId);
  if (!load) return { outcome: 'refused', reason: `no load ${loadId}; list loads with \`lakeplane loads\`` };
  const objects = await objectsOfLoad(load, deps.store);
  const unversioned = objects.find((o) => !o.versionId);
  if (unversioned)
    return {
      outcome: 'refused',
      reason: `load ${loadId} recorded no object version for s3://${unversioned.bucket}/${unversioned.key} (the bucket was not versioned when it landed): there is no version to restore`,
    };
  const from = (o: (typeof objects)[number]) => `s3://${o.bucket}/${o.key} version ${o.versionId}`;
  if (options.dryRun)
    return { outcome: 'would-restore', loadId, objects: objects.map((o) => ({ from: from(o) })) };
  const store = deps.store;
  if (!store.restoreVersion)
    return { outcome: 'refused', reason: 'this object store cannot restore versions' };
  const out: RestoredObject[] = [];
  for (const o of objects) {
    const restored = await store.restoreVersion(o.bucket, o.key, o.versionId!);
    if (!restored)
      return {
        outcome: 'refused',
        reason: `${from(o)} no longer exists (expired by the lifecycle's noncurrentVersionDays, or deleted)${out.length > 0 ? `; the ${out.length} object(s) before it in the load were restored` : ''}`,
      };
    out.push({ from: from(o), restored });
  }
  return { outcome: 'restored', loadId, objects: out };
}
