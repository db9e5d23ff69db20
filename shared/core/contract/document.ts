import type * as z from 'zod';
import { columnsOf, type ExpectationSpec } from '../quality/expectations.js';
import { implicitExpectations } from '../quality/implicit.js';
import { parseColumnType } from './column-type.js';
import { ContractError, type ContractIssue } from './errors.js';
import { type ContractDocument, contractDocument } from './schema.js';
import { mentionsIdentifier, readsBatch, tableRefs } from './sql-refs.js';
import type { ColumnSpec, DatasetContract } from './types.js';

// A contract as plain data (what YAML parses to, or the JSON a Lambda bundle carries), validated:
// no YAML parser here, so a function that gets its contracts as JSON does not bundle one.

function zodPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

function zodIssues(error: z.ZodError): ContractIssue[] {
  return error.issues.map((i) => ({ path: zodPath(i.path), message: i.message }));
}

/**
 * Validates one dataset contract given as plain data (the parsed YAML document).
 * @param file where the document came from; named in every error.
 * @throws ContractError naming the file, each field path and the reason.
 */
export function contractFromDocument(value: unknown, file: string): DatasetContract {
  return checkContract(validDocument(value, file), file);
}

/**
 * The contract document as validated, with its defaults applied, in the YAML's own field
 * names, and the effective expectations (the contract's, then the implicit ones): what is
 * uploaded as `contracts/<name>.json` for the Spark jobs.
 * @throws ContractError as contractFromDocument does.
 */
export function contractArtifactFromDocument(value: unknown, file: string): ContractDocument {
  const doc = validDocument(value, file);
  const contract = checkContract(doc, file);
  return {
    ...doc,
    expectations: contract.expectations.map((e) => ({ ...e, kwargs: { ...e.kwargs } })),
  } as ContractDocument;
}

function validDocument(value: unknown, file: string): ContractDocument {
  const parsed = contractDocument.safeParse(value);
  if (!parsed.success) throw new ContractError(file, zodIssues(parsed.error));
  return parsed.data;
}

function checkContract(doc: ContractDocument, file: string): DatasetContract {
  const issues: ContractIssue[] = [];
  const columns: ColumnSpec[] = [];
  const seen = new Set<string>();
  doc.columns.forEach((c, i) => {
    const lower = c.name.toLowerCase();
    if (seen.has(lower))
      issues.push({ path: `columns[${i}].name`, message: `column "${c.name}" is declared twice` });
    seen.add(lower);
    const type = parseColumnType(c.type);
    if ('error' in type) {
      issues.push({ path: `columns[${i}].type`, message: type.error });
      return;
    }
    columns.push({ name: c.name, type, typeName: c.type, nullable: c.nullable, pii: c.pii });
  });
  const byName = new Map(doc.columns.map((c) => [c.name.toLowerCase(), c]));
  const declared = (name: string) => byName.get(name.toLowerCase());
  const columnList = doc.columns.map((c) => c.name).join(', ');

  const keys = new Set<string>();
  doc.key.forEach((k, i) => {
    const col = declared(k);
    if (!col)
      issues.push({
        path: `key[${i}]`,
        message: `record key field "${k}" is not a declared column (columns: ${columnList})`,
      });
    else if (col.nullable)
      issues.push({ path: `key[${i}]`, message: `record key field "${k}" must be declared nullable: false` });
    if (keys.has(k)) issues.push({ path: `key[${i}]`, message: `record key field "${k}" is listed twice` });
    keys.add(k);
  });
  const precombine = declared(doc.precombine);
  if (!precombine) {
    issues.push({
      path: 'precombine',
      message: `precombine field "${doc.precombine}" is not a declared column (columns: ${columnList})`,
    });
  } else if (precombine.nullable) {
    issues.push({
      path: 'precombine',
      message: `precombine field "${doc.precombine}" must be declared nullable: false (records are ordered by it)`,
    });
  }
  if (doc.cdc && !declared(doc.cdc.column)) {
    issues.push({
      path: 'cdc.column',
      message: `CDC operation column "${doc.cdc.column}" is not a declared column`,
    });
  }

  if (!readsBatch(doc.silver.sql)) {
    issues.push({ path: 'silver.sql', message: 'must read the load\'s records with "FROM batch"' });
  }
  const mustReachSilver = [...doc.key, doc.precombine, doc.partition, ...(doc.cdc ? [doc.cdc.column] : [])];
  for (const field of mustReachSilver) {
    if (!mentionsIdentifier(doc.silver.sql, field)) {
      issues.push({
        path: 'silver.sql',
        message: `must select "${field}" (a key, precombine, partition or CDC field)`,
      });
    }
  }
  for (const ref of tableRefs(doc.silver.sql)) {
    if (ref.zone === 'gold')
      issues.push({ path: 'silver.sql', message: `must not read Gold (gold.${ref.table})` });
  }
  const goldNames = new Set<string>();
  doc.gold.forEach((g, i) => {
    if (goldNames.has(g.name))
      issues.push({ path: `gold[${i}].name`, message: `gold table "${g.name}" is declared twice` });
    goldNames.add(g.name);
    const refs = tableRefs(g.sql);
    if (!refs.some((r) => r.zone === 'silver')) {
      issues.push({
        path: `gold[${i}].sql`,
        message: `must read at least one Silver table (e.g. FROM silver.${doc.name})`,
      });
    }
    for (const r of refs) {
      if (r.zone === 'gold')
        issues.push({ path: `gold[${i}].sql`, message: `must read Silver, not gold.${r.table}` });
    }
  });

  doc.expectations.forEach((e, i) => {
    for (const c of columnsOf(e as ExpectationSpec)) {
      if (!declared(c) && !mentionsIdentifier(doc.silver.sql, c)) {
        issues.push({
          path: `expectations[${i}].kwargs`,
          message: `column "${c}" is neither a declared column nor selected by silver.sql`,
        });
      }
    }
    const regex = (e.kwargs as { regex?: string }).regex;
    if (regex !== undefined) {
      try {
        new RegExp(regex);
      } catch (err) {
        issues.push({
          path: `expectations[${i}].kwargs.regex`,
          message: `not a valid regular expression: ${(err as Error).message}`,
        });
      }
    }
  });

  if (issues.length > 0) throw new ContractError(file, issues);
  return {
    name: doc.name,
    description: doc.description,
    ...(doc.owner !== undefined ? { owner: doc.owner } : {}),
    bronze: {
      prefix: doc.bronze.prefix,
      format: doc.bronze.format,
      maxBadRecordRatio: doc.bronze.max_bad_record_ratio,
    },
    key: doc.key,
    precombine: doc.precombine,
    partition: doc.partition,
    columns,
    silver: { sql: doc.silver.sql },
    gold: doc.gold.map((g) => ({
      name: g.name,
      sql: g.sql,
      ...(g.description ? { description: g.description } : {}),
    })),
    ...(doc.cdc ? { cdc: { column: doc.cdc.column, deleteValue: doc.cdc.delete_value } } : {}),
    expectations: [
      ...(doc.expectations as ExpectationSpec[]),
      ...implicitExpectations(doc.key, doc.precombine, doc.expectations as ExpectationSpec[]),
    ],
    drift: doc.drift,
    alerts: doc.alerts.slack_channel !== undefined ? { slackChannel: doc.alerts.slack_channel } : {},
    ...(doc.budget ? { budget: { emrStepHoursPerDay: doc.budget.emr_step_hours_per_day } } : {}),
    paused: doc.paused,
    source: file,
  };
}

/** A set of contracts, checked as a whole (names, prefixes, cross-dataset references). */
export interface ContractSet {
  readonly datasets: ReadonlyMap<string, DatasetContract>;
}

/**
 * Checks contracts against each other: unique dataset names, Bronze prefixes that do not
 * overlap, Gold SQL that reads only Silver tables of known datasets, unique Gold names.
 * @throws ContractError naming the contract file at fault.
 */
export function buildContractSet(contracts: readonly DatasetContract[]): ContractSet {
  const datasets = new Map<string, DatasetContract>();
  for (const c of contracts) {
    const other = datasets.get(c.name);
    if (other) {
      throw new ContractError(c.source, [
        { path: 'name', message: `dataset "${c.name}" is already defined in ${other.source}` },
      ]);
    }
    datasets.set(c.name, c);
  }
  const goldOwners = new Map<string, string>();
  for (const c of contracts) {
    for (const o of contracts) {
      if (
        o !== c &&
        (c.bronze.prefix.startsWith(o.bronze.prefix) || o.bronze.prefix.startsWith(c.bronze.prefix)) &&
        c.source > o.source
      ) {
        throw new ContractError(c.source, [
          {
            path: 'bronze.prefix',
            message: `"${c.bronze.prefix}" overlaps "${o.bronze.prefix}" of dataset ${o.name} (${o.source})`,
          },
        ]);
      }
    }
    c.gold.forEach((g, i) => {
      const owner = goldOwners.get(g.name);
      if (owner)
        throw new ContractError(c.source, [
          { path: `gold[${i}].name`, message: `gold table "${g.name}" is already built by dataset ${owner}` },
        ]);
      goldOwners.set(g.name, c.name);
      for (const r of tableRefs(g.sql)) {
        if (r.zone === 'silver' && !datasets.has(r.table)) {
          throw new ContractError(c.source, [
            {
              path: `gold[${i}].sql`,
              message: `reads silver.${r.table}, but no dataset is named "${r.table}" (known: ${[...datasets.keys()].join(', ')})`,
            },
          ]);
        }
      }
    });
    for (const r of tableRefs(c.silver.sql)) {
      if (r.zone === 'silver' && !datasets.has(r.table)) {
        throw new ContractError(c.source, [
          { path: 'silver.sql', message: `reads silver.${r.table}, but no dataset is named "${r.table}"` },
        ]);
      }
    }
  }
  return { datasets };
}
