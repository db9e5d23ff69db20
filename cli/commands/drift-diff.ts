/**
 * `lakeplane drift diff <old.json> <new.json> [--json]`: the schema changes between two Glue
 * table definitions, classified as drift detection classifies them, and (given the dataset's
 * contract) which of them are declared and what the drift policy would do.
 *
 * A file may be a GetTable response (`aws glue get-table`), one TableVersion, or a bare Table;
 * `versions.json#3` picks VersionId 3 from a GetTableVersions response.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { DatasetContract } from '../../shared/core/contract/types.js';
import {
  type ContractCheckedChange,
  classifyAgainstContract,
  classifyTableChange,
  type DriftChange,
} from '../../shared/core/drift/classify.js';
import { GlueTableError } from '../../shared/core/drift/errors.js';
import {
  type DriftDecision,
  type DriftSummary,
  decideDriftAction,
  summarizeChanges,
} from '../../shared/core/drift/policy.js';
import {
  type GlueTable,
  readGlueTable,
  readTableVersions,
  tableLabel,
} from '../../shared/core/drift/table.js';
import { UsageError } from '../context.js';
import { table } from '../output.js';

/** The result of comparing two table files. */
export interface DriftDiffResult {
  /** How each table is named: `db.table (version 3)`, or the file name. */
  readonly tables: { readonly old: string; readonly new: string };
  /** Every change; checked against the contract when one was given. */
  readonly changes: readonly (DriftChange | ContractCheckedChange)[];
  readonly summary: DriftSummary;
  /** With a contract: what its drift policy would do with the undeclared changes. */
  readonly decision?: DriftDecision<ContractCheckedChange> & { readonly dataset: string };
}

const VERSION_SUFFIX = /^(.*)#(\d+)$/;

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`${file}: not JSON (${(e as Error).message})`);
  }
}

/** Reads one table from a file argument (`file.json` or `versions.json#<VersionId>`). */
function readTableFile(arg: string): GlueTable {
  const selector = existsSync(arg) ? null : VERSION_SUFFIX.exec(arg);
  const file = selector ? selector[1]! : arg;
  const doc = readJson(file);
  let found: GlueTable;
  try {
    const isVersions = typeof doc === 'object' && doc !== null && 'TableVersions' in doc;
    if (!isVersions) {
      if (selector) {
        throw new UsageError(
          `${file}: "#${selector[2]}" picks a version, but this is no GetTableVersions response`,
        );
      }
      found = readGlueTable(doc, file);
    } else {
      const versions = readTableVersions(doc, file);
      const ids = versions.map((v) => v.VersionId).join(', ') || 'none';
      if (!selector) {
        throw new UsageError(
          `${file} is a GetTableVersions response: pick a version with ${file}#<VersionId> (versions: ${ids})`,
        );
      }
      const version = versions.find((v) => v.VersionId === selector[2]);
      if (!version) throw new UsageError(`${file}: no VersionId ${selector[2]} (versions: ${ids})`);
      found = version.Table;
    }
    // Reads every column type now, so that a malformed one is reported with its file.
    classifyTableChange(found, {});
  } catch (e) {
    if (e instanceof GlueTableError)
      throw new UsageError(`${arg}: ${e.path === '' ? '' : `${e.path}: `}${e.reason}`);
    throw e;
  }
  return found;
}

/**
 * Compares two Glue table files. With a contract, each change says whether the contract
 * declares it, and the decision is what the dataset's drift policy would do.
 * @throws UsageError when a file cannot be read or holds no usable table definition.
 */
export function diffTableFiles(
  oldFile: string,
  newFile: string,
  contract?: DatasetContract,
): DriftDiffResult {
  const before = readTableFile(oldFile);
  const after = readTableFile(newFile);
  const changes = classifyTableChange(before, after);
  const tables = { old: tableLabel(before, oldFile), new: tableLabel(after, newFile) };
  if (!contract) return { tables, changes, summary: summarizeChanges(changes) };
  const checked = classifyAgainstContract(changes, contract);
  return {
    tables,
    changes: checked,
    summary: summarizeChanges(checked),
    decision: { ...decideDriftAction(checked, contract.drift.policy), dataset: contract.name },
  };
}

function typeCell(c: DriftChange): string {
  if (c.oldType === undefined) return `→ ${c.newType ?? ''}`;
  if (c.newType === undefined) return `${c.oldType} →`;
  return c.oldType === c.newType ? c.oldType : `${c.oldType} → ${c.newType}`;
}

function pathCell(c: DriftChange): string {
  return c.previousPath !== undefined && c.previousPath !== c.path
    ? `${c.path} (was ${c.previousPath})`
    : c.path;
}

/** The comparison for the terminal: a headline, a table of changes, and why each breaks. */
export function formatDriftDiff(r: DriftDiffResult): string {
  const s = r.summary;
  const lines = [`${r.tables.old} → ${r.tables.new}`];
  if (s.total === 0) {
    lines.push('no schema changes');
    return lines.join('\n');
  }
  lines.push(
    `${s.total} change${s.total === 1 ? '' : 's'}: ${s.bySeverity.additive} additive, ${s.bySeverity.widening} widening, ${s.bySeverity.breaking} breaking`,
    '',
  );
  const checked = r.decision !== undefined;
  const headers = ['path', 'change', 'old → new', 'severity', ...(checked ? ['contract'] : [])];
  lines.push(
    table(
      headers,
      r.changes.map((c) => [
        pathCell(c),
        c.kind,
        typeCell(c),
        c.severity,
        ...(checked ? ['declared' in c && c.declared ? 'declared' : 'drift'] : []),
      ]),
    ),
  );
  const notes = r.changes.filter((c) => c.severity === 'breaking' && !('declared' in c && c.declared));
  if (notes.length > 0) {
    lines.push('', 'why breaking:', ...notes.map((c) => `  ${c.path}: ${c.reason}`));
  }
  if (r.decision) {
    const d = r.decision;
    lines.push(
      '',
      `contract ${d.dataset} (drift policy ${d.policy}): ${s.declared} declared, ${s.drift} drift → ${d.action}${d.breaking ? ' (breaking drift)' : ''}`,
    );
  }
  return lines.join('\n');
}
