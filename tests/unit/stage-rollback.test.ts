/**
 * `lakeplane --stage <s> rollback` and `commits`: the target from the ledger's commit timeline,
 * a rollback-dataset execution with the planned EMR steps, the figures from the step's result in
 * S3, then the undone loads replayed one at a time. Every SDK client is mocked.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { commitRow, rollbackOnStage, stageRollbackEngine } from '../../cli/commands/rollback.js';
import { type StageOptions, stageDeps } from '../../cli/stage.js';
import { rollbackFromCli } from '../../functions/slack-actions/aws.js';
import { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { executionArnOf } from '../../shared/aws/sfn-orchestrator.js';
import {
  instantOrder,
  ledgerCommits,
  reachableOnEmr,
  rollbackInstant,
} from '../../shared/core/commit-timeline.js';
import type { LoadRecord, LoadWarning } from '../../shared/core/load.js';
import { planLoad, type QueryExecutionInput, type RollbackExecutionInput } from '../../shared/core/plan.js';
import { asOfInstant, QueryAsOfError, queryAsOfOnEmr } from '../../shared/usecases/query-on-emr.js';
import { startRollbackAndReplay } from '../../shared/usecases/replay-chain.js';
import { RollbackRefusedError } from '../../shared/usecases/rollback.js';
import { RollbackFailedError, rollbackIdOf } from '../../shared/usecases/rollback-on-emr.js';
import { contract, DATASETS, TEST_LAYOUT } from '../helpers/fixtures.js';
import { describeStack, OFFLINE, STAGE_OUTPUTS } from '../helpers/stage.js';

const OUTPUTS = STAGE_OUTPUTS;
const LOAD_SM = STAGE_OUTPUTS.LoadDatasetStateMachineArn!;
const ROLLBACK_SM = STAGE_OUTPUTS.RollbackDatasetStateMachineArn!;

const cfnMock = mockClient(CloudFormationClient);
const docMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
beforeEach(() => {
  for (const m of [cfnMock, docMock, sfnMock, s3Mock]) m.reset();
  cfnMock.on(DescribeStacksCommand, { StackName: 'lakeplane-dev' }).resolves(describeStack(OUTPUTS));
});
afterAll(() => {
  for (const m of [cfnMock, docMock, sfnMock, s3Mock]) m.restore();
});

const options = (): StageOptions => ({
  stage: 'dev',
  region: 'eu-west-1',
  datasets: DATASETS,
  pollMs: 1,
  clients: {
    cloudFormation: new CloudFormationClient(OFFLINE),
    dynamodb: new DynamoDBClient(OFFLINE),
    sfn: new SFNClient(OFFLINE),
    s3: new S3Client(OFFLINE),
  },
});

const C1 = '20261120100500123';
const C2 = '20261120110500456';
const C3 = '20261120120500789';
function succeeded(n: number, commitId: string): LoadRecord {
  const loadId = `orders-${n}`;
  return {
    loadId,
    dataset: 'orders',
    status: 'SUCCEEDED',
    source: {
      bucket: 'lakeplane-dev-bronze',
      key: `orders/part-${n}.ndjson`,
      etag: `e${n}`,
      size: 10,
      versionId: `v${n}`,
    },
    executionName: loadId,
    attempts: 1,
    registeredAt: `2026-11-20T1${n - 1}:00:00.000Z`,
    finishedAt: `2026-11-20T1${n - 1}:06:00.000Z`,
    commitId,
    counts: {
      rowsIn: 5,
      rowsQuarantined: 0,
      rowsStaged: 5,
      duplicatesDropped: 0,
      inserted: n,
      updated: 1,
      deleted: 0,
    },
    history: [{ status: 'SUCCEEDED', at: `2026-11-20T1${n - 1}:06:00.000Z` }],
  };
}
// Listed newest first, as the ledger does; the timeline sorts by instant.
const LOADS = [succeeded(3, C3), succeeded(2, C2), succeeded(1, C1)];

function ledgerWith(loads: readonly LoadRecord[]): void {
  docMock.on(QueryCommand).resolves({ Items: [...loads] });
  for (const l of loads) docMock.on(GetCommand, { Key: { loadId: l.loadId } }).resolves({ Item: l });
  docMock.on(UpdateCommand).callsFake((input: { TableName: string; Key: { loadId: string } }) => {
    // The dataset's slot on the scheduler table: each replay takes it first.
    if (input.TableName !== 'lakeplane-dev-ledger') return {};
    const l = loads.find((x) => x.loadId === input.Key.loadId)!;
    return { Attributes: { ...l, status: 'REGISTERED', attempts: 2, executionName: `${l.loadId}-a2` } };
  });
}

/** Step Functions: every execution starts and, when described, has ended with `status`. */
function executions(status: 'SUCCEEDED' | 'FAILED', failure?: { error: string; cause: string }) {
  const started: { stateMachineArn: string; name: string; input: unknown }[] = [];
  const described: string[] = [];
  sfnMock
    .on(StartExecutionCommand)
    .callsFake((i: { stateMachineArn: string; name: string; input: string }) => {
      started.push({ stateMachineArn: i.stateMachineArn, name: i.name, input: JSON.parse(i.input) });
      return { executionArn: executionArnOf(i.stateMachineArn, i.name), startDate: new Date() };
    });
  let polls = 0;
  sfnMock.on(DescribeExecutionCommand).callsFake((i: { executionArn: string }) => {
    described.push(i.executionArn);
    // The first poll of each execution still sees it running.
    polls++;
    if (polls % 2 === 1) return { executionArn: i.executionArn, status: 'RUNNING' };
    return { executionArn: i.executionArn, status, ...(failure ?? {}) };
  });
  return { started, described };
}

/** S3: the rollback step's result (and Gold's), keyed by the run path of the rollback id. */
function results(rollback: (toInstant: string, dryRun: boolean) => unknown, gold = true) {
  s3Mock.on(GetObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
    const m = /^runs\/([^/]+)\/attempt-1\/(rollback|gold)\.json$/.exec(i.Key);
    if (i.Bucket !== 'lakeplane-dev-artifacts' || !m) throw new NoSuchKey({ message: 'no', $metadata: {} });
    const id = m[1]!;
    const toInstant = /-(\d{17})-\d{14}$/.exec(id)![1]!;
    const doc =
      m[2] === 'rollback'
        ? rollback(toInstant, false)
        : gold
          ? { phase: 'gold', loadId: id, dataset: 'orders', tables: [{ name: 'daily_revenue', rows: 7 }] }
          : undefined;
    if (doc === undefined) throw new NoSuchKey({ message: 'no', $metadata: {} });
    const bytes = new TextEncoder().encode(JSON.stringify(doc));
    return { Body: { transformToByteArray: async () => bytes } };
  });
}

const stepResult = (toInstant: string, commitsRolledBack: string[], dryRun = false) => ({
  phase: 'rollback',
  loadId: 'rb',
  dataset: 'orders',
  toInstant,
  savepoint: toInstant,
  dryRun,
  commitsRolledBack,
  savepointsDeleted: dryRun ? [] : commitsRolledBack,
  rowsBefore: 12,
  rowsAfter: 9,
  removed: 3,
  restored: 0,
  reverted: 2,
});

describe('the Silver commit timeline from the ledger', () => {
  it('lists the loads whose commit is in Silver (succeeded, or failed after the upsert), in Hudi instant order', () => {
    const goldFailed = { ...succeeded(4, '20261120130000000'), status: 'FAILED' as const };
    const gateFailed = { ...succeeded(5, '20261120140000000'), status: 'FAILED_QUALITY' as const };
    const { commitId: _none, ...stageFailed } = { ...succeeded(6, 'x'), status: 'FAILED' as const };
    const commits = ledgerCommits([gateFailed, goldFailed, ...LOADS, stageFailed]);
    expect(commits.map((c) => [c.commitId, c.loadId, c.inserted])).toEqual([
      [C1, 'orders-1', 1],
      [C2, 'orders-2', 2],
      [C3, 'orders-3', 3],
      ['20261120130000000', 'orders-4', 4],
    ]);
    // A 14-digit instant is its second's last millisecond, as Hudi orders them.
    expect(instantOrder('20261120100500') > instantOrder('20261120100500998')).toBe(true);
    expect(commitRow(commits[0]!)).toEqual([C1, 'orders-1', 1, '2026-11-20T10:06:00.000Z', 1, 1, 0]);
  });

  it('resolves --before to the commit before the load, and refuses what Hudi cannot restore', () => {
    const commits = ledgerCommits(LOADS);
    expect(rollbackInstant('orders', commits, { beforeLoad: 'orders-3' })).toBe(C2);
    expect(rollbackInstant('orders', commits, { toCommit: C1 })).toBe(C1);
    expect(() => rollbackInstant('orders', commits, { beforeLoad: 'orders-1' })).toThrow(
      /Hudi keeps no state before the first commit of silver.orders \(20261120100500123, load orders-1\)/,
    );
    expect(() => rollbackInstant('orders', commits, { toCommit: 'start' })).toThrow(/no state before/);
    expect(() => rollbackInstant('orders', commits, { beforeLoad: 'orders-9' }, 'FAILED')).toThrow(
      'load orders-9 has no commit in silver.orders (it is FAILED): there is nothing of it to roll back',
    );
    expect(() => rollbackInstant('orders', commits, { toCommit: 'c-0001' })).toThrow(
      /is not a Silver commit .*recent commits of orders: 20261120100500123, 20261120110500456, 20261120120500789/,
    );
  });

  it('names a rollback after its dataset, target and start time, within Step Functions limits', () => {
    const id = rollbackIdOf('order_items', C1, new Date('2026-11-27T14:05:06.789Z'));
    expect(id).toBe(`rb-order-items-${C1}-20261127140506`);
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });
});

describe('rollback on a deployed stage', () => {
  it('restores the commit before the bad load, rebuilds Gold, then replays the later loads in order', async () => {
    ledgerWith(LOADS);
    const sfn = executions('SUCCEEDED');
    results((to) => stepResult(to, [C2, C3]));
    const progress: string[] = [];
    const deps = await stageDeps(options());
    const outcome = await rollbackOnStage(
      deps,
      'orders',
      { beforeLoad: 'orders-2' },
      { replayAfter: true },
      (l) => progress.push(l),
    );
    deps.close();

    const [rollback, replay, ...more] = sfn.started;
    expect(more).toEqual([]);
    expect(rollback!.stateMachineArn).toBe(ROLLBACK_SM);
    const input = rollback!.input as RollbackExecutionInput;
    expect(input.rollback).toMatchObject({ dataset: 'orders', toInstant: C1, dryRun: false });
    expect(rollback!.name).toBe(input.rollback.rollbackId);
    const args = input.steps.rollback.args;
    expect(args.slice(args.indexOf('--to-instant'))).toEqual(['--to-instant', C1]);
    expect(args).toContain('s3://lakeplane-dev-artifacts/spark-jobs/rollback_table.py');
    expect(args[args.indexOf('--silver-path') + 1]).toBe('s3://lakeplane-dev-silver/orders/');
    expect(input.steps.gold.args).toContain('s3://lakeplane-dev-artifacts/spark-jobs/silver_to_gold.py');

    expect(outcome.report).toMatchObject({
      toCommit: C1,
      commitId: input.rollback.rollbackId,
      rowsBefore: 12,
      rowsAfter: 9,
      removed: 3,
      reverted: 2,
      gold: [{ name: 'daily_revenue', rows: 7 }],
    });
    expect(outcome.report.undoneLoads.map((u) => u.loadId)).toEqual(['orders-2', 'orders-3']);
    expect(outcome.replays).toEqual([
      { loadId: 'orders-2', outcome: 'skipped', reason: 'the load rolled back' },
      { loadId: 'orders-3', outcome: 'started', attempt: 2, status: 'SUCCEEDED' },
    ]);
    // orders-3 again: the same Bronze object version, a new attempt on the load state machine.
    expect(replay).toMatchObject({ stateMachineArn: LOAD_SM, name: 'orders-3-a2' });
    expect(replay!.input).toEqual(
      planLoad(contract('orders'), { loadId: 'orders-3', source: LOADS[0]!.source, attempt: 2 }, deps.layout),
    );
    // The rollback ended before the replay started, and the replay was waited for.
    const rollbackArn = executionArnOf(ROLLBACK_SM, rollback!.name);
    const replayArn = executionArnOf(LOAD_SM, 'orders-3-a2');
    expect([...new Set(sfn.described)]).toEqual([rollbackArn, replayArn]);
    expect(progress).toEqual([
      `rollback execution ${rollbackArn} started; waiting for it`,
      `replaying orders-3 (attempt 2): waiting for ${replayArn}`,
    ]);
  });

  it('with --replay-load runs the failed load itself again first (its upsert had committed, Gold failed)', async () => {
    const C4 = '20261120130500000';
    const goldFailed: LoadRecord = {
      ...succeeded(4, C4),
      status: 'FAILED',
      cause: { error: 'States.TaskFailed', message: 'gold failed' },
    };
    ledgerWith([goldFailed, ...LOADS]);
    const sfn = executions('SUCCEEDED');
    results((to) => stepResult(to, [C4]));
    const deps = await stageDeps(options());
    const outcome = await rollbackOnStage(
      deps,
      'orders',
      { beforeLoad: 'orders-4' },
      { replayAfter: true, replayTarget: true },
      () => {},
    );
    deps.close();
    expect((sfn.started[0]!.input as RollbackExecutionInput).rollback.toInstant).toBe(C3);
    // (The mocked ledger does not change: only the start is checked here.)
    expect(outcome.replays).toMatchObject([{ loadId: 'orders-4', outcome: 'started', attempt: 2 }]);
    expect(sfn.started.map((x) => x.name).slice(1)).toEqual(['orders-4-a2']);
  });

  it('--dry-run asks the step for the figures only: no Gold, no ledger change, no replay', async () => {
    ledgerWith(LOADS);
    const sfn = executions('SUCCEEDED');
    results((to) => stepResult(to, [C3], true), false);
    const deps = await stageDeps(options());
    const outcome = await rollbackOnStage(
      deps,
      'orders',
      { toCommit: C2 },
      { dryRun: true, replayAfter: true },
      () => {},
    );
    deps.close();
    expect(sfn.started).toHaveLength(1);
    const input = sfn.started[0]!.input as RollbackExecutionInput;
    expect(input.rollback.dryRun).toBe(true);
    expect(input.steps.rollback.args.at(-1)).toBe('--dry-run');
    expect(outcome.report).toMatchObject({ dryRun: true, toCommit: C2, gold: [], rowsAfter: 9 });
    expect(outcome.report.commitId).toBeUndefined();
    expect(outcome.replays).toEqual([
      { loadId: 'orders-3', outcome: 'not-started', reason: 'dry run: would be replayed' },
    ]);
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('says Silver is unchanged when the rollback step failed, with the reason the step wrote', async () => {
    ledgerWith(LOADS);
    executions('FAILED', { error: 'States.TaskFailed', cause: '{"Step":{}}' });
    results(() => ({
      phase: 'rollback',
      loadId: 'rb',
      dataset: 'orders',
      error: 'lake_silver.orders: create_savepoint returned false',
    }));
    const deps = await stageDeps(options());
    const run = rollbackOnStage(deps, 'orders', { toCommit: C2 }, { replayAfter: true }, () => {});
    await expect(run).rejects.toThrow(RollbackFailedError);
    await expect(run).rejects.toThrow(
      /the rollback of silver.orders to 20261120110500456 failed, Silver is as it was: lake_silver.orders: create_savepoint returned false \(execution .*rollback-dataset:rb-orders-20261120110500456-\d{14} ended FAILED\)/,
    );
    deps.close();
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('says Gold was not rebuilt when only the Gold step failed', async () => {
    ledgerWith(LOADS);
    executions('FAILED', { error: 'States.TaskFailed', cause: 'gold step failed' });
    results((to) => stepResult(to, [C3]), false);
    const deps = await stageDeps(options());
    await expect(rollbackOnStage(deps, 'orders', { toCommit: C2 }, {}, () => {})).rejects.toThrow(
      /silver.orders was rolled back to 20261120110500456, but its Gold tables were not rebuilt: States.TaskFailed gold step failed/,
    );
    deps.close();
  });

  it('refuses the first commit and loads in flight before starting anything', async () => {
    ledgerWith(LOADS);
    const sfn = executions('SUCCEEDED');
    const deps = await stageDeps(options());
    await expect(rollbackOnStage(deps, 'orders', { beforeLoad: 'orders-1' }, {}, () => {})).rejects.toThrow(
      RollbackRefusedError,
    );
    ledgerWith([...LOADS, { ...succeeded(4, 'x'), status: 'RUNNING' }]);
    await expect(rollbackOnStage(deps, 'orders', { toCommit: C2 }, {}, () => {})).rejects.toThrow(
      /orders has loads in flight \(orders-4 RUNNING\)/,
    );
    deps.close();
    expect(sfn.started).toEqual([]);
  });

  it('lists the commits of a dataset (commits --stage)', async () => {
    ledgerWith(LOADS);
    const deps = await stageDeps(options());
    const commits = await stageRollbackEngine(deps).commits('orders');
    deps.close();
    expect(commits.map((c) => c.commitId)).toEqual([C1, C2, C3]);
  });
});

const C4 = '20261120130500012';
const C5 = '20261120140500345';
/** The ledger's warning on a load whose savepoint step failed after its commit. */
function savepointFailedOn(l: LoadRecord, commitId = l.commitId!): LoadRecord {
  const w: LoadWarning = {
    kind: 'SAVEPOINT_FAILED',
    commitId,
    attempt: 1,
    at: l.finishedAt!,
    error: 'States.TaskFailed',
    message: `step "orders savepoint ${l.loadId}#1" failed: create_savepoint returned false`,
  };
  return { ...l, warnings: [w] };
}

describe('a commit whose savepoint failed, as a rollback target on a stage', () => {
  const five = () => [
    succeeded(1, C1),
    savepointFailedOn(succeeded(2, C2)),
    succeeded(3, C3),
    succeeded(4, C4),
    succeeded(5, C5),
  ];

  it('is refused once more than one commit follows it, naming the usable commits before and after it', () => {
    const commits = ledgerCommits(five());
    expect(commits.map((c) => Boolean(c.savepointFailed))).toEqual([false, true, false, false, false]);
    expect(commits.map((_, i) => reachableOnEmr(commits, i))).toEqual([true, false, true, true, true]);
    const refusal =
      'commit 20261120110500456 of silver.orders (load orders-2) cannot be a rollback target: its savepoint step failed ' +
      '(States.TaskFailed: step "orders savepoint orders-2#1" failed: create_savepoint returned false), so it has no savepoint, ' +
      'and 3 commits follow it (Hudi rolls back only the latest commit without one); roll back to ' +
      '`--to 20261120100500123` (load orders-1), before it (its changes undone too) or ' +
      '`--to 20261120120500789` (load orders-3), after it (its changes kept) instead';
    expect(() => rollbackInstant('orders', commits, { toCommit: C2 })).toThrow(refusal);
    // --before the next load targets the same commit.
    expect(() => rollbackInstant('orders', commits, { beforeLoad: 'orders-3' })).toThrow(refusal);
    // Its neighbours and the load itself stay reachable.
    expect(rollbackInstant('orders', commits, { beforeLoad: 'orders-2' })).toBe(C1);
    expect(rollbackInstant('orders', commits, { toCommit: C3 })).toBe(C3);
  });

  it('skips neighbours without a savepoint too, and allows the commit while at most one follows it', () => {
    const loads = five();
    loads[2] = savepointFailedOn(loads[2]!);
    const commits = ledgerCommits(loads);
    expect(() => rollbackInstant('orders', commits, { toCommit: C2 })).toThrow(
      /roll back to `--to 20261120100500123` \(load orders-1\), before it .* or `--to 20261120130500012` \(load orders-4\), after it/,
    );
    // rollback_to_instant undoes the one commit after it; the latest commit needs nothing.
    expect(rollbackInstant('orders', ledgerCommits(loads.slice(0, 3)), { toCommit: C2 })).toBe(C2);
    expect(rollbackInstant('orders', ledgerCommits(loads.slice(0, 2)), { toCommit: C2 })).toBe(C2);
    // A warning about an earlier attempt's commit says nothing about this one.
    const stale = [succeeded(1, C1), savepointFailedOn(succeeded(2, C2), C1), ...five().slice(2)];
    expect(rollbackInstant('orders', ledgerCommits(stale), { toCommit: C2 })).toBe(C2);
  });

  it('refuses `rollback --to` on a stage and Roll back & replay from Slack before starting anything', async () => {
    ledgerWith(five());
    const sfn = executions('SUCCEEDED');
    const deps = await stageDeps(options());
    const refused = rollbackOnStage(deps, 'orders', { toCommit: C2 }, {}, () => {});
    await expect(refused).rejects.toBeInstanceOf(RollbackRefusedError);
    await expect(refused).rejects.toThrow(
      /^commit 20261120110500456 of silver\.orders \(load orders-2\) cannot be a rollback target: .*roll back to `--to 20261120100500123`/,
    );
    deps.close();
    const slack = await startRollbackAndReplay('orders-3', 'orders', {
      ledger: new DynamoLedger(new DynamoDBClient(OFFLINE), 'lakeplane-dev-ledger'),
      contracts: { datasets: new Map([['orders', contract('orders')]]) },
      rollbacks: {
        startExecution: async () => {
          throw new Error('must not start');
        },
      },
      layout: TEST_LAYOUT,
      now: () => new Date('2026-11-27T15:00:00Z'),
    });
    expect(slack).toMatchObject({
      outcome: 'refused',
      reason: expect.stringContaining('roll back to `--to 20261120100500123` (load orders-1), before it'),
    });
    expect(sfn.started).toEqual([]);
  });
});

describe('query --as-of on a deployed stage', () => {
  function queryResult(doc: (key: string) => unknown) {
    s3Mock.on(GetObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
      if (
        i.Bucket !== 'lakeplane-dev-artifacts' ||
        !/^runs\/q-orders-\d{17}\/attempt-1\/query\.json$/.test(i.Key)
      )
        throw new NoSuchKey({ message: 'no', $metadata: {} });
      const bytes = new TextEncoder().encode(JSON.stringify(doc(i.Key)));
      return { Body: { transformToByteArray: async () => bytes } };
    });
  }

  it('runs one query-dataset execution with the SELECT and the instant, and returns its rows', async () => {
    const sfn = executions('SUCCEEDED');
    queryResult(() => ({
      phase: 'query',
      loadId: 'q',
      dataset: 'orders',
      asOf: C2,
      columns: ['status', 'n'],
      rows: [{ status: 'NEW', n: 3 }],
      truncated: false,
    }));
    const deps = await stageDeps(options());
    const sql = 'SELECT status, count(*) AS n FROM silver.orders GROUP BY status';
    const r = await queryAsOfOnEmr(
      sql,
      { dataset: 'orders', asOf: C2 },
      { contracts: deps.contracts, executions: deps.queries, store: deps.store, layout: deps.layout },
    );
    deps.close();
    expect(r.rows).toEqual([{ status: 'NEW', n: 3 }]);
    expect(sfn.started).toHaveLength(1);
    expect(sfn.started[0]!.stateMachineArn).toBe(OUTPUTS.QueryDatasetStateMachineArn);
    const input = sfn.started[0]!.input as QueryExecutionInput;
    const args = input.steps.query.args;
    expect(args).toContain('s3://lakeplane-dev-artifacts/spark-jobs/query_table.py');
    expect(args.slice(args.indexOf('--as-of'), args.indexOf('--as-of') + 4)).toEqual([
      '--as-of',
      C2,
      '--sql',
      sql,
    ]);
  });

  it('takes a time as the UTC instant of that moment, and refuses anything else', () => {
    expect(asOfInstant('2026-11-20T10:05:00.123Z')).toBe('20261120100500123');
    expect(asOfInstant('2026-11-20T11:05:00+01:00')).toBe('20261120100500000');
    expect(asOfInstant(C1)).toBe(C1);
    expect(() => asOfInstant('last tuesday')).toThrow(/neither a Silver commit .* nor a time/);
  });

  it("reports the step's reason when the query fails (not a SELECT, table not read)", async () => {
    executions('FAILED', { error: 'States.TaskFailed', cause: '{}' });
    queryResult(() => ({
      phase: 'query',
      loadId: 'q',
      dataset: 'orders',
      error: 'a query as of a commit must be a SELECT (or WITH ... SELECT), not DROP',
    }));
    const deps = await stageDeps(options());
    const run = queryAsOfOnEmr(
      'DROP TABLE silver.orders',
      { dataset: 'orders', asOf: C2 },
      { contracts: deps.contracts, executions: deps.queries, store: deps.store, layout: deps.layout },
    );
    await expect(run).rejects.toThrow(QueryAsOfError);
    await expect(run).rejects.toThrow(
      'the query failed: a query as of a commit must be a SELECT (or WITH ... SELECT), not DROP',
    );
    await expect(
      queryAsOfOnEmr(
        'SELECT 1',
        { dataset: 'nope', asOf: C2 },
        { contracts: deps.contracts, executions: deps.queries, store: deps.store, layout: deps.layout },
      ),
    ).rejects.toThrow('no dataset named "nope"; known datasets: ');
    deps.close();
  });
});

describe('Roll back & replay from Slack on an older stack (no rollback state machine)', () => {
  it('answers with the exact CLI command that does the same', async () => {
    expect(await rollbackFromCli('prod')('orders-3', 'orders')).toEqual({
      outcome: 'refused',
      reason:
        'run it from the CLI: `lakeplane --stage prod rollback orders --before orders-3 --replay-load --replay-after` (add --dry-run first to see what changes)',
    });
  });
});
