/**
 * bench:stream's timed process (plain node, bundled): loads the three bundled contenders, checks
 * they write the same bytes for the same batch, then times them in turns on that batch: warm-up
 * rounds, then rounds in rotating order, medians. Prints one JSON line.
 * argv: <folder of the bundles> <datasets folder>; BENCH_ONLY=<name> times one contender alone.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Contender } from './contender.js';
import { DUPLICATE_SHARE, makeEvent } from './event.js';

const [dir, datasets] = process.argv.slice(2);
if (!dir || !datasets) throw new Error('usage: runner.mjs <bundle folder> <datasets folder>');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);

// The deployed function's environment (serverless.yml), logs and EMF output off so stdout is the result.
Object.assign(process.env, {
  BRONZE_BUCKET: 'bronze',
  QUARANTINE_BUCKET: 'quarantine',
  STREAM_PARTITION_KEY_DELIMITER: '/',
  LAKEPLANE_DATASETS_DIR: datasets,
  POWERTOOLS_SERVICE_NAME: 'stream-upsert',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_NAMESPACE: 'lakeplane',
  POWERTOOLS_METRICS_DISABLED: 'true',
});

const names = ['floor', 'handler', 'reference'] as const;
type Name = (typeof names)[number];
const contenders = {} as Record<Name, Contender>;
for (const name of names) {
  const bundle = (await import(pathToFileURL(join(dir, `${name}.mjs`)).href)) as { contender: Contender };
  contenders[name] = bundle.contender;
}

const event = makeEvent(RECORDS);
const expected = RECORDS - Math.floor(RECORDS * DUPLICATE_SHARE);
const outputs = new Map<Name, string>();
for (const name of names) {
  const text = gunzipSync(await contenders[name].run(event)).toString('utf8');
  outputs.set(name, text);
  const lines = text.split('\n').length - 1;
  if (lines !== expected) throw new Error(`${name} wrote ${lines} records, expected ${expected}`);
}
if (outputs.get('handler') !== outputs.get('floor') || outputs.get('reference') !== outputs.get('floor')) {
  throw new Error('the contenders wrote different records');
}

// BENCH_ONLY=<name> times that contender alone (to profile it with node --cpu-prof).
const only = process.env.BENCH_ONLY as Name | undefined;
const timed = only ? [only] : names;
const wall: Record<Name, number[]> = { floor: [], handler: [], reference: [] };
const cpu: Record<Name, number[]> = { floor: [], handler: [], reference: [] };
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (let k = 0; k < timed.length; k++) {
    const name = timed[(round + k) % timed.length]!;
    const c = process.cpuUsage();
    const t = performance.now();
    await contenders[name].run(event);
    const ms = performance.now() - t;
    const used = process.cpuUsage(c);
    if (round >= WARMUP) {
      wall[name].push(ms);
      cpu[name].push((used.user + used.system) / 1000);
    }
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const r2 = (n: number) => Number(n.toFixed(2));
const figures = (name: Name) => ({ cpuMs: r2(median(cpu[name])), wallMs: r2(median(wall[name])) });
if (only) {
  console.log(JSON.stringify({ bench: 'stream', only, records: RECORDS, ...figures(only) }));
  process.exit(0);
}
const floor = figures('floor');
const handler = figures('handler');
const reference = figures('reference');
console.log(
  JSON.stringify({
    bench: 'stream',
    records: RECORDS,
    duplicateShare: DUPLICATE_SHARE,
    rounds: ROUNDS,
    floor,
    handler,
    reference,
    // On CPU time (this process's, all threads), which other work on the machine does not inflate.
    handlerOverFloor: r2(handler.cpuMs / floor.cpuMs),
    referenceOverHandler: r2(reference.cpuMs / handler.cpuMs),
    wall: {
      handlerOverFloor: r2(handler.wallMs / floor.wallMs),
      referenceOverHandler: r2(reference.wallMs / handler.wallMs),
    },
    targets: { handlerOverFloor: 1.5, referenceOverHandler: 2 },
    node: process.version,
  }),
);
