import { mkdirSync } from 'node:fs';
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
