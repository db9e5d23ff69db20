import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { type KeyMatch, matchBronzeKey } from '../../shared/core/bronze-key.js';
import { type DatasetContract, parseContract } from '../../shared/core/contract/index.js';
import { loadIdFor } from '../../shared/core/load.js';

const ORDERS = readFileSync(resolve(import.meta.dirname, '../../datasets/orders.yaml'), 'utf8');

/** The orders contract under another name and Bronze prefix. */
function dataset(name: string, prefix: string): DatasetContract {
  const doc = parseDocument(ORDERS);
  doc.setIn(['name'], name);
  doc.setIn(['bronze', 'prefix'], prefix);
  return parseContract(doc.toString(), `datasets/${name}.yaml`);
}

const orders = dataset('orders', 'orders/');
const ordersEu = dataset('orders_eu', 'orders/eu/');
const items = dataset('order_items', 'order_items/');
const ALL = [orders, ordersEu, items];

function datasetOf(match: KeyMatch): string | undefined {
  return 'dataset' in match ? match.dataset.name : undefined;
}

function rejection(match: KeyMatch): string | undefined {
  return 'reason' in match ? match.reason : undefined;
}

describe('matchBronzeKey', () => {
  it('maps keys to the dataset whose prefix they are under', () => {
    expect(datasetOf(matchBronzeKey('orders/2024/05/01/part-0001.ndjson', ALL))).toBe('orders');
    expect(datasetOf(matchBronzeKey('order_items/2024/05/01/part-0001.json', ALL))).toBe('order_items');
  });

  it('picks the longest matching prefix, whatever the order of the datasets', () => {
    const key = 'orders/eu/2024/05/01/part-0001.jsonl';
    expect(datasetOf(matchBronzeKey(key, [orders, ordersEu]))).toBe('orders_eu');
    expect(datasetOf(matchBronzeKey(key, [ordersEu, orders]))).toBe('orders_eu');
    expect(datasetOf(matchBronzeKey('orders/us/part-0001.jsonl', [ordersEu, orders]))).toBe('orders');
  });

  it('accepts .json, .ndjson and .jsonl, gzipped or not, in any case', () => {
    for (const key of [
      'orders/a.json',
      'orders/a.ndjson',
      'orders/a.jsonl',
      'orders/a.json.gz',
      'orders/a.ndjson.gz',
      'orders/A.NDJSON',
    ]) {
      expect(datasetOf(matchBronzeKey(key, ALL)), key).toBe('orders');
    }
  });

  it.each([
    ['a ".." segment', 'orders/../secrets/a.json'],
    ['a trailing ".." segment', 'orders/2024/..'],
    ['a "." segment', 'orders/./a.json'],
    ['an empty segment', 'orders//a.json'],
    ['a trailing slash', 'orders/2024/'],
    ['a leading slash', '/orders/a.json'],
    ['a backslash', 'orders\\..\\a.json'],
    ['a NUL character', 'orders/a\u0000.json'],
    ['a newline', 'orders/a\n.json'],
    ['a DEL character', 'orders/a\u007f.json'],
  ])('refuses a key with %s as unsafe', (_what, key) => {
    const match = matchBronzeKey(key, ALL);
    expect(rejection(match)).toBe('unsafe-key');
  });

  it('escapes control characters in the rejection message', () => {
    const match = matchBronzeKey('orders/a\u0000\n.json', ALL);
    expect('message' in match && match.message).toContain('orders/a\\u0000\\n.json');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none are left raw
    expect('message' in match && /[\u0000-\u001f]/.test(match.message)).toBe(false);
  });

  it('refuses keys under no dataset prefix (a prefix only matches whole segments)', () => {
    for (const key of ['customers/a.json', 'orders_archive/a.json', 'ORDERS/a.json', 'a.json']) {
      const match = matchBronzeKey(key, ALL);
      expect(rejection(match), key).toBe('no-dataset');
    }
  });

  it('refuses files that are not NDJSON, naming the dataset', () => {
    for (const key of [
      'orders/a.csv',
      'orders/a.parquet',
      'orders/a.json.zip',
      'orders/a.gz',
      'orders/json',
    ]) {
      const match = matchBronzeKey(key, ALL);
      expect(rejection(match), key).toBe('not-a-data-file');
      expect('message' in match && match.message).toContain('of dataset orders');
    }
  });

  it('refuses everything when there are no datasets', () => {
    expect(rejection(matchBronzeKey('orders/a.json', []))).toBe('no-dataset');
  });
});

describe('loadIdFor', () => {
  const source = {
    bucket: 'lake-bronze',
    key: 'orders/2024/05/01/part-0001.ndjson',
    etag: 'b1946ac92492d2347c6235b4d2611184',
  };

  it('is deterministic and starts with the dataset name', () => {
    const id = loadIdFor('orders', source);
    expect(loadIdFor('orders', { ...source })).toBe(id);
    expect(id).toMatch(/^orders-[0-9a-f]{20}$/);
  });

  it('ignores the quotes S3 puts around ETags', () => {
    expect(loadIdFor('orders', { ...source, etag: `"${source.etag}"` })).toBe(loadIdFor('orders', source));
  });

  it('differs when the key, the ETag or the bucket differs', () => {
    const id = loadIdFor('orders', source);
    const others = [
      loadIdFor('orders', { ...source, key: 'orders/2024/05/01/part-0002.ndjson' }),
      loadIdFor('orders', { ...source, etag: 'c1946ac92492d2347c6235b4d2611184' }),
      loadIdFor('orders', { ...source, bucket: 'lake-bronze-dr' }),
    ];
    for (const other of others) expect(other).not.toBe(id);
    expect(new Set(others).size).toBe(3);
  });

  it('is a valid Step Functions execution name, even for the longest dataset name', () => {
    const longest = `d${'x'.repeat(39)}`;
    // The dataset name rule of the contract schema allows 40 characters.
    expect(dataset(longest, 'long/').name).toBe(longest);
    for (const name of ['orders', longest]) {
      const id = loadIdFor(name, { ...source, key: `${'k/'.repeat(400)}a.json` });
      expect(id.length).toBeLessThanOrEqual(80);
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });
});
