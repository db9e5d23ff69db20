import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  DescribeStreamSummaryCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  InvalidArgumentException,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { z } from 'zod';
import { crashPoint } from '../crash-point.js';
import { localContext } from '../lambda-context.js';

/**
 * A Lambda function handler for Kinesis events, such as the stream-upsert function's
 * `(event, context) => Promise<KinesisStreamBatchResponse>`. The result is typed `unknown`
 * because, like Lambda, the mapping validates it at run time: with
 * {@link LocalEventSourceMappingOptions.reportBatchItemFailures} on it is read as a
 * `KinesisStreamBatchResponse` (malformed = the whole batch failed); with it off it is ignored.
 */
export type KinesisStreamFunction = (event: KinesisStreamEvent, context: Context) => Promise<unknown>;

/** Where a mapping without a checkpoint starts reading a shard. */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST';

/** Why a batch went to the on-failure destination. */
export type OnFailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/**
 * The document Lambda sends to an SQS/SNS on-failure destination for a discarded Kinesis batch
 * (AWS Lambda developer guide, "Retain discarded batch records for a Kinesis Data Streams event
 * source"). It names the records (shard and sequence range); it does not contain them.
 */
export interface OnFailureRecord {
  readonly requestContext: {
    /** Request id of the last invocation of the batch (a fresh id when it was never invoked). */
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: OnFailureCondition;
    /** Invocations of exactly this (sub-)batch, 0 when its records expired before any. */
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    /** 200 for an invocation that reached the function; 0 when the batch was never invoked. */
    readonly statusCode: number;
    /** `$LATEST`, or `''` when the batch was never invoked. */
    readonly executedVersion: string;
    /** `Unhandled` when the function threw; absent when it returned (an invalid partial response). */
    readonly functionError?: 'Unhandled';
  };
  readonly version: '1.0';
  /** ISO-8601 time the record was sent. */
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    /** ISO-8601. */
    readonly approximateArrivalOfFirstRecord: string;
    /** ISO-8601. */
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

/** Options of {@link LocalEventSourceMapping}; names and defaults follow CreateEventSourceMapping. */
export interface LocalEventSourceMappingOptions {
  /** A Kinesis client (for the local runtime: `startLocalKinesis().client`). */
  readonly client: KinesisClient;
  readonly streamName: string;
  /** The events' `eventSourceARN` and `KinesisBatchInfo.streamArn`; default: the stream's ARN from DescribeStreamSummary. */
  readonly streamArn?: string;
  readonly handler: KinesisStreamFunction;
  /** Gives the context (`invokedFunctionArn`) and the on-failure record's `functionArn`. */
  readonly functionName: string;
  /** Records per invocation, 1–10,000; default 100. */
  readonly batchSize?: number;
  /**
   * How long to keep reading to fill a batch, 0–300,000 ms; default 0 (invoke with what one
   * GetRecords returned). As in Lambda, the window starts when the previous invocation ends.
   */
  readonly maximumBatchingWindowMs?: number;
  /** Where to start on a shard that has no checkpoint. */
  readonly startingPosition: StartingPosition;
  /**
   * Retries of a batch after a function error, 0–10,000; default -1 = retry until the records
   * are older than `maximumRecordAgeSeconds` (or, when that is -1 too, the stream's retention).
   */
  readonly maximumRetryAttempts?: number;
  /**
   * Records older than this (from their approximate arrival) are not sent to the function but to
   * `onFailure` (condition `RecordAgeExceeded`); -1 or 60–604,800; default -1 = the stream's retention.
   */
  readonly maximumRecordAgeSeconds?: number;
  /** On a function error, split the batch in two and retry each half (splitting is not a retry); default false. */
  readonly bisectBatchOnFunctionError?: boolean;
  /** FunctionResponseTypes `ReportBatchItemFailures`: honour `batchItemFailures` in the response; default false. */
  readonly reportBatchItemFailures?: boolean;
  /** The on-failure destination: receives the AWS JSON for each discarded batch, then the mapping moves on. */
  readonly onFailure: (record: OnFailureRecord) => Promise<void>;
  /** JSON file `{ shardId: sequenceNumber }` of the last processed record per shard, read at start and rewritten on every checkpoint. */
  readonly checkpointFile?: string;
  /** Pause after an empty GetRecords and between retries of a batch; default 100 ms. */
  readonly pollIntervalMs?: number;
  /** `invokeIdentityArn` of the events; default a role in the stream's account named after the function. */
  readonly invokeIdentityArn?: string;
  /** The clock (ms since the epoch) used for record age, batching windows and timestamps; default `Date.now`. */
  readonly now?: () => number;
  /** How the mapping waits; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Counters of what a mapping did, for tests and the console. */
export interface EventSourceMappingStats {
  /** Handler calls. */
  readonly invocations: number;
  /** Handler calls that re-sent records after a failure of the same batch (not counting bisected halves' first calls). */
  readonly retries: number;
  /** Failed batches split in two. */
  readonly bisections: number;
  /** Records in all events sent, redeliveries included. */
  readonly recordsDelivered: number;
  /** Records checkpointed after the function processed them. */
  readonly recordsSucceeded: number;
  /** Invocations answered with a valid, non-empty `batchItemFailures`. */
  readonly partialBatchResponses: number;
  /** Invocations answered with a malformed `batchItemFailures` (a complete failure). */
  readonly invalidBatchResponses: number;
  readonly batchesSentToOnFailure: number;
  readonly recordsSentToOnFailure: number;
}

type MutableStats = { -readonly [K in keyof EventSourceMappingStats]: EventSourceMappingStats[K] };

/** A record read from a shard, kept until it is checkpointed. */
interface ShardRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly arrivalMs: number;
  /** Approximate size in the invocation payload. */
  readonly bytes: number;
}

interface ShardState {
  readonly shardId: string;
  iterator: string | undefined;
  /** GetRecords returned no NextShardIterator: the shard is closed and fully read. */
  closed: boolean;
  buffer: ShardRecord[];
  bufferBytes: number;
  lastFetched: string | undefined;
  /** The latest drain epoch in which a GetRecords started and came back empty. */
  caughtUpEpoch: number;
  busy: boolean;
  windowStart: number;
}

/** A batch being processed: the records still to deliver and its history. */
interface PendingBatch {
  records: ShardRecord[];
  /** Retries after function errors or partial failures. */
  attempts: number;
  invocations: number;
  last: { requestId: string; functionError: 'Unhandled' | undefined } | undefined;
}

type InvokeOutcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly index: number }
  | { readonly kind: 'failure' };

interface DrainWaiter {
  readonly epoch: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** Lambda's limit on a synchronous invocation payload. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const EVENT_ENVELOPE_BYTES = '{"Records":[]}'.length;
const CLOSED_SHARD_EPOCH = Number.MAX_SAFE_INTEGER;

const CheckpointFileSchema = z.record(z.string(), z.string().regex(/^\d+$/));

/**
 * A checkpoint names a sequence number the stream does not know, typically because the stream
 * was deleted and created again (kinesalite in memory, checkpoint file on disk): kinesalite
 * refuses it ("did not come from this stream"). Delete the checkpoint file to start over.
 */
export class StaleCheckpointError extends Error {
  override readonly name = 'StaleCheckpointError';
}

/** Thrown by {@link LocalEventSourceMapping} for options Lambda would refuse. */
export class EventSourceMappingConfigError extends Error {
  override readonly name = 'EventSourceMappingConfigError';
}

/**
 * Lambda's Kinesis event source mapping, locally: polls every shard of a stream with
 * GetShardIterator/GetRecords and invokes the handler with real `KinesisStreamEvent`s.
 *
 * Per shard: records in order, one batch in flight (ParallelizationFactor 1); a batch is
 * checkpointed when the function succeeds; a function error retries it (or, with bisect, splits
 * it); a partial batch response checkpoints before the lowest failed record and retries from it;
 * a batch past its retries or age goes to `onFailure` and is checkpointed past. Resharding is not
 * followed: the shards listed at `start()` are read (closed ones to their end), child shards
 * created later are not, and parents are not read before children.
 */
export class LocalEventSourceMapping {
  private readonly client: KinesisClient;
  private readonly streamName: string;
  private readonly handler: KinesisStreamFunction;
  private readonly functionName: string;
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly startingPosition: StartingPosition;
  private readonly maximumRetryAttempts: number;
  private readonly maximumRecordAgeSeconds: number;
  private readonly bisect: boolean;
  private readonly reportBatchItemFailures: boolean;
  private readonly onFailure: (record: OnFailureRecord) => Promise<void>;
  private readonly checkpointFile: string | undefined;
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly functionArn: string;

  private streamArn: string | undefined;
  private invokeIdentityArn: string | undefined;
  private awsRegion = '';
  private maxAgeMs = 0;
  private state: 'created' | 'starting' | 'running' | 'stopped' = 'created';
  private stopping = false;
  private fatal: Error | undefined;
  private shards: ShardState[] = [];
  private loops: Promise<void>[] = [];
  private readonly checkpointMap = new Map<string, string>();
  private checkpointWrites: Promise<void> = Promise.resolve();
  private drainEpoch = 0;
  private drainWaiters: DrainWaiter[] = [];
  private readonly counters: MutableStats = {
    invocations: 0,
    retries: 0,
    bisections: 0,
    recordsDelivered: 0,
    recordsSucceeded: 0,
    partialBatchResponses: 0,
    invalidBatchResponses: 0,
    batchesSentToOnFailure: 0,
    recordsSentToOnFailure: 0,
  };

  constructor(options: LocalEventSourceMappingOptions) {
    this.client = options.client;
    this.streamName = options.streamName;
    this.streamArn = options.streamArn;
    this.handler = options.handler;
    this.functionName = options.functionName;
    this.batchSize = checkInt('batchSize', options.batchSize ?? 100, 1, 10_000);
    this.windowMs = checkInt('maximumBatchingWindowMs', options.maximumBatchingWindowMs ?? 0, 0, 300_000);
    this.startingPosition = options.startingPosition;
    this.maximumRetryAttempts = checkInt(
      'maximumRetryAttempts',
      options.maximumRetryAttempts ?? -1,
      -1,
      10_000,
    );
    const age = options.maximumRecordAgeSeconds ?? -1;
    this.maximumRecordAgeSeconds = age === -1 ? -1 : checkInt('maximumRecordAgeSeconds', age, 60, 604_800);
    this.bisect = options.bisectBatchOnFunctionError ?? false;
    this.reportBatchItemFailures = options.reportBatchItemFailures ?? false;
    this.onFailure = options.onFailure;
    this.checkpointFile = options.checkpointFile;
    this.pollIntervalMs = checkInt('pollIntervalMs', options.pollIntervalMs ?? 100, 0, 60_000);
    this.invokeIdentityArn = options.invokeIdentityArn;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((ok) => setTimeout(ok, ms)));
    this.functionArn = localContext(this.functionName).invokedFunctionArn;
  }

  /** A snapshot of the counters. */
  get stats(): EventSourceMappingStats {
    return { ...this.counters };
  }

  /** The last checkpointed sequence number per shard (what the checkpoint file holds). */
  get checkpoints(): Readonly<Record<string, string>> {
    return Object.fromEntries([...this.checkpointMap].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** The error that stopped the mapping (a Kinesis error, a failing `onFailure`, an unwritable checkpoint file). */
  get error(): Error | undefined {
    return this.fatal;
  }

  /**
   * Reads the stream's shards and checkpoints, positions an iterator on every shard and starts
   * polling. When it resolves, a record put on the stream will be delivered (also with LATEST).
   */
  async start(): Promise<void> {
    if (this.state !== 'created') {
      throw new Error(`event source mapping ${this.functionName} was already started`);
    }
    this.state = 'starting';
    const summary = (
      await this.client.send(new DescribeStreamSummaryCommand({ StreamName: this.streamName }))
    ).StreamDescriptionSummary;
    this.streamArn ??= summary?.StreamARN;
    if (!this.streamArn) throw new Error(`stream ${this.streamName} has no ARN`);
    const [, , , region = '', account = '000000000000'] = this.streamArn.split(':');
    this.awsRegion = region;
    this.invokeIdentityArn ??= `arn:aws:iam::${account}:role/${this.functionName}-role`;
    const retentionHours = summary?.RetentionPeriodHours ?? 24;
    this.maxAgeMs =
      (this.maximumRecordAgeSeconds === -1 ? retentionHours * 3600 : this.maximumRecordAgeSeconds) * 1000;
    await this.loadCheckpoints();
    const shards = await this.listShards();
    this.shards = await Promise.all(
      shards.map(async (shard): Promise<ShardState> => {
        const shardId = shard.ShardId ?? '';
        return {
          shardId,
          iterator: await this.initialIterator(shardId),
          closed: false,
          buffer: [],
          bufferBytes: 0,
          lastFetched: undefined,
          caughtUpEpoch: -1,
          busy: false,
          windowStart: this.now(),
        };
      }),
    );
    if (this.stopping) return;
    this.state = 'running';
    this.loops = this.shards.map((shard) => this.runShard(shard).catch((e: unknown) => this.die(asError(e))));
  }

  /**
   * Stops polling: an invocation in flight completes (and is checkpointed if it succeeded),
   * a batch waiting for a retry is left unchecked, so a later mapping delivers it again.
   */
  async stop(): Promise<void> {
    if (this.state === 'created') {
      this.state = 'stopped';
      return;
    }
    this.stopping = true;
    await Promise.all(this.loops);
    await this.checkpointWrites.catch(() => undefined);
    this.state = 'stopped';
    this.rejectDrains(this.fatal ?? new Error(`event source mapping ${this.functionName} stopped`));
  }

  /**
   * Resolves when every shard has been processed (checkpointed, or sent to `onFailure`) up to
   * the records the stream held when `drain` was called, and no batch is in flight: each shard
   * must have had a GetRecords that started after the call and returned nothing (kinesalite's
   * `MillisBehindLatest` is always 0, so it cannot tell) with nothing left buffered.
   * Rejects if the mapping stops or fails first.
   */
  drain(): Promise<void> {
    if (this.state !== 'running' || this.stopping) {
      return Promise.reject(
        this.fatal ?? new Error(`event source mapping ${this.functionName} is not running`),
      );
    }
    const epoch = ++this.drainEpoch;
    return new Promise<void>((resolve, reject) => {
      this.drainWaiters.push({ epoch, resolve, reject });
      this.settleDrains();
    });
  }

  // ---- polling -------------------------------------------------------------------------------

  private async runShard(shard: ShardState): Promise<void> {
    while (!this.stopping) {
      const epoch = this.drainEpoch;
      let fetched = 0;
      if (!shard.closed && shard.buffer.length < this.batchSize && shard.bufferBytes < MAX_PAYLOAD_BYTES) {
        fetched = await this.fetch(shard, this.batchSize - shard.buffer.length);
        if (fetched === 0) shard.caughtUpEpoch = Math.max(shard.caughtUpEpoch, epoch);
      }
      if (shard.closed) shard.caughtUpEpoch = CLOSED_SHARD_EPOCH;
      if (this.readyToInvoke(shard)) {
        const records = this.takeBatch(shard);
        shard.busy = true;
        try {
          await this.processBatch(shard, records);
        } finally {
          shard.busy = false;
        }
        shard.windowStart = this.now();
      } else if (fetched === 0 && !this.stopping) {
        this.settleDrains();
        if (shard.closed && shard.buffer.length === 0) return;
        await this.sleep(this.pollIntervalMs);
      }
      this.settleDrains();
    }
  }

  private readyToInvoke(shard: ShardState): boolean {
    if (shard.buffer.length === 0 || this.stopping) return false;
    if (
      this.windowMs === 0 ||
      shard.buffer.length >= this.batchSize ||
      shard.bufferBytes >= MAX_PAYLOAD_BYTES
    ) {
      return true;
    }
    const now = this.now();
    if (now < shard.windowStart) shard.windowStart = now; // an injected clock went back: restart the window
    return shard.closed || now - shard.windowStart >= this.windowMs;
  }

  /** The next batch: up to batchSize records and 6 MB of payload (at least one record). */
  private takeBatch(shard: ShardState): ShardRecord[] {
    let bytes = EVENT_ENVELOPE_BYTES;
    let n = 0;
    for (const record of shard.buffer) {
      if (n === this.batchSize || (n > 0 && bytes + record.bytes > MAX_PAYLOAD_BYTES)) break;
      bytes += record.bytes;
      n++;
    }
    const batch = shard.buffer.splice(0, n);
    shard.bufferBytes -= bytes - EVENT_ENVELOPE_BYTES;
    return batch;
  }

  private async fetch(shard: ShardState, limit: number): Promise<number> {
    for (;;) {
      try {
        const out = await this.client.send(
          new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: limit }),
        );
        shard.iterator = out.NextShardIterator;
        shard.closed = out.NextShardIterator === undefined;
        const records = (out.Records ?? []).map((r) => this.toShardRecord(shard.shardId, r));
        for (const record of records) {
          shard.buffer.push(record);
          shard.bufferBytes += record.bytes;
          shard.lastFetched = record.sequenceNumber;
        }
        return records.length;
      } catch (e) {
        if (e instanceof ExpiredIteratorException) {
          const after = shard.lastFetched ?? this.checkpointMap.get(shard.shardId);
          shard.iterator = await this.iteratorFrom(shard.shardId, after);
        } else if (e instanceof ProvisionedThroughputExceededException) {
          if (this.stopping) return 0;
          await this.sleep(Math.max(this.pollIntervalMs, 200));
        } else {
          throw e;
        }
      }
    }
  }

  private toShardRecord(shardId: string, r: KinesisRecord): ShardRecord {
    const base = {
      shardId,
      sequenceNumber: r.SequenceNumber ?? '',
      partitionKey: r.PartitionKey ?? '',
      data: r.Data ?? new Uint8Array(),
      arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? this.now(),
      bytes: 0,
    };
    return { ...base, bytes: JSON.stringify(this.toEventRecord(base)).length + 1 };
  }

  private toEventRecord(r: ShardRecord): KinesisStreamRecord {
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
        data: Buffer.from(r.data).toString('base64'),
        approximateArrivalTimestamp: r.arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${r.shardId}:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: this.invokeIdentityArn ?? '',
      awsRegion: this.awsRegion,
      eventSourceARN: this.streamArn ?? '',
    };
  }

  // ---- one batch, with retries, bisection and the on-failure destination ----------------------

  private async processBatch(shard: ShardState, records: ShardRecord[]): Promise<void> {
    const queue: PendingBatch[] = [{ records, attempts: 0, invocations: 0, last: undefined }];
    while (queue.length > 0 && !this.stopping) {
      const batch = queue[0]!;
      const expired = this.expiredPrefix(batch.records);
      if (expired > 0) {
        await this.discard(shard, batch, batch.records.slice(0, expired), 'RecordAgeExceeded');
        batch.records = batch.records.slice(expired);
        if (batch.records.length === 0) queue.shift();
        continue;
      }
      const outcome = await this.invoke(batch);
      if (outcome.kind !== 'failure') crashPoint('stream:bronze-written');
      if (outcome.kind === 'success') {
        await this.succeeded(shard, batch.records);
        queue.shift();
        continue;
      }
      if (outcome.kind === 'partial') {
        // Checkpoint before the lowest failed record; the rest is retried (bisect or not, as Lambda does).
        await this.succeeded(shard, batch.records.slice(0, outcome.index));
        batch.records = batch.records.slice(outcome.index);
      } else if (this.bisect && batch.records.length > 1) {
        // Splitting does not consume the retry quota: each half starts with its own.
        const half = Math.ceil(batch.records.length / 2);
        queue.splice(
          0,
          1,
          { records: batch.records.slice(0, half), attempts: 0, invocations: 0, last: undefined },
          { records: batch.records.slice(half), attempts: 0, invocations: 0, last: undefined },
        );
        this.counters.bisections++;
        continue;
      }
      if (this.maximumRetryAttempts !== -1 && batch.attempts >= this.maximumRetryAttempts) {
        await this.discard(shard, batch, batch.records, 'RetryAttemptsExhausted');
        queue.shift();
        continue;
      }
      batch.attempts++;
      if (!this.stopping) await this.sleep(this.pollIntervalMs);
    }
  }

  /** How many leading records are older than the maximum record age. */
  private expiredPrefix(records: readonly ShardRecord[]): number {
    const now = this.now();
    let n = 0;
    while (n < records.length && now - records[n]!.arrivalMs > this.maxAgeMs) n++;
    return n;
  }

  private async invoke(batch: PendingBatch): Promise<InvokeOutcome> {
    const context = localContext(this.functionName);
    const event: KinesisStreamEvent = { Records: batch.records.map((r) => this.toEventRecord(r)) };
    this.counters.invocations++;
    this.counters.recordsDelivered += batch.records.length;
    if (batch.attempts > 0) this.counters.retries++;
    batch.invocations++;
    let response: unknown;
    try {
      response = await this.handler(event, context);
    } catch {
      batch.last = { requestId: context.awsRequestId, functionError: 'Unhandled' };
      return { kind: 'failure' };
    }
    batch.last = { requestId: context.awsRequestId, functionError: undefined };
    if (!this.reportBatchItemFailures) return { kind: 'success' };
    const outcome = readBatchResponse(response, batch.records);
    if (outcome.kind === 'partial') this.counters.partialBatchResponses++;
    if (outcome.kind === 'failure') this.counters.invalidBatchResponses++;
    return outcome;
  }

  private async succeeded(shard: ShardState, records: readonly ShardRecord[]): Promise<void> {
    const last = records.at(-1);
    if (!last) return;
    await this.checkpoint(shard, last.sequenceNumber);
    this.counters.recordsSucceeded += records.length;
  }

  private async discard(
    shard: ShardState,
    batch: PendingBatch,
    records: readonly ShardRecord[],
    condition: OnFailureCondition,
  ): Promise<void> {
    const first = records[0]!;
    const last = records.at(-1)!;
    const invoked = batch.last;
    await this.onFailure({
      requestContext: {
        requestId: invoked?.requestId ?? randomUUID(),
        functionArn: this.functionArn,
        condition,
        approximateInvokeCount: batch.invocations,
      },
      responseContext: invoked
        ? {
            statusCode: 200,
            executedVersion: '$LATEST',
            ...(invoked.functionError ? { functionError: invoked.functionError } : {}),
          }
        : { statusCode: 0, executedVersion: '' },
      version: '1.0',
      timestamp: new Date(this.now()).toISOString(),
      KinesisBatchInfo: {
        shardId: shard.shardId,
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: last.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
        batchSize: records.length,
        streamArn: this.streamArn ?? '',
      },
    });
    this.counters.batchesSentToOnFailure++;
    this.counters.recordsSentToOnFailure += records.length;
    await this.checkpoint(shard, last.sequenceNumber);
  }

  // ---- checkpoints and iterators ------------------------------------------------------------

  private async loadCheckpoints(): Promise<void> {
    if (!this.checkpointFile) return;
    let text: string;
    try {
      text = await readFile(this.checkpointFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const parsed = CheckpointFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(
        `${this.checkpointFile}: not a checkpoint file (shardId → sequence number): ${parsed.error.message}`,
      );
    }
    for (const [shardId, sequenceNumber] of Object.entries(parsed.data))
      this.checkpointMap.set(shardId, sequenceNumber);
  }

  private async checkpoint(shard: ShardState, sequenceNumber: string): Promise<void> {
    this.checkpointMap.set(shard.shardId, sequenceNumber);
    const file = this.checkpointFile;
    if (!file) return;
    const text = `${JSON.stringify(this.checkpoints, null, 2)}\n`;
    this.checkpointWrites = this.checkpointWrites.then(async () => {
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, file);
    });
    await this.checkpointWrites;
    crashPoint('stream:checkpointed');
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        nextToken
          ? new ListShardsCommand({ NextToken: nextToken })
          : new ListShardsCommand({ StreamName: this.streamName }),
      );
      shards.push(...(out.Shards ?? []));
      nextToken = out.NextToken;
    } while (nextToken);
    return shards;
  }

  private async initialIterator(shardId: string): Promise<string | undefined> {
    const checkpoint = this.checkpointMap.get(shardId);
    try {
      return await this.iteratorFrom(shardId, checkpoint);
    } catch (e) {
      if (checkpoint && e instanceof InvalidArgumentException) {
        throw new StaleCheckpointError(
          `checkpoint ${checkpoint} of ${shardId}${this.checkpointFile ? ` in ${this.checkpointFile}` : ''} ` +
            `does not belong to stream ${this.streamName} (${e.message}); delete the checkpoint file to start over`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  /** An iterator just after `sequenceNumber`, or at the starting position when there is none. */
  private async iteratorFrom(
    shardId: string,
    sequenceNumber: string | undefined,
  ): Promise<string | undefined> {
    const out = await this.client.send(
      new GetShardIteratorCommand({
        StreamName: this.streamName,
        ShardId: shardId,
        ...(sequenceNumber
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumber }
          : { ShardIteratorType: this.startingPosition }),
      }),
    );
    return out.ShardIterator;
  }

  // ---- drain and failure ------------------------------------------------------------------------

  private settleDrains(): void {
    if (this.drainWaiters.length === 0) return;
    const idle = (epoch: number) =>
      this.shards.every((s) => s.caughtUpEpoch >= epoch && s.buffer.length === 0 && !s.busy);
    const waiting: DrainWaiter[] = [];
    for (const waiter of this.drainWaiters) {
      if (idle(waiter.epoch)) waiter.resolve();
      else waiting.push(waiter);
    }
    this.drainWaiters = waiting;
  }

  private rejectDrains(error: Error): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private die(error: Error): void {
    this.fatal ??= error;
    this.stopping = true;
    this.rejectDrains(this.fatal);
  }
}

/**
 * Reads a function response under ReportBatchItemFailures (AWS: "Success and failure
 * conditions"): null/undefined, an empty object or an empty/null `batchItemFailures` is a
 * success; an item without a non-empty string `itemIdentifier`, or naming a record that is not in
 * the batch, makes the whole batch a failure; otherwise the lowest failed record is where to retry.
 */
function readBatchResponse(response: unknown, records: readonly ShardRecord[]): InvokeOutcome {
  if (response === null || response === undefined) return { kind: 'success' };
  if (typeof response !== 'object' || Array.isArray(response)) return { kind: 'failure' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure' };
  if (failures.length === 0) return { kind: 'success' };
  const index = new Map(records.map((r, i) => [r.sequenceNumber, i]));
  let lowest = records.length;
  for (const failure of failures as unknown[]) {
    if (typeof failure !== 'object' || failure === null) return { kind: 'failure' };
    const id = (failure as { itemIdentifier?: unknown }).itemIdentifier;
    if (typeof id !== 'string' || id === '') return { kind: 'failure' };
    const i = index.get(id);
    if (i === undefined) return { kind: 'failure' };
    lowest = Math.min(lowest, i);
  }
  return { kind: 'partial', index: lowest };
}

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EventSourceMappingConfigError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
