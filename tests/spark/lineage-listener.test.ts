/**
 * The OpenLineage Spark listener as the load's steps configure it on EMR (stage parameter
 * openLineageSparkListener): a real spark-submit with exactly the spark-submit options planLoad
 * gives a step (the listener package from Maven Central, the HTTP transport, the load attempt's
 * run as parent), against an OpenLineage consumer in this test. Spark's own run events arrive as
 * children of the control plane's run.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { findSparkToolchain } from '../../local/emr/spark-toolchain.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { loadContractsDir } from '../../shared/contracts-dir.js';
import { loadRunId } from '../../shared/core/lineage/events.js';
import type { RunEvent } from '../../shared/core/lineage/openlineage.js';
import { planLoad } from '../../shared/core/plan.js';
import { REPO, tempDir } from '../helpers/fixtures.js';

it("Spark's run events reach the consumer as children of the load attempt's run", async () => {
  const got: RunEvent[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/api/v1/lineage') got.push(JSON.parse(body) as RunEvent);
      res.statusCode = 201;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const orders = loadContractsDir(join(REPO, 'datasets')).datasets.get('orders')!;
    const plan = planLoad(
      orders,
      {
        loadId: 'orders-0123456789abcdef0123',
        source: { bucket: 'b', key: 'orders/a.ndjson', etag: 'e', size: 1 },
        attempt: 2,
      },
      { ...LOCAL_LAYOUT, sparkLineage: { url, endpoint: 'api/v1/lineage', namespace: 'lakeplane.test' } },
    );
    // The step's spark-submit options that configure the listener (from --packages to --py-files).
    const args = plan.steps.upsert.args;
    const listener = args.slice(args.indexOf('--packages'), args.indexOf('--py-files'));
    expect(listener[0]).toBe('--packages');

    const dir = tempDir();
    const job = join(dir, 'job.py');
    writeFileSync(
      job,
      [
        'from pyspark.sql import SparkSession',
        'spark = SparkSession.builder.appName("lakeplane-lineage-probe").getOrCreate()',
        `spark.range(10).withColumnRenamed("id", "order_no").write.mode("overwrite").parquet(${JSON.stringify(join(dir, 'out'))})`,
        'spark.stop()',
      ].join('\n'),
    );
    const tc = findSparkToolchain();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        tc.sparkSubmit,
        ['--master', 'local[1]', '--conf', `spark.jars.ivy=${join(dir, 'ivy')}`, ...listener, job],
        { env: { ...process.env, ...tc.env }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
      child.on('close', (c) => {
        if (c !== 0) process.stderr.write(err);
        resolve(c);
      });
    });
    expect(code).toBe(0);

    expect(got.length).toBeGreaterThan(0);
    const parentRunId = loadRunId('orders-0123456789abcdef0123', 2);
    expect(got.some((e) => e.eventType === 'START')).toBe(true);
    // Every Spark run hangs under the load attempt's run: the application's as its child, each
    // action's under the application (its root is the load attempt's run).
    for (const e of got) {
      const p = e.run.facets?.parent as
        | { run: { runId: string }; root?: { run: { runId: string } } }
        | undefined;
      expect([p?.run.runId, p?.root?.run.runId], `${e.job.name} ${e.eventType}`).toContain(parentRunId);
    }
    // The application's run names the load attempt's run as its parent, in the stage's namespace.
    const app = got.find((e) => {
      const p = e.run.facets?.parent as
        | { run: { runId: string }; job: { name: string; namespace: string } }
        | undefined;
      return p?.run.runId === parentRunId;
    });
    expect(app, JSON.stringify(got.map((e) => [e.job.name, e.run.facets?.parent]))).toBeDefined();
    const parent = app!.run.facets!.parent as unknown as { job: { namespace: string; name: string } };
    expect(parent.job).toEqual({ namespace: 'lakeplane.test', name: 'orders.load' });
    expect(app!.job.namespace).toBe('lakeplane.test');
    expect(got.some((e) => e.eventType === 'COMPLETE')).toBe(true);
  } finally {
    server.close();
  }
});
