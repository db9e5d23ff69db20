import { parseS3Uri } from '../../../shared/core/run-results.js';
import { type DuckDbStep, required } from './context.js';

/** `bronze_to_silver.py --phase stage` (spark-jobs/lakeplane_jobs/stage_job.py) on DuckDB. */
export const stage: DuckDbStep = async ({ contract, args, loadId, attempt, warehouse, store }) => {
  const input = parseS3Uri(required(args, 'input'));
  const file = store.pathOf(input.bucket, input.key, args['input-version']);
  const { result, bad } = await warehouse.stage(contract, {
    loadId,
    attempt,
    file,
    displayName: `s3://${input.bucket}/${input.key}`,
  });
  if (bad.length > 0) {
    const q = parseS3Uri(required(args, 'quarantine'));
    const source = `s3://${input.bucket}/${input.key}${args['input-version'] ? `?versionId=${args['input-version']}` : ''}`;
    // The record the EMR job writes (casting.py quarantine_record), in a folder of JSON-lines parts.
    const lines = bad.map((b) =>
      JSON.stringify({
        loadId,
        dataset: contract.name,
        source,
        lineNumber: b.line,
        reason: b.reason,
        rawLine: b.raw,
      }),
    );
    await store.put(q.bucket, `${q.key}part-00000.json`, `${lines.join('\n')}\n`);
  }
  return result;
};
