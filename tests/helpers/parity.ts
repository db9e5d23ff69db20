/**
 * The parity corpus (tests/fixtures/parity/<dataset>/NN-*.ndjson): fixture sequences run through
 * one engine of the local runtime, and what they left, normalised so the two engines can be
 * compared field for field. The normalisation (also in the README's contract section):
 * - Silver: every column of the table but Hudi's `_hoodie_*` metadata, rows sorted by the record
 *   key; timestamps as `YYYY-MM-DDTHH:MM:SS[.ffffff]` in UTC, decimals as their text.
 * - Gold: every table of the contract, rows sorted by all columns.
 * - Quarantine: each bad line's number, raw text and reason; "not valid JSON: <parser detail>"
 *   compares as "not valid JSON" (the parsers' wording differs). Where the staged batch went to
 *   quarantine after a failed gate, its row count.
 * - Loads: the status and the counts of each file's load; a failed load's cause only as "has a
 *   cause" (the engines word their failures differently); each expectation's outcome
 *   (type, column(s), success, unexpected count).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { landAndWait } from '../../cli/commands/load.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { runUri } from '../../shared/core/plan.js';
import { readJsonArtifact } from '../../shared/usecases/run-artifacts.js';

export const CORPUS_DIR = join(import.meta.dirname, '../fixtures/parity');

export interface LoadSnapshot {
  readonly file: string;
  readonly status: string | undefined;
  readonly counts: Record<string, number | undefined> | undefined;
  readonly hasCause: boolean;
  readonly expectations: string[];
  readonly quarantined: { lineNumber: number; reason: string; rawLine: string }[];
  readonly stagedBatchQuarantined: number;
}

export interface CorpusSnapshot {
  readonly loads: LoadSnapshot[];
  readonly silver: Record<string, unknown>[];
  readonly gold: Record<string, Record<string, unknown>[]>;
}

/** The corpus files of a dataset, in the order they land. */
export function corpusFiles(dataset: string): string[] {
  const dir = join(CORPUS_DIR, dataset);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
    .map((f) => join(dir, f));
}

/** Lands the dataset's corpus files one after the other and snapshots what they left. */
export async function runCorpus(rt: LocalRuntime, dataset: string): Promise<CorpusSnapshot> {
  const contract = rt.contracts.datasets.get(dataset)!;
  const loads: LoadSnapshot[] = [];
  for (const file of corpusFiles(dataset)) {
    const [outcome] = await landAndWait(rt, dataset, [file]);
    const load = outcome!.load;
    const loadId = outcome!.loadId!;
    const validation = await readJsonArtifact(rt.store, runUri(LOCAL_LAYOUT, loadId, 1, 'validation.json'));
    loads.push({
      file: file.split('/').pop()!,
      status: load?.status,
      counts: load?.counts ? { ...load.counts } : undefined,
      hasCause: load?.cause !== undefined,
      expectations: expectationOutcomes(validation),
      quarantined: quarantineRecords(rt, `${dataset}/${loadId}/attempt-1`),
      stagedBatchQuarantined: quarantineRows(rt, `${dataset}/${loadId}/attempt-1/staged-batch`),
    });
  }
  const keyOrder = contract.key;
  const silver = (await rt.selectRows(`SELECT * FROM silver.${dataset}`, dataset))
    .map(normaliseRow)
    .sort((a, b) => compareBy(a, b, keyOrder));
  const gold: Record<string, Record<string, unknown>[]> = {};
  for (const g of contract.gold) gold[g.name] = sortAll((await goldRows(rt, g.name)).map(normaliseRow));
  return { loads, silver, gold };
}

/** A Gold table's rows: the warehouse's table, or on the Spark engine its live run (local/emr/spark-gold.ts). */
async function goldRows(rt: LocalRuntime, table: string): Promise<readonly Record<string, unknown>[]> {
  const sql = `SELECT * FROM gold.${table}`;
  return rt.engine === 'duckdb' ? (await rt.warehouse.query(sql)).rows : (await rt.queryGold(sql)).rows;
}

function expectationOutcomes(doc: unknown): string[] {
  const results = (doc as { results?: unknown[] } | undefined)?.results ?? [];
  return results
    .map((r) => {
      const x = r as {
        success?: boolean;
        expectation_config?: { type?: string; kwargs?: Record<string, unknown> };
        result?: { unexpected_count?: number };
      };
      const kw = x.expectation_config?.kwargs ?? {};
      const cols = kw.column ?? kw.column_list;
      return `${x.expectation_config?.type}(${JSON.stringify(cols)}) success=${x.success} unexpected=${x.result?.unexpected_count ?? '-'}`;
    })
    .sort();
}

/** The quarantined bad lines of one load attempt (JSON-lines parts directly under the prefix). */
function quarantineRecords(rt: LocalRuntime, prefix: string): LoadSnapshot['quarantined'] {
  return partLines(rt, prefix)
    .map((l) => JSON.parse(l) as { lineNumber: number; reason: string; rawLine: string })
    .map((r) => ({
      lineNumber: Number(r.lineNumber),
      reason: r.reason.startsWith('not valid JSON') ? 'not valid JSON' : r.reason,
      rawLine: r.rawLine,
    }))
    .sort((a, b) => a.lineNumber - b.lineNumber);
}

function quarantineRows(rt: LocalRuntime, prefix: string): number {
  return partLines(rt, prefix).length;
}

function partLines(rt: LocalRuntime, prefix: string): string[] {
  const dir = join(rt.workspace.objects, LOCAL_LAYOUT.quarantineBucket, prefix);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const text = (n: string) => {
    const bytes = readFileSync(join(dir, n));
    return (n.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  };
  return names
    .filter((n) => /^part-.*\.json(\.gz)?$/.test(n))
    .flatMap((n) => text(n).split('\n'))
    .filter((l) => l.trim() !== '');
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]00(:?00)?)?$/;

function normaliseValue(v: unknown): unknown {
  if (typeof v !== 'string') return typeof v === 'bigint' ? Number(v) : v;
  const m = TIMESTAMP.exec(v);
  if (!m) return v;
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]}T${m[2]}${fraction === '.' ? '' : fraction}`;
}

function normaliseRow(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(row).sort()) {
    if (k.startsWith('_hoodie_') || k.startsWith('__lp_')) continue;
    out[k] = normaliseValue(row[k]);
  }
  return out;
}

function compareBy(a: Record<string, unknown>, b: Record<string, unknown>, keys: readonly string[]): number {
  for (const k of keys) {
    const x = String(a[k]);
    const y = String(b[k]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function sortAll(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
