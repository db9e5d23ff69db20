import type { ContractSet } from '../../shared/core/contract/parse.js';
import type { Catalog } from '../../shared/ports.js';
import { resumeDataset } from '../../shared/usecases/resume-dataset.js';
import { UsageError } from '../context.js';
import { plural } from '../output.js';
import type { StageDeps } from '../stage.js';

/**
 * The Bronze table version `dataset resume --accept-schema [version]` records, checked against the
 * catalog before anything changes: the newest when no version is given, a version the catalog has
 * otherwise (a missing one is refused, naming those it has); undefined without --accept-schema.
 */
export async function acceptedSchema(
  dataset: string,
  asked: string | boolean | undefined,
  where: {
    readonly contracts: ContractSet;
    readonly catalog: Catalog;
    readonly database: string;
    /** How the printed command starts (`npx lakeplane --home …`, `lakeplane … --stage s`). */
    readonly command: (args: string) => string;
  },
): Promise<string | undefined> {
  const contract = where.contracts.datasets.get(dataset);
  if (!contract)
    throw new UsageError(
      `no dataset named "${dataset}"; known datasets: ${[...where.contracts.datasets.keys()].join(', ')} (contracts are in datasets/*.yaml)`,
    );
  if (contract.paused)
    throw new UsageError(
      `dataset ${dataset} is paused in its contract (paused: true in ${contract.source}); remove that line to resume it: its pending objects then load`,
    );
  if (asked === undefined || asked === false) return undefined;
  // Oldest first (the catalog lists newest first), so the last is the newest.
  const versions = (await where.catalog.tableVersions(where.database, dataset))
    .map((v) => v.VersionId)
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const accepted = asked === true ? versions.at(-1) : asked;
  if (accepted !== undefined && versions.includes(accepted)) return accepted;
  throw new UsageError(
    versions.length === 0
      ? `dataset ${dataset} has no Bronze table version in the catalog ${where.database} yet, so there is no schema to accept; nothing was changed. Crawl its Bronze files first, then resume`
      : `dataset ${dataset} has no Bronze table version ${String(accepted)} (its versions: ${versions.join(', ')}); nothing was changed. Accept one that exists, e.g. the newest: \`${where.command(`dataset resume ${dataset} --accept-schema ${versions.at(-1)}`)}\``,
  );
}

/**
 * `dataset resume` on a deployed stage: the version checked against the stage's Glue catalog, the
 * control table's state moved, the stage's scheduler started on what waited (the loads run there;
 * the lines name them and the command that follows each).
 */
export async function resumeOnStage(
  dataset: string,
  asked: string | boolean | undefined,
  deps: Pick<
    StageDeps,
    'contracts' | 'catalog' | 'outputs' | 'control' | 'ledger' | 'orchestrator' | 'layout' | 'schedule'
  >,
  how: { readonly stage: string; readonly where: string; readonly by: string },
): Promise<string[]> {
  const accepted = await acceptedSchema(dataset, asked, {
    contracts: deps.contracts,
    catalog: deps.catalog,
    database: deps.outputs.BronzeDatabaseName,
    command: (args) => `lakeplane ${args}${how.where}`,
  });
  const before = await deps.control.get(dataset);
  if (!before?.paused && accepted === undefined)
    return [`dataset ${dataset} is not paused on ${how.stage}: nothing to resume, nothing was changed`];
  const resumed = await resumeDataset(
    dataset,
    {
      contracts: deps.contracts,
      control: deps.control,
      ledger: deps.ledger,
      orchestrator: deps.orchestrator,
      layout: deps.layout,
      scheduler: deps.schedule,
    },
    { by: how.by, ...(accepted ? { acceptedSchemaVersion: accepted } : {}) },
  );
  return [
    resumed.waiting
      ? `dataset ${dataset} stays paused: load ${resumed.waiting.inFlight} is in flight; run this again once it has ended (\`lakeplane loads show ${resumed.waiting.inFlight}${how.where}\`)`
      : `dataset ${dataset} resumed on ${how.stage}; ${accepted ? `accepted Bronze schema version ${accepted}` : 'no Bronze schema version accepted (--accept-schema records one)'}; ${plural(resumed.started.length, 'load')} started`,
    ...resumed.started.map((l) => `  ${l.loadId}  follow it: lakeplane loads show ${l.loadId}${how.where}`),
  ];
}
