/**
 * A click on a failed-load alert button in Slack: verify the request is Slack's, parse the
 * interaction, check the user is on the on-call allow list, run the action (replay, or roll
 * back & replay), and answer in the alert's thread through the interaction's `response_url`.
 *
 * The result says what to answer over HTTP and what happened, for the handler to log. Neither
 * the result nor any error carries the signing secret, a signature or the response URL's
 * token.
 */
import { ConfigurationError } from '../config.js';
import { code, escapeMrkdwn } from '../core/messages/slack.js';
import { SLACK_ACTION_IDS, type SlackActionId } from '../core/slack/buttons.js';
import {
  type InteractionRefusal,
  isSlackResponseUrl,
  parseInteraction,
  redactResponseUrl,
  type SlackInteraction,
} from '../core/slack/interaction.js';
import {
  type ReplayGuard,
  type RequestHeaders,
  type SignatureFailure,
  verifySlackRequest,
} from '../core/slack/signature.js';
import { type ReplayDeps, replayLoad } from './replay.js';

/** What rolling a dataset back to before a load and replaying that load came to. */
export type RollbackAndReplayOutcome =
  | {
      readonly outcome: 'started';
      /** The replay's execution, when known. */
      readonly executionArn?: string;
      /** One line for the thread, e.g. the commit the table went back to (mrkdwn, escaped). */
      readonly detail?: string;
    }
  | { readonly outcome: 'refused'; readonly reason: string };

/**
 * Rolls `dataset` back to before `loadId` and replays the load. It should start the work and
 * return (Slack waits 3 seconds for the whole request); the load's outcome reaches Slack as
 * the usual alerts.
 */
export type RollbackAndReplay = (loadId: string, dataset: string) => Promise<RollbackAndReplayOutcome>;

export interface SlackActionDeps extends ReplayDeps {
  /** The app's signing secret (Secrets Manager in AWS); read per request, cached by the caller. */
  readonly signingSecret: () => Promise<string>;
  readonly replayGuard: ReplayGuard;
  /** Slack user ids allowed to press the buttons; empty: nobody. */
  readonly allowedUserIds: ReadonlySet<string>;
  readonly rollbackAndReplay: RollbackAndReplay;
  readonly now: () => Date;
  /** For the thread answer (default: the global fetch). */
  readonly fetch?: typeof fetch;
  /** Which response URLs answers may go to (default: https on Slack's hooks host). */
  readonly isResponseUrlAllowed?: (url: URL) => boolean;
  /** How long the thread answer may take (default 1,500 ms: Slack waits 3 s in all). */
  readonly answerTimeoutMs?: number;
}

/** The HTTP request as received: headers (any case) and the raw body bytes. */
export interface SlackActionRequest {
  readonly headers: RequestHeaders;
  readonly rawBody: Uint8Array;
}

/** A message for a response URL (https://api.slack.com/interactivity/handling#message_responses). */
export interface ResponseUrlMessage {
  readonly response_type: 'in_channel' | 'ephemeral';
  readonly replace_original: false;
  readonly thread_ts?: string;
  readonly text: string;
}

/** What the action came to. */
export type ActionRun =
  | { readonly outcome: 'started'; readonly executionArn?: string; readonly summary: string }
  | { readonly outcome: 'refused'; readonly reason: string }
  | { readonly outcome: 'failed'; readonly error: { readonly name: string; readonly message: string } };

/** Whether the answer reached the response URL. */
export type AnswerDelivery =
  | { readonly delivered: true }
  | { readonly delivered: false; readonly reason: string };

/** The interaction without its response URL: what may be logged. */
export interface ActionRequestLog {
  readonly userId: string;
  readonly username?: string;
  readonly actionId: SlackActionId;
  readonly loadId: string;
  readonly dataset: string;
  readonly channelId?: string;
  readonly threadTs?: string;
  readonly responseUrl: string;
}

/** Why a request was refused, for the log. */
export type RefusalLog =
  | { readonly stage: 'signature'; readonly reason: SignatureFailure }
  | ({ readonly stage: 'payload' } & InteractionRefusal)
  | {
      readonly stage: 'allow list';
      readonly reason: 'user not allowed' | 'allow list is empty';
      readonly request: ActionRequestLog;
    };

export type SlackActionResult =
  | {
      readonly handled: true;
      readonly status: 200;
      readonly body: ResponseUrlMessage;
      readonly request: ActionRequestLog;
      readonly run: ActionRun;
      readonly answer: AnswerDelivery;
    }
  | {
      readonly handled: false;
      readonly status: 400 | 401 | 403;
      readonly body: { readonly error: string };
      readonly refusal: RefusalLog;
      /** The ephemeral note to the refused user (allow list only). */
      readonly notice?: AnswerDelivery;
    };

const ACTION_NAMES: Record<SlackActionId, string> = {
  [SLACK_ACTION_IDS.replay]: 'a replay',
  [SLACK_ACTION_IDS.rollbackReplay]: 'a roll back & replay',
};

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * The allow list from a comma-separated list of Slack user ids (`U…`/`W…`); blanks are skipped.
 * @throws ConfigurationError naming a malformed entry (a typo must not lock everybody out quietly)
 */
export function parseAllowedUserIds(csv: string | undefined): ReadonlySet<string> {
  const ids = (csv ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = ids.filter((id) => !SLACK_USER_ID.test(id));
  if (bad.length > 0)
    throw new ConfigurationError(
      `SLACK_ALLOWED_USER_IDS holds entries that are not Slack user ids (U… or W…): ${bad.map((b) => JSON.stringify(b.slice(0, 40))).join(', ')}`,
    );
  return new Set(ids);
}

function requestLog(i: SlackInteraction): ActionRequestLog {
  return {
    userId: i.user.id,
    ...(i.user.username === undefined ? {} : { username: i.user.username }),
    actionId: i.actionId,
    loadId: i.load.loadId,
    dataset: i.load.dataset,
    ...(i.channelId === undefined ? {} : { channelId: i.channelId }),
    ...(i.threadTs === undefined ? {} : { threadTs: i.threadTs }),
    responseUrl: redactResponseUrl(i.responseUrl),
  };
}

function errorInfo(e: unknown, redact: (s: string) => string): { name: string; message: string } {
  const name = e instanceof Error ? e.name : 'Error';
  const message = e instanceof Error ? e.message : String(e);
  return { name, message: redact(message).slice(0, 500) };
}

/** Removes a response URL and its token from text that may quote them. */
function responseUrlRedactor(responseUrl: string): (text: string) => string {
  const token = responseUrl.split('/').pop() ?? '';
  return (text) => {
    let out = text.replaceAll(responseUrl, redactResponseUrl(responseUrl));
    if (token.length >= 8) out = out.replaceAll(token, '…');
    return out;
  };
}

async function runAction(i: SlackInteraction, deps: SlackActionDeps): Promise<ActionRun> {
  const { loadId, dataset } = i.load;
  const load = await deps.ledger.get(loadId);
  if (!load) return { outcome: 'refused', reason: `no load ${loadId}; list loads with \`lakeplane loads\`` };
  if (load.dataset !== dataset)
    return {
      outcome: 'refused',
      reason: `load ${loadId} belongs to dataset ${load.dataset}, not ${dataset}: the button does not match the ledger`,
    };
  if (i.actionId === SLACK_ACTION_IDS.replay) {
    const replayed = await replayLoad(loadId, deps);
    if (replayed.outcome === 'refused') return replayed;
    // Only a dry run would-start, and this is none.
    if (replayed.outcome !== 'started') return { outcome: 'refused', reason: 'nothing was started' };
    return {
      outcome: 'started',
      executionArn: replayed.executionArn,
      summary: `attempt ${replayed.load.attempts} runs as ${code(replayed.load.executionName)}`,
    };
  }
  const rolled = await deps.rollbackAndReplay(loadId, dataset);
  if (rolled.outcome === 'refused') return rolled;
  return {
    outcome: 'started',
    ...(rolled.executionArn === undefined ? {} : { executionArn: rolled.executionArn }),
    summary: rolled.detail ?? 'the rollback is under way; the replay follows it',
  };
}

function threadText(i: SlackInteraction, run: ActionRun): string {
  const who = `<@${i.user.id}>`;
  const what = `${ACTION_NAMES[i.actionId]} of load ${code(i.load.loadId)} (${escapeMrkdwn(i.load.dataset)})`;
  switch (run.outcome) {
    case 'started':
      return `${who} started ${what}: ${run.summary}.`;
    case 'refused':
      return `${who} asked for ${what}: refused, ${escapeMrkdwn(run.reason)}`;
    case 'failed':
      return `${who} asked for ${what}: it did not start, ${escapeMrkdwn(`${run.error.name}: ${run.error.message}`)}`;
  }
}

function ackText(i: SlackInteraction, run: ActionRun): string {
  const what = `${ACTION_NAMES[i.actionId]} of load ${i.load.loadId}`;
  const state =
    run.outcome === 'started' ? 'started' : run.outcome === 'refused' ? 'refused' : 'did not start';
  return escapeMrkdwn(`You asked for ${what}: ${state}. The details are in the thread.`);
}

async function postAnswer(
  responseUrl: string,
  message: ResponseUrlMessage,
  deps: SlackActionDeps,
): Promise<AnswerDelivery> {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return { delivered: false, reason: 'response_url is not a URL' };
  }
  const allowed = deps.isResponseUrlAllowed ?? isSlackResponseUrl;
  if (!allowed(url))
    return { delivered: false, reason: `response_url ${redactResponseUrl(responseUrl)} is not Slack's` };
  const redact = responseUrlRedactor(responseUrl);
  try {
    const res = await (deps.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(deps.answerTimeoutMs ?? 1500),
    });
    const text = (await res.text()).slice(0, 200);
    if (res.ok) return { delivered: true };
    return { delivered: false, reason: redact(`Slack answered ${res.status}: ${text}`) };
  } catch (e) {
    const err = errorInfo(e, redact);
    return { delivered: false, reason: `${err.name}: ${err.message}` };
  }
}

function refused(
  status: 400 | 401 | 403,
  error: string,
  refusal: RefusalLog,
  notice?: AnswerDelivery,
): SlackActionResult {
  return { handled: false, status, body: { error }, refusal, ...(notice ? { notice } : {}) };
}

/**
 * Handles one interaction request: verify → parse → allow list → run → answer in the thread.
 * Answers 200 with an ephemeral acknowledgement once the action has started or been refused
 * (replay is a conditional write and a StartExecution: well inside Slack's 3 seconds);
 * 401 for a request that is not verifiably Slack's (bad or missing signature, stale or future
 * timestamp, replayed), 400 for a payload that is not a lakeplane button click, 403 for a
 * user not on the allow list (who gets an ephemeral note saying so).
 * @throws when the signing secret cannot be read (a 500: nothing was verified)
 */
export async function handleSlackAction(
  request: SlackActionRequest,
  deps: SlackActionDeps,
): Promise<SlackActionResult> {
  const verified = await verifySlackRequest(request, {
    signingSecret: await deps.signingSecret(),
    now: deps.now,
    replayGuard: deps.replayGuard,
  });
  if (!verified.ok)
    return refused(401, 'the request is not verifiably from Slack', {
      stage: 'signature',
      reason: verified.reason,
    });

  let body: string;
  try {
    body = new TextDecoder('utf-8', { fatal: true }).decode(request.rawBody);
  } catch {
    return refused(400, 'not a Slack interaction', { stage: 'payload', reason: 'not a form body' });
  }
  const parsed = parseInteraction(body);
  if (!parsed.ok) {
    const { ok: _ok, ...refusal } = parsed;
    return refused(400, 'not a lakeplane button click', { stage: 'payload', ...refusal });
  }
  const i = parsed.interaction;

  if (!deps.allowedUserIds.has(i.user.id)) {
    const reason = deps.allowedUserIds.size === 0 ? 'allow list is empty' : 'user not allowed';
    const notice = await postAnswer(
      i.responseUrl,
      {
        response_type: 'ephemeral',
        replace_original: false,
        ...(i.threadTs === undefined ? {} : { thread_ts: i.threadTs }),
        text: `You are not on lakeplane's on-call list, so ${ACTION_NAMES[i.actionId]} of load ${code(i.load.loadId)} was not started. Ask the platform team to add your Slack user id (${escapeMrkdwn(i.user.id)}) to SLACK_ALLOWED_USER_IDS.`,
      },
      deps,
    );
    return refused(403, 'not allowed', { stage: 'allow list', reason, request: requestLog(i) }, notice);
  }

  let run: ActionRun;
  try {
    run = await runAction(i, deps);
  } catch (e) {
    run = { outcome: 'failed', error: errorInfo(e, responseUrlRedactor(i.responseUrl)) };
  }
  const answer = await postAnswer(
    i.responseUrl,
    {
      response_type: 'in_channel',
      replace_original: false,
      ...(i.threadTs === undefined ? {} : { thread_ts: i.threadTs }),
      text: threadText(i, run),
    },
    deps,
  );
  return {
    handled: true,
    status: 200,
    body: { response_type: 'ephemeral', replace_original: false, text: ackText(i, run) },
    request: requestLog(i),
    run,
    answer,
  };
}
