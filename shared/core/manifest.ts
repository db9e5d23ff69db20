import * as z from 'zod';
import type { LakeLayout } from './plan.js';
import type { PendingObject } from './schedule.js';

/**
 * A load's manifest: the exact Bronze object versions it reads, in landing order. The scheduler
 * writes it to the artifacts bucket before anything names the load (`runs/<load id>/manifest.json`);
 * the stage job (Spark and DuckDB) reads it, a replay reads the same file again.
 */
export const MANIFEST_VERSION = 1;

const manifestObject = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  versionId: z.string().min(1).optional(),
  etag: z.string(),
  size: z.number().int().nonnegative(),
  landedAt: z.string().min(1),
});

export const loadManifestFile = z.object({
  version: z.literal(MANIFEST_VERSION),
  loadId: z.string().min(1),
  dataset: z.string().min(1),
  objects: z.array(manifestObject).min(1),
});
export type LoadManifestFile = z.infer<typeof loadManifestFile>;

/** What the ledger keeps of a load's manifest (the list itself may not fit a DynamoDB item). */
export interface ManifestRef {
  readonly uri: string;
  readonly objects: number;
  readonly bytes: number;
}

export function manifestKey(loadId: string): string {
  return `runs/${loadId}/manifest.json`;
}

export function manifestUri(layout: Pick<LakeLayout, 'artifactsBucket'>, loadId: string): string {
  return `s3://${layout.artifactsBucket}/${manifestKey(loadId)}`;
}

export function manifestBody(loadId: string, dataset: string, objects: readonly PendingObject[]): string {
  const file: LoadManifestFile = {
    version: MANIFEST_VERSION,
    loadId,
    dataset,
    objects: objects.map((o) => ({
      bucket: o.bucket,
      key: o.key,
      ...(o.versionId ? { versionId: o.versionId } : {}),
      etag: o.etag,
      size: o.size,
      landedAt: o.landedAt,
    })),
  };
  return `${JSON.stringify(file)}\n`;
}

/** A manifest file's content, or an error naming the file and the field. */
export function parseManifest(text: string, uri: string): LoadManifestFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`the load manifest ${uri} is not JSON: ${(e as Error).message}`);
  }
  const parsed = loadManifestFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(
      `the load manifest ${uri} is not valid at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/** The ledger's reference to a manifest. */
export function manifestRef(
  layout: Pick<LakeLayout, 'artifactsBucket'>,
  loadId: string,
  objects: readonly Pick<PendingObject, 'size'>[],
): ManifestRef {
  return {
    uri: manifestUri(layout, loadId),
    objects: objects.length,
    bytes: objects.reduce((n, o) => n + o.size, 0),
  };
}
