/**
 * `lakeplane dq route <result.json> --dataset <d> [--json]`: a dry run of dq-router on a
 * validation result file. Decides exactly as the gate does and shows the verdict, what would
 * go back to Step Functions and the Slack message that would be sent; sends nothing.
 */
import { readFileSync } from 'node:fs';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import { type SlackMessage, toPlainText } from '../../shared/core/messages/slack.js';
import {
  expectationLabel,
  type GateContext,
  type GateOutput,
  plural,
  type VerdictCounts,
} from '../../shared/core/quality/verdict.js';
import { decideGate } from '../../shared/usecases/quality-gate.js';
import { UsageError } from '../context.js';

/** Where the dry run pretends the result came from (shown in the message and the cause). */
export interface RouteOptions {
  readonly loadId?: string;
  readonly attempt?: number;
  readonly quarantineUri?: string;
  readonly stage?: string;
}

/** What dq-router would do with a validation result. */
export type RouteResult =
  | {
      readonly verdict: 'pass' | 'warn';
      readonly counts: VerdictCounts;
      /** The Slack message (warn only). */
      readonly message?: SlackMessage;
      /** The SendTaskSuccess output. */
      readonly output: GateOutput;
      readonly failed: readonly string[];
    }
  | {
      readonly verdict: 'fail';
      readonly counts: VerdictCounts;
      readonly message: SlackMessage;
      /** The SendTaskFailure error and cause. */
      readonly failure: { readonly error: string; readonly cause: string };
      readonly failed: readonly string[];
    }
  | {
      readonly verdict: 'unreadable';
      readonly reason: string;
      readonly message: SlackMessage;
      readonly failure: { readonly error: string; readonly cause: string };
    };

/**
 * Routes a validation result file as dq-router would, without sending anything.
 * @throws UsageError when the file cannot be read or the dataset has no contract. A file that
 *   is read but is no usable validation result is the `unreadable` verdict, as in the gate.
 */
export function routeResultFile(
  file: string,
  dataset: string,
  contracts: ContractSet,
  options: RouteOptions = {},
): RouteResult {
  const contract = contracts.datasets.get(dataset);
  if (!contract) {
    throw new UsageError(
      `no dataset "${dataset}" (known: ${[...contracts.datasets.keys()].join(', ') || 'none'})`,
    );
  }
  let body: Uint8Array;
  try {
    body = readFileSync(file);
  } catch (e) {
    throw new UsageError(
      `validation result ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const loadId = options.loadId ?? '<load id>';
  const attempt = options.attempt ?? 1;
  const ctx: GateContext = {
    dataset,
    loadId,
    attempt,
    resultUri: file,
    quarantineUri:
      options.quarantineUri ?? `s3://<quarantine bucket>/${dataset}/${loadId}/attempt-${attempt}/`,
    ...(options.stage ? { stage: options.stage } : {}),
  };
  const decision = decideGate({ ok: true, body }, ctx, contract);
  if (decision.verdict === 'unreadable') {
    return {
      verdict: 'unreadable',
      reason: decision.reason,
      message: decision.message,
      failure: { error: decision.error, cause: decision.cause },
    };
  }
  const failed = decision.quality.failed.map((f) => `${f.severity} ${expectationLabel(f)}`);
  if (decision.kind === 'fail') {
    return {
      verdict: 'fail',
      counts: decision.quality.counts,
      message: decision.message,
      failure: { error: decision.error, cause: decision.cause },
      failed,
    };
  }
  return {
    verdict: decision.verdict,
    counts: decision.quality.counts,
    ...(decision.message ? { message: decision.message } : {}),
    output: decision.output,
    failed,
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');
}

/** The dry run for the terminal: verdict, the Step Functions answer, and the Slack message. */
export function formatRoute(r: RouteResult): string {
  const lines: string[] = [];
  if (r.verdict === 'unreadable') {
    lines.push('verdict: FAIL (the validation result is unreadable)', `reason: ${r.reason}`);
  } else {
    const c = r.counts;
    lines.push(
      `verdict: ${r.verdict.toUpperCase()} (${c.evaluated} evaluated, ${c.passed} passed, ${c.blocking} blocking, ${plural(c.warnings, 'warning')})`,
    );
    if (r.failed.length > 0) lines.push('failed expectations:', ...r.failed.map((f) => `  ${f}`));
  }
  if ('failure' in r) {
    lines.push(
      `Step Functions: SendTaskFailure, error ${r.failure.error}`,
      'cause:',
      indent(r.failure.cause),
    );
  } else {
    lines.push('Step Functions: SendTaskSuccess, output:', indent(JSON.stringify(r.output, null, 2)));
  }
  lines.push(
    r.message
      ? `Slack message that would be sent:\n${indent(toPlainText(r.message))}`
      : 'Slack: no message (a pass alerts no one)',
  );
  return lines.join('\n');
}
