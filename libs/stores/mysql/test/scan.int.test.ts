import { WailError } from '@wail/errors';
import type { KeyColumn } from '@wail/intent';
import type { ScanCondition, ScannedRow, TableRef } from '@wail/store';
import { stackEnv, uniqueName } from '@wail/testing';
import { MysqlConnection, MysqlRowStore } from '../src';

const env = stackEnv();
const database = uniqueName('wail_it_scan');
const store = new MysqlRowStore({ url: env.mysqlUrl, tombstonePurgeIntervalMs: 0 });
const target: TableRef = {
  store: 'mysql',
  namespace: database,
  table: 'pairs',
  keyColumns: ['tenant', 'name'],
};

const SPECIAL_TENANTS = [-(2n ** 63n), 2n ** 53n + 1n, 2n ** 53n + 2n, 2n ** 63n - 1n];
const SPECIAL_NAMES = ['ünïcødé', '日本語', '🦄 emoji', 'a"quote\\back', ''];

interface Row {
  tenant: bigint;
  name: string;
  ts: bigint;
  note: string | null;
  qty: number;
}
const rows: Row[] = [];
for (let i = 0; i < 1100; i++) {
  const tenant = i < 40 ? SPECIAL_TENANTS[i % 4]! : BigInt(i % 37) - 5n;
  const name = i < 40 ? `${SPECIAL_NAMES[i % 5]}${Math.floor(i / 4)}` : `n${i}`;
  rows.push({
    tenant,
    name,
    ts: 1000n + BigInt(i),
    note: i % 3 === 0 ? null : `note${i % 5}`,
    qty: i,
  });
}
/** Primary-key order: tenant, then name as utf8mb4_bin orders it (by code point). */
const byKey = (a: { tenant: bigint; name: string }, b: { tenant: bigint; name: string }) =>
  a.tenant < b.tenant
    ? -1
    : a.tenant > b.tenant
      ? 1
      : Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
const key = (row: { tenant: bigint; name: string }): KeyColumn[] => [
  { name: 'tenant', value: row.tenant },
  { name: 'name', value: row.name },
];
const scanned = (row: Row): ScannedRow => ({ key: key(row), version: row.ts });

async function scanAll(where?: ScanCondition[], limit = 97, cursor?: string) {
  const found: ScannedRow[] = [];
  let pages = 0;
  for (;;) {
    const page = await store.scan({
      target,
      limit,
      ...(cursor ? { cursor } : {}),
      ...(where ? { where } : {}),
    });
    pages++;
    expect(page.rows.length).toBeLessThanOrEqual(limit);
    found.push(...page.rows);
    if (page.cursor === undefined) return { found, pages };
    expect(page.cursor.length).toBeLessThanOrEqual(4096);
    expect(page.cursor).toMatch(/^[\x21-\x7e]+$/);
    cursor = page.cursor;
  }
}

const badRequest = async (promise: Promise<unknown>, message?: RegExp) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WailError);
  expect((error as WailError).code).toBe('BAD_REQUEST');
  if (message) expect((error as WailError).message).toMatch(message);
};

let deleted: Row[] = [];
let live: Row[] = [];

beforeAll(async () => {
  const admin = new MysqlConnection({ url: env.mysqlUrl });
  await admin.pool.query(`CREATE DATABASE \`${database}\``);
  await admin.pool.query(
    `CREATE TABLE \`${database}\`.pairs (tenant BIGINT NOT NULL, name VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
       note VARCHAR(20) NULL, qty INT NULL, big BIGINT NULL, wail_ts BIGINT NOT NULL, PRIMARY KEY (tenant, name))`,
  );
  await admin.close();
  for (let i = 0; i < rows.length; i += 200) {
    const writes = await Promise.all(
      rows.slice(i, i + 200).map((row) =>
        store.prepareWrite({
          target,
          op: 'upsert',
          key: key(row),
          ts: row.ts,
          values: { note: row.note, qty: row.qty },
        }),
      ),
    );
    expect(await store.executeMany(writes)).toEqual(writes.map(() => undefined));
  }
  deleted = rows.filter((_, i) => i % 50 === 7);
  for (const row of deleted)
    await store.write({ target, op: 'delete', key: key(row), ts: row.ts + 1n, values: {} });
  live = rows.filter((row) => !deleted.includes(row)).sort(byKey);
}, 60_000);

afterAll(async () => {
  await store.pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await store.close();
});

describe('MysqlRowStore.scan', () => {
  it('returns every row exactly once, in primary-key order, with its version, in pages of 97', async () => {
    const { found, pages } = await scanAll();
    expect(found.length).toBe(live.length);
    expect(live.length).toBeGreaterThan(1000);
    expect(found).toEqual(live.map(scanned));
    expect(pages).toBe(Math.ceil(live.length / 97));
  });

  it('does not return deleted rows', async () => {
    const { found } = await scanAll(undefined, 500);
    const names = new Set(found.map((row) => `${row.key[0]!.value}\u0000${row.key[1]!.value}`));
    expect(deleted.length).toBeGreaterThan(10);
    for (const row of deleted) expect(names.has(`${row.tenant}\u0000${row.name}`)).toBe(false);
  });

  it('keeps the rows every condition holds for, null included', async () => {
    const check = async (where: ScanCondition[], keep: (row: Row) => boolean) =>
      expect((await scanAll(where)).found).toEqual(live.filter(keep).map(scanned));
    await check([{ column: 'note', op: '=', value: null }], (row) => row.note === null);
    await check([{ column: 'note', op: '!=', value: null }], (row) => row.note !== null);
    await check([{ column: 'note', op: '!=', value: 'note1' }], (row) => row.note !== 'note1');
    await check(
      [
        { column: 'qty', op: '>=', value: 100 },
        { column: 'qty', op: '<', value: '300' },
        { column: 'note', op: '=', value: 'note2' },
      ],
      (row) => row.qty >= 100 && row.qty < 300 && row.note === 'note2',
    );
    await check(
      [{ column: 'tenant', op: '>', value: String(2n ** 53n + 1n) }],
      (row) => row.tenant > 2n ** 53n + 1n,
    );
    await check(
      [{ column: 'name', op: '<=', value: 'n2' }],
      (row) => Buffer.compare(Buffer.from(row.name), Buffer.from('n2')) <= 0,
    );
  });

  it('refuses a bad column, operator, value or limit with BAD_REQUEST before reading', async () => {
    await badRequest(
      store.scan({ target, limit: 10, where: [{ column: 'nope', op: '=', value: 1 }] }),
      /"nope"/,
    );
    await badRequest(
      store.scan({ target, limit: 10, where: [{ column: 'qty', op: '=', value: 'abc' }] }),
      /"qty"/,
    );
    await badRequest(
      store.scan({ target, limit: 10, where: [{ column: 'qty', op: '<', value: null }] }),
    );
    await badRequest(
      store.scan({ target, limit: 10, where: [{ column: 'qty', op: 'LIKE' as never, value: 1 }] }),
    );
    await badRequest(
      store.scan({
        target,
        limit: 10,
        where: [{ column: 'big', op: '>', value: '99999999999999999999' }],
      }),
    );
    await badRequest(
      store.scan({ target, limit: 10, where: [{ column: 'qty', op: '=', value: "1' OR '1'='1" }] }),
    );
    await badRequest(store.scan({ target, limit: 0 }));
    await badRequest(store.scan({ target, limit: 10_001 }));
    await badRequest(store.scan({ target, limit: 2.5 }));
  });

  it('resumes from a cursor mid-way with exactly the rest', async () => {
    let cursor: string | undefined;
    for (let i = 0; i < 3; i++)
      cursor = (await store.scan({ target, limit: 97, ...(cursor ? { cursor } : {}) })).cursor;
    const { found } = await scanAll(undefined, 10_000, cursor);
    expect(found).toEqual(live.slice(3 * 97).map(scanned));
  });

  it('refuses a garbage cursor with BAD_REQUEST', async () => {
    const good = (await store.scan({ target, limit: 1 })).cursor!;
    const encode = (json: string) => `k1.${Buffer.from(json).toString('base64url')}`;
    for (const cursor of [
      'garbage',
      good.slice(0, -3),
      `${good}x`,
      encode('[["i","1"]]'),
      encode('[["s","1"],["s","x"]]'),
      encode('[["i","9223372036854775808"],["s","x"]]'),
      encode(`[["i","1"],["s","${'x'.repeat(65)}"]]`),
      'k1.' + 'A'.repeat(5000),
    ])
      await badRequest(store.scan({ target, limit: 10, cursor }), /cursor/);
  });

  it('hands out keys of every key type exactly as prepareWrite makes them, through cursors', async () => {
    await store.pool.query(
      `CREATE TABLE \`${database}\`.kinds (at DATETIME(6) NOT NULL, bin VARBINARY(16) NOT NULL, day DATE NOT NULL,
       flag BOOLEAN NOT NULL, wail_ts BIGINT NOT NULL, PRIMARY KEY (at, bin, day, flag))`,
    );
    const kinds: TableRef = {
      store: 'mysql',
      namespace: database,
      table: 'kinds',
      keyColumns: ['at', 'bin', 'day', 'flag'],
    };
    const prepared = [];
    for (let i = 0; i < 8; i++) {
      const write = await store.prepareWrite({
        target: kinds,
        op: 'upsert',
        key: [
          { name: 'at', value: `2024-0${1 + (i % 3)}-01T12:00:00.12345${i}+02:00` },
          { name: 'bin', value: Buffer.from([i % 2, 255, i]).toString('base64') },
          { name: 'day', value: `1999-12-0${1 + (i % 2)}` },
          { name: 'flag', value: i % 2 === 0 },
        ],
        ts: 50n + BigInt(i),
        values: {},
      });
      await write.execute();
      prepared.push({ key: [...write.key], version: 50n + BigInt(i) });
    }
    const found: ScannedRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.scan({ target: kinds, limit: 1, ...(cursor ? { cursor } : {}) });
      found.push(...page.rows);
      cursor = page.cursor;
    } while (cursor);
    const sorted = (list: ScannedRow[]) =>
      [...list].sort((a, b) => (String(a.version) < String(b.version) ? -1 : 1));
    expect(found.length).toBe(8);
    expect(sorted(found)).toEqual(sorted(prepared));
  });

  it('carries integers beyond 2^53 and unicode text through cursors', async () => {
    const big = live.filter((row) => row.tenant > 2n ** 53n);
    const { found, pages } = await scanAll(
      [{ column: 'tenant', op: '>', value: String(2n ** 53n) }],
      1,
    );
    expect(found).toEqual(big.map(scanned));
    expect(pages).toBe(big.length);
    const unicode = live.filter((row) => [...row.name].some((char) => char.codePointAt(0)! > 0x7f));
    expect(unicode.length).toBeGreaterThan(10);
    const one = await scanAll([{ column: 'name', op: '>', value: '\u00ff' }], 1);
    expect(one.found).toEqual(
      live
        .filter((row) => Buffer.compare(Buffer.from(row.name), Buffer.from('\u00ff')) > 0)
        .map(scanned),
    );
  });

  it('seeks the primary key for a page after a cursor (range, not a full index scan)', async () => {
    // MariaDB reads a row-value comparison (tenant, name) > (?, ?) as a full
    // index scan from the start (EXPLAIN type "index"); scan's expanded form
    // must be a range read of the primary key.
    const { primary } = store as unknown as { primary: MysqlConnection };
    const execute = jest.spyOn(primary, 'execute');
    const first = await store.scan({ target, limit: 500 });
    await store.scan({ target, limit: 97, cursor: first.cursor! });
    const { sql, values } = execute.mock.calls[1]![0] as { sql: string; values: unknown[] };
    execute.mockRestore();
    const [plan] = await store.pool.query<never[]>(`EXPLAIN ${sql}`, values);
    expect(plan[0]).toMatchObject({ key: 'PRIMARY', type: 'range' });
  });
});
