import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { SPARK_JOBS_DIR, type SparkToolchain } from './spark-toolchain.js';

const READY = 'LAKEPLANE-READY ';
const STEP = 'LAKEPLANE-STEP ';

const stepAnswer = z.object({
  id: z.string(),
  exitCode: z.number().int(),
  error: z.string().nullable().optional(),
});
export type StepAnswer = z.infer<typeof stepAnswer>;

/** The Spark driver stopped (or never started); the message points at its log. */
export class SparkEngineError extends Error {
  override readonly name = 'SparkEngineError';
}

/**
 * One long-lived Spark driver in local mode (`spark-jobs/local_engine.py` under spark-submit)
 * that runs the EMR steps of this process one after the other in a single SparkSession: a
 * session start costs ~15 s on two cores, so paying it per step would make a local load take
 * minutes. The jobs are the very scripts EMR runs, with the very step arguments; the driver
 * answers one protocol line per step on stdout, and its Spark log goes to `<home>/spark/engine.log`.
 */
export class SparkStepServer {
  private readonly pending = new Map<string, (a: StepAnswer) => void>();
  private readonly exited: Promise<number | null>;
  private nextId = 0;
  private ready: Promise<void>;
  private dead: SparkEngineError | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout! });
    let started!: () => void;
    let failed!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      started = res;
      failed = rej;
    });
    // Nobody may be waiting yet: a start failure is reported to the first step instead.
    this.ready.catch(() => undefined);
    lines.on('line', (line) => {
      if (line.startsWith(READY)) started();
      else if (line.startsWith(STEP)) {
        const answer = stepAnswer.safeParse(safeJson(line.slice(STEP.length)));
        if (!answer.success) return;
        this.pending.get(answer.data.id)?.(answer.data);
        this.pending.delete(answer.data.id);
      }
    });
    void this.exited.then((code) => {
      this.dead = new SparkEngineError(
        `the local Spark engine stopped (exit ${code}); its log is ${logFile}${tail(logFile)}`,
      );
      failed(this.dead);
      for (const [id, resolve] of this.pending) resolve({ id, exitCode: 1, error: this.dead.message });
      this.pending.clear();
    });
  }

  /** Starts the driver for a workspace; steps wait until its session is up. */
  static start(toolchain: SparkToolchain, home: string): SparkStepServer {
    const dir = join(home, 'spark');
    mkdirSync(dir, { recursive: true });
    const logFile = join(dir, 'engine.log');
    const log = openSync(logFile, 'a');
    const child = spawn(
      toolchain.sparkSubmit,
      [
        '--master',
        'local[2]',
        '--driver-memory',
        '2g',
        '--jars',
        toolchain.hudiJar,
        '--conf',
        'spark.ui.enabled=false',
        join(SPARK_JOBS_DIR, 'local_engine.py'),
        '--home',
        home,
      ],
      {
        cwd: dir,
        stdio: ['pipe', 'pipe', log],
        env: {
          ...process.env,
          ...(toolchain.javaHome ? { JAVA_HOME: toolchain.javaHome } : {}),
          ...(toolchain.sparkHome ? { SPARK_HOME: toolchain.sparkHome } : {}),
          PYSPARK_PYTHON: toolchain.python,
          PYSPARK_DRIVER_PYTHON: toolchain.python,
          ...toolchain.env,
          PYTHONPATH: SPARK_JOBS_DIR,
          GX_ANALYTICS_ENABLED: 'False',
        },
      },
    );
    closeSync(log);
    return new SparkStepServer(child, logFile);
  }

  /** Runs one job (script basename and its arguments, URIs already local); resolves with its exit. */
  async run(argv: readonly string[]): Promise<StepAnswer> {
    if (this.dead) throw this.dead;
    await this.ready;
    const id = String(++this.nextId);
    const answer = new Promise<StepAnswer>((resolve) => this.pending.set(id, resolve));
    this.child.stdin!.write(`${JSON.stringify({ id, argv })}\n`);
    return answer;
  }

  /** Ends the driver's session (stdin closes) and waits for the process to exit. */
  async close(): Promise<void> {
    if (!this.dead) this.child.stdin!.end();
    await this.exited;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The last lines of the engine's log, for an error message. */
function tail(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-8);
    return lines.length > 0 ? `; it ends with:\n${lines.join('\n')}` : '';
  } catch {
    return '';
  }
}
