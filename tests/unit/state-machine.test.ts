import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { LOAD_DATASET_DEFINITION } from '../../local/runtime.js';

interface TaskState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number; BackoffRate?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Next?: string;
}
const text = readFileSync(LOAD_DATASET_DEFINITION, 'utf8');
const definition = JSON.parse(text) as { StartAt: string; States: Record<string, TaskState> };
const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

function error(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** Runs a copy of the definition with local handlers per state. */
function run(def: unknown, handlers: Record<string, (input: unknown) => Promise<unknown>>) {
  const machine = new StateMachine(def as never, { validationOptions: { checkArn: false } });
  const retryIntervalOverrides = Object.fromEntries(tasks.map(([n]) => [n, 0]));
  return machine.run(
    {
      cluster: { id: 'j-1' },
      steps: {
        stage: { name: 's', args: ['a'] },
        upsert: { name: 'u', args: ['b'] },
        gold: { name: 'g', args: ['c'] },
      },
    } as never,
    {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
    },
  ).result;
}

describe('statemachines/load-dataset.asl.json', () => {
  it('is valid Amazon States Language (asl-validator)', () => {
    const result = aslValidator(definition);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('runs stage → upsert → gold as EMR addStep.sync steps with timeouts, retries and a catch', () => {
    expect(tasks.map(([n]) => n)).toEqual(['StageBatch', 'UpsertSilver', 'BuildGold']);
    for (const [, s] of tasks) {
      expect(s.Resource).toBe('arn:aws:states:::elasticmapreduce:addStep.sync');
      expect(s.TimeoutSeconds).toBeGreaterThan(0);
      expect(s.Retry?.[0]?.ErrorEquals).toContain('EMR.AmazonElasticMapReduceException');
      expect(s.Retry?.[0]?.BackoffRate).toBeGreaterThan(1);
      expect(s.Catch?.[0]).toMatchObject({
        ErrorEquals: ['States.ALL'],
        Next: 'LoadFailed',
        ResultPath: '$.error',
      });
    }
  });

  it('passes each step its cluster, name and contract-planned arguments', async () => {
    const seen: unknown[] = [];
    const ok = async (input: unknown) => {
      seen.push(input);
      return {};
    };
    await run(definition, { StageBatch: ok, UpsertSilver: ok, BuildGold: ok });
    expect(seen).toEqual(
      ['s', 'u', 'g'].map((name, i) => ({
        ClusterId: 'j-1',
        Step: {
          Name: name,
          ActionOnFailure: 'CONTINUE',
          HadoopJarStep: { Jar: 'command-runner.jar', Args: [['a', 'b', 'c'][i]] },
        },
      })),
    );
  });

  it('retries a transient error, then succeeds', async () => {
    let attempts = 0;
    const out = await run(definition, {
      StageBatch: async () => ({}),
      UpsertSilver: async () => {
        attempts++;
        if (attempts < 3) throw error('EMR.ThrottlingException', 'slow down');
        return {};
      },
      BuildGold: async () => ({}),
    });
    expect(attempts).toBe(3);
    expect(out).toMatchObject({ cluster: { id: 'j-1' } });
  });

  it('fails the execution with the step error and cause after the retries are spent', async () => {
    let attempts = 0;
    const failing = run(definition, {
      StageBatch: async () => {
        attempts++;
        throw error('States.TaskFailed', '{"Step":{"Name":"s","Status":{"State":"FAILED"}}}');
      },
      UpsertSilver: async () => ({}),
      BuildGold: async () => ({}),
    });
    await expect(failing).rejects.toMatchObject({
      cause: { name: 'States.TaskFailed', message: '{"Step":{"Name":"s","Status":{"State":"FAILED"}}}' },
    });
    expect(attempts).toBe(2);
  });

  it('fails a step that runs past its TimeoutSeconds instead of hanging', async () => {
    const short = structuredClone(definition);
    short.States.UpsertSilver!.TimeoutSeconds = 1;
    const hanging = run(short, {
      StageBatch: async () => ({}),
      UpsertSilver: () => new Promise(() => undefined),
      BuildGold: async () => ({}),
    });
    await expect(hanging).rejects.toMatchObject({ cause: { name: 'States.Timeout' } });
  });
});
