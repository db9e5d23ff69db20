/**
 * Deterministic sample data for the demo: five days of orders with new orders, status
 * updates, duplicates inside a file, late stale updates, a few bad records, and one file
 * that is not NDJSON at all; plus DMS-style CDC files of order lines (inserts, updates,
 * deletes). The same seed always writes byte-identical files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom as prng } from '../../shared/core/prng.js';

export const DEMO_DAYS = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24'] as const;

/** A stale update the demo checks afterwards: it must not have replaced the newer row. */
export interface StaleProbe {
  readonly orderId: string;
  readonly staleStatus: string;
  readonly staleUpdatedAt: string;
}

export interface SampleData {
  /** Files per dataset, in the order they should land. */
  readonly files: { readonly dataset: string; readonly path: string }[];
  readonly staleProbe: StaleProbe;
  readonly malformedFile: string;
  /** A batch that fails the quality gate (null record keys, unknown currency). */
  readonly qualityFailFile: string;
  /** Order events for the Kinesis stream (deliveries of earlier orders, with repeats and two bad records). */
  readonly streamFile: string;
  /** Schema drift: orders gain a field (additive); order lines start quoting prices (incompatible). */
  readonly drift: {
    readonly additive: { readonly dataset: string; readonly path: string };
    readonly incompatible: { readonly dataset: string; readonly path: string };
    readonly afterPause: { readonly dataset: string; readonly path: string };
  };
}

interface Order {
  order_id: string;
  customer_id: string;
  customer_email: string | null;
  status: string;
  order_ts: string;
  order_total: number;
  currency: string;
  fx_rate: number;
  updated_at: string;
}

const CURRENCIES: readonly [string, number][] = [
  ['EUR', 1.08],
  ['USD', 1],
  ['GBP', 1.27],
];
const NEXT_STATUS: Record<string, string> = { placed: 'paid', paid: 'shipped', shipped: 'delivered' };

export function writeSampleData(dir: string, ordersPerDay = 400): SampleData {
  const rand = prng(20261120);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const time = (day: string, hour: number) =>
    `${day}T${String(hour).padStart(2, '0')}:${String(Math.floor(rand() * 60)).padStart(2, '0')}:${String(Math.floor(rand() * 60)).padStart(2, '0')}Z`;
  mkdirSync(join(dir, 'orders'), { recursive: true });
  mkdirSync(join(dir, 'order_items'), { recursive: true });
  const live = new Map<string, Order>();
  const files: { dataset: string; path: string }[] = [];
  let staleProbe: StaleProbe | undefined;
  let malformedFile = '';
  let qualityFailFile = '';

  DEMO_DAYS.forEach((day, d) => {
    const lines: string[] = [];
    // Updates of earlier orders, in the morning.
    const earlier = [...live.values()].filter((o) => NEXT_STATUS[o.status]);
    for (let i = 0; i < Math.min(earlier.length, Math.floor(ordersPerDay * 0.4)); i++) {
      const o = pick(earlier);
      if (!NEXT_STATUS[o.status]) continue;
      const next: Order = {
        ...o,
        status: rand() < 0.05 ? 'cancelled' : NEXT_STATUS[o.status]!,
        updated_at: time(day, 6 + (i % 5)),
      };
      live.set(o.order_id, next);
      lines.push(JSON.stringify(next));
    }
    // New orders during the day; some are updated again later the same day (a duplicate key in the file).
    for (let n = 0; n < ordersPerDay; n++) {
      const [currency, fx] = pick(CURRENCIES);
      const ts = time(day, 12 + (n % 6));
      const o: Order = {
        order_id: `ord-${day.replaceAll('-', '')}-${String(n).padStart(5, '0')}`,
        customer_id: `cus-${String(Math.floor(rand() * 900)).padStart(4, '0')}`,
        customer_email: rand() < 0.9 ? `customer${Math.floor(rand() * 900)}@example.com` : null,
        status: 'placed',
        order_ts: ts,
        order_total: Math.round(rand() * 50000) / 100,
        currency,
        fx_rate: fx,
        updated_at: ts,
      };
      live.set(o.order_id, o);
      lines.push(JSON.stringify(o));
      if (n % 10 === 0) {
        const paid: Order = {
          ...o,
          status: 'paid',
          updated_at: `${day}T23:${String(n % 60).padStart(2, '0')}:00Z`,
        };
        live.set(o.order_id, paid);
        lines.push(JSON.stringify(paid));
      }
    }
    // Late, stale updates: an old "placed" state of orders that moved on since.
    if (d >= 2) {
      const moved = [...live.values()]
        .filter((o) => o.status !== 'placed' && o.updated_at < `${day}T00:00:00Z`)
        .slice(0, 15);
      for (const o of moved) {
        const stale = { ...o, status: 'placed', updated_at: o.order_ts };
        lines.push(JSON.stringify(stale));
        staleProbe ??= { orderId: o.order_id, staleStatus: 'placed', staleUpdatedAt: o.order_ts };
      }
    }
    // A few records that cannot be loaded: they go to quarantine with their reason.
    lines.splice(
      5,
      0,
      JSON.stringify({
        order_id: `ord-nocustomer-${day}`,
        customer_id: null,
        status: 'placed',
        order_ts: `${day}T09:00:00Z`,
        order_total: 1,
        currency: 'EUR',
        fx_rate: 1.08,
        updated_at: `${day}T09:00:00Z`,
      }),
    );
    lines.splice(
      50,
      0,
      JSON.stringify({
        order_id: `ord-bad-${day}`,
        customer_id: 'cus-0002',
        status: 'placed',
        order_ts: `${day}T09:00:00Z`,
        order_total: 1,
        currency: 'EUR',
        fx_rate: 'n/a',
        updated_at: `${day}T09:00:00Z`,
      }),
    );
    lines.splice(90, 0, `{"order_id": "ord-truncated-${day}", "customer_id": "cus-0003", "status": "pla`);
    const path = join(dir, 'orders', `orders-${day}.ndjson`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    files.push({ dataset: 'orders', path });
    if (day === '2026-11-23') {
      // Somebody exported a spreadsheet into the orders prefix: the whole file fails its load.
      malformedFile = join(dir, 'orders', `orders-${day}-export.ndjson`);
      writeFileSync(
        malformedFile,
        'order_id,customer_id,status,order_total\nord-x-1,cus-0001,placed,12.50\nord-x-2,cus-0002,paid,99.00\n',
      );
      files.push({ dataset: 'orders', path: malformedFile });
    }
    if (day === '2026-11-24') {
      // A partner feed whose orders have no id and an unknown currency: it fails the quality
      // gate (record key not null, currency in set), goes to quarantine, never reaches Silver.
      const partner = Array.from({ length: 40 }, (_, n) =>
        JSON.stringify({
          order_id: n % 10 === 0 ? null : `ord-partner-${String(n).padStart(4, '0')}`,
          customer_id: `cus-p${n}`,
          status: 'placed',
          order_ts: `${day}T15:00:00Z`,
          order_total: 20 + n,
          currency: n % 4 === 0 ? 'JPY' : 'EUR',
          fx_rate: n % 4 === 0 ? 0.0062 : 1.08,
          updated_at: `${day}T15:00:00Z`,
        }),
      );
      qualityFailFile = join(dir, 'orders', `orders-${day}-partner.ndjson`);
      writeFileSync(qualityFailFile, `${partner.join('\n')}\n`);
      files.push({ dataset: 'orders', path: qualityFailFile });
      // Returns marked with a status the contract does not know yet: a warning, the load goes on.
      const returned = [...live.values()].filter((o) => o.status === 'delivered').slice(0, 25);
      const returns = returned.map((o) =>
        JSON.stringify({ ...o, status: 'returned', updated_at: `${day}T20:00:00Z` }),
      );
      const returnsFile = join(dir, 'orders', `orders-${day}-returns.ndjson`);
      writeFileSync(returnsFile, `${returns.join('\n')}\n`);
      files.push({ dataset: 'orders', path: returnsFile });
    }
  });

  // Order lines from DMS: a full load, then CDC with updates and deletes.
  const items: string[][] = [[], [], []];
  const lineKeys: {
    order_id: string;
    line_no: number;
    sku: string;
    unit_price: number;
    order_date: string;
  }[] = [];
  for (let i = 0; i < 300; i++) {
    const key = {
      order_id: `ord-20261120-${String(i).padStart(5, '0')}`,
      line_no: 1 + (i % 3),
      sku: `SKU-${100 + (i % 25)}`,
      unit_price: Math.round(rand() * 5000) / 100,
      order_date: '2026-11-20',
    };
    lineKeys.push(key);
    items[0]!.push(
      JSON.stringify({ Op: null, dms_commit_ts: '2026-11-20T01:00:00Z', ...key, quantity: 1 + (i % 4) }),
    );
  }
  for (let i = 0; i < 60; i++) {
    const k = lineKeys[i * 5]!;
    items[1]!.push(
      JSON.stringify({ Op: 'U', dms_commit_ts: `2026-11-21T0${1 + (i % 8)}:00:00Z`, ...k, quantity: 10 }),
    );
  }
  for (let i = 0; i < 20; i++) {
    const k = lineKeys[i * 7 + 1]!;
    items[2]!.push(JSON.stringify({ Op: 'D', dms_commit_ts: '2026-11-22T03:00:00Z', ...k, quantity: null }));
  }
  items.forEach((lines, i) => {
    const path = join(dir, 'order_items', `order_items-${String(i + 1).padStart(3, '0')}.ndjson`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    files.push({ dataset: 'order_items', path });
  });
  if (!staleProbe) throw new Error('sample data has no stale update');
  // Order events on the stream the next morning: deliveries, some sent twice, and two records
  // the stream quarantines (not JSON; no order_id).
  const shipped = [...live.values()].filter((o) => o.status === 'shipped').slice(0, 200);
  const events: string[] = [];
  shipped.forEach((o, i) => {
    const delivered = JSON.stringify({
      ...o,
      status: 'delivered',
      updated_at: `2026-11-25T08:${String(i % 60).padStart(2, '0')}:00Z`,
    });
    events.push(delivered);
    if (i % 10 === 0) events.push(delivered);
  });
  events.splice(17, 0, '{"order_id": "ord-broken", "status": "deliv');
  events.splice(
    42,
    0,
    JSON.stringify({ order_id: null, status: 'delivered', updated_at: '2026-11-25T08:00:00Z' }),
  );
  const streamFile = join(dir, 'stream', 'order-events-2026-11-25.ndjson');
  mkdirSync(join(dir, 'stream'), { recursive: true });
  writeFileSync(streamFile, `${events.join('\n')}\n`);
  // Schema drift the next day. Orders gain a coupon_code field: an additive change the `alert`
  // policy announces. The order-lines source starts quoting unit prices ("12.50"): the values
  // still load, but the Bronze type changes from double to string, an incompatible change that
  // pauses the `block` dataset; the next file lands but waits for an engineer.
  mkdirSync(join(dir, 'drift'), { recursive: true });
  const coupons = [...live.values()].slice(0, 20).map((o, i) =>
    JSON.stringify({
      ...o,
      status: o.status,
      coupon_code: `WINTER${i % 3}`,
      updated_at: '2026-11-26T09:00:00Z',
    }),
  );
  const additive = join(dir, 'drift', 'orders-2026-11-26-coupons.ndjson');
  writeFileSync(additive, `${coupons.join('\n')}\n`);
  const quoted = lineKeys.slice(0, 10).map((k) =>
    JSON.stringify({
      Op: 'U',
      dms_commit_ts: '2026-11-26T01:00:00Z',
      ...k,
      unit_price: k.unit_price.toFixed(2),
      quantity: 2,
    }),
  );
  const incompatible = join(dir, 'drift', 'order_items-004.ndjson');
  writeFileSync(incompatible, `${quoted.join('\n')}\n`);
  const later = lineKeys
    .slice(10, 15)
    .map((k) => JSON.stringify({ Op: 'U', dms_commit_ts: '2026-11-26T02:00:00Z', ...k, quantity: 3 }));
  const afterPause = join(dir, 'drift', 'order_items-005.ndjson');
  writeFileSync(afterPause, `${later.join('\n')}\n`);
  return {
    files,
    staleProbe,
    malformedFile,
    qualityFailFile,
    streamFile,
    drift: {
      additive: { dataset: 'orders', path: additive },
      incompatible: { dataset: 'order_items', path: incompatible },
      afterPause: { dataset: 'order_items', path: afterPause },
    },
  };
}
