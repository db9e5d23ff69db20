// Bundles every Lambda (functions/<name>/index.ts) into dist/<name>/index.mjs: the same esbuild
// settings serverless.yml gives serverless-esbuild, without packaging. Prints bundle sizes.
import { BUNDLE_LIMIT_BYTES, bundleFunction, bytesByPackage, functionNames } from './bundle-functions.mjs';

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
let over = 0;
for (const name of functionNames()) {
  const { bytes, metafile } = await bundleFunction(name);
  const top = bytesByPackage(metafile).slice(0, 5);
  if (bytes > BUNDLE_LIMIT_BYTES) over++;
  console.log(
    `${name}: dist/${name}/index.mjs ${kib(bytes)}${bytes > BUNDLE_LIMIT_BYTES ? ` OVER ${BUNDLE_LIMIT_BYTES} bytes` : ''} (${top.map(([p, b]) => `${p} ${kib(b)}`).join(', ')})`,
  );
}
if (over > 0) {
  console.error(`${over} bundle(s) over ${BUNDLE_LIMIT_BYTES} bytes minified`);
  process.exitCode = 1;
}
