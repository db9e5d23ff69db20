import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntime } from '../../local/runtime.js';
import { tempDir } from './fixtures.js';

/** A local runtime in a fresh temporary workspace, printing nothing. */
export async function startRuntime(home = tempDir()): Promise<{ rt: LocalRuntime; printed: string[] }> {
  const printed: string[] = [];
  const rt = await LocalRuntime.start({ home, print: (t) => printed.push(t) });
  return { rt, printed };
}

/** The Slack payloads the local notifier wrote. */
export function notifications(rt: LocalRuntime): { message: { text: string } }[] {
  const file = rt.workspace.notifications;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** Execution names the local Step Functions started. */
export function executions(rt: LocalRuntime): string[] {
  const file = join(rt.workspace.home, 'executions.json');
  return existsSync(file) ? Object.keys(JSON.parse(readFileSync(file, 'utf8'))) : [];
}

export async function silverDigest(rt: LocalRuntime, table = 'silver.orders'): Promise<unknown> {
  return (
    await rt.warehouse.query(
      `SELECT count(*) AS n, md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) AS h FROM ${table} t`,
    )
  ).rows[0];
}
