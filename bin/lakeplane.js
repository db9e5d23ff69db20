#!/usr/bin/env node
// Entry point of the lakeplane CLI: runs the TypeScript sources through tsx's loader.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 22) {
  console.error(
    `lakeplane needs Node 22, found ${process.versions.node}. Run it through npx or an npm script after \`npm ci\`.`,
  );
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
await import('../cli/main.ts');
