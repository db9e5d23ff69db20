import type { DatasetContract } from './contract/types.js';

/** Why a Bronze key was not accepted. */
export type KeyRejection =
  | { readonly reason: 'unsafe-key'; readonly message: string }
  | { readonly reason: 'no-dataset'; readonly message: string }
  | { readonly reason: 'not-a-data-file'; readonly message: string };

export type KeyMatch = { readonly dataset: DatasetContract } | KeyRejection;

const DATA_FILE = /\.(json|ndjson|jsonl)(\.gz)?$/i;

/**
 * Maps a Bronze object key to the dataset whose prefix it is under.
 * Keys with `..`, `.` or empty segments, a leading slash, a backslash or control characters are
 * refused: they could name a different path in a file-system-backed store or a Hive partition
 * path, and S3 never produces them from our writers.
 */
export function matchBronzeKey(key: string, datasets: Iterable<DatasetContract>): KeyMatch {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (key.startsWith('/') || key.includes('\\') || /[\u0000-\u001f\u007f]/.test(key)) {
    return {
      reason: 'unsafe-key',
      message: `key "${escapeKey(key)}" has a leading slash, a backslash or control characters`,
    };
  }
  const segments = key.split('/');
  if (segments.some((s) => s === '..' || s === '.' || s === '')) {
    return {
      reason: 'unsafe-key',
      message: `key "${escapeKey(key)}" has an empty, "." or ".." path segment`,
    };
  }
  let best: DatasetContract | undefined;
  for (const d of datasets) {
    if (key.startsWith(d.bronze.prefix) && (!best || d.bronze.prefix.length > best.bronze.prefix.length))
      best = d;
  }
  if (!best) {
    return { reason: 'no-dataset', message: `key "${escapeKey(key)}" is under no dataset's Bronze prefix` };
  }
  if (!DATA_FILE.test(key)) {
    return {
      reason: 'not-a-data-file',
      message: `key "${escapeKey(key)}" is not an NDJSON file (.json, .ndjson, .jsonl, optionally .gz) of dataset ${best.name}`,
    };
  }
  return { dataset: best };
}

function escapeKey(key: string): string {
  return JSON.stringify(key).slice(1, -1);
}
