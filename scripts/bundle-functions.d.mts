// Types of scripts/bundle-functions.mjs, for the tests that import it.
import type { Metafile } from 'esbuild';

/** The most a function's minified bundle (index.mjs, without its source map) may weigh. */
export declare const BUNDLE_LIMIT_BYTES: number;

/** The esbuild settings of a deployed function, without its entry, output and plugins. */
export declare const LAMBDA_BUILD_OPTIONS: Readonly<import('esbuild').BuildOptions>;

/** The functions: every functions/<name>/index.ts. */
export declare function functionNames(): string[];

/** Bundles one function into `<outdir>/<name>/index.mjs` (written only when `write`). */
export declare function bundleFunction(
  name: string,
  options?: { outdir?: string; write?: boolean },
): Promise<{ outfile: string; bytes: number; metafile: Metafile }>;

/** Bytes in the bundle per npm package (`(lakeplane)` for the repository's own code), largest first. */
export declare function bytesByPackage(metafile: Metafile): [string, number][];
