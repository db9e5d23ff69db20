import { describe, expect, it } from 'vitest';
import { lakeplane, lakeplaneWith } from '../helpers/cli.js';
import { expectTrueState, type LakeState, lakeState, streamFile } from '../helpers/crash.js';
import { tempDir } from '../helpers/fixtures.js';

// `lakeplane stream orders <file>` killed with SIGKILL at each point (local/crash-point.ts), then
// `lakeplane recover` (nothing is put on the stream again): the records the stream holds are
// delivered from the mapping's checkpoints, micro-batches no load took are loaded, interrupted
// loads run again; Silver and Gold are what a clean run leaves and nothing is stuck.
const file = streamFile(tempDir());
let clean: LakeState | undefined;
async function cleanState(): Promise<LakeState> {
  if (!clean) {
    const home = tempDir();
    expect(lakeplane(home, 'stream', 'orders', file).code).toBe(0);
    clean = await lakeState(home);
    expect(clean.silver).toHaveLength(30);
    expect(clean.silver.every((r) => r.status === 'paid')).toBe(true);
  }
  return clean;
}

const POINTS = [
  'stream:put@1',
  'stream:bronze-written@1',
  'stream:checkpointed@1',
  'object-landed@1',
  'state:UpsertSilver@1',
  'upsert-committed@1',
  'execution-ended@1',
];

describe('a stream killed with SIGKILL, then `lakeplane recover`', () => {
  it.each(POINTS)('killed at %s: Silver and Gold as a clean run, nothing stuck', async (point) => {
    const expected = await cleanState();
    const home = tempDir();
    const killed = lakeplaneWith({ LAKEPLANE_CRASH_AT: point }, home, 'stream', 'orders', file);
    expect({ point, signal: killed.signal, reached: killed.stderr.includes(`crash point ${point}`) }).toEqual(
      {
        point,
        signal: 'SIGKILL',
        reached: true,
      },
    );
    const r = lakeplane(home, 'recover');
    expect({ point, code: r.code, stderr: r.stderr }).toMatchObject({ point, code: 0 });
    expect(r.stdout).toContain('read the local stream on from its checkpoints');
    expectTrueState(await lakeState(home), expected, point);
  });
});
