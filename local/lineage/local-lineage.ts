import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpLineageSink } from '../../shared/aws/http-lineage.js';
import { columnLineageWithDuckDb } from '../../shared/contract-lineage.js';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import { type ColumnLineageMap, columnLineageMap } from '../../shared/core/lineage/contract-lineage.js';
import { producerOf } from '../../shared/core/lineage/openlineage.js';
import type { LineageSink } from '../../shared/ports.js';
import type { LineageDeps } from '../../shared/usecases/lineage.js';
import { PACKAGE_ROOT } from '../paths.js';
import { LOCAL_BRONZE_DATABASE, LOCAL_LAYOUT, type Workspace } from '../workspace.js';
import { FanOutLineageSink, JsonlLineageSink } from './jsonl-lineage.js';

/** The workspace's lineage file: every run event, one per line. */
export const lineageFile = (ws: Pick<Workspace, 'home'>): string => join(ws.home, 'lineage.jsonl');

/** The local stage's names: the catalog ARNs the local runtime uses everywhere (region `local`). */
export const LOCAL_LINEAGE_SCOPE = {
  stage: 'local',
  region: 'local',
  account: '000000000000',
  layout: LOCAL_LAYOUT,
  bronzeDatabase: LOCAL_BRONZE_DATABASE,
} as const;

let version: string | undefined;
const packageVersion = () =>
  (version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version);

/**
 * The local runtime's lineage: every run event to `<home>/lineage.jsonl`, and also to an
 * OpenLineage HTTP consumer when OPENLINEAGE_URL is set (OPENLINEAGE_API_KEY, OPENLINEAGE_ENDPOINT).
 * The column lineage is parsed by the warehouse's DuckDB the first time a run needs it.
 */
export function localLineage(
  ws: Pick<Workspace, 'home'>,
  contracts: ContractSet,
  query: (sql: string) => Promise<readonly Record<string, unknown>[]>,
  warn: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): LineageDeps {
  const sinks: LineageSink[] = [new JsonlLineageSink(lineageFile(ws))];
  const url = env.OPENLINEAGE_URL;
  if (url) {
    const key = env.OPENLINEAGE_API_KEY;
    sinks.push(
      new HttpLineageSink({
        url,
        ...(env.OPENLINEAGE_ENDPOINT ? { endpoint: env.OPENLINEAGE_ENDPOINT } : {}),
        ...(key ? { apiKey: async () => key } : {}),
      }),
    );
  }
  let columns: Promise<ColumnLineageMap> | undefined;
  const v = packageVersion();
  return {
    sink: sinks.length === 1 ? sinks[0]! : new FanOutLineageSink(sinks),
    context: { producer: producerOf(v), version: v, scope: LOCAL_LINEAGE_SCOPE },
    contracts,
    columnLineage: () => {
      columns ??= columnLineageWithDuckDb(contracts, query).then(columnLineageMap);
      return columns;
    },
    warn: (message, error) =>
      warn(`${message}${error ? `: ${error instanceof Error ? error.message : String(error)}` : ''}`),
  };
}
