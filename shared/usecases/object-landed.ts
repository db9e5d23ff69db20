import { matchBronzeKey } from '../core/bronze-key.js';
import type { ContractSet } from '../core/contract/parse.js';
import type { ObjectCreatedEvent } from '../core/events.js';
import { type LoadRecord, loadIdFor, type SourceObject } from '../core/load.js';
import { type LakeLayout, planLoad } from '../core/plan.js';
import type { DatasetControl, Ledger, Orchestrator } from '../ports.js';

export interface ObjectLandedDeps {
  readonly contracts: ContractSet;
  readonly ledger: Ledger;
  readonly orchestrator: Orchestrator;
  readonly layout: LakeLayout;
  readonly now: () => Date;
  /** Paused datasets hold their loads (schema drift on a `block` dataset pauses it). */
  readonly control?: DatasetControl;
}

/** What happened to a landed object. */
export type LandedOutcome =
  | {
      readonly outcome: 'started';
      readonly loadId: string;
      readonly dataset: string;
      readonly executionArn: string;
    }
  | {
      readonly outcome: 'duplicate';
      readonly loadId: string;
      readonly dataset: string;
      readonly status: string;
    }
  | { readonly outcome: 'held'; readonly loadId: string; readonly dataset: string; readonly reason: string }
  | { readonly outcome: 'rejected'; readonly reason: string; readonly message: string };

/**
 * A Bronze object landed: map it to its dataset, register the load (conditional write, so a
 * duplicate event registers nothing) and start the load-dataset execution named after the
 * load id (so a duplicate start starts nothing).
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
  const contract = match.dataset;

  const source: SourceObject = {
    bucket: bucket.name,
    key,
    etag: object.etag.replaceAll('"', ''),
    size: object.size,
    ...(object['version-id'] ? { versionId: object['version-id'] } : {}),
  };
  const loadId = loadIdFor(contract.name, source);
  const at = deps.now().toISOString();
  const state = contract.paused ? undefined : await deps.control?.get(contract.name);
  const held = contract.paused || state?.paused === true;
  const heldNote = contract.paused
    ? 'dataset is paused in its contract'
    : `dataset is paused: ${state?.reason ?? 'no reason given'}`;
  const record: LoadRecord = {
    loadId,
    dataset: contract.name,
    status: held ? 'HELD' : 'REGISTERED',
    source,
    executionName: executionName(loadId, 1),
    attempts: 1,
    registeredAt: at,
    history: [{ status: held ? 'HELD' : 'REGISTERED', at, ...(held ? { note: heldNote } : {}) }],
  };
  const registered = await deps.ledger.register(record);
  if (!registered.created) {
    const existing = registered.existing;
    // A registration whose start was lost (crash between the two writes) is started now;
    // Step Functions treats the same name and input as the same execution.
    if (existing.status !== 'REGISTERED') {
      return { outcome: 'duplicate', loadId, dataset: contract.name, status: existing.status };
    }
  }
  if (held) {
    return { outcome: 'held', loadId, dataset: contract.name, reason: heldNote };
  }
  const input = planLoad(contract, { loadId, source, attempt: 1 }, deps.layout);
  const started = await deps.orchestrator.startExecution(record.executionName, input);
  // Already started: a duplicate event, or a registration whose start had gone through.
  if (started.alreadyStarted) {
    return { outcome: 'duplicate', loadId, dataset: contract.name, status: 'REGISTERED' };
  }
  return { outcome: 'started', loadId, dataset: contract.name, executionArn: started.executionArn };
}

/** The execution name of a load attempt: the load id, with the attempt after the first. */
export function executionName(loadId: string, attempt: number): string {
  return attempt === 1 ? loadId : `${loadId}-a${attempt}`;
}
