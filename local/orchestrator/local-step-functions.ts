import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { executionArnOf } from '../../shared/aws/sfn-orchestrator.js';
import type { ExecutionRunner, FinishedExecution, StartedExecution } from '../../shared/ports.js';
import { CRASH_POINTS, type CrashPoint, crashPoint } from '../crash-point.js';
import type { LocalEventBus } from '../eventbus/bus.js';

/** A local function standing in for a Task state's resource. */
export type LocalTaskHandler = (input: never) => Promise<unknown>;

interface ExecutionEntry {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  /** The execution's input (JSON text), so an interrupted execution can run again. */
  input?: string;
  /** How it ended, so its end event can be published again when it never reached the bus. */
  output?: string;
  error?: string;
  cause?: string;
  /** How many times it was started: 1, plus one per resume after an interruption. */
  runs?: number;
}

/** An execution the registry says is RUNNING that no live process runs: its process died. */
export interface InterruptedExecution {
  readonly name: string;
  /** Its input, or undefined for an execution registered before inputs were kept. */
  readonly input: unknown;
  /** How many times it was started already. */
  readonly runs: number;
}

/** An execution that ended, as the registry recorded it. */
export interface EndedExecution {
  readonly name: string;
  readonly status: FinishedExecution['status'];
  readonly input: unknown;
  readonly stopDate: number;
}

interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Retry?: readonly unknown[];
}

export interface LocalStepFunctionsOptions {
  readonly stateMachineArn: string;
  /** Local handlers by Task resource ARN (e.g. `arn:aws:states:::elasticmapreduce:addStep.sync`). */
  readonly resources: Readonly<Record<string, LocalTaskHandler>>;
  readonly bus: LocalEventBus;
  /** JSON file that remembers execution names across processes. */
  readonly registryFile?: string;
  /** Pause before a Retry locally, instead of the definition's IntervalSeconds (default 0). */
  readonly retryIntervalMs?: number;
}

/**
 * Runs the deployed ASL definition with aws-local-stepfunctions. Task states are bound by
 * their resource ARN to local handlers, and every status change is published on the local
 * bus as the "Step Functions Execution Status Change" event EventBridge would carry, so the
 * same load-events handler records it.
 */
export class LocalStepFunctions implements ExecutionRunner {
  private readonly machine: StateMachine;
  private readonly taskHandlers: Record<string, LocalTaskHandler> = {};
  private readonly retryOverrides: Record<string, number> = {};
  private readonly executions: Record<string, ExecutionEntry>;
  private readonly running = new Set<Promise<void>>();
  private readonly finished = new Map<string, Promise<FinishedExecution>>();

  constructor(
    definition: { States: Record<string, AslState> },
    private readonly options: LocalStepFunctionsOptions,
  ) {
    // The definitions are validated by tests/unit/state-machine.test.ts (asl-validator, and this
    // library's own validation), not at every start: validating took 0.2-0.3 s of each command.
    this.machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      const handler = options.resources[state.Resource];
      if (!handler) throw new Error(`no local handler for Task state ${name} (resource ${state.Resource})`);
      const point = `state:${name}`;
      this.taskHandlers[name] = (CRASH_POINTS as readonly string[]).includes(point)
        ? (input: never) => {
            crashPoint(point as CrashPoint);
            return handler(input);
          }
        : handler;
      if (state.Retry) this.retryOverrides[name] = options.retryIntervalMs ?? 0;
    }
    this.executions =
      options.registryFile && existsSync(options.registryFile)
        ? (JSON.parse(readFileSync(options.registryFile, 'utf8')) as Record<string, ExecutionEntry>)
        : {};
  }

  async startExecution(name: string, input: unknown): Promise<StartedExecution> {
    const executionArn = executionArnOf(this.options.stateMachineArn, name);
    const inputText = JSON.stringify(input);
    const known = this.executions[name];
    // Step Functions returns the running execution for the same name and input, and answers
    // ExecutionAlreadyExists otherwise; the port reports both as "already started".
    if (known) return { executionArn, alreadyStarted: true };
    const entry: ExecutionEntry = { status: 'RUNNING', startDate: Date.now(), input: inputText, runs: 1 };
    this.executions[name] = entry;
    this.run(name, entry, input, inputText);
    return { executionArn, alreadyStarted: false };
  }

  /**
   * The executions the registry says are RUNNING that this process does not run. Only one
   * process opens a workspace's runtime at a time (it holds the ledger), so their process died:
   * killed, out of memory, or the machine stopped.
   */
  interrupted(): InterruptedExecution[] {
    return Object.entries(this.executions)
      .filter(([name, e]) => e.status === 'RUNNING' && !this.finished.has(this.arnOf(name)))
      .map(([name, e]) => ({
        name,
        input: e.input === undefined ? undefined : (JSON.parse(e.input) as unknown),
        runs: e.runs ?? 1,
      }));
  }

  /**
   * Runs an interrupted execution again, from its first state, as the same execution (same name
   * and input, a new start date): every step of load-dataset is idempotent for its load attempt
   * (the upsert returns the commit it already made), so a run that died anywhere ends as a
   * clean run would have.
   */
  resume(name: string): StartedExecution {
    const entry = this.executions[name];
    if (entry?.status !== 'RUNNING' || entry.input === undefined || this.finished.has(this.arnOf(name)))
      throw new Error(`execution ${name} is not an interrupted execution this registry can run again`);
    entry.startDate = Date.now();
    entry.runs = (entry.runs ?? 1) + 1;
    this.run(name, entry, JSON.parse(entry.input) as unknown, entry.input);
    return { executionArn: this.arnOf(name), alreadyStarted: false };
  }

  /** Ends an interrupted execution that is not run again as FAILED with `error` and `cause`, and says so on the bus. */
  abandon(name: string, error: string, cause: string): void {
    const entry = this.executions[name];
    if (entry?.status !== 'RUNNING' || this.finished.has(this.arnOf(name))) return;
    entry.status = 'FAILED';
    entry.stopDate = Date.now();
    entry.error = error;
    entry.cause = cause;
    this.save();
    this.publish(name, entry, entry.input ?? '', { error, cause });
  }

  /** The executions that ended at or after `sinceMs`, as the registry recorded them. */
  endedSince(sinceMs: number): EndedExecution[] {
    return Object.entries(this.executions)
      .filter(([, e]) => e.status !== 'RUNNING' && (e.stopDate ?? 0) >= sinceMs)
      .map(([name, e]) => ({
        name,
        status: e.status as FinishedExecution['status'],
        input: e.input === undefined ? undefined : (JSON.parse(e.input) as unknown),
        stopDate: e.stopDate ?? 0,
      }));
  }

  /**
   * Publishes an ended execution's end event again, as the registry recorded it: the first one
   * may never have reached the bus (the process died in between). load-events' conditional
   * transitions make a repeated event change nothing.
   */
  republish(name: string): void {
    const entry = this.executions[name];
    if (!entry || entry.status === 'RUNNING') return;
    this.publish(name, entry, entry.input ?? '', {
      ...(entry.output !== undefined ? { output: entry.output } : {}),
      ...(entry.error !== undefined ? { error: entry.error } : {}),
      ...(entry.cause !== undefined ? { cause: entry.cause } : {}),
    });
  }

  private arnOf(name: string): string {
    return executionArnOf(this.options.stateMachineArn, name);
  }

  /** Saves the entry as RUNNING, publishes that, and runs the execution in the background. */
  private run(name: string, entry: ExecutionEntry, input: unknown, inputText: string): void {
    const executionArn = this.arnOf(name);
    this.save();
    if (this.options.registryFile) crashPoint('execution-saved');
    this.publish(name, entry, inputText, {});
    const ended = this.execute(name, entry, input, inputText);
    this.finished.set(executionArn, ended);
    // execute() settles every outcome itself, so `ended` never rejects.
    const run: Promise<void> = ended.then(() => {
      this.running.delete(run);
    });
    this.running.add(run);
  }

  /**
   * Resolves when an execution this process started has ended. One started by another process
   * (the registry knows its name only) answers with the status the registry recorded.
   */
  async waitFor(executionArn: string): Promise<FinishedExecution> {
    const own = this.finished.get(executionArn);
    if (own) return own;
    const name = executionArn.split(':').pop() ?? '';
    const entry = this.executions[name];
    if (!entry) throw new Error(`no local execution ${executionArn}`);
    return { executionArn, status: entry.status === 'RUNNING' ? 'ABORTED' : entry.status };
  }

  /** Whether an execution is running in this process. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when no execution is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private async execute(
    name: string,
    entry: ExecutionEntry,
    input: unknown,
    inputText: string,
  ): Promise<FinishedExecution> {
    const execution = this.machine.run(input as never, {
      // aws-local-stepfunctions has no task tokens: give the execution one for `$$.Task.Token`
      // (a waitForTaskToken state is bound to a local handler that waits on it).
      context: { Task: { Token: `${name}.${randomUUID()}` } },
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers as never,
        retryIntervalOverrides: this.retryOverrides,
      },
    });
    let outcome: { output?: string; error?: string; cause?: string };
    try {
      const output = await execution.result;
      entry.status = 'SUCCEEDED';
      outcome = { output: JSON.stringify(output) };
    } catch (e) {
      const failure = failureOf(e);
      entry.status = failure.timedOut ? 'TIMED_OUT' : 'FAILED';
      outcome = { error: failure.error, cause: failure.cause };
    }
    entry.stopDate = Date.now();
    if (outcome.output !== undefined) entry.output = outcome.output;
    if (outcome.error !== undefined) entry.error = outcome.error;
    if (outcome.cause !== undefined) entry.cause = outcome.cause;
    this.save();
    if (this.options.registryFile) crashPoint('execution-ended');
    this.publish(name, entry, inputText, outcome);
    const executionArn = executionArnOf(this.options.stateMachineArn, name);
    return {
      executionArn,
      status: entry.status,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.cause ? { cause: outcome.cause } : {}),
    };
  }

  private publish(
    name: string,
    entry: ExecutionEntry,
    input: string,
    outcome: { output?: string; error?: string; cause?: string },
  ): void {
    const { bus, stateMachineArn } = this.options;
    const executionArn = executionArnOf(stateMachineArn, name);
    bus.put(
      bus.envelope(
        'aws.states',
        'Step Functions Execution Status Change',
        {
          executionArn,
          stateMachineArn,
          name,
          status: entry.status,
          startDate: entry.startDate,
          stopDate: entry.stopDate ?? null,
          input,
          output: outcome.output ?? null,
          error: outcome.error ?? null,
          cause: outcome.cause ?? null,
        },
        [executionArn],
      ),
    );
  }

  /** Rewrites the registry through a rename, so a process killed while writing it leaves the previous one whole. */
  private save(): void {
    const file = this.options.registryFile;
    if (!file) return;
    writeFileSync(`${file}.tmp`, JSON.stringify(this.executions));
    renameSync(`${file}.tmp`, file);
  }
}

/** The execution's error and cause, as Step Functions reports them after a Fail state. */
function failureOf(e: unknown): { error: string; cause: string; timedOut: boolean } {
  const err = e instanceof Error ? e : new Error(String(e));
  const inner = err.cause instanceof Error ? err.cause : err;
  const timedOut = err.name === 'ExecutionTimeoutError';
  return { error: timedOut ? 'States.Timeout' : inner.name, cause: inner.message, timedOut };
}
