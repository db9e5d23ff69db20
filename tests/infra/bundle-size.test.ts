/**
 * Every function bundle stays within BUNDLE_LIMIT_BYTES (300 KB) minified: the bundles are built
 * as scripts/build.mjs builds them (the esbuild settings and plugins serverless.yml gives
 * serverless-esbuild; package.test.ts checks the packaged ones too) and their metafiles read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_LIMIT_BYTES, bundleFunction, functionNames } from '../../scripts/bundle-functions.mjs';

type Built = Awaited<ReturnType<typeof bundleFunction>>;
const NAMES = functionNames();
const built = new Map<string, Built>();

/** The repository paths (node_modules/<package>/…, shared/…) of a bundle's inputs that put bytes in it. */
const inputsOf = ({ metafile }: Built): string[] =>
  Object.values(metafile.outputs).flatMap((out) =>
    Object.entries(out.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );

beforeAll(async () => {
  for (const name of NAMES) built.set(name, await bundleFunction(name, { write: false }));
}, 120_000);

describe('function bundles', () => {
  it('are every function of functions/', () => {
    expect(NAMES).toEqual(expect.arrayContaining(['object-landed', 'stream-upsert', 'reconciler']));
    expect(NAMES.length).toBeGreaterThanOrEqual(9);
  });

  it.each(NAMES)(`%s is at most ${BUNDLE_LIMIT_BYTES} bytes minified`, (name) => {
    const { bytes, metafile } = built.get(name)!;
    expect(BUNDLE_LIMIT_BYTES).toBe(300_000);
    // The output the metafile names is the minified index.mjs (the source map is apart).
    const [path, out] = Object.entries(metafile.outputs).find(([p]) => p.endsWith(`${name}/index.mjs`))!;
    expect(out.bytes).toBe(bytes);
    expect(bytes, `${path}: ${bytes} bytes`).toBeLessThanOrEqual(BUNDLE_LIMIT_BYTES);
  });

  it.each(NAMES)('%s has no YAML parser: its contracts are compiled in as JSON', (name) => {
    const inputs = inputsOf(built.get(name)!);
    expect(inputs.filter((p) => p.includes('node_modules/yaml/'))).toEqual([]);
    expect(inputs).toContain('shared/aws/lambda-contracts.compiled.ts');
    expect(inputs).not.toContain('shared/aws/lambda-contracts.ts');
  });

  it.each(NAMES)("%s carries English only of zod's locales", (name) => {
    const locales = inputsOf(built.get(name)!).filter((p) => p.includes('node_modules/zod/v4/locales/'));
    expect(locales.map((p) => p.slice(p.lastIndexOf('/') + 1))).toEqual(['en.js']);
  });

  it.each(NAMES)('%s has no X-Ray SDK (functions/observability.ts says why)', (name) => {
    const inputs = inputsOf(built.get(name)!);
    expect(
      inputs.filter((p) => /node_modules\/(aws-xray-sdk-core|@aws-lambda-powertools\/tracer)\//.test(p)),
    ).toEqual([]);
  });
});
