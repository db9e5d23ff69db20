import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSparkSubmit } from '../../local/emr/local-emr.js';
import { planLoad, planQuery, planRollback } from '../../shared/core/plan.js';
import { contract, REPO } from '../helpers/fixtures.js';

const layout = {
  bronzeBucket: 'bronze',
  silverBucket: 'silver',
  goldBucket: 'gold',
  quarantineBucket: 'quarantine',
  artifactsBucket: 'artifacts',
  silverDatabase: 'lake_silver',
  goldDatabase: 'lake_gold',
  clusterId: 'j-ABC',
  dqRouterFunction: 'dq-router',
  budgetGuardFunction: 'budget-guard',
};

/** Parses job arguments with the Spark jobs' own parser (pure Python, no PySpark needed). */
function pythonParse(job: string, argv: readonly string[]): Record<string, unknown> {
  const fn =
    job === 'silver_to_gold.py'
      ? 'parse_silver_to_gold'
      : job === 'savepoint_table.py'
        ? 'parse_savepoint_table'
        : job === 'query_table.py'
          ? 'parse_query_table'
          : job === 'rollback_table.py'
            ? 'parse_rollback_table'
            : 'parse_bronze_to_silver';
  const code = `import sys, json, dataclasses\nfrom lakeplane_jobs.cli import ${fn}\nprint(json.dumps(dataclasses.asdict(${fn}(json.loads(sys.argv[1])))))`;
  const r = spawnSync('python3', ['-c', code, JSON.stringify(argv)], {
    cwd: join(REPO, 'spark-jobs'),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`python parser refused ${job} ${argv.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('EMR step arguments planned in TypeScript are what the Spark jobs parse', () => {
  const source = {
    bucket: 'bronze',
    key: 'orders/2026-11-20.ndjson',
    etag: 'abc',
    size: 10,
    versionId: 'v-1',
  };
  const plan = planLoad(contract('orders'), { loadId: 'orders-0123', source, attempt: 2 }, layout);

  it('stage', () => {
    const { job, args } = parseSparkSubmit(plan.steps.stage.args);
    expect(job).toBe('bronze_to_silver.py');
    expect(
      pythonParse(
        job,
        plan.steps.stage.args.slice(plan.steps.stage.args.indexOf(`s3://artifacts/spark-jobs/${job}`) + 1),
      ),
    ).toMatchObject({
      phase: 'stage',
      dataset: 'orders',
      load_id: 'orders-0123',
      input: 's3://bronze/orders/2026-11-20.ndjson',
      input_version: 'v-1',
      result: args.result,
      staging: args.staging,
      quarantine: 's3://quarantine/orders/orders-0123/attempt-2/',
    });
  });

  it('upsert', () => {
    const { job, args } = parseSparkSubmit(plan.steps.upsert.args);
    const parsed = pythonParse(
      job,
      plan.steps.upsert.args.slice(plan.steps.upsert.args.indexOf(`s3://artifacts/spark-jobs/${job}`) + 1),
    );
    expect(parsed).toMatchObject({
      phase: 'upsert',
      staging: args.staging,
      silver_path: 's3://silver/orders/',
      database: 'lake_silver',
    });
  });

  it('gold', () => {
    const { job } = parseSparkSubmit(plan.steps.gold.args);
    const parsed = pythonParse(
      job,
      plan.steps.gold.args.slice(plan.steps.gold.args.indexOf(`s3://artifacts/spark-jobs/${job}`) + 1),
    );
    expect(parsed).toMatchObject({
      gold_path: 's3://gold/',
      silver_database: 'lake_silver',
      gold_database: 'lake_gold',
    });
  });

  it('savepoint', () => {
    const { job, args } = parseSparkSubmit(plan.steps.savepoint.args);
    expect(job).toBe('savepoint_table.py');
    const parsed = pythonParse(
      job,
      plan.steps.savepoint.args.slice(
        plan.steps.savepoint.args.indexOf(`s3://artifacts/spark-jobs/${job}`) + 1,
      ),
    );
    expect(parsed).toMatchObject({
      phase: 'savepoint',
      attempt: 2,
      upsert_result: plan.results.upsert,
      result: args.result,
      database: 'lake_silver',
      keep: 20,
    });
  });

  it('rollback and query (the on-call state machines)', () => {
    const rollback = planRollback(
      contract('orders'),
      { rollbackId: 'rb-1', toInstant: '20261120100500123', dryRun: true },
      layout,
    );
    const r = parseSparkSubmit(rollback.steps.rollback.args);
    expect(
      pythonParse(
        r.job,
        rollback.steps.rollback.args.slice(
          rollback.steps.rollback.args.indexOf(`s3://artifacts/spark-jobs/${r.job}`) + 1,
        ),
      ),
    ).toMatchObject({
      phase: 'rollback',
      load_id: 'rb-1',
      to_instant: '20261120100500123',
      savepoint: null,
      dry_run: true,
      silver_path: 's3://silver/orders/',
      result: rollback.results.rollback,
    });
    const sql = "SELECT * FROM silver.orders WHERE status = 'NEW'";
    const query = planQuery(
      contract('orders'),
      { queryId: 'q-1', asOf: '20261120100500123', sql, limit: 1000 },
      layout,
    );
    const q = parseSparkSubmit(query.steps.query.args);
    expect(
      pythonParse(
        q.job,
        query.steps.query.args.slice(
          query.steps.query.args.indexOf(`s3://artifacts/spark-jobs/${q.job}`) + 1,
        ),
      ),
    ).toMatchObject({
      phase: 'query',
      sql,
      as_of: '20261120100500123',
      limit: 1000,
      gold_database: 'lake_gold',
      result: query.results.query,
    });
  });

  it('puts the Hudi bundle on the classpath of every step', () => {
    for (const step of [plan.steps.stage, plan.steps.upsert, plan.steps.savepoint, plan.steps.gold]) {
      expect(step.args.slice(0, 6)).toEqual([
        'spark-submit',
        '--deploy-mode',
        'cluster',
        '--jars',
        '/usr/lib/hudi/hudi-spark-bundle.jar',
        '--py-files',
      ]);
    }
  });
});
