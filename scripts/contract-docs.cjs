// The dataset contracts (datasets/*.yaml) as the packaging resolvers read them: plain YAML, no
// TypeScript at packaging time. The full checks are the application's (shared/core/contract),
// run by `npm test` on the same files; here only what a resolver relies on is checked.
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { parse } = require('yaml');

const DATASETS_DIR = join(__dirname, '..', 'datasets');
const NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** [{ file, name, doc }] of every contract, sorted by name. */
function contractDocs() {
  return readdirSync(DATASETS_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((file) => {
      const doc = parse(readFileSync(join(DATASETS_DIR, file), 'utf8'));
      const name = doc?.name;
      if (typeof name !== 'string' || !NAME.test(name))
        throw new Error(`datasets/${file}: name must match ${NAME} (got ${JSON.stringify(name)})`);
      return { file, name, doc };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `order_items` → `OrderItems` (logical ids). */
const pascal = (name) =>
  name
    .split('_')
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');

module.exports = { contractDocs, pascal };
