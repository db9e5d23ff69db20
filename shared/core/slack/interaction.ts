/**
 * A click on an alert button, as Slack delivers it: an `application/x-www-form-urlencoded`
 * body with one field, `payload`, holding the `block_actions` interaction as JSON
 * (https://api.slack.com/reference/interaction-payloads/block-actions). Only lakeplane's own
 * action ids are accepted, with a button value naming a load.
 *
 * The `response_url` is a bearer credential for the conversation (its last path segment is a
 * token): log it only through {@link redactResponseUrl}.
 */
import * as z from 'zod';
import { type LoadRef, SLACK_ACTION_IDS, type SlackActionId } from './buttons.js';

const ACTION_IDS: readonly string[] = Object.values(SLACK_ACTION_IDS);

/** A load id is an execution name too: at most 80 of [A-Za-z0-9_-]. */
const loadRef = z.object({
  loadId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'must be a load id'),
  dataset: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be a dataset name'),
});

const blockActionsPayload = z.object({
  type: z.literal('block_actions'),
  user: z.object({
    id: z.string().min(1),
    username: z.string().optional(),
    name: z.string().optional(),
    team_id: z.string().optional(),
  }),
  actions: z
    .array(
      z.object({
        action_id: z.string().min(1),
        value: z.string().optional(),
      }),
    )
    .min(1),
  response_url: z.string().min(1),
  channel: z.object({ id: z.string().min(1), name: z.string().optional() }).optional(),
  container: z
    .object({
      message_ts: z.string().optional(),
      thread_ts: z.string().optional(),
      channel_id: z.string().optional(),
    })
    .optional(),
  message: z.object({ ts: z.string().min(1), thread_ts: z.string().optional() }).optional(),
});

/** A click on one of lakeplane's buttons, from a request whose signature was verified. */
export interface SlackInteraction {
  readonly user: { readonly id: string; readonly username?: string };
  readonly actionId: SlackActionId;
  readonly load: LoadRef;
  /** Where answers go (POST JSON); a credential, never logged as is. */
  readonly responseUrl: string;
  readonly channelId?: string;
  /** The thread to answer in: the thread of the alert, or the alert itself. */
  readonly threadTs?: string;
}

/** Why an interaction was refused. Safe to log (no response URL, no token). */
export type InteractionRefusal =
  | { readonly reason: 'not a form body' | 'no payload field' | 'payload is not JSON' }
  | { readonly reason: 'not a block_actions payload'; readonly issues: string }
  | {
      readonly reason: 'unknown action';
      readonly actionId: string;
      readonly user: { readonly id: string; readonly username?: string };
    }
  | {
      readonly reason: 'bad button value';
      readonly actionId: SlackActionId;
      readonly issues: string;
      readonly user: { readonly id: string; readonly username?: string };
    };

export type InteractionParse =
  | { readonly ok: true; readonly interaction: SlackInteraction }
  | ({ readonly ok: false } & InteractionRefusal);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

function isActionId(id: string): id is SlackActionId {
  return ACTION_IDS.includes(id);
}

function userOf(p: { user: { id: string; username?: string | undefined } }): SlackInteraction['user'] {
  return p.user.username === undefined ? { id: p.user.id } : { id: p.user.id, username: p.user.username };
}

/**
 * Parses the body of an interaction request (as text: the verified raw body decoded as UTF-8).
 * Only the first action counts (a button click has exactly one).
 */
export function parseInteraction(body: string): InteractionParse {
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(body);
  } catch {
    return { ok: false, reason: 'not a form body' };
  }
  const raw = form.get('payload');
  if (raw === null) return { ok: false, reason: 'no payload field' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const parsed = blockActionsPayload.safeParse(json);
  if (!parsed.success)
    return { ok: false, reason: 'not a block_actions payload', issues: describeIssues(parsed.error) };
  const p = parsed.data;
  const user = userOf(p);
  // min(1) above: the first action exists.
  const action = p.actions[0]!;
  if (!isActionId(action.action_id))
    return { ok: false, reason: 'unknown action', actionId: action.action_id.slice(0, 255), user };
  let value: unknown;
  try {
    value = JSON.parse(action.value ?? '');
  } catch {
    value = undefined;
  }
  const ref = loadRef.safeParse(value);
  if (!ref.success)
    return {
      ok: false,
      reason: 'bad button value',
      actionId: action.action_id,
      issues: describeIssues(ref.error),
      user,
    };
  const channelId = p.channel?.id ?? p.container?.channel_id;
  const threadTs = p.message?.thread_ts ?? p.message?.ts ?? p.container?.thread_ts ?? p.container?.message_ts;
  return {
    ok: true,
    interaction: {
      user,
      actionId: action.action_id,
      load: { loadId: ref.data.loadId, dataset: ref.data.dataset },
      responseUrl: p.response_url,
      ...(channelId === undefined ? {} : { channelId }),
      ...(threadTs === undefined ? {} : { threadTs }),
    },
  };
}

/** Slack's hosts for response URLs (commercial and GovSlack). */
const SLACK_RESPONSE_HOSTS: ReadonlySet<string> = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);

/**
 * Whether answers may be posted to this response URL: https on Slack's hooks host. A verified
 * request names Slack's own URL; this keeps a forged or mistaken one from sending our answer
 * (and the user's name) anywhere else.
 */
export function isSlackResponseUrl(url: URL): boolean {
  return url.protocol === 'https:' && SLACK_RESPONSE_HOSTS.has(url.hostname);
}

/** A response URL for logs: origin and path without its last segment (the token). */
export function redactResponseUrl(responseUrl: string): string {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return '<unparseable response_url>';
  }
  const segments = url.pathname.split('/');
  if (segments.length > 2) segments[segments.length - 1] = '…';
  else segments.splice(1, segments.length - 1, '…');
  return `${url.origin}${segments.join('/')}`;
}
