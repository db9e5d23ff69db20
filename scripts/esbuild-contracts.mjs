// The esbuild plugin that compiles the dataset contracts into each function bundle, for
// scripts/build.mjs and serverless.yml (custom.esbuild.plugins: scripts/esbuild-plugins.mjs).
//
// datasets/*.yaml are read and validated once, at build time (shared/contracts-dir.ts
// compileContractsDir: a bad contract fails the build, naming the file and field), and go into
// the bundle as JSON (the define LAKEPLANE_COMPILED_CONTRACTS). Imports of
// shared/aws/lambda-contracts.ts, which reads a folder of YAML, resolve to
// shared/aws/lambda-contracts.compiled.ts, which validates that JSON at cold start: no YAML
// parser in a Lambda, no contract files in its package. The contracts' column lineage
// (shared/contract-lineage.ts, DuckDB's parser) is computed here too and replaces
// shared/aws/lambda-lineage.ts with lambda-lineage.compiled.ts: no DuckDB in a Lambda.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tsImport } from 'tsx/esm/api';

const ROOT = resolve(import.meta.dirname, '..');
const FROM_FOLDER = join(ROOT, 'shared/aws/lambda-contracts.ts');
const COMPILED = join(ROOT, 'shared/aws/lambda-contracts.compiled.ts');
const LINEAGE_FROM_SOURCE = join(ROOT, 'shared/aws/lambda-lineage.ts');
const LINEAGE_COMPILED = join(ROOT, 'shared/aws/lambda-lineage.compiled.ts');

/** Compiles every contract once per process (serverless-esbuild builds each function apart). */
let compiling;
/** @returns {Promise<string>} the JSON of the CompiledContract[] of `datasets/`. */
export function compiledContractsJson() {
  compiling ??= tsImport('../shared/contracts-dir.ts', import.meta.url).then(({ compileContractsDir }) =>
    JSON.stringify(compileContractsDir(join(ROOT, 'datasets'), 'datasets')),
  );
  return compiling;
}

/** Computes the contracts' column lineage once per process (DuckDB's parser, at build time). */
let lineage;
/** @returns {Promise<string>} the JSON of the DatasetColumnLineage[] of `datasets/`. */
export function compiledLineageJson() {
  lineage ??= Promise.all([
    tsImport('../shared/contracts-dir.ts', import.meta.url),
    tsImport('../shared/contract-lineage.ts', import.meta.url),
  ]).then(async ([{ loadContractsDir }, { columnLineageWithDuckDb }]) =>
    JSON.stringify(await columnLineageWithDuckDb(loadContractsDir(join(ROOT, 'datasets')))),
  );
  return lineage;
}

const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

/** @returns {import('esbuild').Plugin} */
export function compiledContractsPlugin() {
  return {
    name: 'lakeplane-compiled-contracts',
    async setup(build) {
      const [json, lineageJson] = await Promise.all([compiledContractsJson(), compiledLineageJson()]);
      build.initialOptions.define = {
        ...build.initialOptions.define,
        LAKEPLANE_COMPILED_CONTRACTS: JSON.stringify(json),
        LAKEPLANE_COMPILED_LINEAGE: JSON.stringify(lineageJson),
        'process.env.LAKEPLANE_VERSION': JSON.stringify(VERSION),
      };
      build.onResolve({ filter: /(^|\/)lambda-(contracts|lineage)\.js$/ }, (args) => {
        const from = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        if (from === FROM_FOLDER) return { path: COMPILED };
        if (from === LINEAGE_FROM_SOURCE) return { path: LINEAGE_COMPILED };
        return undefined;
      });
    },
  };
}
