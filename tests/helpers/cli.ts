import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './fixtures.js';

export const BIN = join(REPO, 'bin', 'lakeplane.js');

/** `lakeplane --home <home> …` as a user types it (this checkout's bin), LAKEPLANE_HOME unset. */
export function lakeplane(home: string, ...args: string[]) {
  return lakeplaneWith({}, home, ...args);
}

/** The same with more environment variables (e.g. LAKEPLANE_CRASH_AT); `signal` names what killed it. */
export function lakeplaneWith(env: Record<string, string>, home: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--home', home, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LAKEPLANE_HOME: '', ...env },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
