import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_LINEAGE_SCOPE } from '../../local/lineage/local-lineage.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { HttpLineageSink, LineageSendError } from '../../shared/aws/http-lineage.js';
import { awsLineage } from '../../shared/aws/lineage-deps.js';
import { layoutFromEnvironment, readEnvironment } from '../../shared/config.js';
import { columnLineageWithDuckDb } from '../../shared/contract-lineage.js';
import { loadContractsDir } from '../../shared/contracts-dir.js';
import { buildContractSet, parseContract } from '../../shared/core/contract/parse.js';
import type { DatasetColumnLineage, StatementLineage } from '../../shared/core/lineage/contract-lineage.js';
import { goldRunEvents, loadRunEvent, loadRunId } from '../../shared/core/lineage/events.js';
import { lineageGraph } from '../../shared/core/lineage/graph.js';
import { producerOf, type RunEvent, runIdOf } from '../../shared/core/lineage/openlineage.js';
import { OPENLINEAGE_SPARK_PACKAGE, planLoad } from '../../shared/core/plan.js';
import { REPO } from '../helpers/fixtures.js';
import { specViolations } from '../helpers/openlineage-spec.js';

const contracts = loadContractsDir(join(REPO, 'datasets'));
const ctx = { producer: producerOf('0.1.0'), version: '0.1.0', scope: LOCAL_LINEAGE_SCOPE };

const lineageOf = (all: DatasetColumnLineage[], dataset: string) => all.find((d) => d.dataset === dataset)!;
const ok = (s: StatementLineage) => {
  if (!s.ok) throw new Error(s.reason);
  return s.lineage;
};
/** `column ← table.column (subtype)` lines of a statement's lineage, for exact comparison. */
const arrows = (s: StatementLineage) =>
  ok(s).columns.flatMap((c) =>
    c.inputs.map((i) => `${c.name} ← ${i.table}.${i.column} ${i.type} ${i.subtype}`),
  );

describe('column lineage of the shipped contracts (DuckDB parser)', () => {
  it("orders: Silver's order_total_usd comes from order_total and fx_rate, Gold's revenue from it", async () => {
    const all = await columnLineageWithDuckDb(contracts);
    const orders = lineageOf(all, 'orders');
    expect(arrows(orders.silver)).toEqual([
      'order_id ← batch.order_id DIRECT IDENTITY',
      'customer_id ← batch.customer_id DIRECT IDENTITY',
      'customer_email ← batch.customer_email DIRECT IDENTITY',
      'status ← batch.status DIRECT IDENTITY',
      'order_ts ← batch.order_ts DIRECT IDENTITY',
      'order_date ← batch.order_ts DIRECT TRANSFORMATION',
      'order_total ← batch.order_total DIRECT IDENTITY',
      'currency ← batch.currency DIRECT IDENTITY',
      'fx_rate ← batch.fx_rate DIRECT IDENTITY',
      'order_total_usd ← batch.order_total DIRECT TRANSFORMATION',
      'order_total_usd ← batch.fx_rate DIRECT TRANSFORMATION',
      'updated_at ← batch.updated_at DIRECT IDENTITY',
    ]);
    // Types: the contract's for copied columns, the CASTs' for computed ones.
    const silver = ok(orders.silver).columns;
    expect(silver.find((c) => c.name === 'order_total_usd')?.type).toBe('decimal(14,2)');
    expect(silver.find((c) => c.name === 'order_date')?.type).toBe('date');
    expect(silver.find((c) => c.name === 'fx_rate')?.type).toBe('double');

    const gold = orders.gold.daily_revenue!;
    expect(arrows(gold)).toEqual([
      'order_date ← silver.orders.order_date DIRECT IDENTITY',
      'revenue_usd ← silver.orders.order_total_usd DIRECT AGGREGATION',
    ]);
    // COUNT(*) reads no column; which rows count is decided by the filter and the grouping.
    expect(ok(gold).columns.find((c) => c.name === 'orders')?.inputs).toEqual([]);
    expect(ok(gold).indirect.map((i) => `${i.table}.${i.column} ${i.subtype}`)).toEqual([
      'silver.orders.status FILTER',
      'silver.orders.order_date GROUP_BY',
    ]);
  });

  it('order_items: line_total from quantity and unit_price; sku_sales aggregates Silver per sku', async () => {
    const items = lineageOf(await columnLineageWithDuckDb(contracts), 'order_items');
    expect(arrows(items.silver)).toContain('line_total ← batch.quantity DIRECT TRANSFORMATION');
    expect(arrows(items.silver)).toContain('line_total ← batch.unit_price DIRECT TRANSFORMATION');
    expect(ok(items.silver).columns.map((c) => c.name)).toEqual([
      'order_id',
      'line_no',
      'sku',
      'quantity',
      'unit_price',
      'line_total',
      'order_date',
      'dms_commit_ts',
      'Op',
    ]);
    expect(arrows(items.gold.sku_sales!)).toEqual([
      'sku ← silver.order_items.sku DIRECT IDENTITY',
      'units ← silver.order_items.quantity DIRECT AGGREGATION',
      'revenue ← silver.order_items.line_total DIRECT AGGREGATION',
    ]);
    expect(ok(items.gold.sku_sales!).indirect.map((i) => `${i.column} ${i.subtype}`)).toEqual([
      'sku GROUP_BY',
    ]);
  });

  const withGold = (sql: string) =>
    buildContractSet([
      ...contracts.datasets.values(),
      parseContract(
        `name: other\ndescription: x\nbronze: { prefix: other/, format: ndjson }\nkey: [id]\nprecombine: ts\npartition: d\ncolumns:\n  - { name: id, type: string, nullable: false }\n  - { name: ts, type: timestamp, nullable: false }\n  - { name: d, type: date, nullable: false }\nsilver:\n  sql: SELECT id, ts, d FROM batch\ngold:\n  - name: g\n    sql: |\n      ${sql}\n`,
        'other.yaml',
      ),
    ]);

  it('reads joins with aliases and SELECT *, and says which shapes it does not read', async () => {
    const joined = lineageOf(
      await columnLineageWithDuckDb(
        withGold(
          'SELECT o.order_id, i.sku, o.status FROM silver.orders o JOIN silver.order_items i ON o.order_id = i.order_id ORDER BY i.sku',
        ),
      ),
      'other',
    );
    expect(arrows(joined.silver)).toEqual([
      'id ← batch.id DIRECT IDENTITY',
      'ts ← batch.ts DIRECT IDENTITY',
      'd ← batch.d DIRECT IDENTITY',
    ]);
    expect(arrows(joined.gold.g!)).toEqual([
      'order_id ← silver.orders.order_id DIRECT IDENTITY',
      'sku ← silver.order_items.sku DIRECT IDENTITY',
      'status ← silver.orders.status DIRECT IDENTITY',
    ]);
    expect(ok(joined.gold.g!).indirect.map((i) => `${i.table}.${i.column} ${i.subtype}`)).toEqual([
      'silver.orders.order_id JOIN',
      'silver.order_items.order_id JOIN',
      'silver.order_items.sku SORT',
    ]);
    const star = lineageOf(await columnLineageWithDuckDb(withGold('SELECT * FROM silver.other')), 'other');
    expect(arrows(star.gold.g!)).toEqual([
      'id ← silver.other.id DIRECT IDENTITY',
      'ts ← silver.other.ts DIRECT IDENTITY',
      'd ← silver.other.d DIRECT IDENTITY',
    ]);
    for (const [sql, reason] of [
      ['WITH x AS (SELECT * FROM silver.orders) SELECT order_id FROM x', /WITH clause/],
      [
        'SELECT order_id FROM silver.orders WHERE order_id IN (SELECT order_id FROM silver.order_items)',
        /subquery/,
      ],
      ['SELECT order_id FROM silver.orders UNION SELECT order_id FROM silver.order_items', /set operation/],
      ['SELECT upper(status) FROM silver.orders', /no alias/],
    ] as const) {
      const g = lineageOf(await columnLineageWithDuckDb(withGold(sql)), 'other').gold.g!;
      expect(g.ok, sql).toBe(false);
      expect(g.ok ? '' : g.reason, sql).toMatch(reason);
    }
  });
});

describe('run ids', () => {
  it('are name-based UUIDs (version 5): the same attempt always has the same id, attempts differ', () => {
    const a = loadRunId('orders-1', 1);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(loadRunId('orders-1', 1)).toBe(a);
    expect(loadRunId('orders-1', 2)).not.toBe(a);
    expect(runIdOf('x')).not.toBe(runIdOf('y'));
  });
});

describe('the spec check', () => {
  const event = (): RunEvent =>
    loadRunEvent(ctx, {
      contract: contracts.datasets.get('orders')!,
      loadId: 'orders-1',
      attempt: 1,
      executionName: 'orders-1',
      parent: { executionArn: 'arn:aws:states:local:000000000000:execution:lakeplane-load-dataset:orders-1' },
      eventType: 'FAIL',
      eventTime: '2026-12-06T10:00:00.000Z',
      objects: [{ bucket: 'lakeplane-bronze', key: 'orders/a.ndjson', etag: '"e"', size: 10 }],
      cause: { error: 'States.TaskFailed', message: 'the stage step failed' },
    });

  it('passes an event the platform builds', () => {
    expect(specViolations(event())).toEqual([]);
  });

  it('catches what the spec forbids, naming the path', () => {
    const e = event();
    expect(specViolations({ ...e, run: { ...e.run, runId: 'orders-1' } })).toEqual([
      'run.runId: must be a UUID',
    ]);
    expect(specViolations({ ...e, eventType: 'STARTED' })[0]).toMatch(/^eventType: /);
    expect(specViolations({ ...e, producer: 'lakeplane' })).toEqual(['producer: must be a URI']);
    const { programmingLanguage: _, ...noLanguage } = e.run.facets!.errorMessage!;
    expect(
      specViolations({ ...e, run: { ...e.run, facets: { ...e.run.facets, errorMessage: noLanguage } } }),
    ).toEqual([
      'run.facets.errorMessage.programmingLanguage: Invalid input: expected string, received undefined',
    ]);
    // A run facet among a dataset's facets.
    const [input] = e.inputs;
    expect(
      specViolations({
        ...e,
        inputs: [{ ...input!, facets: { ...input!.facets, parent: e.run.facets!.parent! } }],
      }),
    ).toContain('inputs.0.facets.parent: a run facet stands among dataset facets');
  });
});

describe('the HTTP transport', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** A consumer answering each request with the next status of `answers` (then 201). */
  async function consumer(answers: number[]) {
    const got: { path: string; auth?: string; body: unknown }[] = [];
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({
          path: req.url ?? '',
          ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
          body: JSON.parse(body),
        });
        res.statusCode = answers.shift() ?? 201;
        res.end(res.statusCode >= 400 ? 'no thanks' : '');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, got };
  }
  const e = { eventType: 'START', run: { runId: runIdOf('r') } } as unknown as RunEvent;

  it('posts each event as JSON to api/v1/lineage with the key, and retries a 503', async () => {
    const c = await consumer([503]);
    await new HttpLineageSink({ url: c.url, apiKey: async () => 'k3y', backoffMs: 1 }).send(e);
    expect(c.got).toHaveLength(2);
    expect(c.got[1]).toEqual({ path: '/api/v1/lineage', auth: 'Bearer k3y', body: e });
  });

  it('does not retry a refusal, and its error names the consumer, never the key', async () => {
    const c = await consumer([400]);
    const sent = new HttpLineageSink({
      url: `${c.url}/base/`,
      endpoint: 'v2/events',
      apiKey: async () => 'k3y',
      backoffMs: 1,
    }).send(e);
    await expect(sent).rejects.toThrow(LineageSendError);
    // The status only: a consumer may echo the request (its Authorization header) in its answer.
    await expect(sent).rejects.toThrow(`the lineage consumer at ${c.url} did not take the event: HTTP 400`);
    await sent.catch((err: Error) => expect(err.message).not.toContain('no thanks'));
    await sent.catch((err: Error) => expect(err.message).not.toContain('k3y'));
    expect(c.got.map((g) => g.path)).toEqual(['/base/v2/events']);
  });

  it('a consumer that hangs costs one event its attempts; the next fail at once until the pause is over', async () => {
    const requests: string[] = [];
    server = createServer((req) => requests.push(req.url ?? '')); // never answers
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    let now = 1_000_000;
    const sink = new HttpLineageSink({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      requestTimeoutMs: 50,
      backoffMs: 1,
      pauseAfterFailureMs: 60_000,
      now: () => now,
    });
    await expect(sink.send(e)).rejects.toThrow(/did not take the event: no answer in time/);
    expect(requests).toHaveLength(3);
    await expect(sink.send(e)).rejects.toThrow(/did not take the last event; not tried again until/);
    expect(requests).toHaveLength(3);
    now += 60_001;
    await expect(sink.send(e)).rejects.toThrow(/no answer in time/);
    expect(requests).toHaveLength(6);
    server.closeAllConnections();
  });

  it('reads the API key again after a failed read (a transient SSM error, a rotation)', async () => {
    const c = await consumer([]);
    let reads = 0;
    const sink = new HttpLineageSink({
      url: c.url,
      pauseAfterFailureMs: 0,
      apiKey: async () => {
        reads++;
        if (reads === 1) throw new Error('ThrottlingException');
        return 'k3y';
      },
    });
    await expect(sink.send(e)).rejects.toThrow("the lineage consumer's API key could not be read: Error");
    await sink.send(e);
    expect(c.got.map((g) => g.auth)).toEqual(['Bearer k3y']);
  });

  it('gives up after its attempts on a consumer that is not there', async () => {
    const c = await consumer([]);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    await expect(new HttpLineageSink({ url: c.url, attempts: 2, backoffMs: 1 }).send(e)).rejects.toThrow(
      /did not take the event: fetch failed/,
    );
  });
});

describe("a stage's lineage settings", () => {
  const env = {
    STAGE: 'prod',
    BRONZE_BUCKET: 'b',
    SILVER_BUCKET: 's',
    GOLD_BUCKET: 'g',
    QUARANTINE_BUCKET: 'q',
    ARTIFACTS_BUCKET: 'a',
    SILVER_DATABASE: 'sdb',
    GOLD_DATABASE: 'gdb',
    EMR_CLUSTER_ID: 'j-1',
    LEDGER_TABLE: 't',
    STATE_MACHINE_ARN: 'arn:sm',
    DQ_ROUTER_FUNCTION: 'dq',
    BUDGET_GUARD_FUNCTION: 'bg',
  };

  it('sends nothing without a URL, and warns (sending nothing) on one that is not http(s)', () => {
    const warned: string[] = [];
    const layout = layoutFromEnvironment(readEnvironment(env));
    expect(
      awsLineage({ ...env, OPENLINEAGE_URL: '' }, 'prod', layout, 'bdb', contracts, (m) => warned.push(m)),
    ).toBeUndefined();
    expect(warned).toEqual([]);
    expect(
      awsLineage({ ...env, OPENLINEAGE_URL: 'marquez:5000' }, 'prod', layout, 'bdb', contracts, (m) =>
        warned.push(m),
      ),
    ).toBeUndefined();
    expect(warned[0]).toMatch(/^lineage: no run events are sent: OPENLINEAGE_URL /);
    const deps = awsLineage(
      {
        ...env,
        OPENLINEAGE_URL: 'https://marquez.example:5000',
        AWS_REGION: 'eu-west-1',
        LAKEPLANE_ACCOUNT_ID: '123456789012',
      },
      'prod',
      layout,
      'bdb',
      contracts,
      (m) => warned.push(m),
    );
    expect(deps?.context.scope).toMatchObject({
      stage: 'prod',
      region: 'eu-west-1',
      account: '123456789012',
      bronzeDatabase: 'bdb',
    });
  });

  it("the Spark listener joins every step of a load to the attempt's run, only when the stage turns it on", () => {
    const load = {
      loadId: 'orders-1',
      source: { bucket: 'b', key: 'orders/a.ndjson', etag: 'e', size: 1 },
      attempt: 2,
    };
    const orders = contracts.datasets.get('orders')!;
    const off = planLoad(
      orders,
      load,
      layoutFromEnvironment(readEnvironment({ ...env, OPENLINEAGE_URL: 'http://m:5000' })),
    );
    expect(JSON.stringify(off.steps)).not.toContain('openlineage');
    const on = planLoad(
      orders,
      load,
      layoutFromEnvironment(
        readEnvironment({ ...env, OPENLINEAGE_URL: 'http://m:5000', OPENLINEAGE_SPARK_LISTENER: 'true' }),
      ),
    );
    for (const step of Object.values(on.steps)) {
      const args = step.args.join(' ');
      expect(args).toContain(`--packages ${OPENLINEAGE_SPARK_PACKAGE}`);
      expect(args).toContain(
        '--conf spark.extraListeners=io.openlineage.spark.agent.OpenLineageSparkListener',
      );
      expect(args).toContain('--conf spark.openlineage.transport.url=http://m:5000');
      expect(args).toContain('--conf spark.openlineage.transport.endpoint=api/v1/lineage');
      expect(args).toContain('--conf spark.openlineage.parentJobNamespace=lakeplane.prod');
      expect(args).toContain('--conf spark.openlineage.parentJobName=orders.load');
      expect(args).toContain(`--conf spark.openlineage.parentRunId=${loadRunId('orders-1', 2)}`);
      // spark-submit's options come before the job's script.
      expect(step.args.indexOf('--packages')).toBeLessThan(step.args.findIndex((a) => a.endsWith('.py')));
    }
    expect(LOCAL_LAYOUT.sparkLineage).toBeUndefined();
    // With an API key the listener stays off: a step's arguments cannot carry the key.
    const keyed = layoutFromEnvironment(
      readEnvironment({
        ...env,
        OPENLINEAGE_URL: 'http://m:5000',
        OPENLINEAGE_SPARK_LISTENER: 'true',
        OPENLINEAGE_API_KEY_PARAMETER: '/lakeplane/prod/openlineage-key',
      }),
    );
    expect(keyed.sparkLineage).toBeUndefined();
  });
});

describe('a Gold rebuild that did not happen', () => {
  it('a load that failed after its Silver commit ends each Gold run FAILED, with the cause', () => {
    const [start, end] = goldRunEvents(ctx, {
      contract: contracts.datasets.get('orders')!,
      loadId: 'orders-1',
      attempt: 1,
      eventTime: '2026-12-06T10:00:00.000Z',
      table: 'daily_revenue',
      failed: { error: 'States.TaskFailed', message: 'the gold step failed' },
    });
    expect([start?.eventType, end?.eventType]).toEqual(['START', 'FAIL']);
    expect(end?.run.facets?.errorMessage).toMatchObject({
      message: 'States.TaskFailed: the gold step failed',
      programmingLanguage: 'Python',
    });
    expect(end?.outputs).toEqual([]);
    expect([...specViolations(start), ...specViolations(end)]).toEqual([]);
  });
});

describe('the graph', () => {
  it('keeps a run at its end when its START arrives late, and counts failed runs', () => {
    const orders = contracts.datasets.get('orders')!;
    const base = {
      contract: orders,
      loadId: 'orders-1',
      attempt: 1,
      executionName: 'orders-1',
      objects: [{ bucket: 'lakeplane-bronze', key: 'orders/a.ndjson', etag: 'e', size: 1 }],
    };
    const end = loadRunEvent(ctx, { ...base, eventType: 'FAIL', eventTime: '2026-12-06T10:00:02.000Z' });
    const start = loadRunEvent(ctx, { ...base, eventType: 'START', eventTime: '2026-12-06T10:00:01.000Z' });
    const again = loadRunEvent(ctx, {
      ...base,
      attempt: 2,
      eventType: 'COMPLETE',
      eventTime: '2026-12-06T10:00:05.000Z',
    });
    const graph = lineageGraph([end, start, again]);
    const job = graph.jobs.find((j) => j.name === 'orders.load')!;
    expect(job.runs.map((r) => `${r.attempt} ${r.state}${r.replay ? ' replay' : ''}`)).toEqual([
      '2 COMPLETE replay',
      '1 FAIL',
    ]);
  });
});
