/**
 * The interfaces the control plane needs from the outside world. AWS adapters live in
 * shared/aws/, the embedded defaults in local/. Handlers and use cases see only these.
 */
import type { GlueTableVersion } from './core/drift/table.js';
import type { RunEvent } from './core/lineage/openlineage.js';
import type { LoadCause, LoadCounts, LoadRecord, LoadStatus, LoadWarning } from './core/load.js';
import type { SlackMessage } from './core/messages/slack.js';
import type { PendingObject } from './core/schedule.js';

/** Object metadata as S3 reports it. */
export interface ObjectInfo {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag: string;
  readonly size: number;
}

/** S3-shaped object storage (versioned buckets). */
export interface ObjectStore {
  put(bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo>;
  /** Reads an object (a given version when `versionId` is set); undefined when absent. */
  get(bucket: string, key: string, versionId?: string): Promise<Uint8Array | undefined>;
  /**
   * Makes an earlier version of an object current again: a copy of it becomes the newest
   * version (the versions in between stay). Undefined when that version does not exist.
   */
  restoreVersion?(bucket: string, key: string, versionId: string): Promise<ObjectInfo | undefined>;
}

/** Result of registering a load: created, or the record that already holds the id. */
export type RegisterResult =
  | { readonly created: true }
  | { readonly created: false; readonly existing: LoadRecord };

/** Fields that a status transition may set along with the status; `null` removes a field. */
export interface LoadUpdate {
  readonly executionArn?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string | null;
  readonly durationMs?: number | null;
  readonly counts?: LoadCounts | null;
  readonly commitId?: string | null;
  readonly cause?: LoadCause | null;
  readonly warnings?: readonly LoadWarning[] | null;
  readonly resolvedBy?: string | null;
  readonly rolledBackBy?: string | null;
  /** A replay: the attempt number and the name of its execution. */
  readonly attempts?: number;
  readonly executionName?: string;
}

export interface LoadQuery {
  readonly dataset?: string;
  readonly status?: LoadStatus;
  /** ISO timestamp: loads registered at or after it. */
  readonly since?: string;
  readonly limit?: number;
}

/** The load ledger (DynamoDB in AWS and locally, against dynalite). */
export interface Ledger {
  /** Writes a new load record unless one with the same id exists (conditional write). */
  register(load: LoadRecord): Promise<RegisterResult>;
  get(loadId: string): Promise<LoadRecord | undefined>;
  /**
   * Moves a load to `to` only if its current status is one of `from` (conditional write).
   * @returns the updated record, or undefined when the condition did not hold.
   */
  transition(
    loadId: string,
    to: LoadStatus,
    from: readonly LoadStatus[],
    update: LoadUpdate,
    note?: string,
  ): Promise<LoadRecord | undefined>;
  /** Newest first. */
  list(query: LoadQuery): Promise<LoadRecord[]>;
}

export interface StartedExecution {
  readonly executionArn: string;
  /** True when an execution of that name had already been started with the same input. */
  readonly alreadyStarted: boolean;
}

/** Starts load-dataset executions (Step Functions). */
export interface Orchestrator {
  /** Idempotent per name: the same name and input returns the running execution. */
  startExecution(name: string, input: unknown): Promise<StartedExecution>;
}

/** How an execution ended. */
export interface FinishedExecution {
  readonly executionArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly error?: string;
  readonly cause?: string;
}

/** Starts executions of one state machine and waits for their end (on-call commands on a stage). */
export interface ExecutionRunner extends Orchestrator {
  /** Resolves when the execution has ended, whatever way. */
  waitFor(executionArn: string): Promise<FinishedExecution>;
}

/** Sends alerts to people (Slack incoming webhook; locally a JSONL file and the console). */
export interface Notifier {
  notify(message: SlackMessage): Promise<void>;
}

/**
 * Answers a Step Functions task that waits for a task token (`.waitForTaskToken`): the
 * execution moves on with the output, or fails with the error and cause. Both reject with
 * an error named `TaskTimedOut` or `TaskDoesNotExist` when the task is no longer open (the
 * execution has timed out, been stopped or already answered).
 */
export interface TaskCallbacks {
  succeed(taskToken: string, output: unknown): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** Whether a dataset may start Silver loads, and why not. */
export interface DatasetState {
  readonly dataset: string;
  readonly paused: boolean;
  readonly reason?: string;
  readonly pausedAt?: string;
  readonly pausedBy?: string;
  /** The Bronze table version an engineer accepted on resume (`--accept-schema`). */
  readonly acceptedSchemaVersion?: string;
  readonly updatedAt: string;
}

/**
 * Pausing and resuming datasets (DynamoDB control table in AWS and locally). A paused dataset
 * keeps accepting data into Bronze; object-landed holds its loads until it is resumed.
 */
export interface DatasetControl {
  get(dataset: string): Promise<DatasetState | undefined>;
  pause(dataset: string, reason: string, by: string): Promise<DatasetState>;
  resume(dataset: string, by: string, acceptedSchemaVersion?: string): Promise<DatasetState>;
}

/** One detected schema change of a Bronze table version, as recorded (once per version). */
export interface DriftRecord {
  readonly dataset: string;
  readonly database: string;
  readonly table: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly action: 'none' | 'accept' | 'alert' | 'pause';
  readonly breaking: boolean;
  readonly changes: readonly unknown[];
  readonly detectedAt: string;
}

/** Recorded drift, idempotent per table version (a conditional write). */
export interface DriftLog {
  /** @returns false when this table version was already recorded (nothing written). */
  record(drift: DriftRecord): Promise<boolean>;
  list(query: { readonly dataset?: string; readonly limit?: number }): Promise<DriftRecord[]>;
}

/** The Bronze table versions of the data catalog (Glue GetTableVersions; locally the local catalog). */
export interface Catalog {
  /** Newest first, as Glue lists them. */
  tableVersions(database: string, table: string): Promise<GlueTableVersion[]>;
}

/**
 * Where OpenLineage run events go: an HTTP consumer (Marquez, DataZone, any OpenLineage
 * endpoint) on a stage, a JSONL file in the workspace locally. A send that fails is retried by the
 * adapter and then given up with a warning: lineage never fails or holds up a load.
 */
export interface LineageSink {
  send(event: RunEvent): Promise<void>;
}

/** Custom events for other consumers (EventBridge PutEvents; locally the in-process bus). */
export interface EventPublisher {
  publish(source: string, detailType: string, detail: Record<string, unknown>): Promise<void>;
}

// The coalesced-load scheduler (shared/usecases/schedule-loads.ts).

/** A coalesced load as the scheduler sees it: its id and its manifest (object versions in landing order). */
export interface ScheduledLoad {
  readonly loadId: string;
  readonly dataset: string;
  readonly objects: readonly PendingObject[];
}

/** One object version of a key, and the load that took it (none while it is pending). */
export interface KnownObject {
  readonly object: PendingObject;
  readonly loadId?: string;
}

/** Objects waiting for a load of their dataset, and which load took each. */
export interface PendingObjects {
  /**
   * Adds an object; false when the same content of that key (bucket, key, ETag) is pending or was
   * taken by a load already: a duplicate event, or the same file landed again.
   */
  add(object: PendingObject): Promise<boolean>;
  /**
   * Makes an object pending again whose content the load `takenBy` took (conditional on that):
   * the same file landed again after that load was rolled back. False when another load holds it.
   */
  reopen(object: PendingObject, takenBy: string): Promise<boolean>;
  /** The dataset's pending objects, in any order. */
  list(dataset: string): Promise<PendingObject[]>;
  /**
   * The objects are the load's now: they leave the pending set. Idempotent for the same load;
   * false, with nothing claimed, when another load has taken one of them (a stale manifest). Only
   * the holder of the dataset's slot claims, so checking before writing is race-free.
   */
  claim(dataset: string, loadId: string, objects: readonly PendingObject[]): Promise<boolean>;
  /** Every version of one key the dataset was given, oldest first. */
  byKey(dataset: string, bucket: string, key: string): Promise<KnownObject[]>;
}

/** The one in-flight slot of each dataset. */
export interface DatasetSlots {
  /** The id of the load holding the dataset's slot. */
  holder(dataset: string): Promise<string | undefined>;
  /** Gives the slot to `loadId` when it is free or already its (conditional write); false otherwise. */
  acquire(dataset: string, loadId: string): Promise<boolean>;
  /** Frees the slot if `loadId` holds it; false otherwise. */
  release(dataset: string, loadId: string): Promise<boolean>;
}

/** The loads' records and manifests, as the scheduler needs them (the ledger and the artifacts bucket). */
export interface ScheduledLoads {
  /** Stores the load's manifest (the same id is the same content, so writing twice is harmless). */
  putManifest(load: ScheduledLoad): Promise<void>;
  manifest(dataset: string, loadId: string): Promise<ScheduledLoad | undefined>;
  /** Registers the load unless it is registered (conditional write); its status and attempt afterwards. */
  register(load: ScheduledLoad): Promise<{ readonly status: LoadStatus; readonly attempts: number }>;
  /** The load's status, or undefined when it is not registered. */
  status(loadId: string): Promise<LoadStatus | undefined>;
}
