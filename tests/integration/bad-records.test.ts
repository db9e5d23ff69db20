/**
 * The bad-record corpus (tests/fixtures/bad-records/corpus.json) through both paths of the local
 * runtime: the batch path (one NDJSON file landed in Bronze, as `lakeplane load` does) and the
 * stream path (the same lines put on the local Kinesis stream by `lakeplane stream`'s own code).
 * Each record gets the same verdict and reason on both, casting.py's, and records in = Silver
 * rows + quarantined records on each path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { streamFile } from '../../cli/commands/stream.js';
import { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import {
  BAD_RECORD_DATASETS,
  bytesOf,
  corpus,
  corpusFile,
  expectedVerdicts,
  loadCorpus,
  silverIds,
  verdicts,
} from '../helpers/bad-records.js';
import { tempDir } from '../helpers/fixtures.js';

let runtimes: LocalRuntime[] = [];
afterEach(async () => {
  for (const rt of runtimes) await rt.close();
  runtimes = [];
});

async function start(): Promise<LocalRuntime> {
  const rt = await LocalRuntime.start({ home: tempDir(), datasetsDir: BAD_RECORD_DATASETS, print: () => {} });
  runtimes.push(rt);
  return rt;
}

describe('the bad-record corpus on both paths of the local runtime', () => {
  it('has at least 40 kinds of bad record', () => {
    expect(corpus.filter((e) => e.reason !== undefined).length).toBeGreaterThanOrEqual(40);
  });

  it('gives every record the same verdict and reason on the batch and the stream path', async () => {
    // Batch: one file landed in Bronze.
    const batch = await loadCorpus(await start());
    expect({ status: batch.status, cause: batch.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    expect(verdicts(batch.good, batch.bad)).toEqual(expectedVerdicts);
    expect(corpus.length).toBe(batch.good.size + batch.bad.size);

    // Stream: the same lines on the local Kinesis stream, as `lakeplane stream` puts them.
    const stream = await start();
    const out = await streamFile(stream, 'rules', corpusFile());
    const index = new Map(corpus.map((e, i) => [bytesOf(e).toString('base64'), i]));
    const streamBad = new Map<number, string>();
    for (const uri of out.quarantineObjects) {
      const key = uri.slice(`s3://${LOCAL_LAYOUT.quarantineBucket}/`.length);
      const body = (await stream.store.get(LOCAL_LAYOUT.quarantineBucket, key))!;
      for (const l of new TextDecoder().decode(body).trim().split('\n')) {
        const r = JSON.parse(l) as { reason: string; data: string };
        // `lakeplane stream` names the line of a record Kinesis cannot take.
        streamBad.set(index.get(r.data)!, r.reason.replace(/^line \d+ of corpus\.ndjson: /, ''));
      }
    }
    expect(out.discardedBatches).toBe(0);
    expect(out.loads.every((l) => l.status === 'SUCCEEDED')).toBe(true);
    const streamGood = await silverIds(stream);
    expect(verdicts(streamGood, streamBad)).toEqual(expectedVerdicts);
    expect(corpus.length).toBe(streamGood.size + streamBad.size);
    expect(out.quarantined).toBe(streamBad.size);
  });
});
