// serverless.yml: DefinitionString: ${file(statemachines/definitions.cjs):load-dataset}
// The text of each *.asl.json beside this file, byte for byte. A parsed `Definition` object
// would lose its `null`s: osls deletes null properties from every resource it packages.
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

module.exports = Object.fromEntries(
  readdirSync(__dirname)
    .filter((f) => f.endsWith('.asl.json'))
    .map((f) => [f.slice(0, -'.asl.json'.length), readFileSync(join(__dirname, f), 'utf8')]),
);
