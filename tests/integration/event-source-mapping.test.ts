/**
 * The local Kinesis event source mapping against kinesalite in this process: real
 * PutRecords/GetShardIterator/GetRecords, real KinesisStreamEvents, and Lambda's batching,
 * checkpointing, retry, bisect, partial-batch-response and on-failure semantics.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DescribeStreamSummaryCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EventSourceMappingConfigError,
  type KinesisStreamFunction,
  LocalEventSourceMapping,
  type LocalEventSourceMappingOptions,
  type OnFailureRecord,
  StaleCheckpointError,
} from '../../local/stream/event-source-mapping.js';
import { type LocalKinesis, startLocalKinesis } from '../../local/stream/local-kinesis.js';
import { tempDir } from '../helpers/fixtures.js';

interface Put {
  readonly body: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

let kinesis: LocalKinesis;
let mappings: LocalEventSourceMapping[];
let streams = 0;

beforeEach(async () => {
  kinesis = await startLocalKinesis({});
  mappings = [];
});

afterEach(async () => {
  for (const m of mappings) await m.stop();
  await kinesis?.close();
});

/** The stream's ARN as kinesalite builds it (region and account come from its environment). */
async function arnOf(streamName: string): Promise<{ arn: string; region: string; account: string }> {
  const out = await kinesis.client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  const arn = out.StreamDescriptionSummary!.StreamARN!;
  const [, , , region = '', account = ''] = arn.split(':');
  return { arn, region, account };
}

async function stream(shards: number): Promise<string> {
  const name = `orders-${++streams}`;
  await kinesis.ensureStream(name, shards);
  return name;
}

/** Puts `bodies` (partition key = body) and returns where each landed. */
async function put(streamName: string, bodies: string[]): Promise<Put[]> {
  const puts: Put[] = [];
  for (let i = 0; i < bodies.length; i += 500) {
    const chunk = bodies.slice(i, i + 500);
    const out = await kinesis.client.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: chunk.map((body) => ({ PartitionKey: body, Data: Buffer.from(body) })),
      }),
    );
    expect(out.FailedRecordCount ?? 0).toBe(0);
    (out.Records ?? []).forEach((r, j) => {
      puts.push({ body: chunk[j]!, shardId: r.ShardId!, sequenceNumber: r.SequenceNumber! });
    });
  }
  return puts;
}

function bodyOf(record: KinesisStreamRecord): string {
  return Buffer.from(record.kinesis.data, 'base64').toString('utf8');
}

function seqs(event: KinesisStreamEvent): string[] {
  return event.Records.map((r) => r.kinesis.sequenceNumber);
}

/** A handler that records every event (and context) before running `behaviour`. */
function recorder(
  behaviour: (event: KinesisStreamEvent, call: number) => Promise<unknown> = async () => undefined,
): {
  handler: KinesisStreamFunction;
  events: KinesisStreamEvent[];
  contexts: Context[];
} {
  const events: KinesisStreamEvent[] = [];
  const contexts: Context[] = [];
  const handler: KinesisStreamFunction = async (event, context) => {
    events.push(structuredClone(event));
    contexts.push(context);
    return behaviour(event, events.length);
  };
  return { handler, events, contexts };
}

async function mapping(
  options: Omit<
    LocalEventSourceMappingOptions,
    'client' | 'functionName' | 'onFailure' | 'startingPosition'
  > &
    Partial<Pick<LocalEventSourceMappingOptions, 'onFailure' | 'startingPosition'>>,
): Promise<{ esm: LocalEventSourceMapping; failures: OnFailureRecord[] }> {
  const failures: OnFailureRecord[] = [];
  const esm = new LocalEventSourceMapping({
    client: kinesis.client,
    functionName: 'stream-upsert',
    startingPosition: 'TRIM_HORIZON',
    pollIntervalMs: 5,
    onFailure: async (record) => {
      failures.push(record);
    },
    ...options,
  });
  mappings.push(esm);
  await esm.start();
  return { esm, failures };
}

function bodies(n: number, prefix = 'order'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
}

describe('startLocalKinesis', () => {
  it('keeps streams and records in LevelDB at path across restarts', async () => {
    const path = join(tempDir(), 'kinesis');
    const first = await startLocalKinesis({ path });
    await first.ensureStream('persisted', 1);
    const saved = kinesis;
    kinesis = first;
    try {
      await put('persisted', ['a', 'b']);
    } finally {
      kinesis = saved;
      await first.close();
    }
    const second = await startLocalKinesis({ path });
    kinesis = second;
    try {
      await second.ensureStream('persisted', 1);
      const { handler, events } = recorder();
      const { esm } = await mapping({ streamName: 'persisted', handler });
      await esm.drain();
      expect(events.flatMap((e) => e.Records.map(bodyOf))).toEqual(['a', 'b']);
      await esm.stop();
    } finally {
      kinesis = saved;
      await second.close();
    }
  });
});

describe('LocalEventSourceMapping', () => {
  it('delivers a shard in order, in batches of at most batchSize, as real KinesisStreamEvents', async () => {
    const name = await stream(1);
    const puts = await put(name, bodies(25));
    const { arn, region, account } = await arnOf(name);
    const { handler, events, contexts } = recorder();
    const { esm, failures } = await mapping({ streamName: name, handler, batchSize: 10 });
    await esm.drain();

    expect(events.map((e) => e.Records.length)).toEqual([10, 10, 5]);
    expect(events.flatMap((e) => e.Records.map(bodyOf))).toEqual(bodies(25));
    const first = events[0]!.Records[0]!;
    expect(first).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'order-0000',
        sequenceNumber: puts[0]!.sequenceNumber,
        data: Buffer.from('order-0000').toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${puts[0]!.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${account}:role/stream-upsert-role`,
      awsRegion: region,
      eventSourceARN: arn,
    });
    // Seconds since the epoch with a fraction, as Lambda sends it (not milliseconds).
    expect(first.kinesis.approximateArrivalTimestamp).toBeGreaterThan(1.5e9);
    expect(first.kinesis.approximateArrivalTimestamp).toBeLessThan(1e11);
    expect(contexts[0]!.functionName).toBe('stream-upsert');
    expect(esm.checkpoints).toEqual({ 'shardId-000000000000': puts[24]!.sequenceNumber });
    expect(esm.stats).toMatchObject({
      invocations: 3,
      retries: 0,
      recordsDelivered: 25,
      recordsSucceeded: 25,
    });
    expect(failures).toEqual([]);

    // Records put while the mapping runs are delivered too, after the earlier ones.
    await put(name, ['late-1', 'late-2']);
    await esm.drain();
    expect(events.slice(3).flatMap((e) => e.Records.map(bodyOf))).toEqual(['late-1', 'late-2']);
  });

  it('waits up to maximumBatchingWindowMs to fill a batch', async () => {
    const name = await stream(1);
    let clock = Date.now();
    let idlePolls = 0; // the mapping sleeps only after a GetRecords that returned nothing
    const { handler, events } = recorder();
    const { esm } = await mapping({
      streamName: name,
      handler,
      batchSize: 10,
      maximumBatchingWindowMs: 5_000,
      now: () => clock,
      sleep: (ms) => {
        idlePolls++;
        return delay(ms);
      },
    });
    // The clock stands still while the records trickle in, so the window cannot close early.
    for (const body of ['a', 'b', 'c']) await put(name, [body]);
    // Two idle polls after the last put: the second one's GetRecords started after it, so all is buffered.
    const target = idlePolls + 2;
    while (idlePolls < target) await delay(1);
    expect(events).toEqual([]);
    clock += 5_000;
    await esm.drain();
    expect(events.map((e) => e.Records.map(bodyOf))).toEqual([['a', 'b', 'c']]);
  });

  it('with LATEST, skips what was on the stream before start and delivers what comes after', async () => {
    const name = await stream(1);
    await put(name, ['before']);
    const { handler, events } = recorder();
    const { esm } = await mapping({ streamName: name, handler, startingPosition: 'LATEST' });
    await put(name, ['after']);
    await esm.drain();
    expect(events.flatMap((e) => e.Records.map(bodyOf))).toEqual(['after']);
  });

  it('delivers records spread over two shards by partition key exactly once, each batch from one shard', async () => {
    const name = await stream(2);
    const puts = await put(name, bodies(300));
    const byShard = new Map<string, Put[]>();
    for (const p of puts) byShard.set(p.shardId, [...(byShard.get(p.shardId) ?? []), p]);
    expect([...byShard.keys()].sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    const { handler, events } = recorder();
    const { esm } = await mapping({ streamName: name, handler, batchSize: 40 });
    await esm.drain();

    for (const event of events) {
      expect(new Set(event.Records.map((r) => r.eventID.split(':')[0])).size).toBe(1);
      expect(event.Records.length).toBeLessThanOrEqual(40);
    }
    const delivered = events.flatMap((e) => e.Records);
    expect(delivered.map(bodyOf).sort()).toEqual(bodies(300));
    for (const [shardId, shardPuts] of byShard) {
      const inShard = delivered.filter((r) => r.eventID.startsWith(`${shardId}:`));
      expect(inShard.map((r) => r.kinesis.sequenceNumber)).toEqual(shardPuts.map((p) => p.sequenceNumber));
    }
    expect(esm.checkpoints).toEqual(
      Object.fromEntries([...byShard].map(([shardId, p]) => [shardId, p.at(-1)!.sequenceNumber])),
    );
  });

  it('continues from the checkpoint file in a new mapping without redelivering', async () => {
    const name = await stream(2);
    const checkpointFile = join(tempDir(), 'esm', 'checkpoints.json');
    const firstPuts = await put(name, bodies(30, 'first'));
    const one = recorder();
    const a = await mapping({ streamName: name, handler: one.handler, checkpointFile, batchSize: 7 });
    await a.esm.drain();
    await a.esm.stop();
    expect(one.events.flatMap((e) => e.Records.map(bodyOf)).sort()).toEqual(bodies(30, 'first'));
    expect(JSON.parse(readFileSync(checkpointFile, 'utf8'))).toEqual(a.esm.checkpoints);
    expect(Object.keys(a.esm.checkpoints).sort()).toEqual(
      [...new Set(firstPuts.map((p) => p.shardId))].sort(),
    );

    await put(name, bodies(20, 'second'));
    const two = recorder();
    const b = await mapping({ streamName: name, handler: two.handler, checkpointFile, batchSize: 7 });
    await b.esm.drain();
    expect(two.events.flatMap((e) => e.Records.map(bodyOf)).sort()).toEqual(bodies(20, 'second'));
  });

  it('refuses a checkpoint file whose sequence numbers belong to an earlier stream of the same name', async () => {
    const name = await stream(1);
    const checkpointFile = join(tempDir(), 'checkpoints.json');
    await put(name, ['a']);
    const { esm } = await mapping({ streamName: name, handler: recorder().handler, checkpointFile });
    await esm.drain();
    await esm.stop();
    // kinesalite in memory starts empty: the stream is created again. Its sequence numbers encode
    // the shard's creation time in whole seconds, so only a stream created in a later second can be
    // told apart from the first (a checkpoint of a stream re-created within the second goes unnoticed).
    await kinesis.close();
    await delay(1_100);
    kinesis = await startLocalKinesis({});
    await kinesis.ensureStream(name, 1);
    await expect(mapping({ streamName: name, handler: recorder().handler, checkpointFile })).rejects.toThrow(
      StaleCheckpointError,
    );
  });

  it('redelivers a batch once after the function throws once, then checkpoints it', async () => {
    const name = await stream(1);
    const puts = await put(name, bodies(5));
    const { handler, events } = recorder(async (_event, call) => {
      if (call === 1) throw new Error('transient');
      return undefined;
    });
    const { esm, failures } = await mapping({ streamName: name, handler, batchSize: 10 });
    await esm.drain();

    expect(events).toHaveLength(2);
    expect(seqs(events[1]!)).toEqual(seqs(events[0]!));
    expect(seqs(events[0]!)).toEqual(puts.map((p) => p.sequenceNumber));
    expect(esm.stats).toMatchObject({
      invocations: 2,
      retries: 1,
      recordsSucceeded: 5,
      batchesSentToOnFailure: 0,
    });
    expect(esm.checkpoints['shardId-000000000000']).toBe(puts[4]!.sequenceNumber);
    expect(failures).toEqual([]);
  });

  it('bisects around a poison record, delivers the rest and sends the poison record to onFailure', async () => {
    const name = await stream(1);
    const puts = await put(name, bodies(10));
    const poison = puts[6]!;
    const { handler, events } = recorder(async (event) => {
      if (event.Records.some((r) => bodyOf(r) === poison.body)) throw new Error('cannot parse order-0006');
      return undefined;
    });
    const { esm, failures } = await mapping({
      streamName: name,
      handler,
      batchSize: 10,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 2,
    });
    await esm.drain();

    // 10 → 5+5; 5..9 → 3+2; 5..7 → 2+1; 5..6 → 1+1; the poison record alone: 1 try + 2 retries.
    expect(events.map((e) => e.Records.map(bodyOf).map((b) => Number(b.slice(-4))))).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
      [5, 6, 7],
      [5, 6],
      [5],
      [6],
      [6],
      [6],
      [7],
      [8, 9],
    ]);
    const succeeded = events.filter((e) => !e.Records.some((r) => bodyOf(r) === poison.body));
    expect(succeeded.flatMap((e) => e.Records.map(bodyOf))).toEqual(
      bodies(10).filter((b) => b !== poison.body),
    );
    expect(failures).toHaveLength(1);
    const failure = failures[0]!;
    expect(failure).toEqual({
      requestContext: {
        requestId: expect.any(String),
        functionArn: 'arn:aws:lambda:local:000000000000:function:stream-upsert',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      KinesisBatchInfo: {
        shardId: poison.shardId,
        startSequenceNumber: poison.sequenceNumber,
        endSequenceNumber: poison.sequenceNumber,
        approximateArrivalOfFirstRecord: expect.any(String),
        approximateArrivalOfLastRecord: expect.any(String),
        batchSize: 1,
        streamArn: (await arnOf(name)).arn,
      },
    });
    const poisonEvent = events[6]!.Records[0]!;
    const arrival = new Date(poisonEvent.kinesis.approximateArrivalTimestamp * 1000).toISOString();
    expect(failure.KinesisBatchInfo.approximateArrivalOfFirstRecord).toBe(arrival);
    expect(failure.KinesisBatchInfo.approximateArrivalOfLastRecord).toBe(arrival);
    expect(esm.stats).toMatchObject({
      bisections: 4,
      retries: 2,
      recordsSucceeded: 9,
      batchesSentToOnFailure: 1,
      recordsSentToOnFailure: 1,
    });
    expect(esm.checkpoints['shardId-000000000000']).toBe(puts[9]!.sequenceNumber);
  });

  it('retries from the lowest failed record of a partial batch response, after checkpointing before it', async () => {
    const name = await stream(1);
    const puts = await put(name, bodies(10));
    const checkpointsAtCall: (string | undefined)[] = [];
    let esmRef: LocalEventSourceMapping | undefined;
    const { handler, events } = recorder(async (event, call) => {
      checkpointsAtCall.push(esmRef?.checkpoints['shardId-000000000000']);
      if (call > 1) return { batchItemFailures: [] };
      const failed = [event.Records[4]!, event.Records[2]!]; // not in order: the lowest wins
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })) };
    });
    const { esm, failures } = await mapping({
      streamName: name,
      handler,
      batchSize: 10,
      reportBatchItemFailures: true,
    });
    esmRef = esm;
    await esm.drain();

    expect(events).toHaveLength(2);
    expect(seqs(events[0]!)).toEqual(puts.map((p) => p.sequenceNumber));
    expect(seqs(events[1]!)).toEqual(puts.slice(2).map((p) => p.sequenceNumber));
    expect(checkpointsAtCall).toEqual([undefined, puts[1]!.sequenceNumber]);
    expect(esm.stats).toMatchObject({
      invocations: 2,
      retries: 1,
      partialBatchResponses: 1,
      recordsSucceeded: 10,
    });
    expect(esm.checkpoints['shardId-000000000000']).toBe(puts[9]!.sequenceNumber);
    expect(failures).toEqual([]);
  });

  it.each([
    ['an itemIdentifier that is not in the batch', { batchItemFailures: [{ itemIdentifier: '12345' }] }],
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a bad key name', { batchItemFailures: [{ sequenceNumber: 'x' }] }],
    ['batchItemFailures that is not a list', { batchItemFailures: 'all' }],
  ])(
    'treats a response with %s as a complete failure and retries the whole batch',
    async (_what, response) => {
      const name = await stream(1);
      const puts = await put(name, bodies(4));
      const { handler, events } = recorder(async (_event, call) => (call === 1 ? response : undefined));
      const { esm } = await mapping({ streamName: name, handler, reportBatchItemFailures: true });
      await esm.drain();

      expect(events).toHaveLength(2);
      expect(seqs(events[1]!)).toEqual(puts.map((p) => p.sequenceNumber));
      expect(esm.stats).toMatchObject({ invalidBatchResponses: 1, retries: 1, recordsSucceeded: 4 });
    },
  );

  it.each([
    ['an empty batchItemFailures', { batchItemFailures: [] }],
    ['a null batchItemFailures', { batchItemFailures: null }],
    ['an empty response', {}],
    ['a null response', null],
    ['no response', undefined],
  ])('treats %s as a complete success', async (_what, response) => {
    const name = await stream(1);
    await put(name, bodies(4));
    const { handler, events } = recorder(async () => response);
    const { esm } = await mapping({ streamName: name, handler, reportBatchItemFailures: true });
    await esm.drain();
    expect(events).toHaveLength(1);
    expect(esm.stats).toMatchObject({ invocations: 1, retries: 0, recordsSucceeded: 4 });
  });

  it('ignores batchItemFailures when reportBatchItemFailures is off', async () => {
    const name = await stream(1);
    const puts = await put(name, bodies(3));
    const { handler, events } = recorder(async (event) => ({
      batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }],
    }));
    const { esm } = await mapping({ streamName: name, handler });
    await esm.drain();
    expect(events).toHaveLength(1);
    expect(esm.checkpoints['shardId-000000000000']).toBe(puts[2]!.sequenceNumber);
  });

  it('sends a failing batch to onFailure as RecordAgeExceeded once its records pass maximumRecordAgeSeconds', async () => {
    const name = await stream(1);
    const puts = await put(name, bodies(3, 'stale'));
    let skewMs = 0;
    const clock = () => Date.now() + skewMs;
    const { handler, events } = recorder(async (event, call) => {
      if (!event.Records.some((r) => bodyOf(r).startsWith('stale'))) return undefined;
      if (call === 2) skewMs = 61_000; // the records are now older than 60 s
      throw new Error('downstream unavailable');
    });
    const { esm, failures } = await mapping({
      streamName: name,
      handler,
      maximumRecordAgeSeconds: 60,
      now: clock,
    });
    await esm.drain();

    expect(events).toHaveLength(2);
    expect(failures).toHaveLength(1);
    const failure = failures[0]!;
    expect(failure.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 2,
    });
    expect(failure.responseContext).toEqual({
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: 'Unhandled',
    });
    expect(failure.KinesisBatchInfo).toMatchObject({
      shardId: 'shardId-000000000000',
      startSequenceNumber: puts[0]!.sequenceNumber,
      endSequenceNumber: puts[2]!.sequenceNumber,
      batchSize: 3,
    });
    expect(
      Date.parse(failure.timestamp) - Date.parse(failure.KinesisBatchInfo.approximateArrivalOfLastRecord),
    ).toBeGreaterThan(60_000);
    expect(esm.checkpoints['shardId-000000000000']).toBe(puts[2]!.sequenceNumber);

    // The shard moves on: a fresh record is delivered and succeeds.
    skewMs = 0;
    await put(name, ['fresh']);
    await esm.drain();
    expect(events.at(-1)!.Records.map(bodyOf)).toEqual(['fresh']);
    expect(esm.stats).toMatchObject({ recordsSucceeded: 1, recordsSentToOnFailure: 3 });
  });

  it('never invokes the function with records already older than maximumRecordAgeSeconds', async () => {
    const name = await stream(1);
    const puts = await put(name, bodies(2, 'old'));
    const { handler, events } = recorder();
    const { esm, failures } = await mapping({
      streamName: name,
      handler,
      maximumRecordAgeSeconds: 60,
      now: () => Date.now() + 3_600_000,
    });
    await esm.drain();
    expect(events).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(failures[0]!.responseContext).toEqual({ statusCode: 0, executedVersion: '' });
    expect(failures[0]!.KinesisBatchInfo).toMatchObject({
      startSequenceNumber: puts[0]!.sequenceNumber,
      endSequenceNumber: puts[1]!.sequenceNumber,
      batchSize: 2,
    });
  });

  it('stops, without checkpointing past the batch, when the on-failure destination fails', async () => {
    const name = await stream(1);
    const puts = await put(name, bodies(3));
    const { handler } = recorder(async (event) => {
      if (event.Records.some((r) => bodyOf(r) === 'order-0001')) throw new Error('poison');
      return undefined;
    });
    const { esm } = await mapping({
      streamName: name,
      handler,
      maximumRetryAttempts: 0,
      onFailure: async () => {
        throw new Error('destination queue unavailable');
      },
    });
    await expect(esm.drain()).rejects.toThrow('destination queue unavailable');
    expect(esm.error?.message).toBe('destination queue unavailable');
    expect(esm.checkpoints).toEqual({});
    expect(esm.stats).toMatchObject({ invocations: 1, batchesSentToOnFailure: 0 });
    expect(puts).toHaveLength(3);
  });

  it('refuses settings Lambda refuses', () => {
    const base = {
      client: kinesis.client,
      streamName: 's',
      functionName: 'f',
      handler: async () => undefined,
      startingPosition: 'TRIM_HORIZON' as const,
      onFailure: async () => undefined,
    };
    expect(() => new LocalEventSourceMapping({ ...base, batchSize: 10_001 })).toThrow(
      EventSourceMappingConfigError,
    );
    expect(() => new LocalEventSourceMapping({ ...base, maximumRecordAgeSeconds: 30 })).toThrow(
      /60 to 604800/,
    );
    expect(() => new LocalEventSourceMapping({ ...base, maximumRetryAttempts: -2 })).toThrow(/-1 to 10000/);
  });
});
