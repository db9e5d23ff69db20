/**
 * The bad-record corpus (tests/fixtures/bad-records/corpus.json): its records as bytes, one
 * NDJSON file of them, and a batch load of that file read back as one verdict per record
 * ('good', a quarantine reason, or 'lost'), for the DuckDB and the Spark engine alike.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { landAndWait } from '../../cli/commands/load.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { REPO, tempDir } from './fixtures.js';

export interface CorpusEntry {
  readonly name: string;
  readonly line?: string;
  readonly base64?: string;
  readonly fill?: number;
  readonly reason?: string;
  readonly good?: boolean;
}

export interface Verdict {
  readonly name: string;
  readonly verdict: string;
}

export const BAD_RECORDS = join(REPO, 'tests/fixtures/bad-records');
export const BAD_RECORD_DATASETS = join(BAD_RECORDS, 'datasets');

export const corpus: readonly CorpusEntry[] = (
  JSON.parse(readFileSync(join(BAD_RECORDS, 'corpus.json'), 'utf8')) as { records: CorpusEntry[] }
).records;

export const bytesOf = (e: CorpusEntry): Buffer =>
  e.base64 !== undefined
    ? Buffer.from(e.base64, 'base64')
    : Buffer.from(e.line!.replace('@FILL@', 'x'.repeat(e.fill ?? 0)), 'utf8');

/** What each record must come to: 'good' or its reason. */
export const expectedVerdicts: readonly Verdict[] = corpus.map((e) => ({
  name: e.name,
  verdict: e.good ? 'good' : e.reason!,
}));

/** The corpus as one NDJSON file, a record per line in corpus order. */
export function corpusFile(): string {
  const file = join(tempDir(), 'corpus.ndjson');
  writeFileSync(file, Buffer.concat(corpus.flatMap((e) => [bytesOf(e), Buffer.from('\n')])));
  return file;
}

/** The good records' keys (every good record has a unique id). */
function keyOf(e: CorpusEntry): string | undefined {
  return /"id":"(k[0-9]+)"/.exec(bytesOf(e).subarray(0, 200).toString('latin1'))?.[1];
}

export async function silverIds(rt: LocalRuntime): Promise<Set<string>> {
  // selectRows reads Silver on either engine (the warehouse, or the Hudi table on Spark).
  return new Set((await rt.selectRows('SELECT id FROM silver.rules', 'rules')).map((r) => String(r.id)));
}

/** One verdict per corpus record from Silver's keys and the quarantined reasons by corpus index. */
export function verdicts(good: ReadonlySet<string>, bad: ReadonlyMap<number, string>): Verdict[] {
  return corpus.map((e, i) => {
    const key = keyOf(e);
    return { name: e.name, verdict: bad.get(i) ?? (key !== undefined && good.has(key) ? 'good' : 'lost') };
  });
}

export interface BatchRun {
  readonly status: string | undefined;
  readonly cause: unknown;
  readonly good: Set<string>;
  readonly bad: Map<number, string>;
}

/** Lands the corpus file for dataset `rules`, as `lakeplane load` does, and reads the outcome back. */
export async function loadCorpus(rt: LocalRuntime): Promise<BatchRun> {
  const [outcome] = await landAndWait(rt, 'rules', [corpusFile()]);
  const bad = new Map<number, string>();
  if (outcome?.loadId !== undefined) {
    const dir = join(
      rt.workspace.objects,
      LOCAL_LAYOUT.quarantineBucket,
      'rules',
      outcome.loadId,
      'attempt-1',
    );
    for (const name of readdirSync(dir).filter((n) => /^part-.*\.json(\.gz)?$/.test(n))) {
      const body = readFileSync(join(dir, name));
      for (const l of (name.endsWith('.gz') ? gunzipSync(body) : body).toString('utf8').split('\n')) {
        if (l.trim() === '') continue;
        const r = JSON.parse(l) as { lineNumber: number; reason: string };
        bad.set(r.lineNumber - 1, r.reason);
      }
    }
  }
  return { status: outcome?.load?.status, cause: outcome?.load?.cause, good: await silverIds(rt), bad };
}
