/**
 * The contracts a function bundle carries (scripts/esbuild-contracts.mjs): compiled from the
 * YAML folder to JSON at build time, validated again from that JSON at cold start
 * (shared/aws/lambda-contracts.compiled.ts, here with the build's define set by hand).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseDocument } from 'yaml';
import { lambdaContracts as fromFolder } from '../../shared/aws/lambda-contracts.js';
import { compileContractsDir, loadContractsDir } from '../../shared/contracts-dir.js';
import { ContractError } from '../../shared/core/contract/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DATASETS = join(ROOT, 'datasets');

/** lambda-contracts.compiled.ts as a bundle built from `json` runs it. */
async function compiledModule(json: string) {
  vi.stubGlobal('LAKEPLANE_COMPILED_CONTRACTS', json);
  vi.resetModules();
  return import('../../shared/aws/lambda-contracts.compiled.js');
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('contracts compiled into a function bundle', () => {
  it('give exactly the contracts the YAML folder gives, named by their repository path', async () => {
    const compiled = compileContractsDir(DATASETS, 'datasets');
    expect(compiled.map((c) => c.file)).toEqual(['datasets/order_items.yaml', 'datasets/orders.yaml']);
    const { lambdaContracts } = await compiledModule(JSON.stringify(compiled));
    const fromJson = lambdaContracts(undefined);
    const fromYaml = loadContractsDir(DATASETS);
    expect([...fromJson.datasets.keys()]).toEqual([...fromYaml.datasets.keys()]);
    for (const [name, contract] of fromYaml.datasets)
      expect(fromJson.datasets.get(name)).toEqual({ ...contract, source: `datasets/${name}.yaml` });
    // Run from source, the function reads the folder: the same contracts.
    expect([...fromFolder(undefined, ROOT).datasets.keys()]).toEqual([...fromYaml.datasets.keys()]);
  });

  it('are validated again at cold start: a document the build did not check fails naming file and field', async () => {
    const [first] = compileContractsDir(DATASETS, 'datasets');
    const bad = { ...first!, document: { ...(first!.document as object), precombine: 'no_such_column' } };
    const { lambdaContracts } = await compiledModule(JSON.stringify([bad]));
    const err = (() => {
      try {
        lambdaContracts(undefined);
      } catch (e) {
        return e;
      }
    })();
    // A fresh module graph (vi.resetModules): the error's class is that graph's ContractError.
    expect(err).toMatchObject({ name: 'ContractError', file: first!.file });
    expect((err as ContractError).issues.map((i) => i.path)).toContain('precombine');
  });

  it('refuse LAKEPLANE_DATASETS_DIR: a bundle has no folder of contracts to read', async () => {
    const { lambdaContracts } = await compiledModule(JSON.stringify(compileContractsDir(DATASETS)));
    expect(() => lambdaContracts('/var/task/datasets')).toThrow(
      expect.objectContaining({
        name: 'ConfigurationError',
        message: expect.stringMatching(/LAKEPLANE_DATASETS_DIR/),
      }),
    );
  });
});

describe('compileContractsDir (the build step)', () => {
  const dirs: string[] = [];
  const folderWith = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'lakeplane-contracts-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('fails on a bad contract, naming the file under the name it is given', () => {
    const dir = folderWith({ 'broken.yaml': 'name: Broken\n' });
    expect(() => compileContractsDir(dir, 'datasets')).toThrow(ContractError);
    expect(() => compileContractsDir(dir, 'datasets')).toThrow(/datasets\/broken\.yaml/);
  });

  it('checks the set as a whole (a Gold table reading an unknown dataset)', () => {
    const doc = parseDocument(readFileSync(join(DATASETS, 'orders.yaml'), 'utf8'));
    doc.setIn(['gold', 0, 'sql'], 'SELECT * FROM silver.nowhere');
    const dir = folderWith({ 'orders.yaml': doc.toString() });
    expect(() => loadContractsDir(dir)).toThrow(/silver\.nowhere/);
    expect(() => compileContractsDir(dir)).toThrow(/silver\.nowhere/);
  });
});
