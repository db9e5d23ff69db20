/**
 * The dq-router Lambda handler with the real Step Functions adapter over a mocked SFNClient,
 * an in-memory object store holding the validation result and a recording notifier: the right
 * callback with the exact token, error names, answers within Step Functions' limits, one alert
 * for warn and fail and none for pass, and a task token that never reaches a log line.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  SendTaskFailureCommand,
  type SendTaskFailureCommandInput,
  SendTaskSuccessCommand,
  type SendTaskSuccessCommandInput,
  SFNClient,
  SFNServiceException,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createHandler,
  INVALID_GATE_REQUEST,
  InvalidQualityGateEventError,
} from '../../functions/dq-router/handler.js';
import { createObservability } from '../../functions/observability.js';
import { localContext } from '../../local/lambda-context.js';
import { StepFunctionsTaskCallbacks } from '../../shared/aws/sfn-task-callbacks.js';
import { buildContractSet, parseContract } from '../../shared/core/contract/parse.js';
import { QUALITY_GATE_ERRORS } from '../../shared/core/load.js';
import { type Block, SLACK_LIMITS, type SlackMessage } from '../../shared/core/messages/slack.js';
import {
  QUALITY_GATE_FAILED,
  QUALITY_RESULT_UNREADABLE,
  TASK_ANSWER_LIMITS,
} from '../../shared/core/quality/verdict.js';
import type { Notifier, ObjectInfo, ObjectStore } from '../../shared/ports.js';

const REPO = resolve(import.meta.dirname, '../..');
const contracts = buildContractSet(
  ['orders', 'order_items'].map((n) =>
    parseContract(readFileSync(resolve(REPO, 'datasets', `${n}.yaml`), 'utf8'), `datasets/${n}.yaml`),
  ),
);
const fixtureText = (name: string) => readFileSync(resolve(REPO, 'tests/fixtures/gx', name), 'utf8');
const fixtureJson = (name: string) => JSON.parse(fixtureText(name)) as { results: Record<string, unknown>[] };

const OFFLINE = {
  region: 'eu-west-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
};
/** Shaped like a Step Functions task token (opaque, base64, several hundred characters). */
const TOKEN = `AQCUAAAAKgAAAAMAAAAAAAAAAQ${Buffer.from('lakeplane-dq-router-test-token/'.repeat(20)).toString('base64')}==`;
const LOAD_ID = 'orders-0123456789abcdef0123';
const ARTIFACTS = 'lake-artifacts';
const resultKey = (attempt: number) => `runs/${LOAD_ID}/attempt-${attempt}/validation.json`;

function gateEvent(attempt = 1) {
  return {
    taskToken: TOKEN,
    load: {
      loadId: LOAD_ID,
      dataset: 'orders',
      attempt,
      source: {
        bucket: 'lake-bronze',
        key: 'orders/2026/11/20/part-0001.ndjson',
        versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mppz',
        etag: 'b1946ac92492d2347c6235b4d2611184',
        size: 1024,
      },
    },
    validation: { resultUri: `s3://${ARTIFACTS}/${resultKey(attempt)}` },
    quarantineUri: `s3://lake-quarantine/orders/${LOAD_ID}/attempt-${attempt}/`,
  };
}

class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  failWith?: Error;

  async put(bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    this.objects.set(`${bucket}/${key}`, bytes);
    return { bucket, key, etag: 'etag', size: bytes.byteLength };
  }

  async get(bucket: string, key: string): Promise<Uint8Array | undefined> {
    if (this.failWith) throw this.failWith;
    return this.objects.get(`${bucket}/${key}`);
  }
}

class RecordingNotifier implements Notifier {
  readonly messages: SlackMessage[] = [];
  failWith?: Error;
  async notify(message: SlackMessage): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.messages.push(message);
  }
}

const sfnMock = mockClient(SFNClient);
let objects: MemoryObjectStore;
let notifier: RecordingNotifier;
let output: string[];

function handler() {
  return createHandler({
    ...createObservability('dq-router', { local: true, logLevel: 'DEBUG' }),
    objects,
    notifier,
    callbacks: new StepFunctionsTaskCallbacks(new SFNClient(OFFLINE)),
    contracts,
    stage: 'prod',
  });
}

async function invoke(event: unknown) {
  return handler()(event, localContext('dq-router'));
}

async function putResult(body: string | object, attempt = 1) {
  await objects.put(ARTIFACTS, resultKey(attempt), typeof body === 'string' ? body : JSON.stringify(body));
}

function successes(): SendTaskSuccessCommandInput[] {
  return sfnMock.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);
}

function failures(): SendTaskFailureCommandInput[] {
  return sfnMock.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input);
}

/** The structured log lines written so far. */
function logLines(): Record<string, unknown>[] {
  return output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function messageText(m: SlackMessage): string {
  return JSON.stringify(m);
}

function blockCount(m: SlackMessage): number {
  return m.blocks.length;
}

function sectionTexts(blocks: readonly Block[]): string[] {
  return blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
}

/** A validation result with `n` failed expectations, large sample values, each annotated. */
function manyFailures(n: number, severity: 'fail' | 'warn') {
  const doc = fixtureJson('gx1-orders-pass.json');
  const template = doc.results[3]!;
  const results = Array.from({ length: n }, (_, i) => ({
    ...template,
    success: false,
    expectation_config: {
      type: 'expect_column_values_to_be_in_set',
      kwargs: {
        column: `attribute_${i}_${'x'.repeat(150)}`,
        value_set: Array.from({ length: 200 }, (_, j) => `allowed-value-${j}`),
        batch_id: 'lakeplane_spark-orders_staged',
      },
      meta: { lakeplane: { severity } },
    },
    result: {
      element_count: 250_000,
      unexpected_count: 1000 + i,
      unexpected_percent: ((1000 + i) / 250_000) * 100,
      partial_unexpected_list: Array.from(
        { length: 20 },
        (_, j) => `unexpected-${i}-${j}-${'é'.repeat(400)}`,
      ),
    },
  }));
  return { ...doc, success: false, results: [...doc.results, ...results] };
}

beforeEach(() => {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
  objects = new MemoryObjectStore();
  notifier = new RecordingNotifier();
  output = [];
  const capture = (chunk: unknown) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
  // Whatever happened in the test: the token is in no log line.
  expect(output.join('')).not.toContain(TOKEN);
  expect(output.join('')).not.toContain(TOKEN.slice(0, 40));
});

afterAll(() => {
  vi.unstubAllEnvs();
  sfnMock.restore();
});

describe('dq-router handler', () => {
  it('pass: SendTaskSuccess with the exact token and the verdict, no alert', async () => {
    await putResult(fixtureText('gx1-orders-pass.json'));

    const outcome = await invoke(gateEvent());

    expect(failures()).toHaveLength(0);
    const [success, ...more] = successes();
    expect(more).toHaveLength(0);
    expect(success!.taskToken).toBe(TOKEN);
    expect(JSON.parse(success!.output!)).toEqual({
      verdict: 'pass',
      summary: {
        evaluated: 9,
        passed: 9,
        failed: 0,
        blocking: 0,
        warnings: 0,
        exceptions: 0,
        unmatched: 0,
        notEvaluated: 0,
      },
      failed: [],
      failedOmitted: 0,
    });
    expect(notifier.messages).toHaveLength(0);
    expect(outcome).toMatchObject({ verdict: 'pass', answer: 'success', notified: false, format: 'gx-1' });
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });

  it('warn: SendTaskSuccess with the warnings, and one alert', async () => {
    await putResult(fixtureText('gx1-orders-warn.json'));

    const outcome = await invoke(gateEvent());

    expect(failures()).toHaveLength(0);
    expect(successes()).toHaveLength(1);
    expect(successes()[0]!.taskToken).toBe(TOKEN);
    const out = JSON.parse(successes()[0]!.output!);
    expect(out.verdict).toBe('warn');
    expect(out.summary).toMatchObject({ warnings: 2, blocking: 0 });
    expect(out.failed.map((f: { columns: string[] }) => f.columns[0])).toEqual(['status', 'order_id']);
    expect(notifier.messages).toHaveLength(1);
    expect(messageText(notifier.messages[0]!)).toContain('Data quality warning: orders');
    expect(notifier.messages[0]!.channel).toBe('#orders-data');
    expect(outcome).toMatchObject({ verdict: 'warn', notified: true });
  });

  it.each([
    ['GX 1.x', 'gx1-orders-fail.json'],
    ['GX 0.x', 'gx0-orders-fail.json'],
  ])(
    'fail (%s): SendTaskFailure Lakeplane.QualityGateFailed with a readable cause, and one alert',
    async (_gx, file) => {
      await putResult(fixtureText(file));

      const outcome = await invoke(gateEvent());

      expect(successes()).toHaveLength(0);
      const [failure, ...more] = failures();
      expect(more).toHaveLength(0);
      expect(failure!.taskToken).toBe(TOKEN);
      expect(failure!.error).toBe('Lakeplane.QualityGateFailed');
      expect(failure!.cause).toMatch(
        /^orders load orders-0123456789abcdef0123 \(attempt 1\) failed the data-quality gate/,
      );
      expect(failure!.cause).toContain('expect_column_values_to_be_in_set on currency');
      expect(failure!.cause).toContain(`s3://lake-quarantine/orders/${LOAD_ID}/attempt-1/`);
      expect(failure!.cause).toContain(`lakeplane replay ${LOAD_ID} --stage prod`);
      expect(notifier.messages).toHaveLength(1);
      expect(messageText(notifier.messages[0]!)).toContain('Data quality failed: orders');
      expect(outcome).toMatchObject({ verdict: 'fail', answer: 'failure', error: QUALITY_GATE_FAILED });
    },
  );

  it('fail: a result without the implicit not-null on the precombine field (not evaluated) blocks', async () => {
    const doc = fixtureJson('gx1-orders-pass.json');
    const implicit = doc.results.at(-1) as { expectation_config: { kwargs: Record<string, unknown> } };
    expect(implicit.expectation_config.kwargs.column).toBe('updated_at');
    await putResult({ ...doc, results: doc.results.slice(0, -1) });

    const outcome = await invoke(gateEvent());

    expect(successes()).toHaveLength(0);
    const [failure] = failures();
    expect(failure!.error).toBe(QUALITY_GATE_FAILED);
    expect(failure!.cause).toContain(
      '1 blocking and 0 warnings among 8 evaluated expectations (1 not evaluated)',
    );
    expect(failure!.cause).toContain(
      '- expect_column_values_to_not_be_null on updated_at: expected no null values; not evaluated',
    );
    expect(outcome).toMatchObject({ verdict: 'fail', answer: 'failure' });
  });

  it('the gate errors are the ones load-events treats as a failed quality gate', () => {
    expect(QUALITY_GATE_ERRORS.has(QUALITY_GATE_FAILED)).toBe(true);
    expect(QUALITY_GATE_ERRORS.has(QUALITY_RESULT_UNREADABLE)).toBe(true);
  });

  it.each([
    ['not JSON', () => putResult(fixtureText('gx1-orders-fail.json').slice(0, 300)), /not JSON: /],
    [
      'not a validation result',
      () => putResult(fixtureText('not-a-result-expectation-suite.json')),
      /missing "results"/,
    ],
    [
      'wrong types',
      () => putResult(fixtureText('malformed-wrong-types.json')),
      /success: .*results\[3\]\.result\.unexpected_count/,
    ],
    ['absent', async () => undefined, /there is no validation result at s3:\/\/lake-artifacts\//],
  ])(
    'a result that is %s fails the gate with Lakeplane.QualityResultUnreadable, never a pass',
    async (_what, arrange, reason) => {
      await arrange();

      const outcome = await invoke(gateEvent());

      expect(successes()).toHaveLength(0);
      const [failure] = failures();
      expect(failures()).toHaveLength(1);
      expect(failure!.taskToken).toBe(TOKEN);
      expect(failure!.error).toBe('Lakeplane.QualityResultUnreadable');
      expect(failure!.cause).toMatch(reason);
      expect(failure!.cause).toContain(`lakeplane replay ${LOAD_ID} --stage prod`);
      // load-events does not alert on a quality gate error: dq-router does.
      expect(notifier.messages).toHaveLength(1);
      expect(messageText(notifier.messages[0]!)).toContain('Data quality result unreadable: orders');
      expect(outcome).toMatchObject({
        verdict: 'unreadable',
        answer: 'failure',
        error: QUALITY_RESULT_UNREADABLE,
      });
    },
  );

  it('a result the object store cannot read fails the gate with the reason', async () => {
    objects.failWith = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });

    await invoke(gateEvent());

    expect(failures()[0]).toMatchObject({ error: 'Lakeplane.QualityResultUnreadable' });
    expect(failures()[0]!.cause).toContain(
      `cannot read s3://${ARTIFACTS}/${resultKey(1)}: AccessDenied: Access Denied`,
    );
  });

  it('a result of another load attempt fails the gate', async () => {
    const doc = JSON.parse(fixtureText('gx1-orders-pass.json'));
    doc.meta.lakeplane = { phase: 'validate', loadId: LOAD_ID, dataset: 'orders', attempt: 1 };
    await putResult(doc, 2);

    await invoke(gateEvent(2));

    expect(failures()[0]!.error).toBe('Lakeplane.QualityResultUnreadable');
    expect(failures()[0]!.cause).toContain(
      `is the validation result of orders load ${LOAD_ID} attempt 1, not of orders load ${LOAD_ID} attempt 2`,
    );
  });

  it('hundreds of blocking failures: the cause, the error and the alert stay within their limits', async () => {
    await putResult(manyFailures(400, 'fail'));

    await invoke(gateEvent());

    const [failure] = failures();
    expect(failure!.error!.length).toBeLessThanOrEqual(TASK_ANSWER_LIMITS.errorChars);
    expect(failure!.cause!.length).toBeLessThanOrEqual(TASK_ANSWER_LIMITS.causeChars);
    expect(Buffer.byteLength(failure!.cause!, 'utf8')).toBeLessThanOrEqual(TASK_ANSWER_LIMITS.causeChars);
    expect(failure!.cause).toMatch(
      /failed the data-quality gate: 400 blocking and 0 warnings among 409 evaluated/,
    );
    expect(failure!.cause).toMatch(/… and \d+ more failed expectations/);
    expect(failure!.cause).toContain(`lakeplane replay ${LOAD_ID} --stage prod`);
    expect(notifier.messages).toHaveLength(1);
    const message = notifier.messages[0]!;
    expect(blockCount(message)).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const t of sectionTexts(message.blocks))
      expect(t.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(messageText(message)).toContain('*390 more* failed expectations (390 blocking, 0 warnings)');
  });

  it('hundreds of warnings: the output stays within 256 KB, with a short list', async () => {
    await putResult(manyFailures(400, 'warn'));

    await invoke(gateEvent());

    const [success] = successes();
    expect(Buffer.byteLength(success!.output!, 'utf8')).toBeLessThanOrEqual(TASK_ANSWER_LIMITS.outputBytes);
    const out = JSON.parse(success!.output!);
    expect(out.verdict).toBe('warn');
    expect(out.summary).toMatchObject({ evaluated: 409, failed: 400, warnings: 400 });
    expect(out.failed).toHaveLength(25);
    expect(out.failedOmitted).toBe(375);
    expect(notifier.messages).toHaveLength(1);
  });

  it('answers the task even when the alert cannot be sent, and logs why', async () => {
    await putResult(fixtureText('gx1-orders-fail.json'));
    notifier.failWith = Object.assign(new Error('Slack webhook answered 500: internal_error'), {
      name: 'SlackPostError',
    });

    const outcome = await invoke(gateEvent());

    expect(failures()).toHaveLength(1);
    expect(outcome).toMatchObject({ verdict: 'fail', notified: false });
    const line = logLines().find((l) => String(l.message).startsWith('quality alert could not be sent'));
    expect(line).toMatchObject({
      level: 'ERROR',
      error: 'SlackPostError: Slack webhook answered 500: internal_error',
    });
  });

  it.each([
    [
      'TaskTimedOut',
      'gx1-orders-fail.json',
      () =>
        sfnMock
          .on(SendTaskFailureCommand)
          .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })),
    ],
    [
      'TaskDoesNotExist',
      'gx1-orders-pass.json',
      () =>
        sfnMock
          .on(SendTaskSuccessCommand)
          .rejects(new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })),
    ],
  ] as const)('%s: logged, not rethrown (the execution has moved on)', async (name, file, answerFails) => {
    await putResult(fixtureText(file));
    answerFails();

    const outcome = await invoke(gateEvent());

    expect(outcome).toMatchObject({ taskClosed: name });
    expect(sfnMock.calls()).toHaveLength(1);
    const line = logLines().find((l) => String(l.message).startsWith('the task was no longer open'));
    expect(line).toMatchObject({ level: 'WARN', error: name, loadId: LOAD_ID });
  });

  it('another Step Functions error is thrown, without the token in it', async () => {
    await putResult(fixtureText('gx1-orders-pass.json'));
    sfnMock.on(SendTaskSuccessCommand).rejects(
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: `Rate exceeded for task token ${TOKEN}`,
        $metadata: {},
      }),
    );

    const failure = invoke(gateEvent());

    await expect(failure).rejects.toThrow(/^Rate exceeded for task token <task token>$/);
    await expect(failure).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('a malformed request with a token fails the task (the execution must not hang)', async () => {
    const event = {
      ...gateEvent(),
      validation: { resultUri: 'https://example.com/result.json' },
      load: { loadId: LOAD_ID },
    };

    const outcome = await invoke(event);

    expect(successes()).toHaveLength(0);
    expect(failures()).toHaveLength(1);
    expect(failures()[0]).toMatchObject({ taskToken: TOKEN, error: INVALID_GATE_REQUEST });
    expect(failures()[0]!.cause).toContain('validation.resultUri: must be an s3://bucket/key URI');
    expect(failures()[0]!.cause).toContain('load.dataset');
    expect(outcome).toMatchObject({ verdict: 'rejected' });
    expect(notifier.messages).toHaveLength(0);
  });

  it('a malformed request without a token is an error, and nothing is answered', async () => {
    const { taskToken: _token, ...event } = gateEvent();

    await expect(invoke(event)).rejects.toBeInstanceOf(InvalidQualityGateEventError);
    await expect(invoke({ hello: 'world' })).rejects.toThrow(/taskToken/);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('every log line carries loadId, dataset and executionName; none the token, even with event logging on', async () => {
    vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
    await putResult(fixtureText('gx1-orders-fail.json'), 3);

    await invoke(gateEvent(3));

    const lines = logLines();
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line).toMatchObject({ loadId: LOAD_ID, dataset: 'orders', executionName: `${LOAD_ID}-a3` });
    }
    expect(lines.map((l) => l.message)).toContain('quality gate failed: batch blocked and quarantined');
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });
});
