import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { REPO } from '../helpers/fixtures.js';

const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const run = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('the CLI as bin/lakeplane.js runs it', () => {
  it('prints the package version with --version, from the build and from the sources (LAKEPLANE_DEV=1)', () => {
    for (const env of [{ LAKEPLANE_DEV: '' }, { LAKEPLANE_DEV: '1' }]) {
      const r = run(env, '--version');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('runs the JavaScript built from cli/main.ts, which reads the package files from their place', () => {
    const r = run({ LAKEPLANE_DEV: '' }, 'datasets', 'validate');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(REPO, 'datasets', 'orders.yaml'));
    const pointer = JSON.parse(readFileSync(join(REPO, 'dist', 'cli', 'current.json'), 'utf8')) as {
      entry: string;
      inputs: Record<string, unknown>;
    };
    expect(existsSync(join(REPO, 'dist', 'cli', pointer.entry))).toBe(true);
    expect(Object.keys(pointer.inputs)).toEqual(expect.arrayContaining(['cli/main.ts', 'local/runtime.ts']));
  });
});
