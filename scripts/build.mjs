// Bundles every Lambda (functions/<name>/index.ts) into dist/<name>/index.mjs: the same esbuild
// settings serverless.yml gives serverless-esbuild, without packaging. Prints bundle sizes.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const names = readdirSync('functions', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('functions', d.name, 'index.ts')))
  .map((d) => d.name);

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
for (const name of names) {
  const { metafile } = await build({
    entryPoints: [join('functions', name, 'index.ts')],
    outfile: join('dist', name, 'index.mjs'),
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
    metafile: true,
    logLevel: 'warning',
  });
  const out = metafile.outputs[join('dist', name, 'index.mjs')];
  const byPackage = new Map();
  for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
    const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? '(lakeplane)';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
  }
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 5);
  console.log(
    `${name}: dist/${name}/index.mjs ${kib(out.bytes)} (${top.map(([p, b]) => `${p} ${kib(b)}`).join(', ')})`,
  );
}
