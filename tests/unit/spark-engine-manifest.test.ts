import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SparkJobError, SparkStepEngine } from '../../local/emr/spark-engine.js';
import type { SparkToolchain } from '../../local/emr/spark-toolchain.js';
import { DirObjectStore } from '../../local/object-store/dir-object-store.js';
import { tempDir } from '../helpers/fixtures.js';

// The Spark engine's translation of a stage step's `--manifest` (no Spark is started: localArgv only).
const TOOLCHAIN: SparkToolchain = { python: 'python3', sparkSubmit: 'spark-submit', hudiJar: 'hudi.jar' };
const MANIFEST = 's3://artifacts/runs/orders-L1/manifest.json';
const KEY = 'orders/2024/05/01/orders-0001.ndjson.gz';

function setup() {
  const home = tempDir();
  const store = new DirObjectStore(join(home, 'objects'));
  const engine = new SparkStepEngine(home, store, { datasets: new Map() }, 'artifacts', TOOLCHAIN);
  return { home, store, engine };
}

function manifestJson(objects: readonly Record<string, unknown>[]): string {
  return `${JSON.stringify({ version: 1, loadId: 'orders-L1', dataset: 'orders', objects })}\n`;
}

function object(key: string, versionId: string | undefined): Record<string, unknown> {
  return {
    bucket: 'bronze',
    key,
    ...(versionId ? { versionId } : {}),
    etag: 'e',
    size: 1,
    landedAt: '2024-05-01T12:00:00Z',
  };
}

const stageArgv = [
  '--phase',
  'stage',
  '--dataset',
  'orders',
  '--contract',
  's3://artifacts/contracts/orders.json',
  '--load-id',
  'orders-L1',
  '--result',
  's3://artifacts/runs/orders-L1/attempt-1/stage.json',
  '--manifest',
  MANIFEST,
  '--staging',
  's3://artifacts/runs/orders-L1/attempt-1/staging/',
  '--quarantine',
  's3://quarantine/orders/orders-L1/attempt-1/',
];

interface LocalManifest {
  loadId: string;
  dataset: string;
  objects: { bucket: string; key: string; versionId?: string; localUri: string }[];
}

function failure(run: () => unknown): SparkJobError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(SparkJobError);
    return e as SparkJobError;
  }
  throw new Error('expected a SparkJobError');
}

describe('SparkStepEngine.localArgv with --manifest', () => {
  it('passes a local copy of the manifest whose objects carry the file of each exact version', async () => {
    const { home, store, engine } = setup();
    // Two versions of one key in one load, and an object of an unversioned bucket.
    const v1 = (await store.put('bronze', KEY, 'first version\n')).versionId!;
    const v2 = (await store.put('bronze', KEY, 'second version\n')).versionId!;
    await store.put('bronze', 'orders/plain.ndjson', 'current\n');
    const objects = [object(KEY, v1), object(KEY, v2), object('orders/plain.ndjson', undefined)];
    await store.put('artifacts', 'runs/orders-L1/manifest.json', manifestJson(objects));

    const { argv, uris } = engine.localArgv(stageArgv);
    const local = argv[argv.indexOf('--manifest') + 1]!;
    expect(local).toBe(pathToFileURL(join(home, 'spark', 'manifests', 'orders-L1.json')).href);
    expect(argv).not.toContain(MANIFEST);
    expect(argv[argv.indexOf('--contract') + 1]).toBe(
      pathToFileURL(store.pathOf('artifacts', 'contracts/orders.json')).href,
    );
    expect(argv.filter((a) => a.startsWith('s3://'))).toEqual([]);

    const copy = JSON.parse(readFileSync(fileURLToPath(local), 'utf8')) as LocalManifest;
    expect(copy).toMatchObject({ loadId: 'orders-L1', dataset: 'orders' });
    expect(copy.objects.map(({ localUri: _, ...o }) => o)).toEqual(objects);
    const files = copy.objects.map((o) => fileURLToPath(o.localUri));
    expect(files.map((f) => readFileSync(f, 'utf8'))).toEqual([
      'first version\n',
      'second version\n',
      'current\n',
    ]);
    // The key's file name (the reader picks the codec by it: .gz stays .gz).
    expect(files.slice(0, 2).map((f) => basename(f))).toEqual([
      'orders-0001.ndjson.gz',
      'orders-0001.ndjson.gz',
    ]);
    expect(files[2]).toBe(store.pathOf('bronze', 'orders/plain.ndjson'));

    // A failure's message is worded in the stage's URIs again.
    expect(uris.get(local)).toBe(MANIFEST);
    expect(copy.objects.map((o) => uris.get(o.localUri))).toEqual([
      `s3://bronze/${KEY}?versionId=${v1}`,
      `s3://bronze/${KEY}?versionId=${v2}`,
      's3://bronze/orders/plain.ndjson',
    ]);
  });

  it('leaves the --input form as it was', async () => {
    const { store, engine } = setup();
    const v1 = (await store.put('bronze', KEY, 'x\n')).versionId!;
    const argv = [...stageArgv];
    argv.splice(argv.indexOf('--manifest'), 2, '--input', `s3://bronze/${KEY}`, '--input-version', v1);
    const { argv: out, uris } = engine.localArgv(argv);
    expect(out).not.toContain('--input-version');
    const input = out[out.indexOf('--input') + 1]!;
    expect(basename(fileURLToPath(input))).toBe('orders-0001.ndjson.gz');
    expect(uris.get(input)).toBe(`s3://bronze/${KEY}?versionId=${v1}`);
  });

  it('fails the step, naming the s3 manifest, when it is missing or invalid or lists a version the store lacks', async () => {
    const { store, engine } = setup();
    expect(failure(() => engine.localArgv(stageArgv))).toMatchObject({
      name: 'JobFailure',
      message: `the load manifest ${MANIFEST} does not exist`,
    });

    await store.put('artifacts', 'runs/orders-L1/manifest.json', manifestJson([{ bucket: 'bronze' }]));
    expect(failure(() => engine.localArgv(stageArgv))).toMatchObject({
      name: 'JobFailure',
      message: expect.stringMatching(
        /^the load manifest s3:\/\/artifacts\/runs\/orders-L1\/manifest\.json is not valid at objects\.0\.key: /,
      ),
    });

    await store.put(
      'artifacts',
      'runs/orders-L1/manifest.json',
      manifestJson([object(KEY, 'no-such-version')]),
    );
    expect(failure(() => engine.localArgv(stageArgv)).message).toBe(
      `the load manifest ${MANIFEST} lists s3://bronze/${KEY}?versionId=no-such-version (objects.0), which is not in the workspace's object store`,
    );
  });
});
