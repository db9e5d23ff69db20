import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectInfo, ObjectStore } from '../ports.js';

/** Objects on S3 (versioned buckets). */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client) {}

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
