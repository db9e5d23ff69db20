// Bundles the Lambda functions (functions/<name>/index.ts) with the esbuild settings
// serverless.yml gives serverless-esbuild (custom.esbuild): scripts/build.mjs prints the sizes,
// tests/infra/bundle-size.test.ts holds every bundle to BUNDLE_LIMIT_BYTES.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import plugins from './esbuild-plugins.mjs';

const ROOT = resolve(import.meta.dirname, '..');

/** The most a function's minified bundle (index.mjs, without its source map) may weigh. */
export const BUNDLE_LIMIT_BYTES = 300_000;

/**
 * The esbuild settings of a deployed function (serverless.yml custom.esbuild), without its entry,
 * output and plugins: bench:stream bundles its contenders with the same ones.
 */
export const LAMBDA_BUILD_OPTIONS = Object.freeze({
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: ['@aws-sdk/*'],
  // CommonJS dependencies call require(): give the ES module one.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

/** The functions: every functions/<name>/index.ts. */
export function functionNames() {
  return readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'functions', d.name, 'index.ts')))
    .map((d) => d.name)
    .sort();
}

/**
 * Bundles one function into `<outdir>/<name>/index.mjs` (written only when `write`).
 * @returns {Promise<{ outfile: string, bytes: number, metafile: import('esbuild').Metafile }>}
 *   `bytes`: the minified bundle's size; `metafile`: esbuild's, paths relative to the repository.
 */
export async function bundleFunction(name, { outdir = join(ROOT, 'dist'), write = true } = {}) {
  const outfile = join(outdir, name, 'index.mjs');
  const { metafile } = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'functions', name, 'index.ts')],
    outfile,
    ...LAMBDA_BUILD_OPTIONS,
    plugins: plugins(),
    metafile: true,
    write,
  });
  const out = Object.entries(metafile.outputs).find(([path]) => path.endsWith(`${name}/index.mjs`));
  if (!out)
    throw new Error(`esbuild wrote no ${name}/index.mjs: ${Object.keys(metafile.outputs).join(', ')}`);
  return { outfile, bytes: out[1].bytes, metafile };
}

/** Bytes in the bundle per npm package (`(lakeplane)` for the repository's own code), largest first. */
export function bytesByPackage(metafile) {
  const byPackage = new Map();
  for (const out of Object.values(metafile.outputs))
    for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
      const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? '(lakeplane)';
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
    }
  return [...byPackage].sort((a, b) => b[1] - a[1]);
}
