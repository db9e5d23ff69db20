import { basename } from 'node:path';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import { parseS3Uri, upsertResult } from '../../shared/core/run-results.js';
import { readJsonArtifact } from '../../shared/usecases/run-artifacts.js';
import type { Warehouse } from '../engine/warehouse.js';
import type { DirObjectStore } from '../object-store/dir-object-store.js';

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
 * Runs the EMR steps of the load-dataset state machine on the local DuckDB warehouse. It reads
 * the same spark-submit arguments the Spark jobs get, so the state machine and the planning
 * code are exercised exactly as in AWS; only the engine differs.
 */
export class LocalEmr {
  fault: StepFaultHook | undefined;

  constructor(
    private readonly contracts: ContractSet,
    private readonly store: DirObjectStore,
    private readonly warehouse: () => Warehouse,
    /** The validation time (freshness expectations are relative to it). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The local handler of a Task state whose resource is `elasticmapreduce:addStep.sync`. */
  readonly addStepSync = (params: AddStepParameters): Promise<Record<string, unknown>> => {
    // One step at a time on the warehouse: its connection carries one transaction, and the
    // stage step's working tables have fixed names. Steps of concurrent loads queue here, as
    // steps queue on a cluster with StepConcurrencyLevel 1.
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
    const { job, args } = parseSparkSubmit(params.Step.HadoopJarStep.Args);
    try {
      await this.fault?.(job, args.phase, args);
      const contract = this.contractOf(args);
      const result = await this.run(job, contract, args);
      await this.writeJson(required(args, 'result'), result);
      return { Step: { Name: stepName, Status: { State: 'COMPLETED' } } };
    } catch (e) {
      if (e instanceof StepFailedError) throw e;
      const err = e instanceof Error ? e : new Error(String(e));
      throw new StepFailedError(stepName, err.name, err.message);
    }
  }

  private async run(job: string, contract: DatasetContract, args: Record<string, string>): Promise<unknown> {
    const loadId = required(args, 'load-id');
    const attempt = Number(required(args, 'attempt'));
    if (job === 'bronze_to_silver.py' && args.phase === 'stage') {
      const input = parseS3Uri(required(args, 'input'));
      const file = this.store.pathOf(input.bucket, input.key, args['input-version']);
      const { result, bad } = await this.warehouse().stage(contract, {
        loadId,
        attempt,
        file,
        displayName: `s3://${input.bucket}/${input.key}`,
      });
      if (bad.length > 0) {
        const q = parseS3Uri(required(args, 'quarantine'));
        const lines = bad.map((b) =>
          JSON.stringify({
            loadId,
            dataset: contract.name,
            source: `s3://${input.bucket}/${input.key}`,
            line: b.line,
            reason: b.reason,
            raw: b.raw,
          }),
        );
        await this.store.put(q.bucket, `${q.key}records.ndjson`, `${lines.join('\n')}\n`);
      }
      return result;
    }
    if (job === 'validate_batch.py') {
      return this.warehouse().validate(contract, { loadId, attempt }, this.now());
    }
    if (job === 'bronze_to_silver.py' && args.phase === 'quarantine') {
      const q = parseS3Uri(required(args, 'quarantine'));
      const { ndjson, rows } = await this.warehouse().quarantineStaged({ loadId, attempt });
      // The same layout as the EMR job's: a folder of JSON-lines parts.
      await this.store.put(q.bucket, `${q.key}staged-batch/part-00000.json`, ndjson);
      return {
        phase: 'quarantine',
        loadId,
        dataset: contract.name,
        rows,
        location: `s3://${q.bucket}/${q.key}staged-batch/`,
      };
    }
    if (job === 'bronze_to_silver.py' && args.phase === 'upsert') {
      return this.warehouse().upsert(contract, { loadId, attempt });
    }
    if (job === 'savepoint_table.py') {
      // The warehouse keeps the snapshots of its last commits itself (retainCommits); the step
      // only checks that the upsert it follows left a commit, as the EMR job does.
      const uri = required(args, 'upsert-result');
      const upsert = upsertResult.safeParse(await readJsonArtifact(this.store, uri));
      if (!upsert.success)
        throw new Error(`${uri} names no commitId: the upsert left no commit to savepoint`);
      return {
        phase: 'savepoint',
        loadId,
        dataset: contract.name,
        commitId: upsert.data.commitId,
        created: true,
        deleted: [],
        keep: Number(required(args, 'keep')),
      };
    }
    if (job === 'silver_to_gold.py') {
      return this.warehouse().buildGold(contract, loadId);
    }
    throw new Error(`unknown step ${job} ${args.phase ?? ''}`);
  }

  private contractOf(args: Record<string, string>): DatasetContract {
    const name = required(args, 'dataset');
    const contract = this.contracts.datasets.get(name);
    if (!contract) throw new Error(`no dataset contract named ${name}`);
    return contract;
  }

  private async writeJson(uri: string, value: unknown): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await this.store.put(bucket, key, JSON.stringify(value));
  }
}

/** The jobs' flags that take no value (spark-jobs/lakeplane_jobs/cli.py). */
const JOB_SWITCHES: ReadonlySet<string> = new Set(['--dry-run']);

/** Splits `spark-submit [options] <script> --k v ...` into the script name and its arguments. */
export function parseSparkSubmit(argv: readonly string[]): { job: string; args: Record<string, string> } {
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
  return { job: basename(argv[scriptAt]!), args };
}

function required(args: Record<string, string>, name: string): string {
  const v = args[name];
  if (v === undefined) throw new Error(`job argument --${name} is missing`);
  return v;
}
