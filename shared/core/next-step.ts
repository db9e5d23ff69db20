import type { LoadRecord } from './load.js';
import { shellWord } from './shell-word.js';

/**
 * The one next step of a load that needs someone, as every place that reports it (the CLI's
 * `load` and `loads show`, the Slack alert) words it: what to do, and the command that does it,
 * typed as printed. The steps, by cause:
 * - a file the engine could not read (too many bad records, not NDJSON text): land the corrected
 *   file at the same key; the failed load then reads RESOLVED (a replay would read the same bad
 *   object version again);
 * - a failed quality gate: fix the data or the expectation, then replay;
 * - a contract the batch does not fit: fix the contract, then replay;
 * - interrupted, or anything else: fix the cause (if any), then replay.
 */
export type FailureKind = 'bad-file' | 'quality' | 'contract' | 'interrupted' | 'other';

export interface NextStep {
  readonly kind: FailureKind;
  /** What to do, in a sentence (no command). */
  readonly what: string;
  /** The command, as typed. */
  readonly command: string;
}

/** Where the command runs: the CLI as it is started (`npx lakeplane --home …`), and a deployed stage's flags. */
export interface StepPlace {
  /** How the CLI is started, with the workspace's --home when it has one (local runtime). */
  readonly cli?: string;
  /** A deployed stage: commands carry `--stage` (and `--region`), a file lands with the AWS CLI. */
  readonly stage?: string;
  readonly region?: string;
  /** The local path of the file the load read, when the caller knows it (the CLI's `load`). */
  readonly file?: string;
}

// Words the engines (local/engine/warehouse.ts, spark-jobs casting.py and stage_job.py) put in the
// cause of a file they could not read as the dataset's records.
const BAD_FILE =
  /MalformedFileError|DamagedGzipError|records are unreadable|cannot be read as NDJSON|are bad, more than bronze\.max_bad_record_ratio|the file was not staged/;

export function failureKind(load: Pick<LoadRecord, 'status' | 'cause'>): FailureKind {
  if (load.status === 'FAILED_QUALITY') return 'quality';
  const cause = `${load.cause?.error ?? ''} ${load.cause?.message ?? ''}`;
  if (BAD_FILE.test(cause)) return 'bad-file';
  if (/^Interrupted\b|\binterrupted: the process/.test(cause.trim())) return 'interrupted';
  if (/Fix the contract/.test(cause)) return 'contract';
  return 'other';
}

/** The next step of a FAILED or FAILED_QUALITY load. */
export function nextStep(load: LoadRecord, place: StepPlace = {}): NextStep {
  const base = place.cli ?? (place.stage ? 'lakeplane' : 'npx lakeplane');
  const where = place.stage
    ? ` --stage ${place.stage}${place.region ? ` --region ${place.region}` : ''}`
    : '';
  const replay = `${base} replay ${load.loadId}${where}`;
  const kind = failureKind(load);
  switch (kind) {
    case 'bad-file': {
      const key = load.source.key;
      const name = key.slice(key.lastIndexOf('/') + 1);
      const command = place.stage
        ? `aws s3 cp ${shellWord(name)} ${shellWord(`s3://${load.source.bucket}/${key}`)}`
        : `${base} load ${load.dataset} ${shellWord(place.file ?? name)}`;
      const many = (load.manifest?.objects ?? 1) > 1;
      return {
        kind,
        what: `Fix ${many ? 'the rejected files' : `the file ${name}`} and land ${many ? 'each corrected one' : 'the corrected one'} at the same key${place.file ? '' : place.stage ? '' : ', from the folder that holds it'}; this load then reads RESOLVED (a replay would read the same bad file again)`,
        command,
      };
    }
    case 'quality':
      return {
        kind,
        what: `If the failed expectation is wrong, fix it in the contract of ${load.dataset} and replay; if the data is, land the corrected file at the same key instead (this load then reads RESOLVED)`,
        command: replay,
      };
    case 'contract':
      return { kind, what: `Fix the contract of ${load.dataset}, then replay`, command: replay };
    case 'interrupted':
      return { kind, what: 'The run was interrupted; replay it', command: replay };
    case 'other':
      return { kind, what: 'Fix the cause, then replay', command: replay };
  }
}

/**
 * A cause without the orchestration's wrapping (`States.TaskFailed: step "… #1" failed:
 * MalformedFileError: `): what went wrong, for the first line of an alert.
 */
export function plainCause(load: Pick<LoadRecord, 'cause'>): string {
  const message = load.cause?.message ?? 'no cause was recorded';
  return message.replace(/^step "[^"]*" failed: (?:[A-Z][A-Za-z]*Error: )?/, '');
}
