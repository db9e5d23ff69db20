import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalRuntime } from '../../local/runtime.js';
import type { LoadRecord } from '../../shared/core/load.js';
import { UsageError } from '../context.js';
import { duration, table } from '../output.js';

/** What happened to one landed file. */
export interface FileOutcome {
  readonly file: string;
  readonly key: string;
  readonly loadId: string;
  /** True when this exact object had been loaded before: nothing was started. */
  readonly alreadyLoaded: boolean;
  readonly load: LoadRecord | undefined;
}

const DATA_FILE = /\.(json|ndjson|jsonl)(\.gz)?$/i;

/** The data files of a path: the file itself, or a folder's NDJSON files in name order. */
export function dataFiles(path: string): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`${path}: no such file or folder`);
  }
  if (st.isFile()) return [path];
  const files = readdirSync(path)
    .filter((f) => DATA_FILE.test(f))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw new UsageError(`${path}: the folder has no .json, .ndjson or .jsonl files`);
  return files;
}

/**
 * Lands files in Bronze one after another (each through the object event, the ledger and
 * the state machine) and waits for each load to end, so loads commit in file order.
 */
export async function landAndWait(
  rt: LocalRuntime,
  dataset: string,
  files: readonly string[],
): Promise<FileOutcome[]> {
  const out: FileOutcome[] = [];
  for (const file of files) {
    const landed = await rt.land(dataset, file);
    await rt.idle();
    const load = await rt.ledger.get(landed.loadId);
    out.push({
      file,
      key: landed.key,
      loadId: landed.loadId,
      alreadyLoaded:
        landed.versionId !== undefined && rt.landedOutcome(landed.versionId)?.outcome === 'duplicate',
      load,
    });
  }
  return out;
}

export function describeOutcome(o: FileOutcome): string {
  if (!o.load)
    return `${o.file}: no load was registered (see the messages above and dead-letters.jsonl in the workspace)`;
  if (o.alreadyLoaded)
    return `${o.file}: already loaded as ${o.loadId} (${o.load.status}); nothing was started`;
  const c = o.load.counts;
  const counts = c
    ? `, ${c.rowsIn} records in, ${c.inserted} inserted, ${c.updated} updated, ${c.deleted} deleted, ${c.rowsQuarantined} quarantined, ${c.duplicatesDropped} duplicates dropped`
    : '';
  const cause = o.load.status === 'FAILED' && o.load.cause ? `\n  cause: ${o.load.cause.message}` : '';
  return `${o.file}: load ${o.loadId} ${o.load.status} in ${duration(o.load.durationMs)}${counts}${cause}`;
}

export function outcomesTable(outcomes: readonly FileOutcome[]): string {
  return table(
    ['load', 'status', 'in', 'inserted', 'updated', 'deleted', 'quarantined', 'dupes', 'duration', 'file'],
    outcomes.map((o) => {
      const c = o.load?.counts;
      return [
        o.loadId,
        o.alreadyLoaded ? `${o.load?.status} (already)` : (o.load?.status ?? 'UNKNOWN'),
        c?.rowsIn,
        c?.inserted,
        c?.updated,
        c?.deleted,
        c?.rowsQuarantined,
        c?.duplicatesDropped,
        duration(o.load?.durationMs),
        o.key,
      ];
    }),
  );
}
