// Every npm script must run on Node 22 (the Lambda runtime is nodejs22.x). The `node@22`
// dev dependency puts Node 22 first on PATH for npm scripts; `npm ci --ignore-scripts`
// skips its installer and silently falls back to the system Node, so fail fast here.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 22) {
  console.error(
    `lakeplane needs Node 22 (the Lambda runtime is nodejs22.x), but npm ran Node ${process.versions.node}.\n` +
      'The node@22 dev dependency provides it: run `npm ci` (without --ignore-scripts) and use npm scripts or npx.',
  );
  process.exit(1);
}
