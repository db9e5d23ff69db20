/**
 * Crash recovery of a local workspace: what a process killed at any moment (kill -9, out of
 * memory, a closed laptop) left behind is brought to its true state by the next process that
 * opens the runtime (any command that loads, `lakeplane recover`).
 *
 * The runtime writes `<home>/runtime.json` when it opens and removes it when it closes; only one
 * process opens a workspace's runtime at a time (it holds the ledger and the warehouse), so a
 * marker found at start means its process died. Then:
 * - An execution the registry says is RUNNING runs again from its first state, as the same
 *   execution (every load-dataset step is idempotent for its load attempt: the upsert returns the
 *   commit it already made, so Silver committed means Gold is rebuilt and the ledger says so). One
 *   interrupted MAX_RUNS times is ended FAILED with the cause "interrupted" (replayable). This
 *   part runs at every start: it costs one look at the registry.
 * - An execution that ended while the ledger did not hear of it (the process died between the
 *   registry and the bus, or inside load-events) has its end event published again.
 * - Every current Bronze object is announced again, as S3 would: object-landed adds what no load
 *   and no pending set knows (a lost event) and finds the rest duplicates.
 * - The local stream, if the workspace has one, is read on from its checkpoints: records put on it
 *   that no micro-batch holds yet are delivered.
 * The scheduler's safety net (which runs after this) then starts what is pending.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { allowedPredecessors } from '../shared/core/load.js';
import type { Ledger, ObjectInfo } from '../shared/ports.js';
import { FINAL_STATUSES } from '../shared/usecases/schedule-loads.js';
import type { LocalStepFunctions } from './orchestrator/local-step-functions.js';
import type { Workspace } from './workspace.js';

/** An execution interrupted this many times is not run again: it ends FAILED, "interrupted". */
export const MAX_RUNS = 3;

const markerShape = z.object({ pid: z.number().int(), startedAt: z.string() });
export type RuntimeMarker = z.infer<typeof markerShape>;

function markerFile(ws: Workspace): string {
  return join(ws.home, 'runtime.json');
}

/** The marker of the runtime that opened the workspace last and has not closed it (yet). */
export function readMarker(ws: Workspace): RuntimeMarker | undefined {
  const file = markerFile(ws);
  if (!existsSync(file)) return undefined;
  try {
    return markerShape.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    // Torn by a kill while it was written: its process died all the same.
    return { pid: 0, startedAt: new Date(0).toISOString() };
  }
}

export function writeMarker(ws: Workspace, marker: RuntimeMarker): void {
  writeFileSync(markerFile(ws), JSON.stringify(marker));
}

export function removeMarker(ws: Workspace): void {
  rmSync(markerFile(ws), { force: true });
}

/** Whether the process of a marker still runs (another command on the workspace right now). */
export function markerProcessAlive(marker: RuntimeMarker): boolean {
  if (marker.pid <= 0 || marker.pid === process.pid) return false;
  try {
    process.kill(marker.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RecoveryDeps {
  readonly executions: LocalStepFunctions;
  readonly ledger: Ledger;
  /** The current Bronze objects. */
  readonly bronze: () => readonly ObjectInfo[];
  /** Puts a Bronze object's "Object Created" event on the bus again. */
  readonly announce: (object: ObjectInfo) => void;
  readonly busIdle: () => Promise<void>;
  /** Starts the local stream's mapping and waits until it delivered what the stream holds (when there is a stream). */
  readonly drainStream?: () => Promise<void>;
  readonly print: (text: string) => void;
}

export interface RecoveryReport {
  /** Whether a dead process's marker was found (or a full recovery was asked for). */
  readonly full: boolean;
  /** Loads whose interrupted execution runs again. */
  readonly resumed: readonly string[];
  /** Loads ended FAILED after MAX_RUNS interruptions (or with no input to run again). */
  readonly abandoned: readonly string[];
  /** Loads whose end event was published again. */
  readonly republished: readonly string[];
  /** Bronze objects announced again. */
  readonly bronzeObjects: number;
  readonly streamDrained: boolean;
}

const loadInput = z.object({ load: z.object({ loadId: z.string(), dataset: z.string() }) });

/** What an interrupted execution is, in words: `load <id> of <dataset>`, or its name. */
function described(input: unknown, name: string): { loadId: string; text: string } {
  const parsed = loadInput.safeParse(input);
  return parsed.success
    ? {
        loadId: parsed.data.load.loadId,
        text: `load ${parsed.data.load.loadId} of ${parsed.data.load.dataset}`,
      }
    : { loadId: name, text: `execution ${name}` };
}

/**
 * Brings the workspace to its true state (see the module comment). `previous` is the marker of
 * the dead process, undefined when the last runtime closed cleanly: then only interrupted
 * executions are looked at, unless `full`.
 */
export async function recoverWorkspace(
  deps: RecoveryDeps,
  previous: RuntimeMarker | undefined,
  full = false,
): Promise<RecoveryReport> {
  const resumed: string[] = [];
  const abandoned: string[] = [];
  const republished: string[] = [];
  const thorough = full || previous !== undefined;
  if (previous !== undefined)
    deps.print(
      `recovering: a lakeplane process${previous.pid > 0 ? ` (pid ${previous.pid})` : ''} that opened this workspace at ${previous.startedAt} stopped before it finished; bringing its loads to their true state`,
    );

  // Ended executions first: an end event the ledger never heard of.
  if (thorough) {
    const since = previous ? Date.parse(previous.startedAt) : 0;
    for (const e of deps.executions.endedSince(Number.isNaN(since) ? 0 : since)) {
      const { loadId, text } = described(e.input, e.name);
      const load = await deps.ledger.get(loadId);
      if (!load || FINAL_STATUSES.has(load.status)) continue;
      deps.print(
        `recovering: ${text} ended ${e.status} but the ledger says ${load.status}; recording its end`,
      );
      deps.executions.republish(e.name);
      republished.push(loadId);
    }
    await deps.busIdle();
  }

  for (const x of deps.executions.interrupted()) {
    const { loadId, text } = described(x.input, x.name);
    if (x.input === undefined || x.runs >= MAX_RUNS) {
      const cause =
        x.input === undefined
          ? 'interrupted: the process running it stopped before it finished'
          : `interrupted: the process running it stopped before it finished, ${x.runs} times`;
      deps.print(
        `recovering: ${text} was interrupted ${x.runs} times; it ends FAILED (replay it once the cause is fixed)`,
      );
      deps.executions.abandon(x.name, 'Interrupted', cause);
      // An execution from before inputs were kept: its end event names no load, so say it here.
      if (x.input === undefined) {
        await deps.ledger.transition(
          x.name.replace(/-a\d+$/, ''),
          'FAILED',
          allowedPredecessors('FAILED'),
          { cause: { error: 'Interrupted', message: cause }, finishedAt: new Date().toISOString() },
          'interrupted',
        );
      }
      abandoned.push(loadId);
    } else {
      deps.print(
        `recovering: ${text} was interrupted; running it again (run ${x.runs + 1} of at most ${MAX_RUNS})`,
      );
      deps.executions.resume(x.name);
      resumed.push(loadId);
    }
  }

  let bronzeObjects = 0;
  let streamDrained = false;
  if (thorough) {
    for (const o of deps.bronze()) {
      deps.announce(o);
      bronzeObjects += 1;
    }
    await deps.busIdle();
    if (deps.drainStream) {
      await deps.drainStream();
      streamDrained = true;
    }
  }
  return { full: thorough, resumed, abandoned, republished, bronzeObjects, streamDrained };
}
