/**
 * The reconciler on a stage: brings every load to its true state when the event that should
 * have told the ledger was lost (an EventBridge delivery that ran out of retries, a load-events
 * or object-landed invocation that failed, a Lambda timeout). The local runtime does the same at
 * start (local/recovery.ts), where it can also run an interrupted execution again.
 *
 * - Loads the ledger says REGISTERED or RUNNING are read back from the execution history
 *   (DescribeExecution): one that ended is recorded through the same use case load-events runs,
 *   so the slot is freed, the alert sent and the next load started exactly as the event would have.
 * - Bronze objects written in the look-back window are offered to object-landed again: an object
 *   no load and no pending set knows (its event was lost) becomes pending; the rest are duplicates.
 * - Events that reached a dead-letter queue (a rule's target DLQ carries the event itself, a
 *   function's on-failure destination wraps it in `requestPayload`) are redriven through the same
 *   use cases.
 */
import * as z from 'zod';
import {
  type ExecutionStatusChangeEvent,
  executionStatusChangeEvent,
  type ObjectCreatedEvent,
  objectCreatedEvent,
} from '../core/events.js';
import { glueCatalogChangeEvent } from '../core/events-glue.js';
import type { LoadRecord } from '../core/load.js';
import { compareSequence, type StreamRecord } from '../core/stream/micro-batch.js';
import type { ObjectInfo } from '../ports.js';
import { type ExecutionStatusDeps, onExecutionStatus, onRollbackStatus } from './execution-status.js';
import { type ObjectLandedDeps, onObjectLanded } from './object-landed.js';
import { onGlueCatalogChange, type SchemaDriftDeps } from './schema-drift.js';
import { onStreamBatch, type StreamUpsertDeps } from './stream-upsert.js';

/** One execution as DescribeExecution answers. */
export interface DescribedExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatusChangeEvent['detail']['status'];
  readonly startDate: number;
  readonly stopDate?: number;
  readonly input?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** The execution history (Step Functions' DescribeExecution). */
export interface ExecutionHistory {
  /** Undefined when no such execution exists (it was never started). */
  describe(executionArn: string): Promise<DescribedExecution | undefined>;
}

/** A listing of the Bronze bucket's current objects written since a time (ListObjectVersions). */
export interface BronzeListing {
  listSince(bucket: string, prefix: string, since: Date): AsyncIterable<ObjectInfo>;
}

/** Reads a shard's records between two sequence numbers, both included (GetShardIterator + GetRecords). */
export interface StreamRangeReader {
  read(streamArn: string, shardId: string, first: string, last: string): Promise<StreamRecord[]>;
}

export interface ReconcileDeps {
  readonly status: ExecutionStatusDeps;
  readonly history: ExecutionHistory;
  /** The load-dataset state machine: a REGISTERED load's execution is named after it. */
  readonly stateMachineArn: string;
  readonly rollbackStateMachineArn?: string;
  readonly landed: ObjectLandedDeps;
  readonly bronze: BronzeListing;
  readonly now: () => Date;
  /** Loads younger than this are left to their events (default 5 minutes). */
  readonly settleMs?: number;
  /** How far back the Bronze sweep looks (default 24 hours). */
  readonly lookBackMs?: number;
  /** Redrives the batches the stream mapping discarded (its on-failure queue carries their range only). */
  readonly stream?: { readonly reader: StreamRangeReader; readonly upsert: StreamUpsertDeps };
  /** Redrives the Glue Data Catalog changes schema-drift missed (its rule DLQ and on-failure queue). */
  readonly drift?: SchemaDriftDeps;
}

export interface ReconcileRun {
  /** Loads whose end (or start) the ledger had missed, now recorded. */
  readonly recorded: { readonly loadId: string; readonly status: string }[];
  /** Bronze objects that no load knew, now pending. */
  readonly registered: { readonly dataset: string; readonly key: string }[];
  readonly objectsChecked: number;
}

/** An event as a synthetic "Step Functions Execution Status Change", from DescribeExecution. */
export function statusEventOf(
  d: DescribedExecution,
  region: string,
  account: string,
): ExecutionStatusChangeEvent {
  return {
    version: '0',
    id: `reconciler-${d.name}-${d.status}`,
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    time: new Date(d.stopDate ?? d.startDate).toISOString(),
    region,
    resources: [d.executionArn],
    detail: {
      executionArn: d.executionArn,
      stateMachineArn: d.stateMachineArn,
      name: d.name,
      status: d.status,
      startDate: d.startDate,
      stopDate: d.stopDate ?? null,
      input: d.input ?? null,
      output: d.output ?? null,
      error: d.error ?? null,
      cause: d.cause ?? null,
    },
  };
}

/** The ARN parts of a state machine: `arn:aws:states:<region>:<account>:stateMachine:<name>`. */
function arnParts(arn: string): { region: string; account: string } {
  const [, , , region = '', account = ''] = arn.split(':');
  return { region, account };
}

/** The current attempt's execution (by its name: `executionArn` may still be an earlier attempt's). */
function executionArnOfLoad(load: LoadRecord, stateMachineArn: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${load.executionName}`;
}

/** Reads back every settled REGISTERED or RUNNING load and records what its execution did. */
export async function reconcileLoads(deps: ReconcileDeps): Promise<ReconcileRun['recorded']> {
  const settled = deps.now().getTime() - (deps.settleMs ?? 5 * 60_000);
  const { region, account } = arnParts(deps.stateMachineArn);
  const recorded: ReconcileRun['recorded'] = [];
  for (const status of ['REGISTERED', 'RUNNING'] as const) {
    for (const load of await deps.status.ledger.list({ status, limit: 1000 })) {
      if (Date.parse(load.registeredAt) > settled) continue;
      const d = await deps.history.describe(executionArnOfLoad(load, deps.stateMachineArn));
      // Never started: the scheduler's safety net starts it. Still running, and the ledger knows: nothing to do.
      if (!d || (d.status === 'RUNNING' && status === 'RUNNING') || d.status === 'PENDING_REDRIVE') continue;
      const outcome = await onExecutionStatus(statusEventOf(d, region, account), deps.status);
      if (outcome.outcome === 'recorded') recorded.push({ loadId: load.loadId, status: outcome.load.status });
    }
  }
  return recorded;
}

/** Offers every Bronze object of the look-back window to object-landed (see the module comment). */
export async function sweepBronze(
  deps: ReconcileDeps,
): Promise<{ registered: ReconcileRun['registered']; checked: number }> {
  const since = new Date(deps.now().getTime() - (deps.lookBackMs ?? 24 * 3600_000));
  const bucket = deps.landed.layout.bronzeBucket;
  const { region, account } = arnParts(deps.stateMachineArn);
  const registered: ReconcileRun['registered'] = [];
  let checked = 0;
  for (const contract of deps.landed.contracts.datasets.values()) {
    for await (const o of deps.bronze.listSince(bucket, contract.bronze.prefix, since)) {
      checked += 1;
      const outcome = await onObjectLanded(objectEventOf(o, region, account), deps.landed);
      if (outcome.outcome === 'pending') registered.push({ dataset: outcome.dataset, key: o.key });
    }
  }
  return { registered, checked };
}

function objectEventOf(o: ObjectInfo, region: string, account: string): ObjectCreatedEvent {
  return {
    version: '0',
    id: `reconciler-${o.key}-${o.versionId ?? o.etag}`,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account,
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:s3:::${o.bucket}`],
    detail: {
      bucket: { name: o.bucket },
      object: {
        key: o.key,
        size: o.size,
        etag: o.etag,
        ...(o.versionId ? { 'version-id': o.versionId } : {}),
      },
      reason: 'PutObject',
    },
  };
}

/** One reconciler run on its schedule: loads first (they free slots), then the Bronze sweep. */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileRun> {
  const recorded = await reconcileLoads(deps);
  const { registered, checked } = await sweepBronze(deps);
  return { recorded, registered, objectsChecked: checked };
}

const destinationEnvelope = z.object({ requestPayload: z.unknown() });

/** A Kinesis event source mapping's on-failure record: where the discarded batch was on the stream. */
const kinesisBatchInfo = z.object({
  KinesisBatchInfo: z.object({
    shardId: z.string(),
    startSequenceNumber: z.string(),
    endSequenceNumber: z.string(),
    streamArn: z.string(),
    batchSize: z.number().int().optional(),
  }),
});

export type RedriveOutcome =
  | { readonly kind: 'object'; readonly outcome: string }
  | { readonly kind: 'execution'; readonly outcome: string }
  | { readonly kind: 'stream'; readonly records: number; readonly objects: number }
  /** Per table of the change: recorded, duplicate (schema-drift had handled it), unchanged, … */
  | { readonly kind: 'schema'; readonly outcome: string }
  | { readonly kind: 'unknown'; readonly reason: string };

/** A discarded stream batch whose records could not be written again (the message stays on its queue). */
export class StreamRedriveError extends Error {
  override readonly name = 'StreamRedriveError';
}

/**
 * Redrives one dead-letter message: the event of an EventBridge target DLQ as it is, or the
 * `requestPayload` of a Lambda on-failure destination record.
 */
export async function redrive(body: string, deps: ReconcileDeps): Promise<RedriveOutcome> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { kind: 'unknown', reason: 'the message body is not JSON' };
  }
  const wrapped = destinationEnvelope.safeParse(value);
  const event =
    wrapped.success && wrapped.data.requestPayload !== undefined ? wrapped.data.requestPayload : value;
  const batch = kinesisBatchInfo.safeParse(value);
  if (batch.success) return redriveStreamBatch(batch.data.KinesisBatchInfo, deps);
  const object = objectCreatedEvent.safeParse(event);
  if (object.success)
    return { kind: 'object', outcome: (await onObjectLanded(object.data, deps.landed)).outcome };
  const execution = executionStatusChangeEvent.safeParse(event);
  if (execution.success) {
    const rollback =
      deps.rollbackStateMachineArn !== undefined &&
      execution.data.detail.stateMachineArn === deps.rollbackStateMachineArn;
    const outcome = rollback
      ? await onRollbackStatus(execution.data, deps.status)
      : await onExecutionStatus(execution.data, deps.status);
    return { kind: 'execution', outcome: outcome.outcome };
  }
  const catalogChange = glueCatalogChangeEvent.safeParse(event);
  if (catalogChange.success) {
    if (!deps.drift)
      return {
        kind: 'unknown',
        reason: 'a Glue Data Catalog change, and this reconciler checks no schema drift',
      };
    const result = await onGlueCatalogChange(catalogChange.data, deps.drift);
    return {
      kind: 'schema',
      outcome:
        result.outcome === 'ignored'
          ? `ignored (${result.reason})`
          : result.tables.map((t) => `${t.table}: ${t.outcome}`).join(', '),
    };
  }
  return {
    kind: 'unknown',
    reason:
      'neither an S3 Object Created, a Step Functions status change nor a Glue Data Catalog change event',
  };
}

/**
 * Reads a discarded batch back from the stream and writes it as stream-upsert would have: the
 * micro-batch keys derive from the records, so a batch that was in fact written writes the same
 * objects again (object-landed finds them duplicates).
 */
async function redriveStreamBatch(
  info: z.infer<typeof kinesisBatchInfo>['KinesisBatchInfo'],
  deps: ReconcileDeps,
): Promise<RedriveOutcome> {
  if (!deps.stream) return { kind: 'unknown', reason: 'a stream batch, and this reconciler reads no stream' };
  const { shardId, startSequenceNumber: first, endSequenceNumber: last } = info;
  const records = (await deps.stream.reader.read(info.streamArn, shardId, first, last)).filter(
    (r) => compareSequence(r.sequenceNumber, first) >= 0 && compareSequence(r.sequenceNumber, last) <= 0,
  );
  if (records.length === 0 || (info.batchSize !== undefined && records.length < info.batchSize))
    throw new StreamRedriveError(
      `the discarded batch ${shardId} ${first}..${last} has ${records.length} of its ${info.batchSize ?? '?'} records left on the stream (older ones are past its retention); the message stays on the queue`,
    );
  const outcome = await onStreamBatch(records, deps.stream.upsert);
  if (outcome.retryFrom !== undefined)
    throw new StreamRedriveError(
      `the discarded batch ${shardId} ${first}..${last} could not be written: ${outcome.failures.map((f) => `${f.key}: ${f.error}`).join('; ')}`,
    );
  return { kind: 'stream', records: records.length, objects: outcome.plan.objects.length };
}
