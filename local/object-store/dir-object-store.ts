import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { ObjectInfo, ObjectStore } from '../../shared/ports.js';

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
}

/**
 * A folder with S3 semantics: buckets are folders, every put creates a new object version
 * (kept under `.versions/`), the current version sits at `<bucket>/<key>` so the engine can
 * read it by path, and listeners hear about each created object.
 *
 * Differences from S3, by design: keys with `.`/`..`/empty segments are refused (they would
 * name other paths on disk); ETag is the MD5 of the body, as S3 gives for single-part uploads.
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
    const info = this.putSync(bucket, key, typeof body === 'string' ? Buffer.from(body) : body);
    for (const l of this.listeners) l(info);
    return info;
  }

  async get(bucket: string, key: string, versionId?: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(bucket, key, versionId);
    return existsSync(path) && statSync(path).isFile() ? readFileSync(path) : undefined;
  }

  /** Metadata of the current version (or a given one); undefined when absent. */
  head(bucket: string, key: string, versionId?: string): ObjectInfo | undefined {
    const metaFile = join(
      this.root,
      bucket,
      '.versions',
      key,
      versionId ? `${versionId}.json` : 'current.json',
    );
    if (!existsSync(metaFile)) return undefined;
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as VersionMeta;
    return { bucket, key, versionId: meta.versionId, etag: meta.etag, size: meta.size };
  }

  private putSync(bucket: string, key: string, bytes: Uint8Array): ObjectInfo {
    const target = this.safePath(bucket, key);
    const versionId = this.nextVersionId();
    const etag = createHash('md5').update(bytes).digest('hex');
    const versionsDir = join(this.root, bucket, '.versions', key);
    mkdirSync(versionsDir, { recursive: true });
    mkdirSync(dirname(target), { recursive: true });
    const meta: VersionMeta = {
      versionId,
      etag,
      size: bytes.byteLength,
      lastModified: new Date().toISOString(),
    };
    // Write the version first, then swap the current file and pointer in with renames, so a
    // reader never sees a half-written object.
    writeFileSync(join(versionsDir, versionId), bytes);
    writeFileSync(join(versionsDir, `${versionId}.json`), JSON.stringify(meta));
    const tmp = `${target}.${versionId}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, target);
    writeFileSync(join(versionsDir, 'current.json.tmp'), JSON.stringify(meta));
    renameSync(join(versionsDir, 'current.json.tmp'), join(versionsDir, 'current.json'));
    return { bucket, key, versionId, etag, size: bytes.byteLength };
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
