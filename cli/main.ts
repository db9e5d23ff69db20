/** The lakeplane CLI: drives the embedded local runtime. */
import './zod-jitless.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import type { Warehouse } from '../local/engine/warehouse.js';
import type { startLocalLedger } from '../local/ledger/local-ledger.js';
import { DEFAULT_DATASETS_DIR } from '../local/paths.js';
import {
  checkedEngine,
  defaultHome,
  EngineMismatchError,
  LOCAL_BRONZE_DATABASE,
  LOCAL_LAYOUT,
  type LocalEngineName,
  workspaceAt,
} from '../local/workspace.js';
import { ContractError } from '../shared/core/contract/errors.js';
import type { ContractSet } from '../shared/core/contract/parse.js';
import type { DatasetContract } from '../shared/core/contract/types.js';
import { LOAD_STATUSES, type LoadRecord } from '../shared/core/load.js';
import { loadWarningsOf, warningText } from '../shared/core/load-warnings.js';
import { nextStep, plainCause, type StepPlace } from '../shared/core/next-step.js';
import type { LakeLayout } from '../shared/core/plan.js';
import type { Ledger, ObjectStore, PendingObjects } from '../shared/ports.js';
import type { objectsOfLoad } from '../shared/usecases/scheduled-loads.js';
import { type GlobalOptions, globalOptions, parseOptions, UsageError, withRuntime } from './context.js';
import { duration, listing, plural, table } from './output.js';
import { shellWord } from './shell-word.js';
import type { StageDeps } from './stage.js';
import { VERSION } from './version.js';

const program = new Command('lakeplane')
  .description(
    'Control plane of the lakeplane data lake, on the embedded local runtime (no AWS account needed).',
  )
  .option('--home <dir>', 'local workspace (default: $LAKEPLANE_HOME or ./.lakeplane)')
  .option(
    '--datasets <dir>',
    'folder of dataset contracts (default: $LAKEPLANE_DATASETS or the datasets/ of lakeplane)',
  )
  .option('--verbose', "show the functions' structured logs and stack traces")
  .addOption(
    new Option(
      '--engine <engine>',
      'what runs the EMR steps of a new local workspace: duckdb, or spark (the spark-jobs in Spark local mode, Hudi tables on disk; install with `npm run setup:spark`); a workspace keeps its engine',
    )
      .choices(['duckdb', 'spark'])
      .env('LAKEPLANE_ENGINE'),
  )
  .option(
    '--stage <stage>',
    'loads, loads show, replay, rollback, commits, query --as-of, bronze restore, dataset resume: work on this deployed stage (stack lakeplane-<stage>, standard AWS credentials)',
  )
  .option('--region <region>', 'with --stage: its AWS region (default: the SDK default, e.g. $AWS_REGION)')
  .version(VERSION, '-V, --version', 'print the version of lakeplane')
  .showHelpAfterError();

const global = (): GlobalOptions => parseOptions(globalOptions, program.opts());
const stageOptions = z.object({
  stage: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
});
/** The deployed stage the command works on, or undefined for the local runtime. */
function deployedStage(): { stage: string; region?: string } | undefined {
  const o = parseOptions(stageOptions, program.opts());
  if (!o.stage) {
    if (o.region) throw new UsageError('--region goes with --stage <stage>');
    return undefined;
  }
  return { stage: o.stage, ...(o.region ? { region: o.region } : {}) };
}

const STAGE_COMMANDS = [
  'lakeplane loads',
  'loads show',
  'lakeplane replay',
  'lakeplane rollback',
  'lakeplane commits',
  'dataset resume',
  'lakeplane query',
  'bronze restore',
];
// Only the on-call commands work on a deployed stage; any other command would silently run locally.
program.hook('preAction', (_root, action) => {
  const path = [action.parent?.name(), action.name()].join(' ');
  const onCall = STAGE_COMMANDS.includes(path);
  if (!onCall && program.opts().stage !== undefined)
    throw new UsageError(
      `--stage works with loads, loads show, replay, rollback, commits, query --as-of, bronze restore and dataset resume only; \`${action.name()}\` runs on the local runtime`,
    );
});

/** Runs with the AWS adapters of a deployed stage and always releases its clients. */
async function withStage<T>(
  target: { stage: string; region?: string },
  run: (deps: StageDeps) => Promise<T>,
): Promise<T> {
  const g = global();
  const { stageDeps } = await import('./stage.js');
  const deps = await stageDeps({ ...target, ...(g.datasets ? { datasets: g.datasets } : {}) });
  try {
    return await run(deps);
  } finally {
    deps.close();
  }
}
const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

program
  .command('load')
  .description(
    'land a file (or every .json/.ndjson/.jsonl file of a folder, gzipped or not, in name order) in Bronze and wait for the loads that take it (the files of a folder share coalesced loads)',
  )
  .argument('<dataset>', 'dataset name (datasets/<name>.yaml)')
  .argument('<path>', 'NDJSON file or folder')
  .action(async (dataset: string, path: string) => {
    // Refused before the runtime opens: an unknown dataset leaves no workspace behind.
    await requireDataset(dataset);
    const { dataFiles, describeOutcome, landAndWait } = await import('./commands/load.js');
    const files = dataFiles(path);
    const g = global();
    const cli = `npx lakeplane${g.home ? ` --home ${shellWord(g.home)}` : ''}`;
    const outcomes = await withRuntime(g, (rt) => landAndWait(rt, dataset, files, cli));
    for (const o of outcomes) out(describeOutcome(o, cli));
    // One exit-code rule: 1 when a load failed (or waits, paused), else 2 when a file was refused.
    if (outcomes.some((o) => !o.empty && !o.rejected && o.load?.status !== 'SUCCEEDED')) process.exitCode = 1;
    else if (outcomes.some((o) => o.rejected)) process.exitCode = 2;
  });

program
  .command('stream')
  .description("put an NDJSON file's records on the local Kinesis stream and wait until they are in Silver")
  .argument('<dataset>', 'dataset name')
  .argument(
    '<file>',
    'NDJSON file, one record per line (gzip when it ends in .gz; a damaged one is refused whole)',
  )
  .action(async (dataset: string, file: string) => {
    await requireDataset(dataset);
    const { dataFiles } = await import('./commands/load.js');
    const { describeStream, streamFile } = await import('./commands/stream.js');
    dataFiles(file);
    const outcome = await withRuntime(global(), (rt) => streamFile(rt, dataset, file));
    out(describeStream(outcome));
    if (outcome.loads.some((l) => l.status !== 'SUCCEEDED') || outcome.discardedBatches > 0)
      process.exitCode = 1;
  });

program
  .command('recover')
  .description(
    'bring the workspace to its true state after a lakeplane process died (kill -9, out of memory): run interrupted loads again, record ends the ledger missed, register Bronze objects no load knows, read the local stream on (every command that loads does this when it finds a dead process)',
  )
  .action(async () => {
    const g = global();
    const cli = `npx lakeplane${g.home ? ` --home ${shellWord(g.home)}` : ''}`;
    const report = await withRuntime(g, async (rt) => rt.recovery, { recover: 'full' });
    const { describeRecovery } = await import('./commands/recover.js');
    out(describeRecovery(report, cli));
  });

const loadsOptions = z.object({
  dataset: z.string().optional(),
  status: z.enum(LOAD_STATUSES).optional(),
  since: z
    .string()
    .refine(
      (s) => !Number.isNaN(Date.parse(s)),
      'must be a date or timestamp, e.g. 2026-11-20 or 2026-11-20T10:00:00Z',
    )
    .transform((s) => new Date(s).toISOString())
    .optional(),
  limit: z.coerce.number().int().positive().default(100),
  json: z.boolean().optional(),
  key: z
    .string()
    .min(1, '--key needs a Bronze object key, e.g. orders/2026/11/20/part-0001.ndjson')
    .optional(),
});

const loads = program
  .command('loads')
  .description('list loads, newest first')
  .option('--dataset <name>', 'only this dataset')
  .addOption(new Option('--status <status>', 'only loads in this status').choices([...LOAD_STATUSES]))
  .option('--since <time>', 'only loads registered at or after this time')
  .option(
    '--key <key>',
    'only loads that read this Bronze object key (any version), and its versions still pending',
  )
  .option('--limit <n>', 'at most this many', '100')
  .option('--json', 'print JSON')
  .action(async (raw: unknown) => {
    const o = parseOptions(loadsOptions, raw);
    await requireDataset(o.dataset);
    let pendingNote: string | undefined;
    // FAILED and FAILED_QUALITY both need someone: listing one says how many of the other wait.
    const other =
      o.status === 'FAILED' ? 'FAILED_QUALITY' : o.status === 'FAILED_QUALITY' ? 'FAILED' : undefined;
    let othersWaiting = 0;
    const records = await withLoadsContext(async (c) => {
      if (other && !o.key)
        othersWaiting = (
          await c.ledger.list({
            status: other,
            ...(o.dataset ? { dataset: o.dataset } : {}),
            ...(o.since ? { since: o.since } : {}),
            limit: 1000,
          })
        ).length;
      if (!o.key)
        return c.ledger.list({
          ...(o.dataset ? { dataset: o.dataset } : {}),
          ...(o.status ? { status: o.status } : {}),
          ...(o.since ? { since: o.since } : {}),
          limit: o.limit,
        });
      const { loadsOfKey } = await import('../shared/usecases/scheduled-loads.js');
      const found = await loadsOfKey(o.key, c);
      if (!found)
        throw new UsageError(
          `${o.key} is under no dataset's Bronze prefix (${[...c.contracts.datasets.values()].map((d) => d.bronze.prefix).join(', ')})`,
        );
      if (found.pending.length > 0)
        pendingNote = `${found.pending.length} version(s) of ${o.key} pending: ${found.dataset}'s next load takes them`;
      return found.loads
        .filter((r) => (!o.status || r.status === o.status) && (!o.since || r.registeredAt >= o.since))
        .slice(0, o.limit);
    });
    out(
      listing(records, {
        json: o.json,
        empty: o.key
          ? `no load has read ${o.key}${pendingNote ? '' : ' yet'}`
          : o.status || o.dataset || o.since
            ? `no ${o.status ? `${o.status} ` : ''}loads${o.dataset ? ` of ${o.dataset}` : ''}${o.since ? ` since ${o.since}` : ''}${other && othersWaiting === 0 ? ': none needs someone' : ''}`
            : deployedStage()
              ? 'no loads yet on this stage'
              : `no loads yet: land a file with \`${typedCommand('load <dataset> <file>')}\``,
        columns: [
          'load',
          'dataset',
          'status',
          'registered',
          'in',
          'ins',
          'upd',
          'del',
          'quar',
          'duration',
          'objects',
          'source',
        ],
        row: (r) => [
          r.loadId,
          r.dataset,
          r.status,
          r.registeredAt,
          r.counts?.rowsIn,
          r.counts?.inserted,
          r.counts?.updated,
          r.counts?.deleted,
          r.counts?.rowsQuarantined,
          duration(r.durationMs),
          r.manifest?.objects ?? 1,
          r.source.key,
        ],
      }),
    );
    if (pendingNote && !o.json) out(pendingNote);
    if (other && othersWaiting > 0 && !o.json)
      out(
        `${othersWaiting} ${other} load${othersWaiting === 1 ? '' : 's'} need${othersWaiting === 1 ? 's' : ''} someone too: \`${typedCommand(`loads --status ${other}${o.dataset ? ` --dataset ${o.dataset}` : ''}`)}\``,
      );
  });

loads
  .command('show')
  .description(
    "one load: its objects (the manifest's exact versions), status history, counts, commit and cause",
  )
  .argument('<load-id>')
  .option('--json', 'print JSON')
  .action(async (loadId: string, raw: { json?: boolean }, cmd: Command) => {
    const shown = await withLoadsContext(async (c) => {
      const record = await c.ledger.get(loadId);
      if (!record) throw new UsageError(`no load ${loadId}; list them with \`${typedCommand('loads')}\``);
      const { objectsOfLoad } = await import('../shared/usecases/scheduled-loads.js');
      // Locally, the file the load's first object was landed from: the next step names it.
      const from =
        'landedFrom' in c.store && typeof c.store.landedFrom === 'function'
          ? (c.store as { landedFrom(b: string, k: string, v?: string): string | undefined }).landedFrom(
              record.source.bucket,
              record.source.key,
              record.source.versionId,
            )
          : undefined;
      return { record, objects: await objectsOfLoad(record, c.store, c.layout), from };
    });
    // `loads` has its own --json, which commander gives it wherever the flag stands.
    const json = raw.json || cmd.parent?.opts<{ json?: boolean }>().json;
    out(
      json
        ? JSON.stringify({ ...shown.record, objects: shown.objects }, null, 2)
        : showLoad(shown.record, shown.objects, {
            ...stepPlace(),
            ...(shown.from ? { file: shown.from } : {}),
          }),
    );
  });

program
  .command('query')
  .description(
    'run one read-only SELECT on the local lake (silver.<dataset>, gold.<name>, lakeplane.commits; no files, network, COPY, ATTACH or settings; on the Spark engine over silver.<dataset>, or over gold tables only); with --stage, one SELECT on EMR as of a commit',
  )
  .argument('<sql>')
  .option('--json', 'print rows as JSON')
  .option(
    '--as-of <commit|time>',
    'read silver.<dataset> as it was right after this commit, or at this time (needs --dataset)',
  )
  .option('--dataset <name>', 'with --as-of: the Silver table to read as of that point')
  .action(async (sql: string, raw: { json?: boolean; asOf?: string; dataset?: string }) => {
    if (raw.asOf && !raw.dataset)
      throw new UsageError('--as-of needs --dataset: the Silver table to read as of that point');
    await requireDataset(raw.dataset);
    const { QueryAsOfError, queryAsOfOnEmr, STAGE_QUERY_LIMIT } = await import(
      '../shared/usecases/query-on-emr.js'
    );
    const stage = deployedStage();
    if (stage) {
      if (!raw.asOf || !raw.dataset)
        throw new UsageError(
          'on a stage, query reads a Silver table as of a commit: give --dataset <d> --as-of <commit|time>',
        );
      const at = { dataset: raw.dataset, asOf: raw.asOf };
      const r = await withStage(stage, async (deps) => {
        try {
          return await queryAsOfOnEmr(sql, at, {
            contracts: deps.contracts,
            executions: deps.queries,
            store: deps.store,
            layout: deps.layout,
            onStarted: (arn) => process.stderr.write(`query execution ${arn} started; waiting for it\n`),
          });
        } catch (e) {
          if (e instanceof QueryAsOfError) throw new UsageError(e.message);
          throw e;
        }
      });
      process.stderr.write(`silver.${r.dataset} as of commit ${r.asOf}${askedFor(raw.asOf, r.asOf)}\n`);
      out(
        raw.json
          ? JSON.stringify(r.rows, null, 2)
          : rowsTable(r, r.truncated ? `cut at ${STAGE_QUERY_LIMIT}` : ''),
      );
      return;
    }
    if (localEngine() === 'spark') {
      const { silverTableOf } = await import('../local/runtime.js');
      const dataset = raw.dataset ?? silverTableOf(sql);
      if (dataset === undefined) {
        // Gold only: no Silver table for a query-dataset run; the live Gold runs' Parquet is read.
        const g = await withRuntime(global(), (rt) => rt.queryGold(sql));
        process.stderr.write('gold as its newest complete run holds it (Spark engine)\n');
        out(raw.json ? JSON.stringify(g.rows, null, 2) : rowsTable(g));
        return;
      }
      const r = await withRuntime(global(), (rt) =>
        refusalsAsUsage(() => rt.querySpark(sql, dataset, raw.asOf)),
      );
      process.stderr.write(
        `silver.${r.dataset} as of commit ${r.asOf}${askedFor(raw.asOf, r.asOf)} (Spark engine)\n`,
      );
      out(
        raw.json
          ? JSON.stringify(r.rows, null, 2)
          : rowsTable(r, r.truncated ? `cut at ${STAGE_QUERY_LIMIT}` : ''),
      );
      return;
    }
    const result = await withLocalWarehouse((wh) =>
      refusalsAsUsage(async () => {
        if (!raw.asOf || !raw.dataset) return wh.select(sql);
        const r = await wh.queryAsOf(sql, { dataset: raw.dataset, asOf: raw.asOf });
        process.stderr.write(
          `silver.${raw.dataset} as of commit ${r.commit.commitId} (load ${r.commit.loadId}, ${r.commit.committedAt})\n`,
        );
        return r;
      }),
    );
    out(raw.json ? JSON.stringify(result.rows, null, 2) : rowsTable(result));
  });

program
  .command('commits')
  .description('the Silver commit timeline of a dataset: loads, rollbacks, counts, what can still be reached')
  .argument('<dataset>')
  .option('--json', 'print JSON')
  .action(async (dataset: string, raw: { json?: boolean }) => {
    await requireDataset(dataset);
    // A stage, and the local Spark engine: the commits the ledger recorded (Hudi's timeline).
    const { commitRow, stageRollbackEngine } = await import('./commands/rollback.js');
    const target = deployedStage();
    const ledgerCommits = target
      ? () => withStage(target, (deps) => stageRollbackEngine(deps).commits(dataset))
      : localEngine() === 'spark'
        ? async () => {
            const { datasetCommits } = await import('../shared/usecases/rollback-on-emr.js');
            return withLocalLedger((local) => datasetCommits(local.ledger, dataset));
          }
        : undefined;
    if (ledgerCommits) {
      out(
        listing(await ledgerCommits(), {
          json: raw.json,
          empty: `no commits of ${dataset} in the ledger`,
          columns: ['commit', 'load', 'attempt', 'committed', 'ins', 'upd', 'del'],
          row: commitRow,
        }),
      );
      return;
    }
    const entries = await withLocalWarehouse((wh) => wh.timeline(dataset));
    out(
      listing(entries, {
        json: raw.json,
        empty: `no commits for ${dataset}`,
        columns: ['commit', 'load', 'committed', 'ins', 'upd', 'del', 'rows', 'live', 'reachable'],
        row: (e) => [
          e.commitId,
          e.rollbackTo ? `rollback to ${e.rollbackTo}` : e.loadId,
          e.committedAt,
          e.inserted,
          e.updated,
          e.deleted,
          e.rowsAfter,
          e.live ? 'yes' : 'no',
          e.reachable ? 'yes' : 'no',
        ],
      }),
    );
  });

const rollbackOptions = z
  .object({
    to: z.string().min(1).optional(),
    before: z.string().min(1).optional(),
    replayAfter: z.boolean().optional(),
    replayLoad: z.boolean().optional(),
    dryRun: z.boolean().optional(),
  })
  .refine((o) => (o.to === undefined) !== (o.before === undefined), {
    message: 'give exactly one of --to <commit> and --before <load-id>',
    path: ['to'],
  })
  .refine((o) => !o.replayLoad || (o.before !== undefined && o.replayAfter), {
    message: '--replay-load goes with --before <load-id> --replay-after',
    path: ['replayLoad'],
  });

program
  .command('rollback')
  .description(
    'return a Silver table to right after a commit, or to right before a bad load; Gold is rebuilt',
  )
  .argument('<dataset>')
  .option('--to <commit>', 'the commit to return to (see `lakeplane commits <dataset>`; `start` = empty)')
  .option('--before <load-id>', "return to right before this load's commit")
  .option(
    '--replay-after',
    'then re-apply the loads after the restore point (except the bad one), in their original order',
  )
  .option(
    '--replay-load',
    'with --before --replay-after: replay the --before load too, first (a failed load whose commit reached Silver)',
  )
  .option('--dry-run', 'say what would change; change nothing')
  .action(async (dataset: string, raw: unknown) => {
    const o = parseOptions(rollbackOptions, raw);
    await requireDataset(dataset);
    const { describeRollback, rollbackOnStage } = await import('./commands/rollback.js');
    const target = o.to ? { toCommit: o.to } : { beforeLoad: o.before! };
    const options = {
      dryRun: o.dryRun ?? false,
      replayAfter: o.replayAfter ?? false,
      replayTarget: o.replayLoad ?? false,
    };
    const stage = deployedStage();
    const outcome = await refusalsAsUsage(() =>
      stage
        ? withStage(stage, (deps) =>
            rollbackOnStage(deps, dataset, target, options, (line) => process.stderr.write(`${line}\n`)),
          )
        : withRuntime(global(), async (rt) => {
            const { rollbackDataset } = await import('../shared/usecases/rollback.js');
            await rt.idle();
            return rollbackDataset(dataset, target, rt.rollbackDeps, {
              ...options,
              afterEach: () => rt.idle(),
            });
          }),
    );
    const { lines, ok } = describeRollback(dataset, outcome);
    for (const line of lines) out(line);
    if (!ok) process.exitCode = 1;
  });

/** A rollback that cannot start, or a commit or time out of reach, is a usage error (exit 2) with its reason. */
async function refusalsAsUsage<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const [
      { NoSilverCommitError },
      { QueryRefusedError },
      { SnapshotExpiredError, TimeTravelError },
      { RollbackRefusedError },
      { QueryAsOfError },
    ] = await Promise.all([
      import('../local/runtime.js'),
      import('../local/engine/warehouse.js'),
      import('../local/engine/snapshots.js'),
      import('../shared/usecases/rollback.js'),
      import('../shared/usecases/query-on-emr.js'),
    ]);
    if (
      e instanceof TimeTravelError ||
      e instanceof SnapshotExpiredError ||
      e instanceof RollbackRefusedError ||
      e instanceof QueryAsOfError ||
      e instanceof NoSilverCommitError ||
      e instanceof QueryRefusedError
    )
      throw new UsageError(e.message);
    throw e;
  }
}

const replayOptions = z.object({
  dryRun: z.boolean().optional(),
  dataset: z.string().optional(),
  status: z.enum(['FAILED', 'FAILED_QUALITY']).optional(),
  since: z
    .string()
    .refine((t) => !Number.isNaN(Date.parse(t)), 'must be a date or timestamp, e.g. 2026-11-20')
    .transform((t) => new Date(t).toISOString())
    .optional(),
});

program
  .command('replay')
  .description(
    'run a failed load again on exactly the same Bronze object versions (its manifest), as a new attempt, and wait for it; or every failed load of a dataset (--dataset --status --since), oldest first',
  )
  .argument('[load-id]')
  .option('--dry-run', 'say what would be replayed; change nothing')
  .option('--dataset <name>', 'replay the failed loads of this dataset')
  .addOption(
    new Option('--status <status>', 'with --dataset: which failed loads')
      .choices(['FAILED', 'FAILED_QUALITY'])
      .default('FAILED'),
  )
  .option('--since <time>', 'with --dataset: loads registered at or after this time')
  .action(async (loadId: string | undefined, raw: unknown) => {
    const o = parseOptions(replayOptions, raw);
    await requireDataset(o.dataset);
    if (!loadId && !o.dataset)
      throw new UsageError('name a load id, or --dataset (with --status/--since) to replay many');
    const request = { ...o, ...(loadId ? { loadId } : {}) };
    const { replayMany } = await import('./commands/replay.js');
    const target = deployedStage();
    const lines = target
      ? await withStage(target, (deps) =>
          replayMany(
            deps,
            request,
            async (id, started) =>
              `replaying ${id} as attempt ${started.load.attempts}: execution ${started.executionArn}\n  follow it with \`lakeplane --stage ${target.stage}${target.region ? ` --region ${target.region}` : ''} loads show ${id}\``,
            ` on ${deps.stackName}`,
          ),
        )
      : await withRuntime(global(), (rt) =>
          replayMany(rt.replayDeps, request, async (id) => {
            await rt.idle();
            const load = await rt.ledger.get(id);
            const cause =
              load?.status !== 'SUCCEEDED' && load?.cause ? `\n  cause: ${load.cause.message}` : '';
            return {
              text: `load ${id} attempt ${load?.attempts}: ${load?.status}${cause}`,
              ok: load?.status === 'SUCCEEDED',
            };
          }),
        );
    for (const l of lines) out(l.text);
    if (lines.some((l) => !l.ok)) process.exitCode = 1;
  });

const events = program.command('events').description('EventBridge helpers');
events
  .command('test-pattern')
  .description('test an event pattern against an event, like `aws events test-event-pattern`')
  .argument('<pattern.json>')
  .argument('<event.json>')
  .action(async (patternFile: string, eventFile: string) => {
    const { testPatternFiles } = await import('./commands/events.js');
    out(JSON.stringify(testPatternFiles(patternFile, eventFile)));
  });

const dq = program.command('dq').description('data-quality gate');
dq.command('route')
  .description(
    'dry run of dq-router on a validation result file: prints the verdict and the Slack message it would send; sends nothing',
  )
  .argument('<result.json>', 'a Great Expectations validation result (GX 1.x or 0.x JSON)')
  .requiredOption('--dataset <name>', 'the dataset whose contract gives the severities')
  .option('--load-id <id>', 'load id to show in the message')
  .option('--json', 'print JSON')
  .action(async (file: string, raw: { dataset: string; loadId?: string; json?: boolean }) => {
    const { loadContractsDir } = await import('../shared/contracts-dir.js');
    const { formatRoute, routeResultFile } = await import('./commands/dq.js');
    const contracts = loadContractsDir(
      global().datasets ?? process.env.LAKEPLANE_DATASETS ?? DEFAULT_DATASETS_DIR,
    );
    const result = routeResultFile(file, raw.dataset, contracts, raw.loadId ? { loadId: raw.loadId } : {});
    out(raw.json ? JSON.stringify(result, null, 2) : formatRoute(result));
    if (result.verdict === 'fail' || result.verdict === 'unreadable') process.exitCode = 1;
  });

program
  .command('crawl')
  .description("crawl a dataset's Bronze files into the local catalog; a new table version runs schema-drift")
  .argument('<dataset>')
  .action(async (dataset: string) => {
    await requireDataset(dataset);
    const outcome = await withRuntime(global(), async (rt) => {
      const crawled = await rt.crawl(dataset);
      const state = await rt.control.get(dataset);
      const recorded = crawled.changed ? (await rt.control.list({ dataset, limit: 1 }))[0] : undefined;
      return { crawled, state, recorded };
    });
    const v = outcome.crawled.version;
    out(
      v
        ? `${dataset}: table version ${v.VersionId}${outcome.crawled.changed ? ' (new)' : ' (unchanged)'} with ${outcome.crawled.columns.length} columns from ${outcome.crawled.objects} objects`
        : `${dataset}: no data files in Bronze yet`,
    );
    for (const s of outcome.crawled.skipped) out(`  skipped ${s.key}: ${s.reason}`);
    if (outcome.recorded) {
      out(
        `schema drift ${outcome.recorded.fromVersion} → ${outcome.recorded.toVersion}: ${outcome.recorded.action}${outcome.recorded.breaking ? ' (breaking)' : ''}`,
      );
    }
    if (outcome.state?.paused)
      out(
        `dataset ${dataset} is PAUSED: ${outcome.state.reason}\n  resume: npx lakeplane dataset resume ${dataset}`,
      );
  });

const drift = program
  .command('drift')
  .description('schema drift: recorded changes, and a diff of two table definitions');
drift
  .option('--dataset <name>', 'only this dataset')
  .option('--json', 'print JSON')
  .action(async (raw: { dataset?: string; json?: boolean }) => {
    await requireDataset(raw.dataset);
    const records = await withLocalLedger(({ control }) =>
      control.list({ ...(raw.dataset ? { dataset: raw.dataset } : {}) }),
    );
    out(
      listing(records, {
        json: raw.json,
        empty: 'no schema drift recorded',
        columns: ['detected', 'dataset', 'table', 'versions', 'action', 'breaking', 'changes'],
        row: (r) => [
          r.detectedAt,
          r.dataset,
          `${r.database}.${r.table}`,
          `${r.fromVersion} → ${r.toVersion}`,
          r.action,
          r.breaking ? 'yes' : 'no',
          r.changes.length,
        ],
      }),
    );
  });
drift
  .command('diff')
  .description(
    'classify the change between two Glue table definitions (GetTable or GetTableVersions JSON; file.json#N picks a version)',
  )
  .argument('<old.json>')
  .argument('<new.json>')
  .option('--dataset <name>', 'compare with this dataset contract too: a change it declares is not drift')
  .option('--json', 'print JSON')
  .action(async (oldFile: string, newFile: string, own: { dataset?: string; json?: boolean }) => {
    const { loadContractsDir } = await import('../shared/contracts-dir.js');
    const { diffTableFiles, formatDriftDiff } = await import('./commands/drift-diff.js');
    // `drift` takes --dataset and --json too, and commander hands them to it wherever they stand.
    const raw = { ...(drift.opts() as { dataset?: string; json?: boolean }), ...own };
    let contract: DatasetContract | undefined;
    if (raw.dataset) {
      const contracts = loadContractsDir(
        global().datasets ?? process.env.LAKEPLANE_DATASETS ?? DEFAULT_DATASETS_DIR,
      );
      contract = contracts.datasets.get(raw.dataset);
      if (!contract)
        throw new UsageError(
          `no dataset named "${raw.dataset}"; known datasets: ${[...contracts.datasets.keys()].join(', ')}`,
        );
    }
    const result = diffTableFiles(oldFile, newFile, contract);
    out(raw.json ? JSON.stringify(result, null, 2) : formatDriftDiff(result));
    // A breaking change fails the command, so CI can run it before a source deploys.
    if (result.summary.breaking) process.exitCode = 1;
  });

const bronze = program.command('bronze').description('the Bronze zone');
bronze
  .command('restore')
  .description(
    'make the Bronze object versions a load read (every object of its manifest) current again at their keys (after later files overwrote them)',
  )
  .argument('<load-id>')
  .option('--dry-run', 'say which versions would be restored; change nothing')
  .action(async (loadId: string, raw: { dryRun?: boolean }) => {
    const options = { dryRun: raw.dryRun ?? false };
    const { restoreBronze } = await import('../shared/usecases/restore-bronze.js');
    const stage = deployedStage();
    const outcome = stage
      ? await withStage(stage, (deps) => restoreBronze(loadId, deps, options))
      : await withRuntime(global(), async (rt) => {
          const r = await restoreBronze(loadId, { ledger: rt.ledger, store: rt.store }, options);
          await rt.idle();
          return r;
        });
    if (outcome.outcome === 'refused') throw new UsageError(outcome.reason);
    for (const o of outcome.objects)
      out(
        'restored' in o
          ? `restored ${o.from} as the current object (new version ${o.restored.versionId ?? 'unversioned'})`
          : `would restore ${o.from} as the current object`,
      );
  });

/** Refuses contracts whose SQL is not one SELECT over what it may read (DuckDB's parser, in memory). */
async function assertContractsSql(set: ContractSet): Promise<void> {
  const { Warehouse } = await import('../local/engine/warehouse.js');
  const wh = await Warehouse.open(':memory:');
  try {
    const names = new Set([...set.datasets.keys()].map((n) => n.toLowerCase()));
    const problems: string[] = [];
    for (const c of set.datasets.values()) problems.push(...(await wh.contractSqlProblems(c, names)));
    if (problems.length > 0) throw new UsageError(`contract SQL refused:\n  ${problems.join('\n  ')}`);
  } finally {
    wh.close();
  }
}

/** "1 object", "3 objects". */

const datasetCmd = program.command('dataset').description("one dataset's state");
datasetCmd
  .command('resume')
  .description('resume a paused dataset and load the objects that waited, in the order they landed')
  .argument('<dataset>')
  .option(
    '--accept-schema [version]',
    'record the Bronze table version (default: the newest in the catalog) as the accepted schema',
  )
  .action(async (dataset: string, raw: { acceptSchema?: string | boolean }) => {
    await requireDataset(dataset);
    const { acceptedSchema } = await import('./commands/resume.js');
    const { resumeDataset } = await import('../shared/usecases/resume-dataset.js');
    const by = process.env.USER ?? 'lakeplane-cli';
    const target = deployedStage();
    if (target) {
      // On a stage: the control table, the Glue catalog, the stage's scheduler; the loads run there.
      const where = ` --stage ${target.stage}${target.region ? ` --region ${target.region}` : ''}`;
      const { resumeOnStage } = await import('./commands/resume.js');
      const lines = await withStage(target, (deps) =>
        resumeOnStage(dataset, raw.acceptSchema, deps, { stage: target.stage, where, by }),
      );
      for (const line of lines) out(line);
      return;
    }
    const cli = `npx lakeplane${global().home ? ` --home ${shellWord(global().home!)}` : ''}`;
    const result = await withRuntime(global(), async (rt) => {
      const accepted = await acceptedSchema(dataset, raw.acceptSchema, {
        contracts: rt.contracts,
        catalog: rt.catalog,
        database: LOCAL_BRONZE_DATABASE,
        command: (args) => `${cli} ${args}`,
      });
      const before = await rt.control.get(dataset);
      const waited = await rt.scheduler.pending.list(dataset);
      if (!before?.paused && waited.length === 0 && accepted === undefined)
        return { notPaused: true as const };
      // The objects that waited: after the resume (the CLI waits for every load) each is in a load.
      const resumed = await resumeDataset(
        dataset,
        { ...rt.replayDeps, control: rt.control, scheduler: rt.scheduler },
        {
          by,
          ...(accepted ? { acceptedSchemaVersion: accepted } : {}),
          afterStart: () => rt.idle(),
        },
      );
      await rt.idle();
      const ids = [...resumed.started.map((l) => l.loadId)];
      for (const o of waited) {
        const id = (await rt.scheduler.pending.byKey(dataset, o.bucket, o.key)).find(
          (k) => k.object.etag === o.etag,
        )?.loadId;
        if (id && !ids.includes(id)) ids.push(id);
      }
      const loads = await Promise.all(ids.map((id) => rt.ledger.get(id)));
      return { resumed, loads, waited: waited.length, wasPaused: before?.paused === true };
    });
    if ('notPaused' in result) {
      out(`dataset ${dataset} is not paused: nothing to resume, nothing was changed`);
      return;
    }
    const { resumed, loads } = result;
    if (resumed.waiting) {
      out(
        `dataset ${dataset} stays paused: ${resumed.waiting.held} held loads wait for load ${resumed.waiting.inFlight}, which is in flight; run \`${cli} dataset resume ${dataset}\` again once it has ended (\`${cli} loads show ${resumed.waiting.inFlight}\`)`,
      );
    } else {
      const accepted = resumed.state.acceptedSchemaVersion;
      out(
        `dataset ${dataset} ${result.wasPaused ? 'resumed' : 'was not paused'}; ${accepted ? `accepted Bronze schema version ${accepted}` : 'no Bronze schema version accepted (--accept-schema records one)'}; ${plural(result.waited, 'object')} that waited ran in ${plural(loads.length, 'load')}, in landing order`,
      );
    }
    for (const l of loads)
      if (l)
        out(
          `  ${l.loadId}  ${l.status}  ${l.manifest && l.manifest.objects > 1 ? `${l.manifest.objects} objects from ${l.source.key}` : l.source.key}`,
        );
    if (resumed.waiting || loads.some((l) => l?.status !== 'SUCCEEDED')) process.exitCode = 1;
  });

const datasets = program.command('datasets').description('dataset contracts');
datasets
  .command('validate')
  .description(
    'validate every dataset contract (its SQL too: one SELECT over what it may read) and list them',
  )
  .action(async () => {
    const { loadContractsDir } = await import('../shared/contracts-dir.js');
    const set = loadContractsDir(global().datasets ?? process.env.LAKEPLANE_DATASETS ?? DEFAULT_DATASETS_DIR);
    await assertContractsSql(set);
    out(
      table(
        ['dataset', 'key', 'precombine', 'partition', 'cdc', 'gold', 'contract'],
        [...set.datasets.values()].map((c) => [
          c.name,
          c.key.join(','),
          c.precombine,
          c.partition,
          c.cdc?.column ?? '',
          c.gold.map((g) => g.name).join(','),
          c.source,
        ]),
      ),
    );
  });

datasets
  .command('export')
  .description(
    'write each contract as JSON with its defaults applied (what the Spark jobs read from s3://<artifacts>/contracts/)',
  )
  .argument('<dir>', 'output folder')
  .action(async (dir: string) => {
    const { loadContractsDir } = await import('../shared/contracts-dir.js');
    const { contractArtifact } = await import('../shared/core/contract/parse.js');
    const source = global().datasets ?? process.env.LAKEPLANE_DATASETS ?? DEFAULT_DATASETS_DIR;
    await assertContractsSql(loadContractsDir(source));
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(source)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort()) {
      const file = join(source, f);
      const doc = contractArtifact(readFileSync(file, 'utf8'), file);
      writeFileSync(join(dir, `${doc.name}.json`), `${JSON.stringify(doc, null, 2)}\n`);
      out(`${join(dir, `${doc.name}.json`)}`);
    }
  });

program
  .command('lineage')
  .description(
    "the lake's lineage from the run events: each job (Bronze → Silver → Gold, rollbacks, schema drift) with what it reads and writes and its last run; or one load's runs",
  )
  .argument('[dataset]', 'only the jobs of this dataset')
  .option('--load <load-id>', "one load's runs: the object versions each attempt read and what it wrote")
  .addOption(
    new Option('--json', 'print JSON (with --load: the run events, one per line)').conflicts([
      'dot',
      'mermaid',
    ]),
  )
  .addOption(new Option('--dot', 'print Graphviz DOT').conflicts(['mermaid', 'load']))
  .addOption(new Option('--mermaid', 'print a Mermaid flowchart').conflicts('load'))
  .action(
    async (
      dataset: string | undefined,
      raw: { load?: string; json?: boolean; dot?: boolean; mermaid?: boolean },
    ) => {
      if (dataset !== undefined && raw.load !== undefined)
        throw new UsageError('give a dataset or --load <load-id>, not both');
      await requireDataset(dataset);
      const { lineageView } = await import('./commands/lineage.js');
      const { lineageFile } = await import('../local/lineage/local-lineage.js');
      // Reads the file only: the workspace is not created for it.
      const view = lineageView(
        lineageFile({ home: resolve(defaultHome(global().home)) }),
        {
          ...(dataset ? { dataset } : {}),
          ...(raw.load ? { load: raw.load } : {}),
          format: raw.json ? 'json' : raw.dot ? 'dot' : raw.mermaid ? 'mermaid' : 'text',
        },
        typedCommand,
      );
      for (const w of view.warnings) process.stderr.write(`${w}\n`);
      out(view.text);
    },
  );

program
  .command('demo')
  .description('seed sample data and run every file through the load path (what `npm start` runs)')
  .option('--fresh', 'start from an empty workspace')
  .action(async (raw: { fresh?: boolean }) => {
    const g = global();
    const { runDemo, wipeWorkspace } = await import('./commands/demo.js');
    if (raw.fresh) wipeWorkspace(workspaceAt(defaultHome(g.home)).home);
    await withRuntime(g, (rt) =>
      runDemo(rt, out, g.home ? `npx lakeplane --home ${shellWord(g.home)}` : undefined),
    );
  });

/** At most this many objects of a load in `loads show` (all of them with --json). */
const SHOWN_OBJECTS = 20;

/** A command as the user types it here: with this workspace's --home, or the stage's --stage. */
function typedCommand(args: string): string {
  const place = stepPlace();
  if ('stage' in place && place.stage)
    return `lakeplane ${args} --stage ${place.stage}${place.region ? ` --region ${place.region}` : ''}`;
  return `${place.cli ?? 'npx lakeplane'} ${args}`;
}

/** Where the commands a next step prints run: the deployed stage of --stage, or this workspace. */
function stepPlace(): StepPlace {
  const stage = deployedStage();
  if (stage) return stage;
  const g = global();
  return { cli: `npx lakeplane${g.home ? ` --home ${shellWord(g.home)}` : ''}` };
}

function showLoad(
  r: LoadRecord,
  objects: Awaited<ReturnType<typeof objectsOfLoad>>,
  place: StepPlace,
): string {
  const bytes = objects.reduce((n, o) => n + o.size, 0);
  const lines = [
    `load       ${r.loadId}`,
    `dataset    ${r.dataset}`,
    `status     ${r.status} (attempt ${r.attempts})`,
    `objects    ${objects.length} (${bytes} bytes)${r.manifest ? `, manifest ${r.manifest.uri}` : ''}`,
    ...objects
      .slice(0, SHOWN_OBJECTS)
      .map(
        (o) =>
          `  s3://${o.bucket}/${o.key}  version ${o.versionId ?? '-'}  ${o.size} bytes${o.landedAt ? `  landed ${o.landedAt}` : ''}${o.rowsIn !== undefined ? `  ${o.rowsIn} records, ${o.rowsQuarantined ?? 0} quarantined` : ''}${objects.length > 1 && o.rowsIn && o.rowsIn === o.rowsQuarantined ? '  REJECTED whole (too many bad records: land a corrected file)' : ''}`,
      ),
    ...(objects.length > SHOWN_OBJECTS
      ? [
          `  … and ${objects.length - SHOWN_OBJECTS} more (\`lakeplane loads show ${r.loadId} --json\` lists them all)`,
        ]
      : []),
    `execution  ${r.executionArn ?? r.executionName}`,
    ...(r.commitId ? [`commit     ${r.commitId}`] : []),
    ...(r.counts
      ? [
          `records    ${r.counts.rowsIn} in, ${r.counts.rowsQuarantined} quarantined, ${r.counts.duplicatesDropped} duplicates dropped, ${r.counts.inserted} inserted, ${r.counts.updated} updated, ${r.counts.deleted} deleted`,
        ]
      : []),
    ...(r.counts?.objectsRejected
      ? [
          `rejected   ${r.counts.objectsRejected} object(s) had more bad records than the contract allows: all their records are in quarantine (reason "object rejected: …"); fix those files and land them again`,
        ]
      : []),
    ...(r.durationMs !== undefined ? [`duration   ${duration(r.durationMs)}`] : []),
    'history',
    ...r.history.map((h) => `  ${h.at}  ${h.status}${h.note ? `  ${h.note}` : ''}`),
  ];
  // The cause without the orchestration's wrapping (`--json` keeps it whole).
  if (r.cause) lines.push(`cause      ${plainCause(r)}`);
  for (const w of loadWarningsOf(r)) lines.push(`warning    ${warningText(w)}`);
  if (r.status === 'FAILED' || r.status === 'FAILED_QUALITY') {
    const step = nextStep(r, place);
    lines.push('next', `  ${step.what}:`, `  ${step.command}`);
  }
  if (r.status === 'RESOLVED' && r.resolvedBy)
    lines.push(
      `resolved   by load ${r.resolvedBy}, which read its object keys again and succeeded: nothing to do`,
    );
  if (r.status === 'ROLLED_BACK')
    lines.push(
      `rolled back${r.rolledBackBy ? ` by ${r.rolledBackBy}` : ''}: its commit is out of Silver; landing its file again makes a new load`,
    );
  return lines.join('\n');
}

/** The engine of the workspace of `--home` (undefined: a new workspace). */
function localEngine(): LocalEngineName | undefined {
  return checkedEngine(workspaceAt(defaultHome(global().home)), global().engine) ?? global().engine;
}

/**
 * When the query job read another commit than the one asked (a time, or a commit a rollback
 * removed): the newest commit at or before it, said so.
 */
function askedFor(asked: string | undefined, read: string): string {
  return asked === undefined || asked === read ? '' : ` (the newest commit at or before ${asked})`;
}

/** Opens the local warehouse of `--home` read-only (beside a running load) for the length of `run`. */
async function withLocalWarehouse<T>(run: (wh: Warehouse) => Promise<T>): Promise<T> {
  const { Warehouse } = await import('../local/engine/warehouse.js');
  const home = global().home;
  const file = workspaceAt(defaultHome(home)).warehouse;
  if (!existsSync(file)) {
    const cli = `npx lakeplane${home ? ` --home ${shellWord(home)}` : ''}`;
    throw new UsageError(
      `the workspace ${defaultHome(home)} has no lake yet (nothing was loaded there): load a file first (\`${cli} load <dataset> <file>\`) or run the demo (\`${cli} demo\`)`,
    );
  }
  const wh = await Warehouse.open(file, {
    readOnly: true,
    sandbox: true,
    onWait: (m) => process.stderr.write(`${m}…\n`),
  });
  try {
    return await run(wh);
  } finally {
    wh.close();
  }
}

/** Query rows as a table with their count (and a note, e.g. that they were cut). */
function rowsTable(
  r: { columns: readonly string[]; rows: readonly Record<string, unknown>[] },
  note = '',
): string {
  return `${table(
    r.columns,
    r.rows.map((row) => r.columns.map((c) => row[c])),
  )}\n(${r.rows.length} rows${note ? `, ${note}` : ''})`;
}

/** Opens the local ledger of `--home` for the length of `run`. */
async function withLocalLedger<T>(
  run: (local: Awaited<ReturnType<typeof startLocalLedger>>) => Promise<T>,
): Promise<T> {
  const g = global();
  const ws = workspaceAt(defaultHome(g.home));
  const { startLocalLedger } = await import('../local/ledger/local-ledger.js');
  const local = await startLocalLedger(ws.ledger, {
    onWait: (m) => process.stderr.write(`${m}…\n`),
  });
  const { markerProcessAlive, readMarker } = await import('../local/recovery.js');
  const marker = readMarker(ws);
  if (marker && !markerProcessAlive(marker))
    process.stderr.write(
      `a lakeplane process${marker.pid > 0 ? ` (pid ${marker.pid})` : ''} stopped before it finished: its loads may say RUNNING until \`npx lakeplane${g.home ? ` --home ${shellWord(g.home)}` : ''} recover\` (or the next load) brings them to their true state\n`,
    );
  try {
    return await run(local);
  } finally {
    await local.close();
  }
}

/** What `loads` reads: the ledger, the scheduler's objects, the artifacts (manifests), the contracts. */
interface LoadsContext {
  readonly ledger: Ledger;
  readonly pending: PendingObjects;
  readonly store: ObjectStore;
  readonly layout: LakeLayout;
  readonly contracts: ContractSet;
}

/** The deployed stage's when `--stage` is given, else the local workspace's. */
async function withLoadsContext<T>(run: (c: LoadsContext) => Promise<T>): Promise<T> {
  const target = deployedStage();
  if (target)
    return withStage(target, (deps) =>
      run({
        ledger: deps.ledger,
        pending: deps.scheduler.pending,
        store: deps.store,
        layout: deps.layout,
        contracts: deps.contracts,
      }),
    );
  const g = global();
  const { loadContractsDir } = await import('../shared/contracts-dir.js');
  const contracts = loadContractsDir(g.datasets ?? process.env.LAKEPLANE_DATASETS ?? DEFAULT_DATASETS_DIR);
  const { DirObjectStore } = await import('../local/object-store/dir-object-store.js');
  const store = new DirObjectStore(workspaceAt(defaultHome(g.home)).objects);
  return withLocalLedger((local) =>
    run({ ledger: local.ledger, pending: local.scheduler.pending, store, layout: LOCAL_LAYOUT, contracts }),
  );
}

// An exported but empty LAKEPLANE_ENGINE means "not set" (commander would refuse '' as a choice).
if (process.env.LAKEPLANE_ENGINE === '') delete process.env.LAKEPLANE_ENGINE;
// One exit-code rule (README "Exit codes"): 0 done, 1 the work failed, 2 refused or wrong usage.
// Commander's own usage errors (unknown command, missing argument) exit 1 by default: 2 here.
const everyCommand = (c: Command): Command[] => [c, ...c.commands.flatMap(everyCommand)];
for (const c of everyCommand(program)) {
  c.exitOverride();
  // One line, as every other refusal: `lakeplane: <what>`, and where the options are listed.
  c.showHelpAfterError(
    `(\`${c === program ? 'npx lakeplane' : `npx lakeplane ${c.parent && c.parent !== program ? `${c.parent.name()} ` : ''}${c.name()}`} --help\` lists what it takes)`,
  );
  c.configureOutput({ outputError: (text, write) => write(`lakeplane: ${text.replace(/^error: /, '')}`) });
}
/** Refuses a dataset name no contract defines (exit 2), in every command that takes one. */
async function requireDataset(name: string | undefined): Promise<void> {
  if (name === undefined) return;
  const { loadContractsDir } = await import('../shared/contracts-dir.js');
  const g = global();
  const contracts = loadContractsDir(g.datasets ?? process.env.LAKEPLANE_DATASETS ?? DEFAULT_DATASETS_DIR);
  if (!contracts.datasets.has(name))
    throw new UsageError(
      `no dataset named "${name}"; known datasets: ${[...contracts.datasets.keys()].join(', ')} (contracts are in datasets/*.yaml)`,
    );
}

/** Errors that refuse what was asked (nothing was changed): exit 2, their message is the sentence. */
const REFUSALS = new Set([
  'UsageError',
  'ContractError',
  'EngineMismatchError',
  'UnknownDatasetError',
  'RollbackRefusedError',
  'QueryRefusedError',
]);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  const verbose = process.argv.includes('--verbose');
  if (e instanceof CommanderError) {
    // Commander has printed its message (and the help after it).
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof UsageError || e instanceof ContractError || e instanceof EngineMismatchError) {
    process.stderr.write(`lakeplane: ${e.message}\n`);
    process.exitCode = 2;
  } else if (e instanceof Error && REFUSALS.has(e.name)) {
    process.stderr.write(`lakeplane: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`lakeplane: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message}\n`);
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
    // The platform's own errors are sentences; a bare library or runtime error is a defect.
    else if (['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError'].includes(err.name))
      process.stderr.write(
        'lakeplane: this was not expected; run the same command with --verbose for the details, and report it with them\n',
      );
    process.exitCode = 1;
  }
}
