#!/usr/bin/env node
// Entry point of the lakeplane CLI. It runs the JavaScript built ahead from cli/main.ts
// (dist/cli/, by scripts/build-cli.mjs; `npm ci` builds it) and builds it again first when it is
// missing or a source it was built from changed since (size or mtime; ~150 files, a few ms).
// LAKEPLANE_DEV=1 runs the TypeScript sources through tsx instead, without a build; so does a
// checkout without esbuild (a production install) whose build is missing or stale.
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major !== 22) {
  console.error(
    `lakeplane needs Node 22, found ${process.versions.node}. Run it through npx or an npm script after \`npm ci\`.`,
  );
  process.exit(1);
}

const root = fileURLToPath(new URL('../', import.meta.url));

/** The built entry when it is there and none of its sources changed since the build; else undefined. */
function currentBuild() {
  let pointer;
  try {
    pointer = JSON.parse(readFileSync(`${root}dist/cli/current.json`, 'utf8'));
  } catch {
    return undefined;
  }
  for (const [file, [size, mtimeMs]] of Object.entries(pointer.inputs)) {
    const s = statSync(root + file, { throwIfNoEntry: false });
    if (!s || s.size !== size || s.mtimeMs !== mtimeMs) return undefined;
  }
  return pathToFileURL(`${root}dist/cli/${pointer.entry}`);
}

if (process.env.LAKEPLANE_DEV === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
} else {
  // V8's code cache on disk (Node's compile cache) saves most of the parse time of later runs.
  module.enableCompileCache?.();
  if (process.argv.includes('--verbose')) process.setSourceMapsEnabled(true);
  let entry = currentBuild();
  if (!entry) {
    let buildCli;
    try {
      ({ buildCli } = await import('../scripts/build-cli.mjs'));
      await import('esbuild');
    } catch {
      // esbuild is a dev dependency: without it, run the sources through tsx.
      buildCli = undefined;
    }
    if (buildCli) entry = pathToFileURL(await buildCli({ quiet: true }));
    else {
      const { register } = await import('tsx/esm/api');
      register();
      entry = new URL('../cli/main.ts', import.meta.url);
    }
  }
  await import(entry.href);
}
