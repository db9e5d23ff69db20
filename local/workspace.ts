import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LakeLayout } from '../shared/core/plan.js';

/** Where the local runtime keeps its state, under one folder (`--home`, LAKEPLANE_HOME, ./.lakeplane). */
export interface Workspace {
  readonly home: string;
  readonly objects: string;
  readonly ledger: string;
  readonly warehouse: string;
  readonly executions: string;
  readonly notifications: string;
  /** The local Glue Data Catalog: one JSON file of table versions per table. */
  readonly catalog: string;
}

export function workspaceAt(home: string): Workspace {
  const root = resolve(home);
  mkdirSync(root, { recursive: true });
  return {
    home: root,
    objects: join(root, 's3'),
    ledger: join(root, 'ledger'),
    warehouse: join(root, 'warehouse.duckdb'),
    executions: join(root, 'executions.json'),
    notifications: join(root, 'notifications.jsonl'),
    catalog: join(root, 'catalog'),
  };
}

/** The default home: `--home`, else LAKEPLANE_HOME, else ./.lakeplane. */
export function defaultHome(flag?: string): string {
  return flag ?? process.env.LAKEPLANE_HOME ?? '.lakeplane';
}

/** The buckets and names of the local lake. */
export const LOCAL_LAYOUT: LakeLayout = {
  bronzeBucket: 'lakeplane-bronze',
  silverBucket: 'lakeplane-silver',
  goldBucket: 'lakeplane-gold',
  quarantineBucket: 'lakeplane-quarantine',
  artifactsBucket: 'lakeplane-artifacts',
  silverDatabase: 'silver',
  goldDatabase: 'gold',
  clusterId: 'local',
  dqRouterFunction: 'arn:aws:lambda:local:000000000000:function:dq-router',
  budgetGuardFunction: 'arn:aws:lambda:local:000000000000:function:budget-guard',
};

/** The Glue database of the local Bronze tables (one table per dataset, named after it). */
export const LOCAL_BRONZE_DATABASE = 'lakeplane_bronze';

export const LOCAL_STATE_MACHINE_ARN =
  'arn:aws:states:local:000000000000:stateMachine:lakeplane-load-dataset';
export const LOCAL_ROLLBACK_STATE_MACHINE_ARN =
  'arn:aws:states:local:000000000000:stateMachine:lakeplane-rollback-dataset';
export const LOCAL_QUERY_STATE_MACHINE_ARN =
  'arn:aws:states:local:000000000000:stateMachine:lakeplane-query-dataset';

/** The engines that run the EMR steps locally. */
export const LOCAL_ENGINES = ['duckdb', 'spark'] as const;
export type LocalEngineName = (typeof LOCAL_ENGINES)[number];

/** The file that records which engine a workspace's lake was built with. */
const ENGINE_FILE = 'engine';

/** The engine of an existing workspace (one made before engines were recorded is DuckDB's). */
export function engineOf(ws: Workspace): LocalEngineName | undefined {
  const file = `${ws.home}/${ENGINE_FILE}`;
  if (existsSync(file)) {
    const name = readFileSync(file, 'utf8').trim();
    return (LOCAL_ENGINES as readonly string[]).includes(name) ? (name as LocalEngineName) : undefined;
  }
  return existsSync(ws.warehouse) ? 'duckdb' : undefined;
}

/** Another engine than the workspace's was asked for: its Silver tables live in the other one. */
export class EngineMismatchError extends Error {
  override readonly name = 'EngineMismatchError';
}

/** The workspace's engine (undefined: a new one), refusing another one asked for. */
export function checkedEngine(
  ws: Workspace,
  requested: LocalEngineName | undefined,
): LocalEngineName | undefined {
  const current = engineOf(ws);
  if (current && requested && requested !== current)
    throw new EngineMismatchError(
      `the workspace ${ws.home} holds a lake built by the ${current} engine; run without --engine ${requested} (or LAKEPLANE_ENGINE) to use it, or give another workspace: --home <dir> --engine ${requested}`,
    );
  return current;
}

/**
 * The engine a command runs on: the workspace's own, or for a new workspace the one asked for
 * (recorded). Asking for the other engine on an existing workspace is refused with what to do.
 */
export function useEngine(ws: Workspace, requested: LocalEngineName | undefined): LocalEngineName {
  const current = checkedEngine(ws, requested);
  const engine = current ?? requested ?? 'duckdb';
  if (!current)
    writeFileSync(
      `${ws.home}/${ENGINE_FILE}`,
      `${engine}
`,
    );
  return engine;
}
