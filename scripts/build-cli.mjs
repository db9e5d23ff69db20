// Builds the CLI ahead of time: cli/main.ts and what it imports, bundled by esbuild into
// dist/cli/<build>/main.js, one chunk per dynamic import (a command loads only its own code and
// dependencies). Native modules and a few packages stay in node_modules (EXTERNAL below).
// dist/cli/current.json names the build and the size and mtime of every source it read:
// bin/lakeplane.js rebuilds (importing this file) when one of them changed. A build goes to its own
// folder and current.json is replaced atomically, so processes starting meanwhile, or building at
// the same time, each run a whole build. Run by `npm ci` (prepare), `npm run build:cli` and the bin.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI_DIST = join(ROOT, 'dist', 'cli');
const POINTER = join(CLI_DIST, 'current.json');
/** Older builds are removed once this old (a process started from one may still import its chunks). */
const KEEP_MS = 60 * 60 * 1000;

/**
 * `import.meta.url` of a source file, from the bundle: the built chunk's own URL resolved to the
 * source's place, so `new URL('..', import.meta.url)` (the package's datasets/, statemachines/,
 * spark-jobs/) means what it means in the sources.
 */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const fromChunk = relative(build.initialOptions.outdir, args.path).split('\\').join('/');
      return {
        contents: text.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(fromChunk)}, import.meta.url).href`,
        ),
        loader: 'ts',
      };
    });
  },
};

/**
 * Dependencies that stay in node_modules, imported from there when a command needs them: native
 * modules (DuckDB's bindings, LevelDB) and packages that find their files through __dirname or a
 * require() built at run time (kinesalite). Every other dependency is bundled into the chunk of the
 * command that uses it: one file read instead of hundreds of modules resolved one by one. (dynalite
 * reads __dirname only for its TLS certificates, which the local ledger does not use.)
 */
const EXTERNAL = new Set(['@duckdb/node-bindings', 'classic-level', 'kinesalite', 'tsx', 'esbuild']);

/**
 * dynalite requires each of its actions by a name built at run time (`'./actions/' + action`).
 * esbuild bundles such a require as every file matching `./actions/*` when the pattern names the
 * extension, so the bundled copy gets `+ '.js'`. A dynalite whose source reads otherwise stays
 * external.
 */
const DYNALITE_REQUIRES = ["require('./actions/' + action)", "require('./validations/' + action)"];
function dynaliteSource() {
  const file = join(ROOT, 'node_modules', 'dynalite', 'index.js');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return DYNALITE_REQUIRES.every((r) => text.includes(r))
    ? DYNALITE_REQUIRES.reduce((t, r) => t.replace(r, `${r.slice(0, -1)} + '.js')`), text)
    : undefined;
}
const packageOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * aws-local-stepfunctions imports the AWS Lambda client and asl-validator for what the CLI never
 * does: a Task state without a local handler (LocalStepFunctions refuses such a definition) and
 * validation at run time (skipped: the tests validate every definition). The built CLI gets a
 * stand-in that says so if it is ever reached.
 */
const NOT_IN_CLI = new Set(['@aws-sdk/client-lambda', '@aws-sdk/credential-providers', 'asl-validator']);
const STAND_IN = `const unavailable = (what) => () => {
  throw new Error(\`\${what} is not part of the built lakeplane CLI (run it with LAKEPLANE_DEV=1)\`);
};
export class LambdaClient { constructor() { unavailable('Invoking AWS Lambda from a local state machine')(); } }
export class InvokeCommand {}
export const fromCognitoIdentityPool = unavailable('Cognito credentials');
export default unavailable('Validating a state machine at run time');
`;

/**
 * zod's `z.locales` namespace holds the messages of 40-odd languages (360 KiB of the 1 MiB every
 * command loads); lakeplane words its errors in English only, so the built CLI has `en` alone.
 */
const ZOD_LOCALES = /[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/;

const dependencies = {
  name: 'dependencies',
  setup(build) {
    const dynalite = dynaliteSource();
    if (!dynalite) EXTERNAL.add('dynalite');
    else
      build.onLoad({ filter: /[\\/]node_modules[\\/]dynalite[\\/]index\.js$/ }, () => ({
        contents: dynalite,
        loader: 'js',
      }));
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      ZOD_LOCALES.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'en-only.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = packageOf(args.path);
      if (
        NOT_IN_CLI.has(name) &&
        args.importer.includes(`${join('node_modules', 'aws-local-stepfunctions')}`)
      )
        return { path: name, namespace: 'not-in-cli' };
      if (name.startsWith('node:') || EXTERNAL.has(name)) return { path: args.path, external: true };
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'not-in-cli' }, () => ({ contents: STAND_IN, loader: 'js' }));
  },
};

/** Builds the CLI and makes it current; returns the entry file. */
export async function buildCli({ quiet = false } = {}) {
  const { build } = await import('esbuild');
  const started = Date.now();
  const id = `${started.toString(36)}-${process.pid}`;
  const outdir = join(CLI_DIST, id);
  const { metafile } = await build({
    absWorkingDir: ROOT,
    entryPoints: ['cli/main.ts'],
    outdir,
    entryNames: '[name]',
    // Every chunk beside main.js: the import.meta.url rewrite counts from this folder.
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    // The ES module builds (the AWS SDK's dist-es): esbuild drops what the CLI does not use.
    mainFields: ['module', 'main'],
    target: 'node22',
    // commander is CommonJS: its require() of Node's modules needs a real require in an ES module.
    banner: {
      js: "import { createRequire as __cliRequire } from 'node:module'; const require = __cliRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [sourceUrls, dependencies],
  });
  // Every source read, with the size and mtime it had when the build read it (a later edit is a
  // change); the bundled dependencies through npm's lock files (an install rewrites them).
  const sources = Object.keys(metafile.inputs).filter(
    (f) => !f.includes(':') && !f.includes('node_modules/'),
  );
  const inputs = Object.fromEntries(
    [
      ...sources,
      'scripts/build-cli.mjs',
      'package.json',
      'package-lock.json',
      'node_modules/.package-lock.json',
    ]
      .filter((f) => existsSync(join(ROOT, f)))
      .map((f) => {
        const s = statSync(join(ROOT, f));
        return [f, [s.size, s.mtimeMs]];
      }),
  );
  mkdirSync(CLI_DIST, { recursive: true });
  const pointer = { build: id, builtAt: new Date(started).toISOString(), entry: `${id}/main.js`, inputs };
  const tmp = `${POINTER}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(pointer)}\n`);
  renameSync(tmp, POINTER);
  for (const d of readdirSync(CLI_DIST, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name === id) continue;
    const dir = join(CLI_DIST, d.name);
    if (Date.now() - statSync(dir).mtimeMs > KEEP_MS) rmSync(dir, { recursive: true, force: true });
  }
  if (!quiet) {
    const bytes = Object.entries(metafile.outputs)
      .filter(([f]) => f.endsWith('.js'))
      .reduce((n, [, o]) => n + o.bytes, 0);
    const files = Object.keys(metafile.outputs).filter((f) => f.endsWith('.js')).length;
    process.stderr.write(
      `lakeplane CLI built: dist/cli/${id}/main.js (${files} files, ${(bytes / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)\n`,
    );
  }
  return join(outdir, 'main.js');
}

/** Run as a script: build now. */
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await buildCli();
