/** What each bundled bench:stream contender exports: one batch in, the Bronze object it wrote out. */
import type { KinesisStreamEvent } from 'aws-lambda';
import type { ObjectInfo, ObjectStore } from '../../shared/ports.js';

export interface Contender {
  /** Processes one batch; resolves to the gzip NDJSON body written to Bronze. */
  run(event: KinesisStreamEvent): Promise<Uint8Array>;
}

/** Object writes kept in memory (the bench times the processing, not S3). */
export class MemoryStore implements ObjectStore {
  last: Uint8Array | string | undefined;
  puts = 0;
  async put(bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    this.last = body;
    this.puts++;
    return { bucket, key, etag: 'stub', size: typeof body === 'string' ? body.length : body.byteLength };
  }
  async get(): Promise<Uint8Array | undefined> {
    return undefined;
  }
  /** The one object the last batch wrote. */
  take(): Uint8Array {
    const body = this.last;
    if (this.puts !== 1 || !(body instanceof Uint8Array)) {
      throw new Error(`expected one gzip object per batch, got ${this.puts} writes`);
    }
    this.last = undefined;
    this.puts = 0;
    return body;
  }
}
