/**
 * Fault injection for the local runtime's crash tests: `LAKEPLANE_CRASH_AT=<point>` (or
 * `<point>@<n>` for its n-th passage) makes the process kill itself with SIGKILL when it reaches
 * that point, the way `kill -9` at that instant would: no `finally`, no exit handler, no flush.
 * Unset (always, outside the crash tests) a point costs one comparison. The points are named
 * where state changes hands (see CRASH_POINTS); tests/integration/crash-recovery.test.ts kills a
 * child process at each and checks that the next command brings everything to its true state.
 */
import { writeSync } from 'node:fs';

/** Every point a crash test may name (each is passed in the load or stream path). */
export const CRASH_POINTS = [
  // The Bronze put is done; object-landed has not heard of the object (its event is lost).
  'object-landed',
  // The execution is in the registry as RUNNING; its RUNNING event is not yet on the bus.
  'execution-saved',
  // Entering each Task state of load-dataset (the previous state's result is in).
  'state:CheckBudget',
  'state:StageBatch',
  'state:ValidateBatch',
  'state:QualityGate',
  'state:UpsertSilver',
  'state:SavepointSilver',
  'state:BuildGold',
  // Inside the upsert transaction, after the MERGE and before COMMIT.
  'upsert-before-commit',
  // Silver committed; the upsert step's result is not written yet.
  'upsert-committed',
  // The execution ended in the registry; its end event is not on the bus (the ledger says RUNNING).
  'execution-ended',
  // The end event reached the bus; load-events has not recorded it.
  'load-events',
  // The stream: records are on the local Kinesis stream; nothing delivered them yet.
  'stream:put',
  // stream-upsert wrote its Bronze micro-batch; the mapping has not checkpointed the records.
  'stream:bronze-written',
  // The mapping checkpointed the records of a batch.
  'stream:checkpointed',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const wanted = process.env.LAKEPLANE_CRASH_AT;
const [wantedPoint, wantedPassage] = wanted?.split('@') ?? [];
const passages = new Map<string, number>();

/** Dies with SIGKILL here when LAKEPLANE_CRASH_AT names this point (and passage). */
export function crashPoint(point: CrashPoint): void {
  if (wantedPoint !== point) return;
  const n = (passages.get(point) ?? 0) + 1;
  passages.set(point, n);
  if (n !== Number(wantedPassage ?? 1)) return;
  writeSync(2, `lakeplane: crash point ${point}@${n}: killing this process with SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
  // Nothing after this point may run before the signal lands.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
