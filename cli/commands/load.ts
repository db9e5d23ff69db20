import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import type { LoadRecord } from '../../shared/core/load.js';
import { nextStep, plainCause } from '../../shared/core/next-step.js';
import { shellWord } from '../../shared/core/shell-word.js';
import { UsageError } from '../context.js';
import { duration, table } from '../output.js';

/** What happened to one landed file. */
export interface FileOutcome {
  readonly file: string;
  readonly key: string;
  /** The load that took the file; undefined while it is pending (its dataset is paused). */
  readonly loadId: string | undefined;
  /** True when this exact object had been loaded before: nothing was started. */
  readonly alreadyLoaded: boolean;
  /**
   * True when this exact object had landed before but its load ran in this command: a process
   * that stopped before it finished left it interrupted or pending, and this command's recovery
   * or scheduler ran it.
   */
  readonly landedBefore?: boolean;
  readonly load: LoadRecord | undefined;
  /** Where its quarantined records are, with their reasons (a folder of the local workspace), when it has any. */
  readonly quarantine?: string;
  /** Why the file is still pending, when it is. */
  readonly pending?: string;
  /** Why no load will take the file (object-landed refused its key). */
  readonly rejected?: string;
  /** The file is empty: nothing to load (not a refusal). */
  readonly empty?: boolean;
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
  if (st.isFile()) {
    if (!DATA_FILE.test(path))
      throw new UsageError(
        `${path}: not an NDJSON file: lakeplane loads files ending in .json, .ndjson or .jsonl (gzipped: .gz), one JSON object per line; convert it and land the converted file (nothing was landed)`,
      );
    return [path];
  }
  const files = readdirSync(path)
    .filter((f) => DATA_FILE.test(f))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0)
    throw new UsageError(`${path}: the folder has no .json, .ndjson or .jsonl files (gzipped or not)`);
  return files;
}

/**
 * Lands files in Bronze in the order given (each through the object event into its dataset's
 * pending objects), then waits until the scheduler's loads have ended: the first file goes alone
 * when the dataset is idle, the files that landed meanwhile go together in the next load, in
 * landing order (a precombine tie goes to the later file).
 */
export async function landAndWait(
  rt: LocalRuntime,
  dataset: string,
  files: readonly string[],
  /** How the printed next step starts (with the workspace's --home when it has one). */
  cli = 'npx lakeplane',
): Promise<FileOutcome[]> {
  const landed = [];
  for (const file of files) landed.push({ file, object: await rt.land(dataset, file) });
  await rt.idle();
  const out: FileOutcome[] = [];
  for (const { file, object } of landed) {
    const loadId = object.loadId ?? (await rt.loadOf(dataset, object));
    const outcome = object.versionId !== undefined ? rt.landedOutcome(object.versionId) : undefined;
    const paused = outcome?.outcome === 'pending' && outcome.schedule.outcome === 'paused' && !loadId;
    const load = loadId ? await rt.ledger.get(loadId) : undefined;
    const duplicate = outcome?.outcome === 'duplicate';
    const ranHere = load?.startedAt !== undefined && Date.parse(load.startedAt) >= rt.openedAt.getTime();
    out.push({
      file,
      key: object.key,
      loadId,
      alreadyLoaded: duplicate && !ranHere,
      ...(duplicate && ranHere ? { landedBefore: true } : {}),
      load,
      ...(loadId && ((load?.counts?.rowsQuarantined ?? 0) > 0 || load?.status === 'FAILED_QUALITY')
        ? { quarantine: join(rt.workspace.objects, LOCAL_LAYOUT.quarantineBucket, dataset, loadId) }
        : {}),
      ...(outcome?.outcome === 'rejected'
        ? outcome.reason === 'empty-object'
          ? { empty: true }
          : { rejected: outcome.message }
        : {}),
      ...(paused
        ? {
            pending: `dataset ${dataset} is paused; the file loads when it is resumed (${cli} dataset resume ${dataset})`,
          }
        : {}),
    });
  }
  return out;
}

export function describeOutcome(o: FileOutcome, cli = 'npx lakeplane'): string {
  if (o.pending) return `${o.file}: pending: ${o.pending}`;
  if (o.rejected) return `${o.file}: not loaded: ${o.rejected}`;
  if (o.empty) return `${o.file}: empty (0 bytes): no records, nothing to load`;
  if (!o.load)
    return `${o.file}: no load took it; \`${cli} loads --key ${shellWord(o.key)}\` says what became of it`;
  if (o.alreadyLoaded && o.load.status !== 'FAILED' && o.load.status !== 'FAILED_QUALITY')
    return `${o.file}: already loaded as ${o.loadId} (${o.load.status}); nothing was started`;
  const c = o.load.counts;
  const counts = c
    ? `, ${c.rowsIn} records in, ${c.inserted} inserted, ${c.updated} updated, ${c.deleted} deleted, ${c.rowsQuarantined} quarantined, ${c.duplicatesDropped} duplicates dropped`
    : '';
  const objects = o.load.manifest?.objects ?? 1;
  const together = objects > 1 ? ` (with ${objects - 1} other file${objects > 2 ? 's' : ''})` : '';
  const failed = o.load.status === 'FAILED' || o.load.status === 'FAILED_QUALITY';
  // A failed gate quarantines the whole batch, not record by record: say so beside the counts.
  const gate =
    o.load.status === 'FAILED_QUALITY'
      ? `\n  the batch failed the data-quality gate: its ${c?.rowsStaged ?? 0} staged records went to quarantine as one batch (the "quarantined" count above is of records set aside one by one); Silver is unchanged, the alert lists the failed expectations`
      : '';
  const cause = failed && o.load.cause ? `\n  cause: ${plainCause(o.load)}` : '';
  const step = failed ? nextStep(o.load, { cli, file: o.file }) : undefined;
  const next = step ? `\n  next: ${step.what}:\n    ${step.command}` : '';
  const where =
    o.quarantine && !o.alreadyLoaded
      ? o.load.status === 'FAILED_QUALITY'
        ? `\n  the quarantined batch, as it was staged: ${o.quarantine}`
        : `\n  quarantined records, each with its line and reason: ${o.quarantine}`
      : '';
  if (o.alreadyLoaded)
    return `${o.file}: the same content was loaded before as ${o.loadId}, which is ${o.load.status}; nothing was started${cause}${next}`;
  const before = o.landedBefore
    ? ' (the file had landed before, from a command that stopped before it finished; this command ran its load)'
    : '';
  return `${o.file}: load ${o.loadId}${together} ${o.load.status} in ${duration(o.load.durationMs)}${counts}${before}${gate}${cause}${where}${next}`;
}

export function outcomesTable(outcomes: readonly FileOutcome[]): string {
  return table(
    [
      'load',
      'objects',
      'status',
      'in',
      'inserted',
      'updated',
      'deleted',
      'quarantined',
      'dupes',
      'duration',
      'file',
    ],
    outcomes.map((o) => {
      const c = o.load?.counts;
      return [
        o.loadId ?? '(pending)',
        o.load?.manifest?.objects ?? (o.load ? 1 : undefined),
        o.alreadyLoaded
          ? `${o.load?.status} (already)`
          : (o.load?.status ?? (o.pending ? 'PENDING' : 'UNKNOWN')),
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
