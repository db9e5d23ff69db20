/**
 * Roll back & replay from Slack on AWS, as events: slack-actions starts a rollback carrying the
 * replays; when it succeeds, load-events replays the failed load with the rest in its input;
 * each load that succeeds starts the next. On the DynamoDB ledger adapter (dynalite) with
 * recording orchestrators in place of Step Functions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalLedger, startLocalLedger } from '../../local/ledger/local-ledger.js';
import { executionArnOf } from '../../shared/aws/sfn-orchestrator.js';
import type { ExecutionStatusChangeEvent } from '../../shared/core/events.js';
import type { LoadRecord } from '../../shared/core/load.js';
import type { SlackMessage } from '../../shared/core/messages/slack.js';
import type { LoadExecutionInput, RollbackExecutionInput } from '../../shared/core/plan.js';
import type { Orchestrator, StartedExecution } from '../../shared/ports.js';
import {
  type ExecutionStatusDeps,
  onExecutionStatus,
  onRollbackStatus,
} from '../../shared/usecases/execution-status.js';
import { startRollbackAndReplay } from '../../shared/usecases/replay-chain.js';
import { contract, TEST_LAYOUT } from '../helpers/fixtures.js';

const LOAD_SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:lakeplane-test-load-dataset';
const ROLLBACK_SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:lakeplane-test-rollback-dataset';
const C1 = '20261120100500123';
const C2 = '20261120110500456';
const C3 = '20261120120500789';

class Recording implements Orchestrator {
  readonly started: { name: string; input: unknown }[] = [];
  constructor(private readonly arn: string) {}
  async startExecution(name: string, input: unknown): Promise<StartedExecution> {
    this.started.push({ name, input });
    return { executionArn: executionArnOf(this.arn, name), alreadyStarted: false };
  }
}

// A fresh in-memory ledger per test: each test's loads are the dataset's only ones.
let local: LocalLedger;
afterEach(async () => {
  await local?.close();
});

let loads: Recording;
let rollbacks: Recording;
let alerts: SlackMessage[];
let deps: ExecutionStatusDeps;
let prefix = 0;

function load(n: number, status: LoadRecord['status'], commitId?: string): LoadRecord {
  const loadId = `orders-chain${prefix}-${n}`;
  return {
    loadId,
    dataset: 'orders',
    status,
    source: {
      bucket: 'lake-bronze',
      key: `orders/${prefix}-${n}.ndjson`,
      etag: `e${n}`,
      size: 1,
      versionId: `v${n}`,
    },
    executionName: loadId,
    attempts: 1,
    registeredAt: `2026-11-20T1${n}:00:00.000Z`,
    finishedAt: `2026-11-20T1${n}:06:00.000Z`,
    ...(commitId ? { commitId } : {}),
    history: [{ status, at: `2026-11-20T1${n}:06:00.000Z` }],
  };
}

function statusEvent(stateMachineArn: string, name: string, status: string, input: unknown, extra = {}) {
  return {
    version: '0',
    id: `${name}-${status}`,
    account: '111122223333',
    time: '2026-11-27T15:00:00Z',
    region: 'eu-west-1',
    resources: [executionArnOf(stateMachineArn, name)],
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: {
      executionArn: executionArnOf(stateMachineArn, name),
      stateMachineArn,
      name,
      status,
      startDate: Date.parse('2026-11-27T15:00:00Z'),
      ...(status === 'RUNNING' ? {} : { stopDate: Date.parse('2026-11-27T15:05:00Z') }),
      input: JSON.stringify(input),
      ...extra,
    },
  } as ExecutionStatusChangeEvent;
}

/** L1 succeeded, L2 failed after its upsert (Gold failed: its commit is in Silver), L3 succeeded. */
async function seed(): Promise<[LoadRecord, LoadRecord, LoadRecord]> {
  prefix++;
  const l = [load(1, 'SUCCEEDED', C1), load(2, 'FAILED', C2), load(3, 'SUCCEEDED', C3)] as const;
  for (const x of l) await local.ledger.register(x);
  return [...l];
}

beforeEach(async () => {
  local = await startLocalLedger(undefined);
  loads = new Recording(LOAD_SM);
  rollbacks = new Recording(ROLLBACK_SM);
  alerts = [];
  deps = {
    ledger: local.ledger,
    objects: { put: async () => ({ bucket: '', key: '', etag: '', size: 0 }), get: async () => undefined },
    notifier: { notify: async (m) => void alerts.push(m) },
    stage: 'test',
    replays: {
      contracts: { datasets: new Map([['orders', contract('orders')]]) } as never,
      ledger: local.ledger,
      orchestrator: loads,
      layout: TEST_LAYOUT,
    },
  };
});

const chainDeps = () => ({
  ledger: local.ledger,
  contracts: { datasets: new Map([['orders', contract('orders')]]) } as never,
  rollbacks,
  layout: TEST_LAYOUT,
  now: () => new Date('2026-11-27T15:00:00Z'),
});

describe('Roll back & replay chain on AWS', () => {
  it('rolls back to before the failed load, then replays it and the later load, one after the other', async () => {
    const [l1, l2, l3] = await seed();
    // Another dataset's loads do not matter; this one's are all settled.
    const started = await startRollbackAndReplay(l2.loadId, 'orders', chainDeps());
    expect(started).toMatchObject({ outcome: 'started' });
    const [rollback] = rollbacks.started;
    const input = rollback!.input as RollbackExecutionInput;
    expect(input.rollback.toInstant).toBe(C1);
    expect(input.replay).toEqual({
      loads: [l2.loadId, l3.loadId],
      reason: `roll back & replay of ${l2.loadId}`,
    });

    // The rollback succeeds: the failed load runs again first, carrying the rest.
    expect(
      await onRollbackStatus(statusEvent(ROLLBACK_SM, rollback!.name, 'SUCCEEDED', input), deps),
    ).toMatchObject({
      outcome: 'continued',
      next: l2.loadId,
    });
    expect(loads.started.map((s) => s.name)).toEqual([`${l2.loadId}-a2`]);
    const second = loads.started[0]!.input as LoadExecutionInput;
    expect(second.replayNext).toEqual({ loads: [l3.loadId], reason: `roll back & replay of ${l2.loadId}` });
    expect(await local.ledger.get(l2.loadId)).toMatchObject({ status: 'REGISTERED', attempts: 2 });

    // It succeeds: the next one (whose commit the rollback undid) runs, with nothing after it.
    await onExecutionStatus(statusEvent(LOAD_SM, `${l2.loadId}-a2`, 'RUNNING', second), deps);
    await onExecutionStatus(statusEvent(LOAD_SM, `${l2.loadId}-a2`, 'SUCCEEDED', second), deps);
    expect(await local.ledger.get(l2.loadId)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(loads.started.map((s) => s.name)).toEqual([`${l2.loadId}-a2`, `${l3.loadId}-a2`]);
    expect((loads.started[1]!.input as LoadExecutionInput).replayNext).toBeUndefined();
    expect(await local.ledger.get(l3.loadId)).toMatchObject({ status: 'REGISTERED', attempts: 2 });
    expect((await local.ledger.get(l1.loadId))?.attempts).toBe(1);
    expect(alerts).toEqual([]);
  });

  it('a rollback that succeeded on EMR: the succeeded loads whose commits its step undid are ROLLED_BACK, and replay from there', async () => {
    const [l1, l2, l3] = await seed();
    await startRollbackAndReplay(l2.loadId, 'orders', chainDeps());
    const [rollback] = rollbacks.started;
    const input = rollback!.input as RollbackExecutionInput;
    const results = new Map<string, Uint8Array>();
    results.set(
      input.results.rollback,
      new TextEncoder().encode(
        JSON.stringify({
          phase: 'rollback',
          loadId: rollback!.name,
          dataset: 'orders',
          toInstant: C1,
          savepoint: C1,
          dryRun: false,
          commitsRolledBack: [C2, C3],
          savepointsDeleted: [],
          rowsBefore: 3,
          rowsAfter: 1,
          removed: 2,
          restored: 0,
          reverted: 0,
        }),
      ),
    );
    const withResult: ExecutionStatusDeps = {
      ...deps,
      objects: {
        put: async () => ({ bucket: '', key: '', etag: '', size: 0 }),
        get: async (bucket, key) => results.get(`s3://${bucket}/${key}`),
      },
    };
    await onRollbackStatus(statusEvent(ROLLBACK_SM, rollback!.name, 'SUCCEEDED', input), withResult);
    // l3 had succeeded: ROLLED_BACK by the rollback (its history says so). l2 failed: it stays so,
    // and runs again first; l1's commit was not undone.
    const l3Now = await local.ledger.get(l3.loadId);
    expect(l3Now?.history.map((h) => h.status)).toEqual(['SUCCEEDED', 'ROLLED_BACK']);
    expect(l3Now?.rolledBackBy).toBe(rollback!.name);
    expect((await local.ledger.get(l2.loadId))?.status).toBe('REGISTERED');
    expect((await local.ledger.get(l1.loadId))?.status).toBe('SUCCEEDED');
    const second = loads.started[0]!.input as LoadExecutionInput;
    await onExecutionStatus(statusEvent(LOAD_SM, `${l2.loadId}-a2`, 'SUCCEEDED', second), withResult);
    expect(alerts.map((a) => a.text)).toEqual([]);
    expect(await local.ledger.get(l3.loadId)).toMatchObject({ status: 'REGISTERED', attempts: 2 });
  });

  it('a failed rollback starts nothing and says which loads were not replayed', async () => {
    const [, l2, l3] = await seed();
    await startRollbackAndReplay(l2.loadId, 'orders', chainDeps());
    const [rollback] = rollbacks.started;
    const outcome = await onRollbackStatus(
      statusEvent(ROLLBACK_SM, rollback!.name, 'FAILED', rollback!.input, {
        error: 'States.TaskFailed',
        cause: 'no savepoint at the target',
      }),
      deps,
    );
    expect(outcome).toMatchObject({ outcome: 'stopped', status: 'FAILED' });
    expect(loads.started).toEqual([]);
    expect(alerts.map((a) => a.text)).toEqual([
      `Roll back &amp; replay of orders stopped: the rollback ${rollback!.name} to commit ${C1} ended FAILED (no savepoint at the target); Silver is as it was. Not replayed: ${l2.loadId}, ${l3.loadId}`,
    ]);
  });

  it('a replayed load that fails stops the chain: its alert, and the loads that wait', async () => {
    const [, l2, l3] = await seed();
    await startRollbackAndReplay(l2.loadId, 'orders', chainDeps());
    const [rollback] = rollbacks.started;
    await onRollbackStatus(statusEvent(ROLLBACK_SM, rollback!.name, 'SUCCEEDED', rollback!.input), deps);
    const second = loads.started[0]!.input;
    await onExecutionStatus(statusEvent(LOAD_SM, `${l2.loadId}-a2`, 'RUNNING', second), deps);
    await onExecutionStatus(
      statusEvent(LOAD_SM, `${l2.loadId}-a2`, 'FAILED', second, {
        error: 'States.TaskFailed',
        cause: 'gold failed again',
      }),
      deps,
    );
    expect(loads.started).toHaveLength(1);
    expect(alerts.map((a) => a.text)).toEqual([
      expect.stringContaining(`Load of orders failed (${l2.loadId})`),
      `Roll back &amp; replay of orders stopped: ${l2.loadId} ended FAILED. Not replayed: ${l3.loadId}`,
    ]);
  });

  it('refuses a load with no commit, and a dataset with loads in flight, starting nothing', async () => {
    const [, l2] = await seed();
    const stageFailed = { ...load(4, 'FAILED'), loadId: `orders-chain${prefix}-4` };
    await local.ledger.register(stageFailed);
    expect(await startRollbackAndReplay(stageFailed.loadId, 'orders', chainDeps())).toMatchObject({
      outcome: 'refused',
      reason: expect.stringContaining('left no commit in silver.orders'),
    });
    await local.ledger.register({ ...load(5, 'RUNNING'), loadId: `orders-chain${prefix}-5` });
    expect(await startRollbackAndReplay(l2.loadId, 'orders', chainDeps())).toMatchObject({
      outcome: 'refused',
      reason: expect.stringContaining('has loads in flight'),
    });
    expect(rollbacks.started).toEqual([]);
  });
});
