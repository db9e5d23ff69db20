import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createHandler as createBudgetGuard } from '../functions/budget-guard/handler.js';
import { createHandler as createDqRouter } from '../functions/dq-router/handler.js';
import { createHandler as createLoadEvents } from '../functions/load-events/handler.js';
import { runSafetyNet, type SafetyNetRun } from '../functions/load-scheduler/handler.js';
import { createHandler as createObjectLanded } from '../functions/object-landed/handler.js';
import { createObservability } from '../functions/observability.js';
import { createHandler as createSchemaDrift } from '../functions/schema-drift/handler.js';
import type { DynamoControl } from '../shared/aws/dynamo-control.js';
import type { DynamoLedger } from '../shared/aws/dynamo-ledger.js';
import { SlackWebhookNotifier } from '../shared/aws/slack-webhook-notifier.js';
import { loadContractsDir } from '../shared/contracts-dir.js';
import type { ContractSet } from '../shared/core/contract/parse.js';
import { executionStatusPattern, objectCreatedPattern } from '../shared/core/event-patterns.js';
import { GLUE_DATABASE_STATE_CHANGE, GLUE_TABLE_STATE_CHANGE } from '../shared/core/events-glue.js';
import type { LoadLimits } from '../shared/core/schedule.js';
import type { Notifier, ObjectInfo } from '../shared/ports.js';
import type { LineageDeps } from '../shared/usecases/lineage.js';
import type { LandedOutcome } from '../shared/usecases/object-landed.js';
import { type QueryStepResult, queryAsOfOnEmr } from '../shared/usecases/query-on-emr.js';
import type { ReplayDeps } from '../shared/usecases/replay.js';
import { type RollbackDeps, rollbackDepsOver } from '../shared/usecases/rollback.js';
import { datasetCommits, EmrRollbackEngine } from '../shared/usecases/rollback-on-emr.js';
import type { ScheduleDeps } from '../shared/usecases/schedule-loads.js';
import { loadLimitsFrom, scheduleDepsOver } from '../shared/usecases/scheduled-loads.js';
import { type CrawlResult, crawlDataset } from './catalog/crawler.js';
import { LocalCatalog } from './catalog/local-catalog.js';
import { crashPoint } from './crash-point.js';
import { DuckDbStepEngine } from './emr/duckdb/engine.js';
import { LocalEmr } from './emr/local-emr.js';
import { SparkStepEngine } from './emr/spark-engine.js';
import { queryGoldRuns } from './emr/spark-gold.js';
import type { LocalStepEngine } from './emr/step-engine.js';
import { Warehouse } from './engine/warehouse.js';
import { type BusEvent, LocalEventBus } from './eventbus/bus.js';
import { BusPublisher } from './eventbus/bus-publisher.js';
import { localContext } from './lambda-context.js';
import { type LocalLedger, startLocalLedger } from './ledger/local-ledger.js';
import { localLineage } from './lineage/local-lineage.js';
import { FileNotifier } from './notifier/file-notifier.js';
import { DirObjectStore } from './object-store/dir-object-store.js';
import { localLambdaInvoke } from './orchestrator/lambda-invoke.js';
import { LocalStepFunctions } from './orchestrator/local-step-functions.js';
import { LocalTaskTokens } from './orchestrator/task-tokens.js';
import {
  DEFAULT_DATASETS_DIR,
  LOAD_DATASET_DEFINITION,
  QUERY_DATASET_DEFINITION,
  ROLLBACK_DATASET_DEFINITION,
} from './paths.js';
import { type RecoveryReport, readMarker, recoverWorkspace, removeMarker, writeMarker } from './recovery.js';
import type { LocalStream } from './stream/local-stream.js';
import {
  LOCAL_BRONZE_DATABASE,
  LOCAL_LAYOUT,
  LOCAL_QUERY_STATE_MACHINE_ARN,
  LOCAL_ROLLBACK_STATE_MACHINE_ARN,
  LOCAL_STATE_MACHINE_ARN,
  type LocalEngineName,
  useEngine,
  type Workspace,
  workspaceAt,
} from './workspace.js';

/** The first Silver table (`silver.<dataset>`) a SQL statement names, if any. */
export function silverTableOf(sql: string): string | undefined {
  return /\bsilver\.([a-z][a-z0-9_]*)/i.exec(sql)?.[1]?.toLowerCase();
}

// The package's own files (contracts, state machines) live in local/paths.ts, which the CLI reads
// without starting the runtime.
export {
  DEFAULT_DATASETS_DIR,
  LOAD_DATASET_DEFINITION,
  QUERY_DATASET_DEFINITION,
  ROLLBACK_DATASET_DEFINITION,
};

const ADD_STEP_SYNC = 'arn:aws:states:::elasticmapreduce:addStep.sync';
const LAMBDA_WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/**
 * EMR step-hours per dataset and UTC day on the local runtime ($LAKEPLANE_EMR_STEP_HOURS_PER_DATASET_PER_DAY):
 * local loads take seconds, so the default never refuses one; set it low to try the guard.
 */
const LOCAL_STEP_HOURS_PER_DAY = 24;

type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

export interface LocalRuntimeOptions {
  readonly home: string;
  readonly datasetsDir?: string;
  /** Where alerts and notices are shown (default: stderr). */
  readonly print?: (text: string) => void;
  /** Post alerts to this Slack incoming webhook instead of the JSONL file. */
  readonly slackWebhookUrl?: string;
  /** Powertools log level of the functions (default SILENT: the CLI prints its own summary). */
  readonly logLevel?: LogLevel;
  /** Called when the warehouse is held by another process and we wait. */
  readonly onWait?: (message: string) => void;
  readonly warehouseWaitMs?: number;
  /** budget-guard's step-hours per dataset and UTC day for contracts without a budget (default 24). */
  readonly emrStepHoursPerDatasetPerDay?: number;
  /**
   * What runs the EMR steps: `duckdb` (default) or `spark` (the spark-jobs in Spark local mode,
   * Hudi tables on disk). A workspace keeps the engine it was created with.
   */
  readonly engine?: LocalEngineName;
  /** Objects and bytes per load (default: the stage's, LAKEPLANE_LOAD_MAX_OBJECTS / _BYTES). */
  readonly loadLimits?: LoadLimits;
  /** How often the scheduler's safety net runs while the runtime is open (0: only at start). */
  readonly safetyNetMs?: number;
  /**
   * Crash recovery at start (local/recovery.ts): `auto` (the default) recovers fully when the
   * last process that opened the workspace died, `full` always (`lakeplane recover`).
   */
  readonly recover?: 'auto' | 'full';
  /** How the commands alerts name start here (`npx lakeplane --home …`; default `lakeplane`). */
  readonly cli?: string;
}

/** The local safety net's interval: the stage's default rate (serverless.yml loadSchedulerRate). */
const DEFAULT_SAFETY_NET_MS = 5 * 60_000;

/** What `land` put into Bronze. */
export interface LandedObject extends ObjectInfo {
  readonly dataset: string;
  /**
   * The load that took the object once object-landed has run: a load of it alone when its dataset
   * was idle (the id object-landed always gave it), the earlier load for the same content landed
   * again; undefined while it is pending (a load of the dataset is in flight, or it is paused).
   */
  readonly loadId: string | undefined;
}

/**
 * The embedded local runtime: a folder object store, dynalite for the ledger, DuckDB for the
 * engine, the real state machine file on aws-local-stepfunctions, and an in-process event
 * bus, wired to the same function handlers that run in Lambda.
 */
export class LocalRuntime {
  private constructor(
    readonly workspace: Workspace,
    readonly contracts: ContractSet,
    readonly store: DirObjectStore,
    readonly bus: LocalEventBus,
    private readonly localLedger: LocalLedger,
    readonly warehouse: Warehouse,
    readonly emr: LocalEmr,
    readonly stepFunctions: LocalStepFunctions,
    readonly deliveryFailures: { rule: string; event: BusEvent; error: string }[],
    private readonly landedOutcomes: ReadonlyMap<string, LandedOutcome>,
    private readonly logLevel: LogLevel,
    readonly catalog: LocalCatalog,
    /** The rollback-dataset and query-dataset state machines on the Spark engine (EMR's path). */
    private readonly emrMachines: { rollback: LocalStepFunctions; query: LocalStepFunctions } | undefined,
    /** The coalesced-load scheduler (object-landed, load-events, replays, the safety net). */
    readonly scheduler: ScheduleDeps,
    /** Where the runs' OpenLineage events go (`<home>/lineage.jsonl`). */
    readonly lineage: LineageDeps,
  ) {}

  private safetyNetTimer: NodeJS.Timeout | undefined;
  /** What crash recovery did when this runtime started (local/recovery.ts). */
  recovery: RecoveryReport | undefined;
  /** When this runtime opened (before its recovery ran). */
  readonly openedAt = new Date();
  private safetyNetLogger: ReturnType<typeof createObservability>['logger'] | undefined;

  /**
   * The scheduler's safety net, as load-scheduler runs it on a stage: every dataset's scheduler.
   * The runtime runs it when it starts (a process killed before a load started leaves its
   * objects pending) and then every `safetyNetMs` while it stays open.
   */
  async safetyNet(): Promise<SafetyNetRun> {
    this.safetyNetLogger ??= createObservability('load-scheduler', {
      local: true,
      logLevel: this.logLevel,
    }).logger;
    return runSafetyNet({
      contracts: this.contracts,
      scheduler: this.scheduler,
      logger: this.safetyNetLogger,
    });
  }

  /** Which engine runs the EMR steps here. */
  get engine(): LocalEngineName {
    return this.emr.engine.name;
  }

  /**
   * The local crawler: infers the Bronze schema of a dataset from its files, stores a new table
   * version in the local catalog when it changed, and emits the Glue event that runs schema-drift.
   */
  async crawl(dataset: string): Promise<CrawlResult> {
    const contract = this.contracts.datasets.get(dataset);
    if (!contract) throw new UnknownDatasetError(dataset, [...this.contracts.datasets.keys()]);
    const result = await crawlDataset(contract, {
      store: this.store,
      query: async (sql) => (await this.warehouse.query(sql)).rows,
      catalog: this.catalog,
      bus: this.bus,
      database: LOCAL_BRONZE_DATABASE,
      datasets: this.contracts.datasets.values(),
    });
    await this.idle();
    return result;
  }

  /** What object-landed decided for an object version this runtime put into Bronze. */
  landedOutcome(versionId: string): LandedOutcome | undefined {
    return this.landedOutcomes.get(versionId);
  }

  get ledger(): DynamoLedger {
    return this.localLedger.ledger;
  }

  /** Dataset pause state and the drift log. */
  get control(): DynamoControl {
    return this.localLedger.control;
  }

  /** What the replay use cases need here: the contracts, the ledger, the local state machine. */
  get replayDeps(): ReplayDeps {
    return {
      contracts: this.contracts,
      ledger: this.ledger,
      orchestrator: this.stepFunctions,
      layout: LOCAL_LAYOUT,
      scheduler: this.scheduler,
    };
  }

  /**
   * What rollbackDataset needs here: the DuckDB warehouse as engine, or on the Spark engine the
   * rollback-dataset state machine (rollback_table.py: a Hudi savepoint restore, then Gold) with
   * targets from the ledger's commits, as on a stage; replays as above.
   */
  get rollbackDeps(): RollbackDeps {
    if (!this.emrMachines)
      return { ...rollbackDepsOver(this.warehouse, this.replayDeps), lineage: this.lineage };
    const engine = new EmrRollbackEngine({
      ledger: this.ledger,
      executions: this.emrMachines.rollback,
      store: this.store,
      layout: LOCAL_LAYOUT,
    });
    return { ...rollbackDepsOver(engine, this.replayDeps), lineage: this.lineage };
  }

  /**
   * One read-only SELECT over `silver.<dataset>` (and gold.*) on the Spark engine: the
   * query-dataset state machine (query_table.py, Hudi time travel) as of `asOf`, by default the
   * dataset's newest Silver commit in the ledger.
   */
  async querySpark(sql: string, dataset: string, asOf?: string): Promise<QueryStepResult> {
    if (!this.emrMachines) throw new Error('querySpark runs on the Spark engine only');
    const at = asOf ?? (await datasetCommits(this.ledger, dataset)).at(-1)?.commitId;
    if (!at) throw new NoSilverCommitError(dataset);
    return queryAsOfOnEmr(
      sql,
      { dataset, asOf: at },
      {
        contracts: this.contracts,
        executions: this.emrMachines.query,
        store: this.store,
        layout: LOCAL_LAYOUT,
      },
    );
  }

  /** A SELECT over the Gold tables of the Spark engine, as their live runs hold them. */
  async queryGold(
    sql: string,
  ): Promise<{ columns: readonly string[]; rows: readonly Record<string, unknown>[] }> {
    const tables = [...this.contracts.datasets.values()].flatMap((c) => c.gold.map((g) => g.name));
    return queryGoldRuns(sql, join(this.workspace.objects, LOCAL_LAYOUT.goldBucket), tables);
  }

  /**
   * Rows of a SELECT on this runtime's engine (the demo's checks). On Spark, one that names
   * `silver.<table>` runs as a query-dataset execution of `dataset`; one over Gold only reads the
   * live Gold runs.
   */
  async selectRows(sql: string, dataset: string): Promise<readonly Record<string, unknown>[]> {
    if (!this.emrMachines) return (await this.warehouse.query(sql)).rows;
    return silverTableOf(sql) !== undefined
      ? (await this.querySpark(sql, dataset)).rows
      : (await this.queryGold(sql)).rows;
  }

  static async start(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const ws = workspaceAt(options.home);
    const engineName = useEngine(ws, options.engine);
    // Like a function's environment in Lambda: EMF metrics are CloudWatch's business, not the console's.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    // The warehouse and the ledger start side by side (DuckDB opens its file and LevelDB its
    // files on worker threads) and the contracts are read meanwhile: none of them needs another.
    const opening = Warehouse.open(ws.warehouse, {
      ...(options.onWait ? { onWait: options.onWait } : {}),
      ...(options.warehouseWaitMs !== undefined ? { waitMs: options.warehouseWaitMs } : {}),
    });
    const starting = startLocalLedger(ws.ledger, options.onWait ? { onWait: options.onWait } : {});
    let contracts: ContractSet | undefined;
    let contractsError: unknown;
    try {
      contracts = loadContractsDir(options.datasetsDir ?? DEFAULT_DATASETS_DIR);
    } catch (e) {
      contractsError = e;
    }
    const [opened, started] = await Promise.allSettled([opening, starting]);
    if (opened.status === 'rejected' || started.status === 'rejected' || contracts === undefined) {
      if (opened.status === 'fulfilled') opened.value.close();
      if (started.status === 'fulfilled') await started.value.close();
      throw contracts === undefined
        ? contractsError
        : opened.status === 'rejected'
          ? opened.reason
          : (started as PromiseRejectedResult).reason;
    }
    const warehouse = opened.value;
    const localLedger: LocalLedger = started.value;
    const print = options.print ?? ((t: string) => process.stderr.write(`${t}\n`));
    const logLevel =
      options.logLevel ?? (process.env.LAKEPLANE_LOG_LEVEL as LogLevel | undefined) ?? 'SILENT';
    const store = new DirObjectStore(ws.objects);
    const bus = new LocalEventBus();
    let stepEngine: LocalStepEngine;
    try {
      stepEngine =
        engineName === 'spark'
          ? new SparkStepEngine(ws.home, store, contracts, LOCAL_LAYOUT.artifactsBucket)
          : new DuckDbStepEngine(store, () => warehouse);
    } catch (e) {
      warehouse.close();
      await localLedger.close();
      throw e;
    }
    const emr = new LocalEmr(contracts, stepEngine);
    const definition = JSON.parse(readFileSync(LOAD_DATASET_DEFINITION, 'utf8'));
    const notifier: Notifier = options.slackWebhookUrl
      ? new SlackWebhookNotifier(async () => options.slackWebhookUrl!)
      : new FileNotifier(ws.notifications, print);
    const taskTokens = new LocalTaskTokens();
    const dqRouter = createDqRouter({
      ...createObservability('dq-router', { local: true, logLevel }),
      objects: store,
      notifier,
      callbacks: taskTokens,
      contracts,
      ...(options.cli ? { cli: options.cli } : {}),
    });
    const budgetGuard = createBudgetGuard({
      ...createObservability('budget-guard', { local: true, logLevel }),
      ledger: localLedger.ledger,
      contracts,
      defaultStepHoursPerDay:
        options.emrStepHoursPerDatasetPerDay ??
        (Number(process.env.LAKEPLANE_EMR_STEP_HOURS_PER_DATASET_PER_DAY) || LOCAL_STEP_HOURS_PER_DAY),
      now: () => new Date(),
    });
    const stepFunctions = new LocalStepFunctions(definition, {
      stateMachineArn: LOCAL_STATE_MACHINE_ARN,
      resources: {
        [ADD_STEP_SYNC]: emr.addStepSync as never,
        [LAMBDA_INVOKE]: localLambdaInvoke({ 'budget-guard': budgetGuard as never }, localContext) as never,
        [LAMBDA_WAIT_FOR_TASK_TOKEN]: taskTokens.invokeAndWait(
          { 'dq-router': dqRouter as never },
          localContext,
        ) as never,
      },
      bus,
      registryFile: ws.executions,
    });

    // The coalesced-load scheduler over the workspace's ledger, scheduler table and artifacts.
    const scheduler = scheduleDepsOver({
      contracts,
      ledger: localLedger.ledger,
      store,
      pending: localLedger.scheduler.pending,
      slots: localLedger.scheduler.slots,
      orchestrator: stepFunctions,
      layout: LOCAL_LAYOUT,
      limits: options.loadLimits ?? loadLimitsFrom(process.env),
      control: localLedger.control,
      now: () => new Date(),
    });
    const objectLanded = createObjectLanded({
      ...createObservability('object-landed', { local: true, logLevel }),
      contracts,
      ledger: localLedger.ledger,
      scheduler,
      layout: LOCAL_LAYOUT,
      now: () => new Date(),
    });
    const lineage = localLineage(ws, contracts, async (sql) => (await warehouse.query(sql)).rows, print);
    const loadEvents = createLoadEvents({
      ...createObservability('load-events', { local: true, logLevel }),
      lineage,
      ledger: localLedger.ledger,
      objects: store,
      notifier,
      scheduler,
      contracts,
      ...(options.cli ? { cli: options.cli } : {}),
    });
    const landedOutcomes = new Map<string, LandedOutcome>();
    bus.addRule('object-landed', objectCreatedPattern(LOCAL_LAYOUT.bronzeBucket), async (e) => {
      crashPoint('object-landed');
      const outcome = await objectLanded(e, localContext('object-landed'));
      const object = (e.detail as { object?: { 'version-id'?: string } }).object;
      if (object?.['version-id']) landedOutcomes.set(object['version-id'], outcome);
      return outcome;
    });
    bus.addRule('load-events', executionStatusPattern(LOCAL_STATE_MACHINE_ARN), (e) => {
      crashPoint('load-events');
      return loadEvents(e, localContext('load-events'));
    });

    const catalog = new LocalCatalog(ws.catalog);
    const schemaDrift = createSchemaDrift({
      ...createObservability('schema-drift', { local: true, logLevel }),
      lineage,
      contracts,
      catalog,
      control: localLedger.control,
      driftLog: localLedger.control,
      notifier,
      events: new BusPublisher(bus),
      bronzeDatabase: LOCAL_BRONZE_DATABASE,
      ...(options.cli ? { cli: options.cli } : {}),
      now: () => new Date(),
    });
    bus.addRule(
      'schema-drift',
      {
        source: ['aws.glue'],
        'detail-type': [GLUE_TABLE_STATE_CHANGE, GLUE_DATABASE_STATE_CHANGE],
        detail: { databaseName: [LOCAL_BRONZE_DATABASE] },
      },
      (e) => schemaDrift(e, localContext('schema-drift')),
    );
    const failures: { rule: string; event: BusEvent; error: string }[] = [];
    const deadLetters = join(ws.home, 'dead-letters.jsonl');
    bus.onDeliveryFailure((rule, event, error) => {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      failures.push({ rule, event, error: message });
      // EventBridge would retry and then send the event to the rule's dead-letter queue.
      appendFileSync(deadLetters, `${JSON.stringify({ rule, error: message, event })}\n`);
      print(`${rule} failed on an event (kept in ${deadLetters}): ${message}`);
    });
    // The Bronze bucket sends its object events to EventBridge (the only bucket that does).
    const announce = (info: ObjectInfo) =>
      bus.put(
        bus.envelope(
          'aws.s3',
          'Object Created',
          {
            version: '0',
            bucket: { name: info.bucket },
            object: {
              key: info.key,
              size: info.size,
              etag: info.etag,
              'version-id': info.versionId,
              sequencer: info.versionId,
            },
            'request-id': 'local',
            requester: 'local',
            reason: 'PutObject',
          },
          [`arn:aws:s3:::${info.bucket}`],
        ),
      );
    store.onObjectCreated((info) => {
      if (info.bucket === LOCAL_LAYOUT.bronzeBucket) announce(info);
    });
    const emrMachine = (file: string, stateMachineArn: string) =>
      new LocalStepFunctions(JSON.parse(readFileSync(file, 'utf8')), {
        stateMachineArn,
        resources: { [ADD_STEP_SYNC]: emr.addStepSync as never },
        bus,
      });
    const emrMachines =
      engineName === 'spark'
        ? {
            rollback: emrMachine(ROLLBACK_DATASET_DEFINITION, LOCAL_ROLLBACK_STATE_MACHINE_ARN),
            query: emrMachine(QUERY_DATASET_DEFINITION, LOCAL_QUERY_STATE_MACHINE_ARN),
          }
        : undefined;
    const rt = new LocalRuntime(
      ws,
      contracts,
      store,
      bus,
      localLedger,
      warehouse,
      emr,
      stepFunctions,
      failures,
      landedOutcomes,
      logLevel,
      catalog,
      emrMachines,
      scheduler,
      lineage,
    );
    const previous = readMarker(ws);
    writeMarker(ws, { pid: process.pid, startedAt: new Date().toISOString() });
    rt.recovery = await recoverWorkspace(
      {
        executions: stepFunctions,
        ledger: localLedger.ledger,
        bronze: () => store.currentObjects(LOCAL_LAYOUT.bronzeBucket),
        announce,
        busIdle: () => bus.idle(),
        ...(existsSync(join(ws.home, 'kinesis'))
          ? {
              drainStream: async () => {
                await rt.stream();
                await rt.idle();
              },
            }
          : {}),
        print,
      },
      previous,
      options.recover === 'full',
    );
    await rt.safetyNet();
    const every = options.safetyNetMs ?? DEFAULT_SAFETY_NET_MS;
    if (every > 0) {
      rt.safetyNetTimer = setInterval(() => {
        rt.safetyNet().catch((e: unknown) => print(`the load scheduler's safety net failed: ${String(e)}`));
      }, every);
      rt.safetyNetTimer.unref();
    }
    return rt;
  }

  /**
   * Lands a file in Bronze under the dataset's prefix and waits for object-landed to take it
   * (pending, or in a load it started); the load itself runs on (`idle()` waits for it).
   */
  async land(dataset: string, file: string, key?: string): Promise<LandedObject> {
    const contract = this.contracts.datasets.get(dataset);
    if (!contract) {
      throw new UnknownDatasetError(dataset, [...this.contracts.datasets.keys()]);
    }
    const info = await this.store.putFile(
      LOCAL_LAYOUT.bronzeBucket,
      key ?? `${contract.bronze.prefix}${basename(file)}`,
      file,
    );
    await this.bus.idle();
    return { ...info, dataset, loadId: await this.loadOf(dataset, info) };
  }

  /** The load that took an object this runtime landed; undefined while it is pending. */
  async loadOf(dataset: string, object: ObjectInfo): Promise<string | undefined> {
    const outcome = object.versionId ? this.landedOutcome(object.versionId) : undefined;
    if (outcome?.outcome === 'duplicate' && outcome.loadId) return outcome.loadId;
    const known = await this.scheduler.pending.byKey(dataset, object.bucket, object.key);
    return known.find((k) => k.object.etag === object.etag.replaceAll('"', ''))?.loadId;
  }

  /** The local Kinesis stream and its event source mapping, started on first use. */
  async stream(): Promise<LocalStream> {
    // Imported on first use: a command that does not stream does not load kinesalite and the Kinesis client.
    this.localStream ??= import('./stream/local-stream.js').then(({ startLocalStream }) =>
      startLocalStream(this.workspace, this.contracts, this.store, { logLevel: this.logLevel }),
    );
    return this.localStream;
  }

  private localStream: Promise<LocalStream> | undefined;

  /** Waits until every event delivery and execution this process started has finished. */
  async idle(): Promise<void> {
    const machines = [this.stepFunctions, ...(this.emrMachines ? Object.values(this.emrMachines) : [])];
    do {
      if (this.localStream) await (await this.localStream).mapping.drain();
      await this.bus.idle();
      for (const m of machines) await m.idle();
    } while (this.bus.busy || machines.some((m) => m.busy));
  }

  async close(): Promise<void> {
    clearInterval(this.safetyNetTimer);
    try {
      await this.idle();
      if (this.localStream) await (await this.localStream).close();
    } finally {
      await this.emr.engine.close();
      this.warehouse.close();
      await this.localLedger.close();
      removeMarker(this.workspace);
    }
  }
}

/** A query on the Spark engine of a dataset that has no Silver commit yet. */
export class NoSilverCommitError extends Error {
  override readonly name = 'NoSilverCommitError';
  constructor(dataset: string) {
    super(
      `silver.${dataset} has no commit yet: load a file first (\`lakeplane --engine spark load ${dataset} <file>\`)`,
    );
  }
}

/** A dataset name that no contract defines. */
export class UnknownDatasetError extends Error {
  override readonly name = 'UnknownDatasetError';
  constructor(dataset: string, known: readonly string[]) {
    super(
      `no dataset named "${dataset}"; known datasets: ${known.join(', ')} (contracts are in datasets/*.yaml)`,
    );
  }
}
