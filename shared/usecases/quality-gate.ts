/**
 * The data-quality gate of one load attempt (write-audit-publish): read the validation result
 * the validate step wrote, decide pass / warn / fail from the dataset contract, alert on warn
 * and fail, and answer the waiting Step Functions task. A result that cannot be read or parsed
 * fails the gate: the gate never lets a batch through on a result it could not check.
 */
import * as z from 'zod';
import type { ContractSet } from '../core/contract/parse.js';
import type { DatasetContract } from '../core/contract/types.js';
import { qualityGateMessage, qualityResultUnreadableMessage } from '../core/messages/quality.js';
import type { SlackMessage } from '../core/messages/slack.js';
import { type GxFormat, parseGxResult, type ResultOrigin } from '../core/quality/gx-result.js';
import {
  decideVerdict,
  type GateContext,
  type GateOutput,
  gateFailureCause,
  gateOutput,
  QUALITY_GATE_FAILED,
  QUALITY_RESULT_UNREADABLE,
  type QualityVerdict,
  unreadableCause,
  type VerdictCounts,
} from '../core/quality/verdict.js';
import { parseS3Uri } from '../core/run-results.js';
import type { Notifier, ObjectStore, TaskCallbacks } from '../ports.js';

const s3Uri = z.string().regex(/^s3:\/\/[^/]+\/.+/, 'must be an s3://bucket/key URI');

/** The Lambda payload the state machine's QualityGate task builds (`.waitForTaskToken`). */
export const qualityGateRequest = z.object({
  taskToken: z.string().min(1),
  load: z.object({
    loadId: z.string().min(1),
    dataset: z.string().min(1),
    attempt: z.number().int().positive(),
    source: z.object({
      bucket: z.string().min(1),
      key: z.string().min(1),
      versionId: z.string().nullish(),
      etag: z.string(),
      size: z.number().int().nonnegative(),
    }),
  }),
  validation: z.object({ resultUri: s3Uri }),
  quarantineUri: s3Uri,
});
export type QualityGateRequest = z.infer<typeof qualityGateRequest>;

export interface QualityGateDeps {
  readonly objects: ObjectStore;
  readonly notifier: Notifier;
  readonly callbacks: TaskCallbacks;
  readonly contracts: ContractSet;
  /** The deployment stage, for the replay command in alerts and causes. */
  readonly stage?: string;
  /** How the commands in alerts start (the local runtime: `npx lakeplane --home …`). */
  readonly cli?: string;
}

/** The validation result's bytes, or why there are none. */
export type ResultRead =
  | { readonly ok: true; readonly body: Uint8Array | string }
  | { readonly ok: false; readonly reason: string };

/** What the gate answers and sends, decided before anything is sent. */
export type GateDecision =
  | {
      readonly kind: 'succeed';
      readonly verdict: 'pass' | 'warn';
      readonly format: GxFormat;
      readonly quality: QualityVerdict;
      readonly output: GateOutput;
      /** The alert, for `warn`; a pass alerts no one. */
      readonly message?: SlackMessage;
    }
  | {
      readonly kind: 'fail';
      readonly verdict: 'fail';
      readonly format: GxFormat;
      readonly quality: QualityVerdict;
      readonly error: typeof QUALITY_GATE_FAILED;
      readonly cause: string;
      readonly message: SlackMessage;
    }
  | {
      readonly kind: 'fail';
      readonly verdict: 'unreadable';
      readonly reason: string;
      readonly error: typeof QUALITY_RESULT_UNREADABLE;
      readonly cause: string;
      readonly message: SlackMessage;
    };

/** Why a result that names the load it validated is not this load's, or undefined. */
function originMismatch(origin: ResultOrigin | undefined, ctx: GateContext): string | undefined {
  if (!origin) return undefined;
  const theirs = `${origin.dataset ?? ctx.dataset} load ${origin.loadId ?? ctx.loadId} attempt ${origin.attempt ?? ctx.attempt}`;
  const ours = `${ctx.dataset} load ${ctx.loadId} attempt ${ctx.attempt}`;
  return theirs === ours ? undefined : `is the validation result of ${theirs}, not of ${ours}`;
}

/**
 * Decides the gate's answer from the validation result (pure: nothing is read or sent). A
 * result that cannot be read or parsed, or that names another load attempt than this one (its
 * `meta.lakeplane`), is `unreadable`: the gate fails closed.
 * @param contract the dataset's contract; without one only annotated severities are known.
 */
export function decideGate(
  read: ResultRead,
  ctx: GateContext,
  contract: DatasetContract | undefined,
): GateDecision {
  const channel = contract?.alerts.slackChannel;
  const options = channel ? { channel } : {};
  const parsed = read.ok ? parseGxResult(read.body) : undefined;
  const mismatch = parsed?.ok ? originMismatch(parsed.result.origin, ctx) : undefined;
  if (!parsed?.ok || mismatch) {
    const reason = !read.ok
      ? read.reason
      : mismatch
        ? `${ctx.resultUri} ${mismatch}`
        : `${ctx.resultUri} is not a usable GX validation result: ${parsed && !parsed.ok ? parsed.error : 'unknown'}`;
    return {
      kind: 'fail',
      verdict: 'unreadable',
      reason,
      error: QUALITY_RESULT_UNREADABLE,
      cause: unreadableCause(reason, ctx),
      message: qualityResultUnreadableMessage(reason, ctx, options),
    };
  }
  const quality = decideVerdict(parsed.result, contract);
  if (quality.verdict === 'fail') {
    return {
      kind: 'fail',
      verdict: 'fail',
      format: parsed.format,
      quality,
      error: QUALITY_GATE_FAILED,
      cause: gateFailureCause(quality, ctx),
      message: qualityGateMessage(quality, ctx, options),
    };
  }
  return {
    kind: 'succeed',
    verdict: quality.verdict,
    format: parsed.format,
    quality,
    output: gateOutput(quality),
    ...(quality.verdict === 'warn' ? { message: qualityGateMessage(quality, ctx, options) } : {}),
  };
}

/** What one run of the gate did. Never holds the task token. */
export interface QualityGateOutcome {
  readonly verdict: 'pass' | 'warn' | 'fail' | 'unreadable';
  readonly counts?: VerdictCounts;
  readonly format?: GxFormat;
  /** Why the result could not be used (verdict `unreadable`). */
  readonly reason?: string;
  /** How the task was answered: SendTaskSuccess, or SendTaskFailure with `error`. */
  readonly answer: 'success' | 'failure';
  readonly error?: string;
  readonly contractFound: boolean;
  readonly notified: boolean;
  /** The alert could not be sent (the task was answered all the same). */
  readonly notifyError?: string;
  /** Step Functions no longer waited for the answer: `TaskTimedOut` or `TaskDoesNotExist`. */
  readonly taskClosed?: string;
}

/** The names with which TaskCallbacks reports a task that is no longer open. */
const TASK_CLOSED = new Set(['TaskTimedOut', 'TaskDoesNotExist']);

/** True for the error of answering a task that has timed out, been stopped or answered. */
export function isTaskClosedError(e: unknown): e is Error {
  return e instanceof Error && TASK_CLOSED.has(e.name);
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Reads the validation result object; a missing or unreadable object is a reason, not a throw. */
export async function readValidationResult(objects: ObjectStore, uri: string): Promise<ResultRead> {
  let location: { bucket: string; key: string };
  try {
    location = parseS3Uri(uri);
  } catch (e) {
    return { ok: false, reason: errorText(e) };
  }
  try {
    const body = await objects.get(location.bucket, location.key);
    return body === undefined
      ? { ok: false, reason: `there is no validation result at ${uri}` }
      : { ok: true, body };
  } catch (e) {
    return { ok: false, reason: `cannot read ${uri}: ${errorText(e)}` };
  }
}

/** The gate's context of a request. */
export function gateContext(request: QualityGateRequest, stage?: string, cli?: string): GateContext {
  return {
    dataset: request.load.dataset,
    loadId: request.load.loadId,
    attempt: request.load.attempt,
    resultUri: request.validation.resultUri,
    quarantineUri: request.quarantineUri,
    ...(stage ? { stage } : {}),
    ...(cli ? { cli } : {}),
  };
}

/**
 * Runs the gate: reads the result, decides, alerts (warn, fail, unreadable) and answers the
 * task. The alert goes first so that it arrives before the execution moves on; a failed alert
 * does not keep the task from being answered. An answer to a task that is no longer open is
 * reported in the outcome, not thrown.
 * @throws whatever else answering the task throws (throttling, permissions).
 */
export async function runQualityGate(
  request: QualityGateRequest,
  deps: QualityGateDeps,
): Promise<QualityGateOutcome> {
  const ctx = gateContext(request, deps.stage, deps.cli);
  const contract = deps.contracts.datasets.get(request.load.dataset);
  const read = await readValidationResult(deps.objects, ctx.resultUri);
  const decision = decideGate(read, ctx, contract);

  let notified = false;
  let notifyError: string | undefined;
  if (decision.message) {
    try {
      await deps.notifier.notify(decision.message);
      notified = true;
    } catch (e) {
      notifyError = errorText(e);
    }
  }

  let taskClosed: string | undefined;
  try {
    if (decision.kind === 'succeed') await deps.callbacks.succeed(request.taskToken, decision.output);
    else await deps.callbacks.fail(request.taskToken, decision.error, decision.cause);
  } catch (e) {
    if (!isTaskClosedError(e)) throw e;
    taskClosed = e.name;
  }

  return {
    verdict: decision.verdict,
    ...(decision.verdict === 'unreadable'
      ? { reason: decision.reason }
      : { counts: decision.quality.counts, format: decision.format }),
    answer: decision.kind === 'succeed' ? 'success' : 'failure',
    ...(decision.kind === 'fail' ? { error: decision.error } : {}),
    contractFound: contract !== undefined,
    notified,
    ...(notifyError !== undefined ? { notifyError } : {}),
    ...(taskClosed !== undefined ? { taskClosed } : {}),
  };
}
