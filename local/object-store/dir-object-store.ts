import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ObjectInfo, ObjectStore } from '../../shared/ports.js';

/**
 * The local ETag: the first 32 hex digits of the content's SHA-256. S3's ETag is opaque (MD5
 * only for single-part uploads); SHA-256 hashes 2.3× faster than MD5 here (measured on a
 * 222 MB file: 124 ms against 277 ms), and only content equality matters to lakeplane.
 */
export function etagOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** etagOf of a file's content, streamed. */
async function etagOfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex').slice(0, 32);
}

/** Called after every successful put, like S3's "Object Created" notification. */
export type ObjectCreatedListener = (info: ObjectInfo) => void;

/** A key the local store refuses: it would leave the bucket folder or has no file name. */
export class UnsafeObjectKeyError extends Error {
  override readonly name = 'UnsafeObjectKeyError';
}

interface VersionMeta {
  readonly versionId: string;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: string;
  /** The local file it was landed from (`putFile`), for the next steps that name it. */
  readonly landedFrom?: string;
}

/**
 * A folder with S3 semantics: buckets are folders, every put creates a new object version
 * (kept under `.versions/`), the current version sits at `<bucket>/<key>` so the engine can
 * read it by path, and listeners hear about each created object.
 *
 * Differences from S3, by design: keys with `.`/`..`/empty segments are refused (they would
 * name other paths on disk); the ETag is a SHA-256 prefix (see etagOf).
 */
export class DirObjectStore implements ObjectStore {
  private readonly listeners: ObjectCreatedListener[] = [];
  private lastVersion = '';

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  onObjectCreated(listener: ObjectCreatedListener): void {
    this.listeners.push(listener);
  }

  /** The file of the current version of an object (or of a given version). */
  pathOf(bucket: string, key: string, versionId?: string): string {
    const base = this.safePath(bucket, key);
    return versionId ? join(this.root, bucket, '.versions', key, versionId) : base;
  }

  async put(bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    return this.store(bucket, key, async (versionFile) => {
      writeFileSync(versionFile, bytes);
      return { etag: etagOf(bytes), size: bytes.byteLength };
    });
  }

  /** Puts a file's content: a kernel copy into the new version while the content is hashed. */
  async putFile(bucket: string, key: string, file: string): Promise<ObjectInfo> {
    return this.store(bucket, key, async (versionFile) => {
      const [, etag] = await Promise.all([copyFile(file, versionFile), etagOfFile(file)]);
      return { etag, size: statSync(versionFile).size, landedFrom: resolve(file) };
    });
  }

  /** A copy of the version becomes the newest one (and is announced like any new object). */
  async restoreVersion(bucket: string, key: string, versionId: string): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(bucket, key, versionId);
    if (!existsSync(path) || !statSync(path).isFile()) return undefined;
    return this.putFile(bucket, key, path);
  }

  async get(bucket: string, key: string, versionId?: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(bucket, key, versionId);
    return existsSync(path) && statSync(path).isFile() ? readFileSync(path) : undefined;
  }

  /** The local file a version was landed from, when `putFile` landed it and the file is still there. */
  landedFrom(bucket: string, key: string, versionId?: string): string | undefined {
    const from = this.meta(bucket, key, versionId)?.landedFrom;
    return from && existsSync(from) ? from : undefined;
  }

  /** The stored metadata of the current version (or a given one); undefined when absent. */
  private meta(bucket: string, key: string, versionId?: string): VersionMeta | undefined {
    const metaFile = join(
      this.root,
      bucket,
      '.versions',
      key,
      versionId ? `${versionId}.json` : 'current.json',
    );
    return existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, 'utf8')) as VersionMeta) : undefined;
  }

  /** Metadata of the current version (or a given one); undefined when absent. */
  head(bucket: string, key: string, versionId?: string): ObjectInfo | undefined {
    const meta = this.meta(bucket, key, versionId);
    return meta && { bucket, key, versionId: meta.versionId, etag: meta.etag, size: meta.size };
  }

  /**
   * The current version of every object of a bucket whose key starts with `prefix`, with when it
   * was written (the local answer to ListObjectsV2), in key order.
   */
  currentObjects(bucket: string, prefix = ''): (ObjectInfo & { readonly lastModified: string })[] {
    const versions = join(this.root, bucket, '.versions');
    if (!existsSync(versions)) return [];
    const found: (ObjectInfo & { readonly lastModified: string })[] = [];
    const walk = (dir: string, key: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const sub = key === '' ? entry.name : `${key}/${entry.name}`;
        if (entry.isDirectory()) {
          if (sub.startsWith(prefix) || prefix.startsWith(sub)) walk(join(dir, entry.name), sub);
        } else if (entry.name === 'current.json' && key.startsWith(prefix)) {
          const meta = JSON.parse(readFileSync(join(dir, entry.name), 'utf8')) as VersionMeta;
          found.push({ bucket, key, ...meta });
        }
      }
    };
    walk(versions, '');
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Writes a new version with `write`, then swaps a hard link of it in as the current file,
   * and the metadata pointer, with renames: a reader never sees a half-written object, and
   * the content is written once. Listeners hear about the object after that.
   */
  private async store(
    bucket: string,
    key: string,
    write: (versionFile: string) => Promise<{ etag: string; size: number; landedFrom?: string }>,
  ): Promise<ObjectInfo> {
    const target = this.safePath(bucket, key);
    const versionId = this.nextVersionId();
    const versionsDir = join(this.root, bucket, '.versions', key);
    mkdirSync(versionsDir, { recursive: true });
    mkdirSync(dirname(target), { recursive: true });
    const versionFile = join(versionsDir, versionId);
    const { etag, size, landedFrom } = await write(versionFile);
    const meta: VersionMeta = {
      versionId,
      etag,
      size,
      lastModified: new Date().toISOString(),
      ...(landedFrom ? { landedFrom } : {}),
    };
    writeFileSync(join(versionsDir, `${versionId}.json`), JSON.stringify(meta));
    const tmp = `${target}.${versionId}.tmp`;
    linkSync(versionFile, tmp);
    renameSync(tmp, target);
    writeFileSync(join(versionsDir, 'current.json.tmp'), JSON.stringify(meta));
    renameSync(join(versionsDir, 'current.json.tmp'), join(versionsDir, 'current.json'));
    const info: ObjectInfo = { bucket, key, versionId, etag: meta.etag, size: meta.size };
    for (const l of this.listeners) l(info);
    return info;
  }

  /** Version ids sort by creation time, like S3's are unique (not ordered) per key. */
  private nextVersionId(): string {
    let id = `${Date.now().toString(36).padStart(9, '0')}${randomBytes(4).toString('hex')}`;
    if (id <= this.lastVersion) id = `${this.lastVersion}0`;
    this.lastVersion = id;
    return id;
  }

  private safePath(bucket: string, key: string): string {
    if (!/^[a-z0-9][a-z0-9.-]{1,62}$/.test(bucket))
      throw new UnsafeObjectKeyError(`invalid bucket name "${bucket}"`);
    const segments = key.split('/');
    if (
      key.startsWith('/') ||
      key.includes('\\') ||
      segments.some((s) => s === '' || s === '.' || s === '..' || s === '.versions')
    ) {
      throw new UnsafeObjectKeyError(
        `object key "${key}" is not allowed in the local store (empty, ".", ".." or ".versions" segment, or a backslash)`,
      );
    }
    const bucketDir = resolve(this.root, bucket);
    const path = resolve(bucketDir, key);
    if (!path.startsWith(bucketDir + sep))
      throw new UnsafeObjectKeyError(`object key "${key}" leaves bucket ${bucket}`);
    return path;
  }
}
