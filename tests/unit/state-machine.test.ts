import { readdirSync, readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { LOAD_DATASET_DEFINITION } from '../../local/runtime.js';

interface TaskState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  ResultPath?: string | null;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number; BackoffRate?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Next?: string;
}
const definition = JSON.parse(readFileSync(LOAD_DATASET_DEFINITION, 'utf8')) as {
  StartAt: string;
  States: Record<string, TaskState>;
};
const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
const emrTasks = tasks.filter(([, s]) => s.Resource === 'arn:aws:states:::elasticmapreduce:addStep.sync');
const EMR_STEPS = {
  StageBatch: 'stage',
  ValidateBatch: 'validate',
  UpsertSilver: 'upsert',
  SavepointSilver: 'savepoint',
  BuildGold: 'gold',
  QuarantineBatch: 'quarantine',
} as const;

function error(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

const INPUT = {
  load: { loadId: 'orders-1', dataset: 'orders', attempt: 1 },
  cluster: { id: 'j-1' },
  steps: Object.fromEntries(Object.values(EMR_STEPS).map((k) => [k, { name: k, args: [`--${k}`] }])),
  results: {
    stage: 's3://a/stage.json',
    validation: 's3://a/validation.json',
    upsert: 's3://a/upsert.json',
    savepoint: 's3://a/savepoint.json',
    gold: 's3://a/gold.json',
  },
  quarantine: { uri: 's3://q/orders/orders-1/attempt-1/' },
  functions: { dqRouter: 'dq-router', budgetGuard: 'budget-guard' },
};

type Handler = (input: unknown) => Promise<unknown>;

/** Runs a copy of the definition with local handlers per state; records the states that ran. */
function run(def: unknown, handlers: Partial<Record<string, Handler>>) {
  const ran: string[] = [];
  const all = Object.fromEntries(
    tasks.map(([name]) => [
      name,
      async (input: unknown) => {
        ran.push(name);
        return (handlers[name] ?? (async () => (name === 'QualityGate' ? { verdict: 'pass' } : {})))(input);
      },
    ]),
  );
  const machine = new StateMachine(def as never, { validationOptions: { checkArn: false } });
  const retryIntervalOverrides = Object.fromEntries(tasks.map(([n]) => [n, 0]));
  const result = machine.run(INPUT as never, {
    context: { Task: { Token: 'token-1' } },
    overrides: { taskResourceLocalHandlers: all as never, retryIntervalOverrides },
  }).result;
  return { result, ran };
}

describe('statemachines/load-dataset.asl.json', () => {
  it('is valid Amazon States Language (asl-validator)', () => {
    const result = aslValidator(definition);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('runs every EMR step as addStep.sync with its planned arguments, a timeout, retries and a catch', () => {
    expect(emrTasks.map(([n]) => n).sort()).toEqual(Object.keys(EMR_STEPS).sort());
    for (const [name, s] of emrTasks) {
      const key = EMR_STEPS[name as keyof typeof EMR_STEPS];
      expect(s.Parameters).toMatchObject({
        'ClusterId.$': '$.cluster.id',
        Step: { 'Name.$': `$.steps.${key}.name`, HadoopJarStep: { 'Args.$': `$.steps.${key}.args` } },
      });
      expect(s.ResultPath).toBeNull();
      expect(s.TimeoutSeconds).toBeGreaterThan(0);
      expect(s.Retry?.[0]?.ErrorEquals).toContain('EMR.AmazonElasticMapReduceException');
      expect(s.Retry?.[0]?.BackoffRate).toBeGreaterThan(1);
      // The savepoint follows a commit that is already in Silver: its failure must not fail the load.
      expect(s.Catch?.at(-1)).toMatchObject(
        name === 'SavepointSilver'
          ? { ErrorEquals: ['States.ALL'], Next: 'BuildGold', ResultPath: '$.savepointError' }
          : { ErrorEquals: ['States.ALL'], Next: 'LoadFailed', ResultPath: '$.error' },
      );
    }
  });

  it('savepoints each upsert commit; a failed savepoint is recorded and the load still builds Gold', async () => {
    const { result, ran } = run(definition, {
      SavepointSilver: async () => {
        throw error('States.TaskFailed', 'create_savepoint returned false');
      },
    });
    const out = (await result) as { savepointError?: { Error: string; Cause: string } };
    expect(ran).toEqual([
      'CheckBudget',
      'StageBatch',
      'ValidateBatch',
      'QualityGate',
      'UpsertSilver',
      'SavepointSilver',
      // A failed step is tried once more, like every EMR step.
      'SavepointSilver',
      'BuildGold',
    ]);
    expect(out.savepointError).toEqual({
      Error: 'States.TaskFailed',
      Cause: 'create_savepoint returned false',
    });
  });

  it('gates on dq-router with a task token, a heartbeat and a timeout, sending a failed gate to quarantine', () => {
    const gate = definition.States.QualityGate!;
    expect(gate.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(gate.Parameters).toEqual({
      'FunctionName.$': '$.functions.dqRouter',
      Payload: {
        'taskToken.$': '$$.Task.Token',
        'load.$': '$.load',
        validation: { 'resultUri.$': '$.results.validation' },
        'quarantineUri.$': '$.quarantine.uri',
      },
    });
    expect(gate.HeartbeatSeconds).toBeGreaterThan(0);
    expect(gate.TimeoutSeconds).toBeGreaterThan(gate.HeartbeatSeconds!);
    expect(gate.Catch?.[0]).toMatchObject({
      ErrorEquals: ['Lakeplane.QualityGateFailed', 'Lakeplane.QualityResultUnreadable'],
      Next: 'QuarantineBatch',
    });
    expect(definition.States.QuarantineBatch?.Next).toBe('QualityFailed');
  });

  it('runs stage → validate → gate → upsert → savepoint → gold, passing the gate its token and the result location', async () => {
    let payload: unknown;
    const { result, ran } = run(definition, {
      QualityGate: async (input) => {
        payload = input;
        return { verdict: 'warn' };
      },
    });
    const out = (await result) as { quality: unknown };
    expect(ran).toEqual([
      'CheckBudget',
      'StageBatch',
      'ValidateBatch',
      'QualityGate',
      'UpsertSilver',
      'SavepointSilver',
      'BuildGold',
    ]);
    expect(payload).toEqual({
      FunctionName: 'dq-router',
      Payload: {
        taskToken: 'token-1',
        load: INPUT.load,
        validation: { resultUri: 's3://a/validation.json' },
        quarantineUri: INPUT.quarantine.uri,
      },
    });
    expect(out.quality).toEqual({ verdict: 'warn' });
  });

  it("quarantines the batch and fails with the gate's error when the gate fails; Silver is never written", async () => {
    const { result, ran } = run(definition, {
      QualityGate: async () => {
        throw error('Lakeplane.QualityGateFailed', '2 blocking expectations failed');
      },
    });
    await expect(result).rejects.toMatchObject({
      cause: { name: 'Lakeplane.QualityGateFailed', message: '2 blocking expectations failed' },
    });
    expect(ran).toEqual(['CheckBudget', 'StageBatch', 'ValidateBatch', 'QualityGate', 'QuarantineBatch']);
  });

  it('checks the EMR budget first: a spent budget fails the load before any step runs', async () => {
    let asked: unknown;
    const { result, ran } = run(definition, {
      CheckBudget: async (input) => {
        asked = input;
        throw error('Lakeplane.BudgetExceeded', 'orders has spent 6.2 of its 6 EMR step-hours today');
      },
    });
    await expect(result).rejects.toMatchObject({
      cause: {
        name: 'Lakeplane.BudgetExceeded',
        message: 'orders has spent 6.2 of its 6 EMR step-hours today',
      },
    });
    expect(ran).toEqual(['CheckBudget']);
    expect(asked).toEqual({
      FunctionName: 'budget-guard',
      Payload: { loadId: 'orders-1', dataset: 'orders', attempt: 1 },
    });
  });

  it('retries a transient EMR error, then succeeds', async () => {
    let attempts = 0;
    const { result } = run(definition, {
      UpsertSilver: async () => {
        attempts++;
        if (attempts < 3) throw error('EMR.ThrottlingException', 'slow down');
        return {};
      },
    });
    await result;
    expect(attempts).toBe(3);
  });

  it('fails the execution with the step error and cause after the retries are spent', async () => {
    let attempts = 0;
    const { result, ran } = run(definition, {
      StageBatch: async () => {
        attempts++;
        throw error('States.TaskFailed', '{"Step":{"Name":"s","Status":{"State":"FAILED"}}}');
      },
    });
    await expect(result).rejects.toMatchObject({
      cause: { name: 'States.TaskFailed', message: '{"Step":{"Name":"s","Status":{"State":"FAILED"}}}' },
    });
    expect(attempts).toBe(2);
    expect(ran).not.toContain('UpsertSilver');
  });

  it('fails a step that runs past its TimeoutSeconds instead of hanging', async () => {
    const short = structuredClone(definition);
    short.States.UpsertSilver!.TimeoutSeconds = 1;
    const { result } = run(short, { UpsertSilver: () => new Promise(() => undefined) });
    await expect(result).rejects.toMatchObject({ cause: { name: 'States.Timeout' } });
  });
});

describe('statemachines/rollback-dataset.asl.json', () => {
  const rollbackDef = JSON.parse(
    readFileSync(new URL('../../statemachines/rollback-dataset.asl.json', import.meta.url), 'utf8'),
  ) as { States: Record<string, TaskState> };
  const rollbackInput = (dryRun: boolean) => ({
    rollback: { rollbackId: 'rb-orders-1', dataset: 'orders', toInstant: '20261120100500123', dryRun },
    cluster: { id: 'j-1' },
    steps: { rollback: { name: 'rollback', args: ['--rollback'] }, gold: { name: 'gold', args: ['--gold'] } },
    results: { rollback: 's3://a/rollback.json', gold: 's3://a/gold.json' },
  });
  function runRollback(dryRun: boolean, failing?: string) {
    const steps: unknown[] = [];
    const handler = (name: string) => async (input: unknown) => {
      steps.push(input);
      if (name === failing) throw error('States.TaskFailed', `${name} failed`);
      return {};
    };
    const machine = new StateMachine(rollbackDef as never, { validationOptions: { checkArn: false } });
    const result = machine.run(rollbackInput(dryRun) as never, {
      overrides: {
        taskResourceLocalHandlers: {
          RollbackSilver: handler('RollbackSilver'),
          RebuildGold: handler('RebuildGold'),
        } as never,
        retryIntervalOverrides: { RollbackSilver: 0, RebuildGold: 0 },
      },
    }).result;
    return { result, steps };
  }

  it('is valid Amazon States Language, each EMR step with its planned arguments, a timeout and a catch', () => {
    expect(aslValidator(rollbackDef).errors).toEqual([]);
    for (const [name, key] of [
      ['RollbackSilver', 'rollback'],
      ['RebuildGold', 'gold'],
    ] as const) {
      const s = rollbackDef.States[name]!;
      expect(s.Resource).toBe('arn:aws:states:::elasticmapreduce:addStep.sync');
      expect(s.Parameters).toMatchObject({
        'ClusterId.$': '$.cluster.id',
        Step: { 'Name.$': `$.steps.${key}.name`, HadoopJarStep: { 'Args.$': `$.steps.${key}.args` } },
      });
      expect(s.TimeoutSeconds).toBeGreaterThan(0);
      expect(s.Catch?.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'RollbackFailed' });
    }
  });

  it('restores, then rebuilds Gold; a dry run stops after the figures', async () => {
    const real = runRollback(false);
    await real.result;
    expect(real.steps).toEqual([
      {
        ClusterId: 'j-1',
        Step: {
          Name: 'rollback',
          ActionOnFailure: 'CONTINUE',
          HadoopJarStep: { Jar: 'command-runner.jar', Args: ['--rollback'] },
        },
      },
      {
        ClusterId: 'j-1',
        Step: {
          Name: 'gold',
          ActionOnFailure: 'CONTINUE',
          HadoopJarStep: { Jar: 'command-runner.jar', Args: ['--gold'] },
        },
      },
    ]);
    const dry = runRollback(true);
    await dry.result;
    expect(dry.steps).toHaveLength(1);
  });

  it("fails with the step's error, Gold untouched, after one more try", async () => {
    const { result, steps } = runRollback(false, 'RollbackSilver');
    await expect(result).rejects.toMatchObject({
      cause: { name: 'States.TaskFailed', message: 'RollbackSilver failed' },
    });
    expect(steps).toHaveLength(2);
  });
});

describe('every statemachines/*.asl.json', () => {
  const dir = new URL('../../statemachines/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));

  it('is one of the machines serverless.yml deploys', () => {
    expect(files.sort()).toEqual([
      'load-dataset.asl.json',
      'query-dataset.asl.json',
      'rollback-dataset.asl.json',
    ]);
  });

  it.each(files)('%s is valid ASL with a timeout, and every task has a timeout and a catch-all', (file) => {
    const def = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as {
      TimeoutSeconds?: number;
      States: Record<string, TaskState>;
    };
    expect(aslValidator(def).errors).toEqual([]);
    expect(def.TimeoutSeconds).toBeGreaterThan(0);
    for (const [name, s] of Object.entries(def.States).filter(([, st]) => st.Type === 'Task')) {
      expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
      expect(s.Catch?.at(-1)?.ErrorEquals, name).toEqual(['States.ALL']);
    }
  });

  // The local runtime builds its machines with validation off (noValidate in
  // local/orchestrator/local-step-functions.ts): aws-local-stepfunctions' own check runs here.
  it.each(files)("%s passes aws-local-stepfunctions' validation, which the local runtime skips", (file) => {
    const def = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    expect(() => new StateMachine(def, { validationOptions: { checkArn: false } })).not.toThrow();
  });

  it('query-dataset runs its one step and fails with its error', async () => {
    const def = JSON.parse(readFileSync(new URL('query-dataset.asl.json', dir), 'utf8'));
    const input = {
      query: { queryId: 'q-1', dataset: 'orders', asOf: '20261120100500123' },
      cluster: { id: 'j-1' },
      steps: { query: { name: 'query', args: ['--query'] } },
      results: { query: 's3://a/query.json' },
    };
    const seen: unknown[] = [];
    const ok = new StateMachine(def, { validationOptions: { checkArn: false } }).run(input as never, {
      overrides: {
        taskResourceLocalHandlers: {
          RunQuery: async (i: unknown) => {
            seen.push(i);
            return {};
          },
        } as never,
      },
    });
    await ok.result;
    expect(seen).toEqual([
      {
        ClusterId: 'j-1',
        Step: {
          Name: 'query',
          ActionOnFailure: 'CONTINUE',
          HadoopJarStep: { Jar: 'command-runner.jar', Args: ['--query'] },
        },
      },
    ]);
    const bad = new StateMachine(def, { validationOptions: { checkArn: false } }).run(input as never, {
      overrides: {
        taskResourceLocalHandlers: {
          RunQuery: async () => {
            throw error('States.TaskFailed', 'not a SELECT');
          },
        } as never,
        retryIntervalOverrides: { RunQuery: 0 },
      },
    });
    await expect(bad.result).rejects.toMatchObject({
      cause: { name: 'States.TaskFailed', message: 'not a SELECT' },
    });
  });
});
