import { describe, expect, it } from 'vitest';
import { lakeplane, lakeplaneWith } from '../helpers/cli.js';
import { crashFiles, expectTrueState, type LakeState, lakeState } from '../helpers/crash.js';
import { tempDir } from '../helpers/fixtures.js';

// `lakeplane load orders <folder>` (three files: the first loads alone, the other two together)
// killed with SIGKILL at each point (local/crash-point.ts), then the same command typed again:
// every load ends SUCCEEDED, Silver and Gold are what a clean run leaves, nothing is stuck.
const files = crashFiles(tempDir());
let clean: LakeState | undefined;
async function cleanState(): Promise<LakeState> {
  if (!clean) {
    const home = tempDir();
    expect(lakeplane(home, 'load', 'orders', files).code).toBe(0);
    clean = await lakeState(home);
    expect(clean.loads.map((l) => l.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  }
  return clean;
}

/** Runs the load with LAKEPLANE_CRASH_AT=point and checks that the child died there. */
function crashedLoad(point: string): string {
  const home = tempDir();
  const r = lakeplaneWith({ LAKEPLANE_CRASH_AT: point }, home, 'load', 'orders', files);
  expect({ point, signal: r.signal, reached: r.stderr.includes(`crash point ${point}`) }).toEqual({
    point,
    signal: 'SIGKILL',
    reached: true,
  });
  return home;
}

// Each Task state's entry is the previous state's boundary; @2 is the second (coalesced) load.
const POINTS = [
  'object-landed@1',
  'execution-saved@1',
  'state:CheckBudget@1',
  'state:StageBatch@1',
  'state:ValidateBatch@1',
  'state:QualityGate@1',
  'state:UpsertSilver@1',
  'upsert-before-commit@1',
  'upsert-committed@1',
  'state:SavepointSilver@1',
  'state:BuildGold@1',
  'execution-ended@1',
  'load-events@2',
  'state:UpsertSilver@2',
  'upsert-committed@2',
  'execution-ended@2',
];

describe('a load killed with SIGKILL, then the same command again', () => {
  it.each(POINTS)('killed at %s: every load SUCCEEDED, Silver and Gold as a clean run', async (point) => {
    const expected = await cleanState();
    const home = crashedLoad(point);
    const again = lakeplane(home, 'load', 'orders', files);
    expect({ point, code: again.code, stderr: again.stderr }).toMatchObject({ point, code: 0 });
    // A load the dead process had started ran again in this command: said so, not "nothing was started".
    if (/^(state:|upsert-).*@1$/.test(point)) {
      expect(again.stderr).toMatch(/recovering: load orders-\w+ of orders was interrupted; running it again/);
      expect(again.stdout).toMatch(/a\.ndjson: load orders-\w+ SUCCEEDED .*this command ran its load/);
    }
    expectTrueState(await lakeState(home), expected, point);
  });
});

describe('recovery without landing anything again', () => {
  it('a lost object event (killed in object-landed of the last file): `lakeplane recover` finds the object in Bronze and loads it', async () => {
    const expected = await cleanState();
    const home = crashedLoad('object-landed@3');
    const r = lakeplane(home, 'recover');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('checked 3 Bronze objects');
    expect(r.stdout).toContain(`see the loads with: npx lakeplane --home ${home} loads`);
    expectTrueState(await lakeState(home), expected, 'object-landed@3');
  });

  it('`lakeplane loads` after a crash names the dead process and the command that recovers; typed literally, it does', async () => {
    const expected = await cleanState();
    const home = crashedLoad('upsert-committed@1');
    const loads = lakeplane(home, 'loads');
    expect(loads.code).toBe(0);
    expect(loads.stdout).toContain('RUNNING');
    const hint = /`(npx lakeplane [^`]+ recover)`/.exec(loads.stderr)?.[1];
    expect(hint).toBe(`npx lakeplane --home ${home} recover`);
    // Typed as printed (npx lakeplane is this checkout's bin).
    const [, , ...args] = hint!.split(' ');
    const r = lakeplane(args[1]!, ...args.slice(2));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ran 1 interrupted loads again: orders-/);
    expectTrueState(await lakeState(home), expected, 'upsert-committed@1 + recover');
    expect(lakeplane(home, 'loads').stderr).not.toContain('stopped before it finished');
  });

  it('a load interrupted three times ends FAILED "interrupted" and a replay loads it', async () => {
    const expected = await cleanState();
    const home = crashedLoad('state:StageBatch@1');
    // The next two commands resume it and die at the same point again (run 2 and run 3).
    for (let run = 2; run <= 3; run++) {
      const r = lakeplaneWith({ LAKEPLANE_CRASH_AT: 'state:StageBatch@1' }, home, 'recover');
      expect({ run, signal: r.signal }).toEqual({ run, signal: 'SIGKILL' });
      expect(r.stderr).toContain(`running it again (run ${run} of at most 3)`);
    }
    const r = lakeplane(home, 'recover');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ended 1 loads FAILED \(interrupted too often\): (orders-\w+)/);
    const failed = /FAILED \(interrupted too often\): (orders-\w+)/.exec(r.stdout)![1]!;
    const state = await lakeState(home);
    expect(state.loads.find((l) => l.status === 'FAILED')?.cause).toMatch(
      /^interrupted: the process running it stopped/,
    );
    const replay = lakeplane(home, 'replay', failed);
    expect({ code: replay.code, out: replay.stdout + replay.stderr }).toMatchObject({ code: 0 });
    // The files the killed command had not landed yet: the same command again.
    expect(lakeplane(home, 'load', 'orders', files).code).toBe(0);
    expectTrueState(await lakeState(home), expected, 'interrupted three times, replayed');
  });
});
