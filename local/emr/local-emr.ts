import { basename } from 'node:path';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import { type LocalStepEngine, stepOf } from './step-engine.js';

/** The `addStep.sync` parameters the state machine passes (after its Parameters are applied). */
export interface AddStepParameters {
  readonly ClusterId: string;
  readonly Step: { readonly Name: string; readonly HadoopJarStep: { readonly Args: readonly string[] } };
}

/**
 * A failed step, named and shaped like Step Functions reports a failed `addStep.sync`: error
 * `States.TaskFailed`, cause the JSON of the EMR step with its FailureDetails.
 */
export class StepFailedError extends Error {
  override readonly name = 'States.TaskFailed';
  constructor(stepName: string, reason: string, message: string) {
    super(
      JSON.stringify({
        Step: {
          Name: stepName,
          Status: { State: 'FAILED', FailureDetails: { Reason: reason, Message: message } },
        },
      }),
    );
  }
}

/** Optional fault injection for tests: called before each step runs. */
export type StepFaultHook = (
  job: string,
  phase: string | undefined,
  args: Readonly<Record<string, string>>,
) => void | Promise<void>;

/**
 * Runs the EMR steps of the state machines on a local engine (DuckDB, or the spark-jobs in Spark
 * local mode). It reads the same spark-submit arguments the Spark jobs get, so the state machine
 * and the planning code are exercised exactly as in AWS; only the engine differs.
 */
export class LocalEmr {
  fault: StepFaultHook | undefined;

  constructor(
    private readonly contracts: ContractSet,
    readonly engine: LocalStepEngine,
  ) {}

  /** The local handler of a Task state whose resource is `elasticmapreduce:addStep.sync`. */
  readonly addStepSync = (params: AddStepParameters): Promise<Record<string, unknown>> => {
    // One step at a time: the DuckDB warehouse's connection carries one transaction and the stage
    // step's working tables have fixed names; the Spark engine has one driver. Steps of concurrent
    // loads (of different datasets: the scheduler keeps one per dataset in flight) queue here; a
    // stage's cluster runs `emrStepConcurrency` of them at once.
    const run = this.queue.then(() => this.runStep(params));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };

  private queue: Promise<void> = Promise.resolve();

  private async runStep(params: AddStepParameters): Promise<Record<string, unknown>> {
    const stepName = params.Step.Name;
    try {
      const { job, args, argv } = parseSparkSubmit(params.Step.HadoopJarStep.Args);
      await this.fault?.(job, args.phase, args);
      await this.engine.run({
        step: stepOf(job, args.phase),
        script: job,
        argv,
        args,
        contract: this.contractOf(args),
      });
      return { Step: { Name: stepName, Status: { State: 'COMPLETED' } } };
    } catch (e) {
      if (e instanceof StepFailedError) throw e;
      const err = e instanceof Error ? e : new Error(String(e));
      throw new StepFailedError(stepName, err.name, err.message);
    }
  }

  private contractOf(args: Record<string, string>): DatasetContract {
    const name = args.dataset;
    if (name === undefined) throw new Error('job argument --dataset is missing');
    const contract = this.contracts.datasets.get(name);
    if (!contract) throw new Error(`no dataset contract named ${name}`);
    return contract;
  }
}

/** The jobs' flags that take no value (spark-jobs/lakeplane_jobs/cli.py). */
const JOB_SWITCHES: ReadonlySet<string> = new Set(['--dry-run']);

/** Splits `spark-submit [options] <script> --k v ...` into the script name and its arguments. */
export function parseSparkSubmit(argv: readonly string[]): {
  job: string;
  args: Record<string, string>;
  argv: readonly string[];
} {
  const scriptAt = argv.findIndex((a) => a.endsWith('.py'));
  if (argv[0] !== 'spark-submit' || scriptAt < 0)
    throw new Error(`not a spark-submit of a .py job: ${argv.join(' ')}`);
  const args: Record<string, string> = {};
  for (let i = scriptAt + 1; i < argv.length; ) {
    const flag = argv[i]!;
    if (!flag.startsWith('--')) throw new Error(`malformed job arguments near "${flag}"`);
    // A switch takes no value; any other flag's value may itself start with "--" (a SQL comment).
    if (JOB_SWITCHES.has(flag)) {
      args[flag.slice(2)] = 'true';
      i += 1;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`malformed job arguments near "${flag}"`);
    args[flag.slice(2)] = value;
    i += 2;
  }
  return { job: basename(argv[scriptAt]!), args, argv: argv.slice(scriptAt + 1) };
}
