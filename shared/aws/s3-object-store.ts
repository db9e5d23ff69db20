import {
  CopyObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectInfo, ObjectStore } from '../ports.js';
import type { BronzeListing } from '../usecases/reconcile.js';

/** Objects on S3 (versioned buckets). */
export class S3ObjectStore implements ObjectStore, BronzeListing {
  constructor(private readonly client: S3Client) {}

  /** The current versions under a prefix written at or after `since` (ListObjectVersions, paged). */
  async *listSince(bucket: string, prefix: string, since: Date): AsyncIterable<ObjectInfo> {
    // The SDK has no paginator for ListObjectVersions: follow its two markers.
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
        }),
      );
      for (const v of page.Versions ?? []) {
        if (!v.IsLatest || !v.Key || (v.LastModified && v.LastModified < since)) continue;
        yield {
          bucket,
          key: v.Key,
          etag: (v.ETag ?? '').replaceAll('"', ''),
          size: v.Size ?? 0,
          ...(v.VersionId && v.VersionId !== 'null' ? { versionId: v.VersionId } : {}),
        };
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
  }

  async put(bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const out = await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    return {
      bucket,
      key,
      etag: (out.ETag ?? '').replaceAll('"', ''),
      size: bytes.byteLength,
      ...(out.VersionId ? { versionId: out.VersionId } : {}),
    };
  }

  /** CopyObject of the version onto its own key (S3's documented way to restore a version). */
  async restoreVersion(bucket: string, key: string, versionId: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: key,
          CopySource: `${bucket}/${encodeURIComponent(key)}?versionId=${encodeURIComponent(versionId)}`,
        }),
      );
      return {
        bucket,
        key,
        etag: (out.CopyObjectResult?.ETag ?? '').replaceAll('"', ''),
        size: 0,
        ...(out.VersionId ? { versionId: out.VersionId } : {}),
      };
    } catch (e) {
      // S3 answers NoSuchVersion (no modelled class in the SDK) for a version that is gone.
      if (e instanceof NoSuchKey || (e instanceof Error && e.name === 'NoSuchVersion')) return undefined;
      throw e;
    }
  }

  async get(bucket: string, key: string, versionId?: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
      return out.Body ? await out.Body.transformToByteArray() : undefined;
    } catch (e) {
      if (e instanceof NoSuchKey) return undefined;
      throw e;
    }
  }
}
