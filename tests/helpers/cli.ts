import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * A command the CLI printed, typed into a shell as printed, from `cwd`: `npx lakeplane` (and a bare
 * `lakeplane`) run this checkout's bin, as they do in a checkout after `npm ci`. Quoting, relative
 * paths and flags are the shell's, so a next step that only reads right fails here.
 */
export function typed(command: string, cwd: string) {
  const shims = mkdtempSync(join(tmpdir(), 'lakeplane-typed-'));
  const run = `exec '${process.execPath}' '${BIN}' "$@"`;
  writeFileSync(
    join(shims, 'npx'),
    `#!/bin/sh\nif [ "$1" = lakeplane ]; then shift; ${run}; fi\necho "npx $1: not this checkout's lakeplane" >&2; exit 127\n`,
    { mode: 0o755 },
  );
  writeFileSync(join(shims, 'lakeplane'), `#!/bin/sh\n${run}\n`, { mode: 0o755 });
  const r = spawnSync('/bin/sh', ['-c', command], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LAKEPLANE_HOME: '', PATH: `${shims}:${process.env.PATH ?? ''}` },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
