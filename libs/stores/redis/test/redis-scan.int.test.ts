import { Redis } from 'ioredis';
import type { KeyColumn } from '@wail/intent';
import type { ScanCondition, ScannedRow, TableRef } from '@wail/store';
import { stackEnv, uniqueName } from '@wail/testing';
import { RedisRowStore } from '../src';

const env = stackEnv();
const prefix = uniqueName('wail_it_redis_scan');

/** The data models of the suite's tables: input, as the repository would answer them. */
const MODELS: Record<string, Record<string, unknown>> = {
  orders: {
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'shop', type: 'string' },
      { name: 'id', type: 'long' },
      { name: 'qty', type: ['null', 'int'], default: null },
      { name: 'note', type: ['null', 'string'], default: null },
      {
        name: 'price',
        type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }],
        default: null,
      },
      {
        name: 'seen_at',
        type: ['null', { type: 'long', logicalType: 'timestamp-micros' }],
        default: null,
      },
      { name: 'active', type: ['null', 'boolean'], default: null },
      { name: 'ref', type: ['null', { type: 'string', logicalType: 'uuid' }], default: null },
    ],
  },
  /** Another table whose prefix is the orders prefix plus `:x` (a route mistake): none of it may leak in. */
  nested: {
    type: 'record',
    name: 'Nested',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'qty', type: ['null', 'int'], default: null },
    ],
  },
};

const modelSchema = (table: string) => Promise.resolve(MODELS[table]);
const store = new RedisRowStore({ url: env.redisUrl, modelSchema });
const admin = new Redis(env.redisUrl);

const orders: TableRef = {
  store: 'redis',
  namespace: `${prefix}:orders`,
  table: 'orders',
  keyColumns: ['shop', 'id'],
};
const nested: TableRef = {
  store: 'redis',
  namespace: `${prefix}:orders:x`,
  table: 'nested',
  keyColumns: ['id'],
};
const ordersTwo: TableRef = { ...orders, namespace: `${prefix}:orders2` };

const ROWS = 1_050;
const PAGE = 97;
const BIG = 9_007_199_254_740_993n;

interface Spec {
  key: KeyColumn[];
  ts: bigint;
  qty: number;
  note: string | null;
  deleted: boolean;
}

/** Input: unicode shops with the characters the key encoding escapes (`:`, `%`), ids beyond 2^53. */
const specs: Spec[] = Array.from({ length: ROWS }, (_, i) => ({
  key: [
    { name: 'shop', value: `shop-ü😀:%-${i % 11}` },
    { name: 'id', value: BIG + BigInt(i) },
  ],
  ts: 1_000_000n + BigInt(i),
  qty: i,
  note: i % 3 === 0 ? null : `note ${i}`,
  deleted: i % 25 === 0,
}));
const live = specs.filter((spec) => !spec.deleted);
const id = (key: readonly KeyColumn[]) =>
  key.map(({ name, value }) => `${name}=${String(value)}`).join('|');
const liveIds = new Set(live.map((spec) => id(spec.key)));

async function scanAll(
  options: { where?: ScanCondition[]; from?: string; limit?: number } = {},
  scanner = store,
): Promise<ScannedRow[]> {
  const rows: ScannedRow[] = [];
  let cursor = options.from;
  const limit = options.limit ?? PAGE;
  for (;;) {
    const page = await scanner.scan({
      target: orders,
      limit,
      ...(cursor === undefined ? {} : { cursor }),
      ...(options.where ? { where: options.where } : {}),
    });
    expect(page.rows.length).toBeLessThanOrEqual(limit);
    rows.push(...page.rows);
    if (page.cursor === undefined) return rows;
    expect(page.cursor.length).toBeLessThanOrEqual(4096);
    expect(page.cursor).toMatch(/^[\x21-\x7e]+$/);
    cursor = page.cursor;
  }
}

async function writeAll(items: readonly Spec[], write: (spec: Spec) => Promise<void>) {
  for (let at = 0; at < items.length; at += 100)
    await Promise.all(items.slice(at, at + 100).map(write));
}

beforeAll(async () => {
  await writeAll(specs, (spec) =>
    store.write({
      target: orders,
      op: 'upsert',
      key: spec.key,
      ts: spec.ts,
      values: {
        qty: spec.qty,
        note: spec.note,
        price: `${spec.qty}.5`,
        seen_at: new Date(Date.UTC(2024, 0, 1) + spec.qty * 1000).toISOString(),
        active: spec.qty % 2 === 0,
      },
    }),
  );
  await writeAll(
    specs.filter((spec) => spec.deleted),
    (spec) =>
      store.write({ target: orders, op: 'delete', key: spec.key, ts: spec.ts + 1n, values: {} }),
  );
  // Keys that match the orders prefix's pattern but are no rows of it.
  for (let i = 0; i < 30; i++) {
    await store.write({
      target: nested,
      op: 'upsert',
      key: [{ name: 'id', value: BigInt(i) }],
      ts: 5n,
      values: { qty: i },
    });
    await store.write({
      target: ordersTwo,
      op: 'upsert',
      key: [
        { name: 'shop', value: 'other' },
        { name: 'id', value: BigInt(i) },
      ],
      ts: 5n,
      values: { qty: i },
    });
  }
  await admin.set(`${orders.namespace}:plain:1`, 'a string, not a hash');
  await admin.hset(`${orders.namespace}:nots:2`, 'shop', '"nots"', 'id', '2');
  await admin.hset(`${orders.namespace}:junk`, 'wail_ts', '7');
  await admin.hset(`${orders.namespace}:a:01`, 'shop', '"a"', 'id', '1', 'wail_ts', '7');
}, 120_000);

afterAll(async () => {
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
  await Promise.all([store.close(), admin.quit()]);
});

describe('RedisRowStore.scan', () => {
  it("returns every live row at least once with its version, and nothing that is not the table's row", async () => {
    const rows = await scanAll();
    expect(new Set(rows.map((row) => id(row.key)))).toEqual(liveIds);
    const expected = new Map(live.map((spec) => [id(spec.key), spec.ts]));
    for (const row of rows) expect(row.version).toBe(expected.get(id(row.key)));
  }, 60_000);

  it('leaves deleted rows (tombstones) out', async () => {
    const ids = new Set((await scanAll()).map((row) => id(row.key)));
    for (const spec of specs.filter((s) => s.deleted)) expect(ids.has(id(spec.key))).toBe(false);
  }, 60_000);

  it('decodes keys into the canonical keys read and prepareWrite use, in route key order', async () => {
    const rows = (await scanAll()).slice(0, 20);
    for (const row of rows) {
      expect(row.key.map(({ name }) => name)).toEqual(orders.keyColumns);
      expect(typeof row.key[1]!.value).toBe('bigint');
      expect(String(row.key[0]!.value)).toMatch(/^shop-ü😀:%-\d+$/);
      expect(await store.read(orders, row.key, 'strong')).toMatchObject({
        state: 'present',
        wailTs: row.version,
      });
      const prepared = await store.prepareWrite({
        target: orders,
        op: 'upsert',
        key: row.key.map(({ name, value }) => ({
          name,
          value: typeof value === 'bigint' ? value.toString() : value,
        })),
        ts: 1n,
        values: {},
      });
      expect(row.key).toEqual(prepared.key);
    }
  }, 60_000);

  it('resumes from a mid-way cursor, in another client, with the rest of the table', async () => {
    const first: ScannedRow[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 3 && (i === 0 || cursor !== undefined); i++) {
      const page = await store.scan({ target: orders, limit: PAGE, ...(cursor ? { cursor } : {}) });
      first.push(...page.rows);
      cursor = page.cursor;
    }
    expect(cursor).toBeDefined();
    const other = new RedisRowStore({ url: env.redisUrl, modelSchema });
    try {
      const rest = await scanAll({ from: cursor! }, other);
      expect(new Set([...first, ...rest].map((row) => id(row.key)))).toEqual(liveIds);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('splits a SCAN batch larger than the limit into pages, skipping no row', async () => {
    // A batch cursor as the store hands out when a batch overflows: from the
    // start, COUNT 5000 (the whole table in one batch), after the smallest digest.
    const rows = await scanAll({ from: `0.5000.${'-'.repeat(43)}` });
    expect(new Set(rows.map((row) => id(row.key)))).toEqual(liveIds);
    expect(rows).toHaveLength(live.length);
  }, 60_000);

  it('keeps the rows every condition holds for, null meaning IS NULL / IS NOT NULL', async () => {
    const keys = async (where: ScanCondition[]) =>
      [...new Set((await scanAll({ where })).map((row) => id(row.key)))].sort();
    const expected = (test: (spec: Spec) => boolean) =>
      live
        .filter(test)
        .map((spec) => id(spec.key))
        .sort();
    expect(await keys([{ column: 'qty', op: '>=', value: 500 }])).toEqual(
      expected((s) => s.qty >= 500),
    );
    expect(await keys([{ column: 'note', op: '=', value: null }])).toEqual(
      expected((s) => s.note === null),
    );
    expect(
      await keys([
        { column: 'note', op: '!=', value: null },
        { column: 'qty', op: '<', value: '100' },
        { column: 'id', op: '>', value: (BIG + 10n).toString() },
      ]),
    ).toEqual(expected((s) => s.note !== null && s.qty < 100 && s.qty > 10));
    expect(await keys([{ column: 'price', op: '<=', value: '9.5' }])).toEqual(
      expected((s) => s.qty <= 9),
    );
    expect(
      await keys([{ column: 'seen_at', op: '<', value: '2024-01-01T01:00:10+01:00' }]),
    ).toEqual(expected((s) => s.qty < 10));
    expect(await keys([{ column: 'shop', op: '=', value: 'shop-ü😀:%-3' }])).toEqual(
      expected((s) => s.qty % 11 === 3),
    );
    expect(
      await keys([
        { column: 'active', op: '=', value: true },
        { column: 'qty', op: '<', value: 50 },
      ]),
    ).toEqual(expected((s) => s.qty % 2 === 0 && s.qty < 50));
    // A null note differs from 'note 1' (as the SQL stores' scans say): a backfill misses no row.
    expect(await keys([{ column: 'note', op: '!=', value: 'note 1' }])).toEqual(
      expected((s) => s.note !== 'note 1'),
    );
    expect(await keys([{ column: 'ref', op: '=', value: null }])).toEqual(expected(() => true));
  }, 120_000);

  it('refuses a bad condition before reading: an unknown column, a wrong value, an order it lacks', async () => {
    const bad = (where: ScanCondition[]) => store.scan({ target: orders, limit: PAGE, where });
    await expect(bad([{ column: 'colour', op: '=', value: 'red' }])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('colour'),
    });
    await expect(bad([{ column: 'qty', op: '=', value: 'many' }])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('qty'),
    });
    await expect(bad([{ column: 'price', op: '<', value: '1.234' }])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(bad([{ column: 'active', op: '<', value: true }])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(bad([{ column: 'qty', op: '>', value: null }])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('refuses a limit outside 1..SCAN_PAGE_LIMIT and a cursor it did not hand out', async () => {
    for (const limit of [0, -1, 10_001, 2.5])
      await expect(store.scan({ target: orders, limit })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    for (const cursor of [
      'garbage',
      '',
      '0',
      '-5',
      '007',
      '1e5',
      '18446744073709551616',
      '1'.repeat(5000),
      '0.97.short',
      `0.0.${'A'.repeat(43)}`,
    ])
      await expect(store.scan({ target: orders, limit: PAGE, cursor })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
  });
});
