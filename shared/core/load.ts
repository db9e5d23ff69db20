import { createHash } from 'node:crypto';
import type { ManifestRef } from './manifest.js';

/** Where a load's Bronze object is. */
export interface SourceObject {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag: string;
  readonly size: number;
}

/**
 * The states of a load: REGISTERED → RUNNING → SUCCEEDED | FAILED | FAILED_QUALITY (the batch
 * failed a `fail` expectation: it is in quarantine, Silver untouched). HELD: the dataset was
 * paused when the object landed (it starts when the dataset is resumed). A replay moves a
 * failed load back to REGISTERED as a new attempt; so does the replay of a load whose commit a
 * rollback undid.
 *
 * Two states say that nobody needs to act any more: RESOLVED, a failed load whose every object
 * key a later load that succeeded read again (the corrected file was landed: `resolvedBy`), and
 * ROLLED_BACK, a succeeded load whose commit a rollback took out of Silver (`rolledBackBy`, the
 * rollback's commit); landing its file again makes a new load.
 */
export const LOAD_STATUSES = [
  'REGISTERED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'FAILED_QUALITY',
  'HELD',
  'RESOLVED',
  'ROLLED_BACK',
] as const;

/** Statuses that need someone: what `lakeplane loads --status FAILED` is for. */
export const NEEDS_SOMEONE: readonly LoadStatus[] = ['FAILED', 'FAILED_QUALITY'];

/** The error a failed quality gate ends the execution with. */
export const QUALITY_GATE_ERRORS: ReadonlySet<string> = new Set([
  'Lakeplane.QualityGateFailed',
  'Lakeplane.QualityResultUnreadable',
]);

/** Statuses a replay may start from. */
export const REPLAYABLE_STATUSES: readonly LoadStatus[] = ['FAILED', 'FAILED_QUALITY'];

/** Statuses a replay after a rollback may start from (the load's commit was undone). */
export const ROLLBACK_REPLAYABLE_STATUSES: readonly LoadStatus[] = ['ROLLED_BACK', 'SUCCEEDED'];
export type LoadStatus = (typeof LOAD_STATUSES)[number];

/**
 * The statuses a load may move to `to` from. Events can arrive out of order (EventBridge
 * does not order them), so a late RUNNING never overwrites a final state.
 */
export function allowedPredecessors(to: LoadStatus): readonly LoadStatus[] {
  switch (to) {
    case 'RUNNING':
      return ['REGISTERED', 'HELD'];
    case 'SUCCEEDED':
    case 'FAILED':
    case 'FAILED_QUALITY':
      return ['REGISTERED', 'RUNNING'];
    case 'REGISTERED':
      // HELD: the dataset was resumed; a failed load: an engineer replays it; a succeeded load:
      // its commit was rolled back and it is applied again.
      return ['HELD', ...REPLAYABLE_STATUSES, ...ROLLBACK_REPLAYABLE_STATUSES];
    case 'HELD':
      return [];
    case 'RESOLVED':
      return REPLAYABLE_STATUSES;
    case 'ROLLED_BACK':
      return ['SUCCEEDED'];
  }
}

/** Row counts of one load, as the engine reports them. */
export interface LoadCounts {
  readonly rowsIn: number;
  readonly rowsQuarantined: number;
  readonly rowsStaged: number;
  readonly duplicatesDropped: number;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  /** Objects over the bad-record ratio, all of whose records went to quarantine (coalesced loads). */
  readonly objectsRejected?: number;
}

/** Why a load failed, in words an on-call engineer can act on. */
export interface LoadCause {
  readonly error: string;
  readonly message: string;
}

/**
 * Something on-call should know about a load that its status does not say. SAVEPOINT_FAILED: the
 * load's commit reached Silver but the savepoint step after it failed (the state machine caught it
 * into `$.savepointError` and went on), so the commit has no Hudi savepoint and a rollback on EMR
 * can return to it only while at most one commit follows it.
 */
export interface LoadWarning {
  readonly kind: 'SAVEPOINT_FAILED';
  /** The Silver commit the warning is about (the attempt's commit). */
  readonly commitId: string;
  readonly attempt: number;
  readonly at: string;
  /** The caught error and a summary of its cause. */
  readonly error: string;
  readonly message: string;
}

export interface StatusChange {
  readonly status: LoadStatus;
  readonly at: string;
  readonly note?: string;
}

/** The ledger's record of one load. */
export interface LoadRecord {
  readonly loadId: string;
  readonly dataset: string;
  readonly status: LoadStatus;
  /** The load's first object (in landing order); the only one of a load without a manifest. */
  readonly source: SourceObject;
  /**
   * The objects the load reads (coalesced loads). A load registered before loads were coalesced
   * has none: it reads its one `source`.
   */
  readonly manifest?: ManifestRef;
  readonly executionName: string;
  readonly executionArn?: string;
  readonly attempts: number;
  readonly registeredAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly counts?: LoadCounts;
  readonly commitId?: string;
  readonly cause?: LoadCause;
  /** Warnings of the current attempt (cleared by a replay with the attempt's commit). */
  readonly warnings?: readonly LoadWarning[];
  /** RESOLVED: the later load that read every object key of this one again and succeeded. */
  readonly resolvedBy?: string;
  /** ROLLED_BACK: the rollback's own commit in the Silver timeline (absent for a rollback on EMR that reported none). */
  readonly rolledBackBy?: string;
  readonly history: readonly StatusChange[];
}

/**
 * The load id of a Bronze object: the dataset and a digest of bucket, key and content
 * ETag. The same content landing at the same key again (a duplicate event, or the same file
 * uploaded twice) has the same id, so it is recognised and not loaded twice. It is also the
 * Step Functions execution name (at most 80 characters of [A-Za-z0-9-_]).
 */
export function loadIdFor(dataset: string, source: Pick<SourceObject, 'bucket' | 'key' | 'etag'>): string {
  const digest = createHash('sha256')
    .update(`${source.bucket}\n${source.key}\n${source.etag.replaceAll('"', '')}`)
    .digest('hex')
    .slice(0, 20);
  return `${dataset}-${digest}`;
}
