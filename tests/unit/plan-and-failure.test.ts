import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSparkSubmit } from '../../local/emr/local-emr.js';
import { DEFAULT_RETAIN_COMMITS } from '../../local/engine/snapshots.js';
import { parseContract } from '../../shared/core/contract/index.js';
import { describeFailure } from '../../shared/core/failure.js';
import type { SourceObject } from '../../shared/core/load.js';
import { HUDI_BUNDLE, planLoad, runUri, SILVER_SAVEPOINTS_KEPT } from '../../shared/core/plan.js';
import { TEST_LAYOUT } from '../helpers/fixtures.js';

const orders = parseContract(
  readFileSync(resolve(import.meta.dirname, '../../datasets/orders.yaml'), 'utf8'),
  'datasets/orders.yaml',
);

const layout = TEST_LAYOUT;

const LOAD_ID = 'orders-0123456789abcdef0123';
const source: SourceObject = {
  bucket: 'lake-bronze',
  key: 'orders/2024/05/01/part-0001.ndjson',
  versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mppz',
  etag: 'b1946ac92492d2347c6235b4d2611184',
  size: 1024,
};

const JOBS = 's3://lake-artifacts/spark-jobs';
const SPARK = [
  'spark-submit',
  '--deploy-mode',
  'cluster',
  '--jars',
  HUDI_BUNDLE,
  '--py-files',
  `${JOBS}/lakeplane_jobs.zip`,
];
const RUN = `s3://lake-artifacts/runs/${LOAD_ID}/attempt-2`;
const COMMON = [
  '--dataset',
  'orders',
  '--contract',
  's3://lake-artifacts/contracts/orders.json',
  '--load-id',
  LOAD_ID,
  '--attempt',
  '2',
];

describe('planLoad', () => {
  const plan = planLoad(orders, { loadId: LOAD_ID, source, attempt: 2 }, layout);

  it('carries the load, the cluster and the result URIs of the attempt', () => {
    expect(plan.load).toEqual({ loadId: LOAD_ID, dataset: 'orders', source, attempt: 2 });
    expect(plan.cluster).toEqual({ id: 'j-2AXXXXXXGAPLF' });
    expect(plan.results).toEqual({
      stage: `${RUN}/stage.json`,
      validation: `${RUN}/validation.json`,
      upsert: `${RUN}/upsert.json`,
      savepoint: `${RUN}/savepoint.json`,
      gold: `${RUN}/gold.json`,
    });
    expect(plan.quarantine).toEqual({ uri: `s3://lake-quarantine/orders/${LOAD_ID}/attempt-2/` });
    expect(plan.functions).toEqual({
      dqRouter: layout.dqRouterFunction,
      budgetGuard: layout.budgetGuardFunction,
    });
    expect(runUri(layout, LOAD_ID, 2, 'stage.json')).toBe(`${RUN}/stage.json`);
  });

  it('puts the Hudi bundle EMR installs on the classpath of every step', () => {
    expect(HUDI_BUNDLE).toMatch(/^\/usr\/lib\/hudi\/.*\.jar$/);
    for (const step of [plan.steps.stage, plan.steps.upsert, plan.steps.gold]) {
      expect(step.args[step.args.indexOf('--jars') + 1]).toBe(HUDI_BUNDLE);
    }
  });

  it('validates the staged batch, and quarantines it after a failed gate, with the same staging and quarantine locations', () => {
    const { job: validateJob, args: v } = parseSparkSubmit(plan.steps.validate.args);
    expect(validateJob).toBe('validate_batch.py');
    expect(v).toMatchObject({
      dataset: 'orders',
      'load-id': LOAD_ID,
      attempt: '2',
      result: `${RUN}/validation.json`,
      staging: `${RUN}/staging/`,
    });
    const { job: quarantineJob, args: q } = parseSparkSubmit(plan.steps.quarantine.args);
    expect(quarantineJob).toBe('bronze_to_silver.py');
    expect(q).toMatchObject({
      phase: 'quarantine',
      staging: `${RUN}/staging/`,
      quarantine: plan.quarantine.uri,
      result: `${RUN}/quarantine.json`,
    });
  });

  it('names each step after the dataset, the phase, the load and the attempt', () => {
    expect(plan.steps.stage.name).toBe(`orders stage ${LOAD_ID}#2`);
    expect(plan.steps.upsert.name).toBe(`orders upsert ${LOAD_ID}#2`);
    expect(plan.steps.gold.name).toBe(`orders gold ${LOAD_ID}#2`);
  });

  it('stage reads the exact Bronze object version into staging, quarantining bad records', () => {
    expect(plan.steps.stage.args).toEqual([
      ...SPARK,
      `${JOBS}/bronze_to_silver.py`,
      '--phase',
      'stage',
      ...COMMON,
      '--result',
      `${RUN}/stage.json`,
      '--input',
      's3://lake-bronze/orders/2024/05/01/part-0001.ndjson',
      '--input-version',
      'IYV3p45BT0ac8hjHg1houSdS1a.Mppz',
      '--staging',
      `${RUN}/staging/`,
      '--quarantine',
      `s3://lake-quarantine/orders/${LOAD_ID}/attempt-2/`,
    ]);
  });

  it('stage has no --input-version when the source has no version id', () => {
    const { versionId: _unversioned, ...unversioned } = source;
    const args = planLoad(orders, { loadId: LOAD_ID, source: unversioned, attempt: 1 }, layout).steps.stage
      .args;
    expect(args).not.toContain('--input-version');
    const input = args.indexOf('--input');
    expect(args.slice(input, input + 3)).toEqual([
      '--input',
      's3://lake-bronze/orders/2024/05/01/part-0001.ndjson',
      '--staging',
    ]);
    expect(args).toContain(`s3://lake-artifacts/runs/${LOAD_ID}/attempt-1/stage.json`);
    expect(args[args.indexOf('--attempt') + 1]).toBe('1');
  });

  it('upsert merges staging into the Silver table of the dataset', () => {
    expect(plan.steps.upsert.args).toEqual([
      ...SPARK,
      `${JOBS}/bronze_to_silver.py`,
      '--phase',
      'upsert',
      ...COMMON,
      '--result',
      `${RUN}/upsert.json`,
      '--staging',
      `${RUN}/staging/`,
      '--silver-path',
      's3://lake-silver/orders/',
      '--database',
      'lake_silver',
    ]);
  });

  it('savepoint keeps the commit the upsert wrote (read from its result) within the window', () => {
    expect(plan.steps.savepoint.name).toBe(`orders savepoint ${LOAD_ID}#2`);
    expect(plan.steps.savepoint.args).toEqual([
      ...SPARK,
      `${JOBS}/savepoint_table.py`,
      ...COMMON,
      '--result',
      `${RUN}/savepoint.json`,
      '--upsert-result',
      `${RUN}/upsert.json`,
      '--database',
      'lake_silver',
      '--keep',
      String(SILVER_SAVEPOINTS_KEPT),
    ]);
    expect(SILVER_SAVEPOINTS_KEPT).toBe(DEFAULT_RETAIN_COMMITS);
  });

  it('gold rebuilds Gold from the Silver database', () => {
    expect(plan.steps.gold.args).toEqual([
      ...SPARK,
      `${JOBS}/silver_to_gold.py`,
      ...COMMON,
      '--result',
      `${RUN}/gold.json`,
      '--gold-path',
      's3://lake-gold/',
      '--silver-database',
      'lake_silver',
      '--gold-database',
      'lake_gold',
    ]);
  });
});

describe('describeFailure', () => {
  const emrCause = JSON.stringify({
    Step: {
      Id: 's-1XXXXXXXXXXA',
      Name: `orders stage ${LOAD_ID}#1`,
      ActionOnFailure: 'CONTINUE',
      Config: { Jar: 'command-runner.jar', Args: ['spark-submit'] },
      Status: {
        State: 'FAILED',
        StateChangeReason: {},
        FailureDetails: {
          Reason: 'Unknown Error.',
          Message: 'Exception in thread "main" org.apache.spark.SparkException: Job aborted.',
          LogFile: 's3://lake-logs/j-2AXXXXXXGAPLF/steps/s-1XXXXXXXXXXA/stderr.gz',
        },
        Timeline: {
          CreationDateTime: 1714560000000,
          StartDateTime: 1714560005000,
          EndDateTime: 1714560065000,
        },
      },
    },
  });

  it('reads an EMR DescribeStep-shaped cause: step name, state, reason, message and log', () => {
    expect(describeFailure('States.TaskFailed', emrCause)).toEqual({
      error: 'States.TaskFailed',
      message:
        `step "orders stage ${LOAD_ID}#1" failed: Unknown Error.: ` +
        'Exception in thread "main" org.apache.spark.SparkException: Job aborted.: ' +
        'log: s3://lake-logs/j-2AXXXXXXGAPLF/steps/s-1XXXXXXXXXXA/stderr.gz',
    });
  });

  it('leaves out failure details the step does not have', () => {
    const cause = JSON.stringify({ Step: { Name: 'orders gold x#1', Status: { State: 'CANCELLED' } } });
    expect(describeFailure('States.TaskFailed', cause).message).toBe('step "orders gold x#1" cancelled');
  });

  it('keeps a plain-text cause as it is', () => {
    expect(describeFailure('Lambda.Unknown', 'The cause could not be determined')).toEqual({
      error: 'Lambda.Unknown',
      message: 'The cause could not be determined',
    });
  });

  it('keeps a JSON cause that is not an EMR step as it is', () => {
    const cause = JSON.stringify({ errorMessage: 'boom', errorType: 'Error' });
    expect(describeFailure('Error', cause).message).toBe(cause);
  });

  it('says so when there is no cause, and names States.Failed when there is no error', () => {
    expect(describeFailure(undefined, undefined)).toEqual({
      error: 'States.Failed',
      message: 'the execution failed without a cause',
    });
    expect(describeFailure('', '')).toEqual({
      error: 'States.Failed',
      message: 'the execution failed without a cause',
    });
  });

  it('clips long causes to 2000 characters, marking the cut', () => {
    const long = 'x'.repeat(5000);
    const { message } = describeFailure('States.TaskFailed', long);
    expect(message).toHaveLength(2000);
    expect(message.endsWith('…')).toBe(true);
    expect(message.slice(0, 1999)).toBe('x'.repeat(1999));
    expect(describeFailure('E', 'y'.repeat(2000)).message).toBe('y'.repeat(2000));
  });

  it('clips a long EMR failure message too', () => {
    const cause = JSON.stringify({
      Step: { Name: 's', Status: { State: 'FAILED', FailureDetails: { Message: 'z'.repeat(3000) } } },
    });
    const { message } = describeFailure('States.TaskFailed', cause);
    expect(message).toHaveLength(2000);
    expect(message.startsWith('step "s" failed: zzz')).toBe(true);
  });
});
