import { parseManifest } from '../../../shared/core/manifest.js';
import { parseS3Uri } from '../../../shared/core/run-results.js';
import type { StageObject } from '../../engine/warehouse.js';
import type { DirObjectStore } from '../../object-store/dir-object-store.js';
import { type DuckDbStep, required } from './context.js';

/** `s3://bucket/key[?versionId=…]`: how the quarantine and the messages name an object. */
function sourceOf(bucket: string, key: string, versionId: string | undefined): string {
  return `s3://${bucket}/${key}${versionId ? `?versionId=${versionId}` : ''}`;
}

/** The objects a stage step reads: its manifest's (`--manifest`), or its one `--input`. */
async function stageObjects(
  args: Readonly<Record<string, string>>,
  store: DirObjectStore,
): Promise<StageObject[]> {
  const manifest = args.manifest;
  if (manifest === undefined) {
    const input = parseS3Uri(required(args, 'input'));
    const version = args['input-version'];
    return [
      {
        file: store.pathOf(input.bucket, input.key, version),
        source: sourceOf(input.bucket, input.key, version),
      },
    ];
  }
  const at = parseS3Uri(manifest);
  const body = await store.get(at.bucket, at.key);
  if (body === undefined) throw new Error(`the load manifest ${manifest} does not exist`);
  return parseManifest(Buffer.from(body).toString('utf8'), manifest).objects.map((o) => ({
    file: store.pathOf(o.bucket, o.key, o.versionId),
    source: sourceOf(o.bucket, o.key, o.versionId),
  }));
}

/** `bronze_to_silver.py --phase stage` (spark-jobs/lakeplane_jobs/stage_job.py) on DuckDB. */
export const stage: DuckDbStep = async ({ contract, args, loadId, attempt, warehouse, store }) => {
  const objects = await stageObjects(args, store);
  const { result, bad } = await warehouse.stage(contract, { loadId, attempt, objects });
  if (bad.length > 0) {
    const q = parseS3Uri(required(args, 'quarantine'));
    // The record the EMR job writes (casting.py quarantine_record), in a folder of JSON-lines parts.
    const lines = bad.map((b) =>
      JSON.stringify({
        loadId,
        dataset: contract.name,
        source: b.source,
        lineNumber: b.line,
        reason: b.reason,
        rawLine: b.raw,
      }),
    );
    await store.put(q.bucket, `${q.key}part-00000.json`, `${lines.join('\n')}\n`);
  }
  return result;
};
