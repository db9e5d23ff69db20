/**
 * The schema-drift alerts: one Slack message per Bronze table version whose schema drifted from
 * the dataset contract (and one when the Bronze table is deleted). It says what changed (a
 * compact list, at most 15 lines), how bad (additive, widening, breaking), what it does to
 * Silver, and the command that accepts the new schema or resumes the dataset. Everything that
 * comes from the catalog is escaped; the message stays within Slack's limits whatever the number
 * of changes.
 */
import type { DriftPolicy } from '../contract/types.js';
import type { ChangeKind, ChangeSeverity, DriftChange } from '../drift/classify.js';
import {
  type Block,
  code,
  context,
  dataCode,
  escapeData,
  fields,
  header,
  SLACK_LIMITS,
  type SlackMessage,
  section,
} from './slack.js';

/** At most this many changes are listed; the rest are counted on one line. */
export const MAX_LISTED_CHANGES = 15;

/** What a drift alert announces (the action is never `none`: no drift, no message). */
export interface SchemaDriftNotice {
  readonly dataset: string;
  readonly database: string;
  readonly table: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly policy: DriftPolicy;
  readonly action: 'accept' | 'alert' | 'pause';
  /** The drift: changes the contract does not declare. */
  readonly changes: readonly DriftChange[];
  /** How many further changes the contract already declares (not listed). */
  readonly declared?: number;
}

/** A Bronze table that was deleted from the catalog. */
export interface TableDeletedNotice {
  readonly dataset: string;
  readonly database: string;
  readonly table: string;
  /** When the deletion happened (the event time). */
  readonly deletedAt: string;
}

export interface DriftMessageOptions {
  /** Routing hint for sinks that fan out by channel (the contract's `alerts.slack_channel`). */
  readonly channel?: string;
  /** The deployed stage, added to commands as `--stage`. */
  readonly stage?: string;
  /** How the commands start (the local runtime: `npx lakeplane --home …`; default `lakeplane`). */
  readonly cli?: string;
  /** List at most this many changes (1 to {@link MAX_LISTED_CHANGES}). */
  readonly maxListed?: number;
}

const KIND_WORDS: Readonly<Record<ChangeKind, string>> = {
  'column-added': 'column added',
  'column-removed': 'column removed',
  'type-widened': 'type widened',
  'type-narrowed': 'type narrowed',
  'type-incompatible': 'type changed incompatibly',
  'likely-rename': 'renamed',
  'partition-key-added': 'partition key added',
  'partition-key-removed': 'partition key removed',
  'partition-key-changed': 'partition key changed',
  'nested-field-added': 'field added',
  'nested-field-removed': 'field removed',
  'nested-type-widened': 'field type widened',
  'nested-type-narrowed': 'field type narrowed',
  'nested-type-incompatible': 'field type changed incompatibly',
};

/** The overall classification of a set of changes: the worst severity among them. */
export function driftClassification(changes: readonly Pick<DriftChange, 'severity'>[]): ChangeSeverity {
  if (changes.some((c) => c.severity === 'breaking')) return 'breaking';
  if (changes.some((c) => c.severity === 'widening')) return 'widening';
  return 'additive';
}

/**
 * The command that resumes the dataset and records a Bronze table version as its accepted
 * schema (`<version>` when the version is not known yet).
 */
export function resumeCommand(dataset: string, version?: string, stage?: string, cli = 'lakeplane'): string {
  return `${cli} dataset resume ${dataset} --accept-schema ${version ?? '<version>'}${stage ? ` --stage ${stage}` : ''}`;
}

/** One change in plain text: `items[].qty: field type widened, int → bigint (widening)`. */
export function describeChange(c: DriftChange): string {
  const what = c.kind === 'likely-rename' ? `renamed from ${c.previousPath ?? '?'}` : KIND_WORDS[c.kind];
  return `${c.path}: ${what}, ${c.oldType ?? '—'} → ${c.newType ?? '—'} (${c.severity})`;
}

function typeCode(type: string | undefined): string {
  return type === undefined ? '—' : dataCode(type, 80);
}

const SEVERITY_MARK: Readonly<Record<ChangeSeverity, string>> = {
  additive: '_additive_',
  widening: '_widening_',
  breaking: '*breaking*',
};

function changeLine(c: DriftChange): string {
  const what =
    c.kind === 'likely-rename' && c.previousPath !== undefined
      ? `renamed from ${dataCode(c.previousPath, 100)}`
      : KIND_WORDS[c.kind];
  return `• ${dataCode(c.path, 120)} ${what}: ${typeCode(c.oldType)} → ${typeCode(c.newType)} · ${SEVERITY_MARK[c.severity]}`;
}

function countBySeverity(changes: readonly DriftChange[]): string {
  const n: Record<ChangeSeverity, number> = { breaking: 0, widening: 0, additive: 0 };
  for (const c of changes) n[c.severity]++;
  return (['breaking', 'widening', 'additive'] as const)
    .filter((s) => n[s] > 0)
    .map((s) => `${n[s]} ${s}`)
    .join(', ');
}

/** Packs lines into as few sections as Slack's section limit allows. */
function packSections(lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let current = '';
  for (const line of lines) {
    const next = current === '' ? line : `${current}\n${line}`;
    if (next.length > SLACK_LIMITS.sectionText && current !== '') {
      blocks.push(section(current));
      current = line;
    } else {
      current = next;
    }
  }
  if (current !== '') blocks.push(section(current));
  return blocks;
}

function changeList(changes: readonly DriftChange[], maxListed: number): Block[] {
  // Breaking changes first, so the ones that matter are never among the "more".
  const order: Readonly<Record<ChangeSeverity, number>> = { breaking: 0, widening: 1, additive: 2 };
  const sorted = changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => order[a.c.severity] - order[b.c.severity] || a.i - b.i)
    .map(({ c }) => c);
  const listed = sorted.slice(0, maxListed);
  const rest = sorted.slice(listed.length);
  const lines = [
    `*What changed* (${changes.length}: ${countBySeverity(changes)})`,
    ...listed.map(changeLine),
  ];
  if (rest.length > 0) lines.push(`…and *${rest.length} more* (${countBySeverity(rest)})`);
  return packSections(lines);
}

function impactText(notice: SchemaDriftNotice, stage: string | undefined, cli: string | undefined): string {
  const dataset = escapeData(notice.dataset, 200);
  const command = code(resumeCommand(notice.dataset, notice.toVersion, stage, cli));
  const added = notice.changes.some((c) => c.kind === 'column-added');
  const notLoaded = added ? ' New columns are not loaded into Silver until the contract declares them.' : '';
  switch (notice.action) {
    case 'accept': {
      const widened = notice.changes.some((c) => c.severity === 'widening');
      return (
        `*Impact on Silver*\nAccepted into Silver: Silver loads continue.${widened ? ' Widened types are read as their new type.' : ''}${notLoaded}\n` +
        `*What to do*\nNothing is required. To load new columns, declare them in the contract of ${dataset}.`
      );
    }
    case 'alert':
      return (
        `*Impact on Silver*\nNot accepted: Silver loads continue with the contract's schema.${notLoaded}` +
        `${notice.changes.some((c) => c.severity === 'breaking') ? ' Loads that read a removed or changed column may fail.' : ''}\n` +
        `*What to do*\nFix the source, or update the contract if the change is intended and accept the new schema: ${command}`
      );
    case 'pause':
      return (
        `*Impact on Silver*\nDataset *PAUSED*: files keep landing in Bronze, no Silver loads until it is resumed.\n` +
        `*What to do*\nFix the source, or update the contract if the change is intended; then resume and accept the new schema: ${command}`
      );
  }
}

const TITLES: Readonly<Record<SchemaDriftNotice['action'], string>> = {
  accept: ':information_source: Schema evolved',
  alert: ':warning: Schema drift',
  pause: ':octagonal_sign: Dataset paused: schema drift',
};

const ACTION_WORDS: Readonly<Record<SchemaDriftNotice['action'], string>> = {
  accept: 'accepted',
  alert: 'alert (not accepted)',
  pause: 'PAUSED',
};

/** The alert for drift between two versions of a dataset's Bronze table. */
export function schemaDriftMessage(
  notice: SchemaDriftNotice,
  options: DriftMessageOptions = {},
): SlackMessage {
  const maxListed = Math.max(1, Math.min(options.maxListed ?? MAX_LISTED_CHANGES, MAX_LISTED_CHANGES));
  const classification = driftClassification(notice.changes);
  const where = `${notice.database}.${notice.table}`;
  const declared =
    notice.declared !== undefined && notice.declared > 0
      ? ` · ${notice.declared} more change${notice.declared === 1 ? '' : 's'} already declared by the contract`
      : '';
  const blocks: Block[] = [
    header(`${TITLES[notice.action]}: ${notice.dataset}`),
    fields([
      ['Dataset', notice.dataset],
      ['Bronze table', where],
      ['Table version', `${notice.fromVersion} → ${notice.toVersion}`],
      ['Classification', classification],
      ['Policy', notice.policy],
      ['Action', ACTION_WORDS[notice.action]],
    ]),
    ...changeList(notice.changes, maxListed),
    section(impactText(notice, options.stage, options.cli)),
    context(
      `lakeplane schema drift · ${dataCode(where, 300)} version ${escapeData(notice.toVersion, 40)}${declared}`,
    ),
  ];
  const fallback =
    `Schema drift in ${notice.dataset} (${where} version ${notice.fromVersion} → ${notice.toVersion}): ` +
    `${notice.changes.length} change${notice.changes.length === 1 ? '' : 's'} (${classification}), ${ACTION_WORDS[notice.action]}`;
  return {
    text: escapeData(fallback, SLACK_LIMITS.fallbackText),
    ...(options.channel ? { channel: options.channel } : {}),
    blocks,
  };
}

/** The alert for a dataset's Bronze table deleted from the Glue Data Catalog. */
export function bronzeTableDeletedMessage(
  notice: TableDeletedNotice,
  options: Pick<DriftMessageOptions, 'channel' | 'stage' | 'cli'> = {},
): SlackMessage {
  const where = `${notice.database}.${notice.table}`;
  const blocks: Block[] = [
    header(`:x: Bronze table deleted: ${notice.dataset}`),
    fields([
      ['Dataset', notice.dataset],
      ['Bronze table', where],
      ['Deleted at', notice.deletedAt],
      ['Classification', 'breaking'],
    ]),
    section(
      `*What changed*\nThe Bronze table ${dataCode(where, 300)} is gone from the Glue Data Catalog. ` +
        'The files in Bronze are not touched by this: only their table definition is gone.',
    ),
    section(
      '*Impact on Silver*\nSilver loads continue from the Bronze files, but queries of the Bronze table fail and schema drift cannot be checked until the table is back.\n' +
        `*What to do*\nIf the deletion was not intended, re-create the table (run the Bronze crawler). Then accept the schema of its first version: ${code(resumeCommand(notice.dataset, undefined, options.stage, options.cli))}`,
    ),
    context(`lakeplane schema drift · ${dataCode(where, 300)} deleted`),
  ];
  return {
    text: escapeData(
      `Bronze table deleted: ${where} (dataset ${notice.dataset}) at ${notice.deletedAt}`,
      SLACK_LIMITS.fallbackText,
    ),
    ...(options.channel ? { channel: options.channel } : {}),
    blocks,
  };
}
