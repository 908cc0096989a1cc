import { WailError } from '@wail/errors';
import type { KeyColumn } from '@wail/intent';
import type { TableRef } from '@wail/store';
import { deadAddress, stackEnv, uniqueName } from '@wail/testing';
import { MysqlConnection, MysqlRowStore } from '../src';

const env = stackEnv();
const database = uniqueName('wail_it_rows');
const store = new MysqlRowStore({ url: env.mysqlUrl });
const target: TableRef = {
  store: 'mysql',
  namespace: database,
  table: 'items',
  keyColumns: ['id'],
};
const key = (id: string | bigint): KeyColumn[] => [{ name: 'id', value: id }];
const read = (id: string | bigint) => store.read(target, key(id), 'strong');

beforeAll(async () => {
  const admin = new MysqlConnection({ url: env.mysqlUrl });
  await admin.pool.query(`CREATE DATABASE \`${database}\``);
  await admin.pool.query(
    `CREATE TABLE \`${database}\`.items (
       id VARCHAR(64) COLLATE utf8mb4_bin PRIMARY KEY, name VARCHAR(100) NULL, qty INT NULL, big BIGINT NULL,
       price DECIMAL(12,2) NULL, ratio DOUBLE NULL, active BOOLEAN NULL, payload BLOB NULL,
       seen_at DATETIME(6) NULL, born DATE NULL, wail_ts BIGINT NOT NULL)`,
  );
  await admin.pool.query(
    `CREATE TABLE \`${database}\`.people (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, age INT NULL, wail_ts BIGINT NOT NULL)`,
  );
  await admin.close();
});

afterAll(async () => {
  await store.pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await store.close();
});

describe('MysqlRowStore', () => {
  it('upserts a row stamped with the timestamp and reads it back typed', async () => {
    await store.write({
      target,
      op: 'upsert',
      key: key('a'),
      ts: 1000n,
      values: {
        name: 'Ada',
        qty: 3,
        big: '9007199254740993',
        price: '12.50',
        ratio: 0.25,
        active: true,
        payload: Buffer.from('hi').toString('base64'),
        seen_at: '2024-05-01T12:00:00.123456Z',
        born: '1815-12-10',
      },
    });
    expect(await read('a')).toEqual({
      state: 'present',
      wailTs: 1000n,
      row: {
        id: 'a',
        name: 'Ada',
        qty: 3,
        big: 9007199254740993n,
        price: '12.50',
        ratio: 0.25,
        active: 1,
        payload: Buffer.from('hi'),
        seen_at: '2024-05-01T12:00:00.123456Z',
        born: '1815-12-10',
      },
    });
  });

  it('applies a partial update to the named columns only', async () => {
    await store.write({ target, op: 'upsert', key: key('a'), ts: 2000n, values: { qty: 4 } });
    const state = await read('a');
    expect(state).toMatchObject({ state: 'present', wailTs: 2000n, row: { name: 'Ada', qty: 4 } });
  });

  it('ignores an older write and a repeated one (last writer wins)', async () => {
    await store.write({
      target,
      op: 'upsert',
      key: key('a'),
      ts: 1500n,
      values: { qty: 99, name: 'Old' },
    });
    await store.write({ target, op: 'upsert', key: key('a'), ts: 2000n, values: { qty: 77 } });
    expect(await read('a')).toMatchObject({ wailTs: 2000n, row: { name: 'Ada', qty: 4 } });
  });

  it('deletes with a tombstone that a late, older upsert cannot get past', async () => {
    await store.write({ target, op: 'delete', key: key('a'), ts: 3000n, values: {} });
    expect(await read('a')).toEqual({ state: 'absent', deletedTs: 3000n });
    await store.write({
      target,
      op: 'upsert',
      key: key('a'),
      ts: 2500n,
      values: { name: 'Zombie' },
    });
    expect(await read('a')).toEqual({ state: 'absent', deletedTs: 3000n });
    await store.write({
      target,
      op: 'upsert',
      key: key('a'),
      ts: 3500n,
      values: { name: 'Reborn' },
    });
    expect(await read('a')).toMatchObject({
      state: 'present',
      wailTs: 3500n,
      row: { name: 'Reborn', qty: null },
    });
  });

  it('keeps a row that is newer than a late delete', async () => {
    await store.write({ target, op: 'upsert', key: key('b'), ts: 5000n, values: { name: 'Bea' } });
    await store.write({ target, op: 'delete', key: key('b'), ts: 4000n, values: {} });
    expect(await read('b')).toMatchObject({ state: 'present', wailTs: 5000n });
  });

  it('reads a key that never existed as absent with no delete time', async () => {
    expect(await read('never')).toEqual({ state: 'absent', deletedTs: undefined });
  });

  it("rejects wrong values, unknown columns and WAIL's own column before touching the row", async () => {
    const attempt = (values: Record<string, never | string | number>) =>
      store.write({ target, op: 'upsert', key: key('c'), ts: 6000n, values: values as never });
    await expect(attempt({ qty: 'many' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(attempt({ colour: 'red' as never })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(attempt({ wail_ts: 1 as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(attempt({ 'name`; DROP TABLE items; --': 'x' as never })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await read('c')).toMatchObject({ state: 'absent' });
  });

  it('updates part of a row whose other required columns are not given, guarded by wail_ts', async () => {
    const people: TableRef = {
      store: 'mysql',
      namespace: database,
      table: 'people',
      keyColumns: ['id'],
    };
    const person = [{ name: 'id', value: 1n }];
    await store.write({
      target: people,
      op: 'upsert',
      key: person,
      ts: 10n,
      values: { name: 'Ann', age: 30 },
    });
    await store.write({ target: people, op: 'upsert', key: person, ts: 20n, values: { age: 31 } });
    await store.write({ target: people, op: 'upsert', key: person, ts: 15n, values: { age: 99 } });
    expect(await store.read(people, person, 'strong')).toMatchObject({
      wailTs: 20n,
      row: { name: 'Ann', age: 31 },
    });
    await expect(
      store.write({
        target: people,
        op: 'upsert',
        key: [{ name: 'id', value: 2n }],
        ts: 30n,
        values: { age: 5 },
      }),
    ).rejects.toMatchObject({
      code: 'DATABASE_REJECTED',
      message: expect.stringContaining('"name"'),
    });
  });

  it('folds many upserts into one statement with the same last-writer-wins outcome', async () => {
    await store.write({ target, op: 'delete', key: key('fold-dead'), ts: 9000n, values: {} });
    const requests = [
      { key: key('fold-1'), ts: 8002n, values: { name: 'newest' } },
      { key: key('fold-1'), ts: 8001n, values: { name: 'older' } },
      { key: key('fold-2'), ts: 8003n, values: { name: 'two' } },
      { key: key('fold-dead'), ts: 8500n, values: { name: 'zombie' } },
    ];
    const prepared = await Promise.all(
      requests.map((r) => store.prepareWrite({ target, op: 'upsert', ...r })),
    );
    const before = { ...store.foldStats };
    expect(await store.executeMany(prepared)).toEqual([undefined, undefined, undefined, undefined]);
    expect(store.foldStats).toEqual({
      statements: before.statements + 1,
      rows: before.rows + 4,
      fallbacks: before.fallbacks,
    });
    expect(await read('fold-1')).toMatchObject({ wailTs: 8002n, row: { name: 'newest' } });
    expect(await read('fold-2')).toMatchObject({ wailTs: 8003n, row: { name: 'two' } });
    expect(await read('fold-dead')).toEqual({ state: 'absent', deletedTs: 9000n });
  });

  it('attributes a failure inside a folded statement to its row alone', async () => {
    const prepared = await Promise.all(
      [
        { key: key('fold-ok'), values: { name: 'fine' } },
        { key: key('fold-bad'), values: { name: 'x'.repeat(200) } },
      ].map((r, i) => store.prepareWrite({ target, op: 'upsert', ts: 9100n + BigInt(i), ...r })),
    );
    const fallbacks = store.foldStats.fallbacks;
    const results = await store.executeMany(prepared);
    expect(store.foldStats.fallbacks).toBe(fallbacks + 1);
    expect(results[0]).toBeUndefined();
    expect(results[1]).toMatchObject({ code: 'DATABASE_REJECTED' });
    expect(await read('fold-ok')).toMatchObject({ row: { name: 'fine' } });
  });

  it('reports a missing table as rejected and a stopped server as unavailable', async () => {
    await expect(store.describe({ ...target, table: 'nope' })).rejects.toMatchObject({
      code: 'DATABASE_REJECTED',
    });
    const { host, port } = await deadAddress();
    const dead = new MysqlRowStore({ url: `mysql://root@${host}:${port}`, connectTimeoutMs: 300 });
    const error = await dead.read(target, key('a'), 'strong').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WailError);
    expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', retriable: true });
    await dead.close();
  });
});
