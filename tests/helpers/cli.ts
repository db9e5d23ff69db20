import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './fixtures.js';

export const BIN = join(REPO, 'bin', 'lakeplane.js');

/** `lakeplane --home <home> …` as a user types it (this checkout's bin), LAKEPLANE_HOME unset. */
export function lakeplane(home: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--home', home, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LAKEPLANE_HOME: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
