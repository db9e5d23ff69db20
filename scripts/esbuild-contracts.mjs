// The esbuild plugin that compiles the dataset contracts into each function bundle, for
// scripts/build.mjs and serverless.yml (custom.esbuild.plugins: scripts/esbuild-plugins.mjs).
//
// datasets/*.yaml are read and validated once, at build time (shared/contracts-dir.ts
// compileContractsDir: a bad contract fails the build, naming the file and field), and go into
// the bundle as JSON (the define LAKEPLANE_COMPILED_CONTRACTS). Imports of
// shared/aws/lambda-contracts.ts, which reads a folder of YAML, resolve to
// shared/aws/lambda-contracts.compiled.ts, which validates that JSON at cold start: no YAML
// parser in a Lambda, no contract files in its package.
import { join, resolve } from 'node:path';
import { tsImport } from 'tsx/esm/api';

const ROOT = resolve(import.meta.dirname, '..');
const FROM_FOLDER = join(ROOT, 'shared/aws/lambda-contracts.ts');
const COMPILED = join(ROOT, 'shared/aws/lambda-contracts.compiled.ts');

/** Compiles every contract once per process (serverless-esbuild builds each function apart). */
let compiling;
/** @returns {Promise<string>} the JSON of the CompiledContract[] of `datasets/`. */
export function compiledContractsJson() {
  compiling ??= tsImport('../shared/contracts-dir.ts', import.meta.url).then(({ compileContractsDir }) =>
    JSON.stringify(compileContractsDir(join(ROOT, 'datasets'), 'datasets')),
  );
  return compiling;
}

/** @returns {import('esbuild').Plugin} */
export function compiledContractsPlugin() {
  return {
    name: 'lakeplane-compiled-contracts',
    async setup(build) {
      const json = await compiledContractsJson();
      build.initialOptions.define = {
        ...build.initialOptions.define,
        LAKEPLANE_COMPILED_CONTRACTS: JSON.stringify(json),
      };
      build.onResolve({ filter: /(^|\/)lambda-contracts\.js$/ }, (args) =>
        resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) === FROM_FOLDER
          ? { path: COMPILED }
          : undefined,
      );
    },
  };
}
