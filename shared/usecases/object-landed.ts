import { matchBronzeKey } from '../core/bronze-key.js';
import type { ContractSet } from '../core/contract/parse.js';
import type { ObjectCreatedEvent } from '../core/events.js';
import { loadIdFor } from '../core/load.js';
import type { LakeLayout } from '../core/plan.js';
import type { PendingObject } from '../core/schedule.js';
import type { Ledger } from '../ports.js';
import { type ScheduleDeps, type ScheduleOutcome, scheduleDataset } from './schedule-loads.js';

export interface ObjectLandedDeps {
  readonly contracts: ContractSet;
  readonly ledger: Ledger;
  readonly layout: LakeLayout;
  readonly now: () => Date;
  /** The coalesced-load scheduler: its pending objects, slots, loads and paused check. */
  readonly scheduler: ScheduleDeps;
}

/** What happened to a landed object. */
export type LandedOutcome =
  | {
      /** The object waits for its dataset's next load; `schedule` says what the scheduler did. */
      readonly outcome: 'pending';
      readonly dataset: string;
      readonly schedule: ScheduleOutcome;
    }
  | {
      /** The same content of that key was given to the dataset before: nothing added. */
      readonly outcome: 'duplicate';
      readonly dataset: string;
      /** The load that took it, when one has. */
      readonly loadId?: string;
    }
  | { readonly outcome: 'rejected'; readonly reason: string; readonly message: string };

/**
 * A Bronze object landed: map it to its dataset, add it to the dataset's pending objects (a
 * conditional write, so a duplicate event or the same content landing again adds nothing), then
 * run the dataset's scheduler, which starts a load of every pending object when none is in flight.
 * A paused dataset keeps its objects pending, in landing order, until it is resumed.
 */
export async function onObjectLanded(
  event: ObjectCreatedEvent,
  deps: ObjectLandedDeps,
): Promise<LandedOutcome> {
  const { bucket, object } = event.detail;
  if (bucket.name !== deps.layout.bronzeBucket) {
    return {
      outcome: 'rejected',
      reason: 'wrong-bucket',
      message: `bucket ${bucket.name} is not the Bronze bucket ${deps.layout.bronzeBucket}`,
    };
  }
  // EventBridge carries the key as written (unlike S3 notifications to SQS/SNS/Lambda,
  // which URL-encode it), so it is used as is.
  const key = object.key;
  const match = matchBronzeKey(key, deps.contracts.datasets.values());
  if ('reason' in match) return { outcome: 'rejected', reason: match.reason, message: match.message };
  const dataset = match.dataset.name;
  // No records, so nothing to load: a load of it would only add an empty commit to Silver's
  // timeline (and use up a place of the rollback retention).
  if (object.size === 0)
    return {
      outcome: 'rejected',
      reason: 'empty-object',
      message: `s3://${bucket.name}/${key} is empty (0 bytes): it has no records, so nothing was loaded`,
    };

  const pending: PendingObject = {
    dataset,
    bucket: bucket.name,
    key,
    etag: object.etag.replaceAll('"', ''),
    size: object.size,
    ...(object['version-id'] ? { versionId: object['version-id'] } : {}),
    // Landing order is registration order: an event that arrives late is ordered by its arrival,
    // so it can never sort before objects a load has already taken.
    landedAt: deps.now().toISOString(),
  };
  // A load from before coalescing has the object's own id and no pending item: still a duplicate.
  const legacy = loadIdFor(dataset, pending);
  const before = await deps.ledger.get(legacy);
  if (before && !before.manifest) return { outcome: 'duplicate', dataset, loadId: legacy };
  if (!(await deps.scheduler.pending.add(pending))) {
    const taken = (await deps.scheduler.pending.byKey(dataset, pending.bucket, key)).find(
      (k) => k.object.etag === pending.etag,
    );
    // The load that took this content was rolled back: landing it again is a new load of it.
    const rolledBack = taken?.loadId && (await deps.ledger.get(taken.loadId))?.status === 'ROLLED_BACK';
    const again: PendingObject = { ...pending, relanded: (taken?.object.relanded ?? 0) + 1 };
    if (!taken?.loadId || !rolledBack || !(await deps.scheduler.pending.reopen(again, taken.loadId)))
      return { outcome: 'duplicate', dataset, ...(taken?.loadId ? { loadId: taken.loadId } : {}) };
  }
  return { outcome: 'pending', dataset, schedule: await scheduleDataset(dataset, deps.scheduler) };
}

/** The execution name of a load attempt: the load id, with the attempt after the first. */
export function executionName(loadId: string, attempt: number): string {
  return attempt === 1 ? loadId : `${loadId}-a${attempt}`;
}
