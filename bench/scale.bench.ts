/**
 * bench:scale — a discrete-event model of one hour of a busy lake: 20 datasets, each landing
 * 10,000 small objects an hour (Poisson arrivals, 32 KiB each), loaded through the real scheduler
 * (shared/usecases/schedule-loads.ts over its in-memory stores) with a modelled EMR cluster and
 * Step Functions. Run twice in the same process: one load per object (the same scheduler with a
 * one-object limit) and the coalesced default (DEFAULT_LOAD_LIMITS). Prints one JSON line.
 *
 * The model (documented or assumed figures, stated here so a sceptic can change them):
 * - the load's path is the load-dataset state machine's success path, read from its ASL: each
 *   `addStep.sync` state is an EMR step, each Lambda state takes LAMBDA_S; every state entered is
 *   one Step Functions state transition;
 * - Step Functions learns that an EMR step ended on its next poll: the step's time is rounded up
 *   to whole POLL_S (the measured 60 s);
 * - an EMR step runs STEP_OVERHEAD_S (spark-submit, YARN, a SparkSession with Hudi) plus its
 *   work: PER_OBJECT_S per input object (an S3 GET of ~20 ms, ten tasks at a time) and PER_MB_S
 *   per MiB (20 MiB/s, a small step), for the steps that read the batch (stage, validate,
 *   upsert); savepoint and Gold are fixed;
 * - the cluster runs CONCURRENCY steps at once, the rest wait in one FIFO queue;
 * - the safety net runs the scheduler for every dataset each SAFETY_NET_S.
 * The steps ratio compares what each way needs to keep up with the arrivals (steps per object
 * loaded × objects landed), since one load per object falls behind at once and runs only what
 * the cluster can take.
 * Latency is landing → the Silver commit (the upsert step's end); an object still waiting at the
 * hour's end counts with its wait so far (a lower bound), so a backlog shows in p95.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemorySchedulerStores } from '../local/scheduler/memory-stores.js';
import { seededRandom } from '../shared/core/prng.js';
import { DEFAULT_LOAD_LIMITS, type LoadLimits } from '../shared/core/schedule.js';
import { type ScheduleDeps, type ScheduledLoad, scheduleDataset } from '../shared/usecases/schedule-loads.js';

const HOUR_S = 3600;
const DATASETS = 20;
const OBJECTS_PER_DATASET_HOUR = 10_000;
const OBJECT_BYTES = 32 * 1024;
const POLL_S = 60;
const LAMBDA_S = 1;
const STEP_OVERHEAD_S = 25;
const PER_OBJECT_S = 0.002;
const PER_MB_S = 0.05;
const FIXED_STEP_S: Record<string, number> = { SavepointSilver: 10, BuildGold: 20 };
const CONCURRENCY = 8;
const SAFETY_NET_S = 300;

interface Stage {
  readonly name: string;
  readonly emr: boolean;
}

/** The success path of the load-dataset state machine: its states in order. */
function successPath(): Stage[] {
  const asl = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', 'statemachines', 'load-dataset.asl.json'), 'utf8'),
  ) as {
    StartAt: string;
    States: Record<string, { Type: string; Next?: string; Resource?: string }>;
  };
  const out: Stage[] = [];
  for (let name: string | undefined = asl.StartAt; name; name = asl.States[name]!.Next) {
    const s = asl.States[name]!;
    out.push({ name, emr: s.Type === 'Task' && (s.Resource ?? '').includes('elasticmapreduce') });
  }
  return out;
}

/** A min-heap of timed events (time, then insertion order). */
class Events {
  private heap: { at: number; seq: number; run: () => Promise<void> | void }[] = [];
  private seq = 0;
  push(at: number, run: () => Promise<void> | void): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (this.less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  pop(): { at: number; run: () => Promise<void> | void } | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function simulate(limits: LoadLimits) {
  const path = successPath();
  const rnd = seededRandom(42);
  const events = new Events();
  const stores = new MemorySchedulerStores();
  const landedAt = new Map<string, number>();
  const committed = new Set<string>();
  const startedNames = new Set<string>();
  const latencies: number[] = [];
  const loadDurations: number[] = [];
  let now = 0;
  let loadsEnded = 0;
  let emrSteps = 0;
  let stepSeconds = 0;
  let transitions = 0;
  const backlogAt: Record<string, number> = {};

  // The EMR cluster: CONCURRENCY slots and a FIFO queue of waiting steps.
  let running = 0;
  const queue: { seconds: number; done: () => void }[] = [];
  const runNext = () => {
    while (running < CONCURRENCY && queue.length > 0) {
      const step = queue.shift()!;
      running += 1;
      emrSteps += 1;
      stepSeconds += step.seconds;
      events.push(now + step.seconds, () => {
        running -= 1;
        runNext();
      });
      // Step Functions notices on its next poll after the step's start.
      events.push(now + Math.ceil(step.seconds / POLL_S) * POLL_S, step.done);
    }
  };

  const execute = (load: ScheduledLoad) => {
    const started = now;
    const mib = (load.objects.length * OBJECT_BYTES) / 2 ** 20;
    const next = (i: number): void => {
      if (i === path.length) {
        stores.setStatus(load.loadId, 'SUCCEEDED');
        loadsEnded += 1;
        loadDurations.push(now - started);
        void scheduleDataset(load.dataset, deps); // load-events
        return;
      }
      const stage = path[i]!;
      transitions += 1;
      const after = () => {
        if (stage.name === 'UpsertSilver')
          for (const o of load.objects) {
            const k = `${o.dataset}/${o.key}`;
            committed.add(k);
            latencies.push(now - landedAt.get(k)!);
          }
        next(i + 1);
      };
      if (!stage.emr) {
        events.push(now + LAMBDA_S, after);
        return;
      }
      const work = FIXED_STEP_S[stage.name] ?? load.objects.length * PER_OBJECT_S + mib * PER_MB_S;
      queue.push({ seconds: STEP_OVERHEAD_S + work, done: after });
      runNext();
    };
    stores.setStatus(load.loadId, 'RUNNING');
    next(0);
  };

  const deps: ScheduleDeps = {
    pending: stores.pending,
    slots: stores.slots,
    loads: stores.loads,
    limits: () => limits,
    paused: async () => false,
    input: (load) => ({ loadId: load.loadId }),
    orchestrator: {
      // Idempotent by name, as Step Functions is: a racing scheduler's second start is a no-op.
      startExecution: async (name) => {
        if (startedNames.has(name)) return { executionArn: name, alreadyStarted: true };
        startedNames.add(name);
        execute(stores.manifestOf(name)!);
        return { executionArn: name, alreadyStarted: false };
      },
    },
  };

  const names = Array.from({ length: DATASETS }, (_, i) => `dataset_${String(i).padStart(2, '0')}`);
  for (const dataset of names) {
    for (let t = 0, i = 0; ; i++) {
      t += -Math.log(1 - rnd()) * (HOUR_S / OBJECTS_PER_DATASET_HOUR);
      if (t >= HOUR_S) break;
      const key = `${dataset}/part-${String(i).padStart(6, '0')}.ndjson`;
      events.push(t, async () => {
        landedAt.set(`${dataset}/${key}`, now);
        const iso = new Date(Date.UTC(2026, 11, 2) + now * 1000).toISOString();
        await stores.pending.add({
          dataset,
          bucket: 'bronze',
          key,
          etag: key,
          size: OBJECT_BYTES,
          landedAt: iso,
        });
        await scheduleDataset(dataset, deps);
      });
    }
  }
  for (let t = SAFETY_NET_S; t <= HOUR_S; t += SAFETY_NET_S)
    events.push(t, async () => {
      for (const d of names) await scheduleDataset(d, deps);
    });
  const backlog = () => landedAt.size - latencies.length;
  events.push(HOUR_S / 2, () => {
    backlogAt.halfHour = backlog();
  });

  for (let e = events.pop(); e && e.at <= HOUR_S; e = events.pop()) {
    now = e.at;
    await e.run();
  }
  backlogAt.hour = backlog();
  // Objects still waiting at the hour's end count with their wait so far.
  const waiting = [...landedAt].filter(([k]) => !committed.has(k)).map(([, at]) => HOUR_S - at);
  const all = [...latencies, ...waiting].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    limits,
    loadsPerHour: loadsEnded,
    emrStepsPerHour: emrSteps,
    objectsCommitted: committed.size,
    // What keeping up with the arrivals takes: the steps this run spent per object loaded, times
    // the objects that landed (one load per object cannot run them: EMR queues at most 256 steps).
    emrStepsToKeepUp: Math.round((emrSteps / Math.max(1, committed.size)) * landedAt.size),
    stepHoursPerHour: round(stepSeconds / 3600),
    stateTransitionsPerHour: transitions,
    latencyP50s: round(percentile(all, 0.5)),
    latencyP95s: round(percentile(all, 0.95)),
    meanLoadSeconds: round(loadDurations.reduce((a, b) => a + b, 0) / Math.max(1, loadDurations.length)),
    backlogHalfHour: backlogAt.halfHour ?? 0,
    backlogHour: backlogAt.hour,
  };
}

const perObject = await simulate({ maxObjects: 1, maxBytes: DEFAULT_LOAD_LIMITS.maxBytes });
const coalesced = await simulate(DEFAULT_LOAD_LIMITS);
const p95Bound = 2 * (coalesced.meanLoadSeconds + SAFETY_NET_S);
const stepsRatio =
  Math.round((perObject.emrStepsToKeepUp / Math.max(1, coalesced.emrStepsToKeepUp)) * 10) / 10;
console.log(
  JSON.stringify({
    bench: 'scale',
    datasets: DATASETS,
    objectsPerDatasetHour: OBJECTS_PER_DATASET_HOUR,
    model: {
      pollS: POLL_S,
      stepOverheadS: STEP_OVERHEAD_S,
      perObjectS: PER_OBJECT_S,
      perMbS: PER_MB_S,
      concurrency: CONCURRENCY,
      safetyNetS: SAFETY_NET_S,
    },
    perObject,
    coalesced,
    stepsRatio,
    p95BoundS: p95Bound,
    targets: {
      stepsRatioAtLeast100: stepsRatio >= 100,
      p95WithinBound: coalesced.latencyP95s <= p95Bound,
      // At the hour's end no more waits than what lands within the latency bound.
      noBacklogGrowth:
        coalesced.backlogHour <= Math.ceil(DATASETS * (OBJECTS_PER_DATASET_HOUR / HOUR_S) * p95Bound),
    },
  }),
);
