/**
 * The stream hot path, pure: Kinesis records of one invocation → one Bronze micro-batch per
 * (dataset, shard) with a deterministic key, deduplicated by record key, plus one quarantine
 * object with every record that could not be used and why. One pass over the records.
 */
import { isUtf8 } from 'node:buffer';
import type { DatasetContract } from '../contract/types.js';
import {
  firstNonUtf8,
  MAX_RECORD_BYTES,
  notUtf8Reason,
  parseRecordJson,
  tooLargeReason,
} from '../record-rules.js';
import { compareOrder, compileRecordCheck, type OrderValue, type RecordCheck } from './record-check.js';

/** One Kinesis record as the handler receives it. */
export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** base64, as Kinesis delivers it */
  readonly data: string;
  /** seconds since the epoch (float), Kinesis' approximateArrivalTimestamp */
  readonly arrivalSeconds: number;
}

/** How records find their dataset when a stream carries more than one. */
export interface StreamRouting {
  /** A top-level record field that names the dataset. */
  readonly datasetField?: string;
  /** Partition keys of the form `<dataset><delimiter><anything>` name the dataset. */
  readonly partitionKeyDelimiter?: string;
  /** The dataset of records that name none. */
  readonly defaultDataset?: string;
}

export interface StreamConfig {
  readonly datasets: ReadonlyMap<string, DatasetContract>;
  readonly routing: StreamRouting;
  readonly bronzeBucket: string;
  readonly quarantineBucket: string;
  /** Records larger than this (decoded bytes) are quarantined. Default MAX_RECORD_BYTES (1 MiB), the batch path's limit. */
  readonly maxRecordBytes?: number;
}

/** An object to write, and the smallest sequence number whose fate depends on it. */
export interface PlannedObject {
  readonly kind: 'bronze' | 'quarantine';
  readonly bucket: string;
  readonly key: string;
  readonly dataset?: string;
  /** NDJSON lines, in sequence order. */
  readonly lines: readonly string[];
  /**
   * The same lines' UTF-8 bytes (a Bronze object's: the record's own decoded bytes), so the
   * object's body is copied together from them instead of encoding the joined text again.
   */
  readonly utf8?: readonly Uint8Array[];
  readonly records: number;
  readonly firstSequence: string;
}

export interface MicroBatchPlan {
  readonly objects: readonly PlannedObject[];
  readonly recordsIn: number;
  readonly written: number;
  readonly deduplicated: number;
  readonly quarantined: number;
  /** Arrival time of the oldest record (seconds), for the batch-age metric. */
  readonly oldestArrivalSeconds: number | undefined;
}

export const DEFAULT_MAX_RECORD_BYTES = MAX_RECORD_BYTES;

/** Kinesis sequence numbers are decimal strings of varying length. */
export function compareSequence(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

interface Group {
  readonly dataset: string;
  readonly shardId: string;
  /** Per record key: the index of the record that wins so far. */
  readonly winners: Map<string, Winner>;
  records: number;
  first: string;
  last: string;
  firstArrival: number;
}

interface Winner {
  order: OrderValue;
  sequence: string;
  index: number;
}

/** Compiled record checks per dataset, built once per container. */
export function compileChecks(
  datasets: ReadonlyMap<string, DatasetContract>,
): ReadonlyMap<string, RecordCheck> {
  return new Map([...datasets].map(([name, c]) => [name, compileRecordCheck(c)]));
}

/**
 * Plans the objects of one batch. Within a (dataset, shard) group the record with the greatest
 * precombine value wins, a tie goes to the higher sequence number. The object key is
 * `<prefix>stream/date=<arrival day of the group's first record>/<shard>-<first>-<last>.ndjson.gz`
 * with the group's first and last sequence numbers, so a retried batch writes the same key.
 */
export function planMicroBatches(
  records: readonly StreamRecord[],
  config: StreamConfig,
  checks: ReadonlyMap<string, RecordCheck>,
): MicroBatchPlan {
  const maxBytes = config.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const groups = new Map<string, Group>();
  const bad: { record: StreamRecord; reason: string; dataset?: string }[] = [];
  let oldest: number | undefined;

  // The text and UTF-8 bytes of every record that passed, by its index in the batch (a winner's line).
  const texts: string[] = new Array(records.length);
  const utf8: Uint8Array[] = new Array(records.length);
  // A batch is one shard and mostly one dataset: the record before's dataset name, check and
  // group serve the next record without a new string or a lookup.
  const route = router(config.routing);
  let checkOf: string | undefined;
  let check: RecordCheck | undefined;
  let last: Group | undefined;
  for (let index = 0; index < records.length; index++) {
    const r = records[index]!;
    if (oldest === undefined || r.arrivalSeconds < oldest) oldest = r.arrivalSeconds;
    const bytes = Buffer.from(r.data, 'base64');
    if (!isBase64Of(r.data, bytes.byteLength)) {
      bad.push({ record: r, reason: 'data is not base64' });
      continue;
    }
    // The batch path's record rules (shared/core/record-rules.ts), in its words.
    if (bytes.byteLength > maxBytes) {
      bad.push({ record: r, reason: tooLargeReason(bytes.byteLength, maxBytes) });
      continue;
    }
    if (!isUtf8(bytes)) {
      bad.push({ record: r, reason: notUtf8Reason(bytes, firstNonUtf8(bytes)) });
      continue;
    }
    let text = bytes.toString('utf8');
    let line: Uint8Array = bytes;
    if (text.charCodeAt(0) === 0xfeff) {
      text = text.slice(1);
      line = bytes.subarray(3); // U+FEFF is EF BB BF in UTF-8
    }
    const parsed = parseRecordJson(text);
    if (!parsed.ok) {
      bad.push({ record: r, reason: parsed.reason });
      continue;
    }
    const record = parsed.fields;
    const dataset = route(record, r.partitionKey);
    if (dataset !== checkOf) {
      checkOf = dataset;
      check = dataset === undefined ? undefined : checks.get(dataset);
    }
    if (!check || dataset === undefined) {
      bad.push({
        record: r,
        reason:
          dataset === undefined
            ? 'the record names no dataset'
            : `unknown dataset "${dataset}" (known: ${[...checks.keys()].join(', ')})`,
      });
      continue;
    }
    const checked = check(record);
    if (typeof checked === 'string') {
      bad.push({ record: r, reason: checked, dataset });
      continue;
    }
    // NDJSON needs one line per record: a line break can only be white space between tokens
    // (JSON strings cannot hold one), so a space keeps every token, numbers as written.
    if (text.includes('\n') || text.includes('\r')) {
      text = text.replace(/[\r\n]/g, ' ');
      line = Buffer.from(text, 'utf8');
    }
    texts[index] = text;
    utf8[index] = line;
    let g = last;
    if (!g || g.dataset !== dataset || g.shardId !== r.shardId) {
      const groupKey = `${dataset}\u0000${r.shardId}`;
      g = groups.get(groupKey);
      if (!g) {
        g = {
          dataset,
          shardId: r.shardId,
          winners: new Map(),
          records: 0,
          first: r.sequenceNumber,
          last: r.sequenceNumber,
          firstArrival: r.arrivalSeconds,
        };
        groups.set(groupKey, g);
      }
      last = g;
    }
    g.records++;
    if (compareSequence(r.sequenceNumber, g.first) < 0) {
      g.first = r.sequenceNumber;
      g.firstArrival = r.arrivalSeconds;
    }
    if (compareSequence(r.sequenceNumber, g.last) > 0) g.last = r.sequenceNumber;
    const current = g.winners.get(checked.key);
    if (!current) {
      g.winners.set(checked.key, { order: checked.order, sequence: r.sequenceNumber, index });
      continue;
    }
    const byOrder = compareOrder(checked.order, current.order);
    if (byOrder > 0 || (byOrder === 0 && compareSequence(r.sequenceNumber, current.sequence) > 0)) {
      current.order = checked.order;
      current.sequence = r.sequenceNumber;
      current.index = index;
    }
  }

  const objects: PlannedObject[] = [];
  let written = 0;
  for (const g of groups.values()) {
    const contract = config.datasets.get(g.dataset)!;
    // The winners in batch order: their indexes, sorted as numbers.
    const at = new Int32Array(g.winners.size);
    let n = 0;
    for (const w of g.winners.values()) at[n++] = w.index;
    at.sort();
    const lines: string[] = new Array(at.length);
    const bytes: Uint8Array[] = new Array(at.length);
    for (let k = 0; k < at.length; k++) {
      lines[k] = texts[at[k]!]!;
      bytes[k] = utf8[at[k]!]!;
    }
    written += lines.length;
    objects.push({
      kind: 'bronze',
      bucket: config.bronzeBucket,
      key: `${contract.bronze.prefix}stream/date=${day(g.firstArrival)}/${g.shardId}-${g.first}-${g.last}.ndjson.gz`,
      dataset: g.dataset,
      lines,
      utf8: bytes,
      records: g.records,
      firstSequence: g.first,
    });
  }
  if (bad.length > 0) {
    const first = bad.reduce(
      (m, b) => (compareSequence(b.record.sequenceNumber, m) < 0 ? b.record.sequenceNumber : m),
      bad[0]!.record.sequenceNumber,
    );
    const last = bad.reduce(
      (m, b) => (compareSequence(b.record.sequenceNumber, m) > 0 ? b.record.sequenceNumber : m),
      first,
    );
    const firstBad = bad.find((b) => b.record.sequenceNumber === first)!;
    objects.push({
      kind: 'quarantine',
      bucket: config.quarantineBucket,
      key: `stream/date=${day(firstBad.record.arrivalSeconds)}/${firstBad.record.shardId}-${first}-${last}.ndjson`,
      lines: bad.map((b) =>
        JSON.stringify({
          reason: b.reason,
          ...(b.dataset ? { dataset: b.dataset } : {}),
          shardId: b.record.shardId,
          sequenceNumber: b.record.sequenceNumber,
          partitionKey: b.record.partitionKey,
          approximateArrivalTimestamp: b.record.arrivalSeconds,
          data: b.record.data,
        }),
      ),
      records: bad.length,
      firstSequence: first,
    });
  }
  const goodRecords = [...groups.values()].reduce((n, g) => n + g.records, 0);
  return {
    objects,
    recordsIn: records.length,
    written,
    deduplicated: goodRecords - written,
    quarantined: bad.length,
    oldestArrivalSeconds: oldest,
  };
}

/**
 * Node's base64 decoder skips characters outside the alphabet instead of failing, so a string
 * is base64 exactly when its length is a multiple of 4 and nothing was skipped (O(1), against a
 * regular expression over every byte of the hot path).
 */
function isBase64Of(data: string, decodedBytes: number): boolean {
  if (data.length % 4 !== 0) return false;
  const n = data.length;
  const padding = data.charCodeAt(n - 1) !== 61 ? 0 : data.charCodeAt(n - 2) === 61 ? 2 : 1;
  return decodedBytes === (data.length / 4) * 3 - padding;
}

/** The dataset a record names: its dataset field, else its partition key's prefix, else the default. */
function router(
  routing: StreamRouting,
): (record: ReadonlyMap<string, string | null>, partitionKey: string) => string | undefined {
  const { datasetField, partitionKeyDelimiter, defaultDataset } = routing;
  // The prefix of the partition key before (the same string again while the prefix is the same).
  let prefix = '';
  return (record, partitionKey) => {
    if (datasetField) {
      const named = record.get(datasetField);
      if (typeof named === 'string' && named !== '') return named;
    }
    if (partitionKeyDelimiter) {
      const at = partitionKey.indexOf(partitionKeyDelimiter);
      if (at > 0) {
        if (at !== prefix.length || !partitionKey.startsWith(prefix)) prefix = partitionKey.slice(0, at);
        return prefix;
      }
    }
    return defaultDataset;
  };
}

function day(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}
