/**
 * The buttons of a failed-load alert: "Replay" and "Roll back & replay", as one Block Kit
 * `actions` block (https://api.slack.com/reference/block-kit/blocks#actions). A click comes
 * back to functions/slack-actions as a `block_actions` interaction carrying the button's
 * `action_id` and `value` (parsed by ./interaction.ts).
 */
import type { Block } from '../messages/slack.js';

/** A plain-text object: the only kind buttons and confirm dialogs accept in their labels. */
export interface PlainText {
  readonly type: 'plain_text';
  readonly text: string;
  readonly emoji?: boolean;
}

/** The "Are you sure?" dialog Slack shows before it sends a click. */
export interface ConfirmDialog {
  readonly title: PlainText;
  readonly text: PlainText;
  readonly confirm: PlainText;
  readonly deny: PlainText;
  readonly style?: 'primary' | 'danger';
}

/** A Block Kit button element. */
export interface ButtonElement {
  readonly type: 'button';
  readonly action_id: string;
  readonly text: PlainText;
  readonly value?: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: ConfirmDialog;
}

/** A Block Kit `actions` block (at most 25 elements). */
export interface ActionsBlock {
  readonly type: 'actions';
  readonly block_id?: string;
  readonly elements: readonly ButtonElement[];
}

/**
 * A block of an alert: what shared/core/messages/slack.ts `Block` holds plus `actions`. Once
 * `Block` includes {@link ActionsBlock}, this is the same type.
 */
export type AlertBlock = Block | ActionsBlock;

/** The `action_id`s lakeplane handles; anything else is refused. */
export const SLACK_ACTION_IDS = {
  replay: 'lakeplane.replay',
  rollbackReplay: 'lakeplane.rollback_replay',
} as const;

export type SlackActionId = (typeof SLACK_ACTION_IDS)[keyof typeof SLACK_ACTION_IDS];

/** The `block_id` of the failed-load actions (unique within one message). */
export const FAILED_LOAD_ACTIONS_BLOCK_ID = 'lakeplane.failed_load';

/** Slack's limits for the parts used here (https://api.slack.com/reference/block-kit). */
export const BUTTON_LIMITS = {
  text: 75,
  value: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

/** The load a button acts on; encoded as the button's `value` (JSON). */
export interface LoadRef {
  readonly loadId: string;
  readonly dataset: string;
}

function plain(text: string, max: number): PlainText {
  return { type: 'plain_text', text: text.length <= max ? text : `${text.slice(0, max - 1)}…` };
}

/**
 * The button value for a load: `{"loadId":…,"dataset":…}`.
 * @throws RangeError when it would exceed Slack's 2,000 characters (it cannot be cut: it is JSON)
 */
export function buttonValue(load: LoadRef): string {
  const value = JSON.stringify({ loadId: load.loadId, dataset: load.dataset });
  if (value.length > BUTTON_LIMITS.value)
    throw new RangeError(
      `button value of load ${load.loadId.slice(0, 100)} exceeds ${BUTTON_LIMITS.value} characters`,
    );
  return value;
}

/**
 * The `actions` block of a failed-load alert: "Replay" (primary) and "Roll back & replay"
 * (danger, behind a confirm dialog). Both carry {@link buttonValue} of the load.
 */
export function failedLoadActions(load: LoadRef): ActionsBlock {
  const value = buttonValue(load);
  return {
    type: 'actions',
    block_id: FAILED_LOAD_ACTIONS_BLOCK_ID,
    elements: [
      {
        type: 'button',
        action_id: SLACK_ACTION_IDS.replay,
        text: plain('Replay', BUTTON_LIMITS.text),
        style: 'primary',
        value,
      },
      {
        type: 'button',
        action_id: SLACK_ACTION_IDS.rollbackReplay,
        text: plain('Roll back & replay', BUTTON_LIMITS.text),
        style: 'danger',
        value,
        confirm: {
          title: plain(`Roll back ${load.dataset}?`, BUTTON_LIMITS.confirmTitle),
          text: plain(
            `${load.dataset} goes back to the commit before load ${load.loadId}, then the load is replayed. ` +
              'Until the replay commits, readers see the table without this load.',
            BUTTON_LIMITS.confirmText,
          ),
          confirm: plain('Roll back & replay', BUTTON_LIMITS.confirmButton),
          deny: plain('Cancel', BUTTON_LIMITS.confirmButton),
          style: 'danger',
        },
      },
    ],
  };
}
