import type { RowDataPacket } from 'mysql2/promise';
import type { KeyColumn } from '@wail/intent';
import { tombstoneKey, type PreparedWrite, type TableRef } from '@wail/store';
import { stackEnv, uniqueName } from '@wail/testing';
import { MysqlConnection, MysqlRowStore } from '../src';

/**
 * What unfriendly but ordinary input did to the MySQL adapter: a key sent in
 * another form, deletes of keys that never existed, hot keys under concurrent
 * batches, client-chosen column orders.
 */
const env = stackEnv();
const database = uniqueName('wail_it_integrity');
const admin = new MysqlConnection({ url: env.mysqlUrl, connectionLimit: 2 });
const stores: MysqlRowStore[] = [];
const storeWith = (options: Partial<ConstructorParameters<typeof MysqlRowStore>[0]> = {}) => {
  const store = new MysqlRowStore({ url: env.mysqlUrl, tombstonePurgeIntervalMs: 0, ...options });
  stores.push(store);
  return store;
};
const people: TableRef = {
  store: 'mysql',
  namespace: database,
  table: 'people',
  keyColumns: ['id'],
};
const wide: TableRef = { store: 'mysql', namespace: database, table: 'wide', keyColumns: ['id'] };
const hot: TableRef = { store: 'mysql', namespace: database, table: 'hot', keyColumns: ['id'] };
const id = (value: KeyColumn['value']): KeyColumn[] => [{ name: 'id', value }];
const COLUMNS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'];

beforeAll(async () => {
  await admin.pool.query(`CREATE DATABASE \`${database}\``);
  await admin.pool.query(
    `CREATE TABLE \`${database}\`.people (id INT PRIMARY KEY, name VARCHAR(50) NULL, wail_ts BIGINT NOT NULL)`,
  );
  await admin.pool.query(
    `CREATE TABLE \`${database}\`.wide (id BIGINT PRIMARY KEY, ${COLUMNS.map((c) => `${c} INT NULL`).join(', ')}, wail_ts BIGINT NOT NULL)`,
  );
  await admin.pool.query(
    `CREATE TABLE \`${database}\`.strict (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL, age INT NULL, wail_ts BIGINT NOT NULL)`,
  );
  await admin.pool.query(
    `CREATE TABLE \`${database}\`.accounts (id BIGINT PRIMARY KEY, email VARCHAR(50) NULL UNIQUE, note VARCHAR(20) NULL, wail_ts BIGINT NOT NULL)`,
  );
  await admin.pool.query(
    `CREATE TABLE \`${database}\`.hot (id BIGINT PRIMARY KEY, n INT NULL, who VARCHAR(20) NULL, wail_ts BIGINT NOT NULL)`,
  );
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await admin.pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.close();
});

async function tombstones(): Promise<{ row_existed: number }[]> {
  const [rows] = await admin.pool.query<RowDataPacket[]>(
    `SELECT row_existed FROM \`${database}\`.wail_tombstones WHERE table_name = 'people'`,
  );
  return rows as { row_existed: number }[];
}

describe('one canonical key', () => {
  it('finds the delete of {"id":"7"} when the row was written as {"id":7}, and a late older upsert in either form stays out', async () => {
    const store = storeWith();
    await store.write({
      target: people,
      op: 'upsert',
      key: id(7n),
      values: { name: 'a' },
      ts: 1000n,
    });
    await store.write({ target: people, op: 'delete', key: id('7'), values: {}, ts: 2000n });
    expect(await store.read(people, id(7n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 2000n,
    });
    await store.write({
      target: people,
      op: 'upsert',
      key: id('7'),
      values: { name: 'b' },
      ts: 1500n,
    });
    await store.write({
      target: people,
      op: 'upsert',
      key: id(7n),
      values: { name: 'c' },
      ts: 1600n,
    });
    expect(await store.read(people, id('7'), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 2000n,
    });
  });
});

describe('isolation', () => {
  it('keeps a late, older upsert out while a delete is in flight, on a server whose default is READ COMMITTED', async () => {
    const [[global]] = (await admin.pool.query(
      'SELECT @@GLOBAL.tx_isolation AS level',
    )) as unknown as [{ level: string }[]];
    let store: MysqlRowStore;
    await admin.pool.query("SET GLOBAL tx_isolation = 'READ-COMMITTED'");
    try {
      store = storeWith({ connectionLimit: 1 });
      await store.ping();
    } finally {
      await admin.pool.query('SET GLOBAL tx_isolation = ?', [global!.level]);
    }
    await store.write({
      target: people,
      op: 'upsert',
      key: id(500n),
      values: { name: 'a' },
      ts: 10n,
    });
    // A delete at 20, as the store runs it, left open: tombstone first, then the row.
    const deleter = await admin.pool.getConnection();
    await deleter.beginTransaction();
    await deleter.query(
      `INSERT INTO \`${database}\`.wail_tombstones (table_name, key_hash, wail_ts, row_existed) VALUES ('people', ?, 20, TRUE)`,
      [tombstoneKey('people', id(500n))],
    );
    await deleter.query(`DELETE FROM \`${database}\`.people WHERE id = 500`);
    const late = store.write({
      target: people,
      op: 'upsert',
      key: id(500n),
      values: { name: 'late' },
      ts: 15n,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await deleter.commit();
    deleter.release();
    await late;
    expect(await store.read(people, id(500n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 20n,
    });
  });
});

describe('another unique key', () => {
  const accounts: TableRef = { ...people, table: 'accounts' };

  it("never changes another key's row through a shared unique value, and refuses the write with 422", async () => {
    const store = storeWith();
    await store.write({
      target: accounts,
      op: 'upsert',
      key: id(1n),
      values: { email: 'ada@example.com', note: 'first' },
      ts: 100n,
    });
    await expect(
      store.write({
        target: accounts,
        op: 'upsert',
        key: id(2n),
        values: { email: 'ada@example.com', note: 'second' },
        ts: 200n,
      }),
    ).rejects.toMatchObject({ code: 'DATABASE_REJECTED', statusCode: 422 });
    expect(await store.read(accounts, id(1n), 'strong')).toMatchObject({
      state: 'present',
      wailTs: 100n,
      row: { id: 1n, email: 'ada@example.com', note: 'first' },
    });
    expect(await store.read(accounts, id(2n), 'strong')).toMatchObject({ state: 'absent' });
  });

  it('still takes an older write of the same key as a no-op, and a batch refuses only the colliding item', async () => {
    const store = storeWith();
    await store.write({
      target: accounts,
      op: 'upsert',
      key: id(1n),
      values: { email: 'ada@example.com', note: 'older' },
      ts: 50n,
    });
    const prepared = await Promise.all(
      [
        { key: 3n, email: 'c@example.com' },
        { key: 4n, email: 'ada@example.com' },
        { key: 5n, email: 'e@example.com' },
      ].map(({ key, email }) =>
        store.prepareWrite({
          target: accounts,
          op: 'upsert',
          key: id(key),
          values: { email },
          ts: 300n,
        }),
      ),
    );
    const outcomes = await store.executeMany(prepared);
    expect(outcomes.map((error) => (error as { code?: string } | undefined)?.code)).toEqual([
      undefined,
      'DATABASE_REJECTED',
      undefined,
    ]);
  });
});

describe('partial updates', () => {
  it('take a partial update overtaken by a newer delete as superseded, not as a missing row', async () => {
    const store = storeWith();
    const strict: TableRef = { ...people, table: 'strict' };
    await store.write({
      target: strict,
      op: 'upsert',
      key: id(1n),
      values: { name: 'a', age: 1 },
      ts: 10n,
    });
    await store.write({ target: strict, op: 'delete', key: id(1n), values: {}, ts: 30n });
    await store.write({ target: strict, op: 'upsert', key: id(1n), values: { age: 5 }, ts: 20n });
    expect(await store.read(strict, id(1n), 'strong')).toEqual({ state: 'absent', deletedTs: 30n });
    await expect(
      store.write({ target: strict, op: 'upsert', key: id(2n), values: { age: 5 }, ts: 40n }),
    ).rejects.toMatchObject({ code: 'DATABASE_REJECTED' });
  });
});

describe('tombstones', () => {
  it('keeps the tombstone of a key that had no row only for the guard, and of a deleted row for the retention', async () => {
    const store = storeWith({ tombstoneGuardMs: 300, tombstoneRetentionMs: 600_000 });
    await admin.pool.query(`DELETE FROM \`${database}\`.wail_tombstones`).catch(() => undefined);
    await store.write({
      target: people,
      op: 'upsert',
      key: id(1n),
      values: { name: 'x' },
      ts: 10n,
    });
    await store.write({ target: people, op: 'delete', key: id(1n), values: {}, ts: 20n });
    for (let n = 1000; n < 1100; n++)
      await store.write({ target: people, op: 'delete', key: id(BigInt(n)), values: {}, ts: 30n });
    expect(await tombstones()).toHaveLength(101);
    // A late, older upsert of an absent key is still held off while the guard lasts.
    await store.write({
      target: people,
      op: 'upsert',
      key: id(1050n),
      values: { name: 'late' },
      ts: 25n,
    });
    expect(await store.read(people, id(1050n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 30n,
    });

    await new Promise((resolve) => setTimeout(resolve, 500));
    await store.purgeTombstones();
    expect(await tombstones()).toEqual([{ row_existed: 1 }]);
    expect(await store.read(people, id(1n), 'strong')).toEqual({ state: 'absent', deletedTs: 20n });

    const shortRetention = storeWith({ tombstoneGuardMs: 300, tombstoneRetentionMs: 300 });
    await shortRetention.write({
      target: people,
      op: 'delete',
      key: id(2000n),
      values: {},
      ts: 40n,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await shortRetention.purgeTombstones();
    expect(await tombstones()).toEqual([]);
  });

  it('records that a row existed when a key deleted while absent is re-created and deleted again', async () => {
    const store = storeWith({ tombstoneGuardMs: 300, tombstoneRetentionMs: 600_000 });
    await store.write({ target: people, op: 'delete', key: id(3000n), values: {}, ts: 100n });
    await store.write({
      target: people,
      op: 'upsert',
      key: id(3000n),
      values: { name: 'n' },
      ts: 200n,
    });
    await store.write({ target: people, op: 'delete', key: id(3000n), values: {}, ts: 300n });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await store.purgeTombstones();
    expect(await store.read(people, id(3000n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 300n,
    });
  });
});

describe('hot keys', () => {
  /** Zipf-like: key k with weight 1/k, over `keys` keys. */
  function zipf(keys: number): () => bigint {
    const weights = Array.from({ length: keys }, (_, k) => 1 / (k + 1));
    const total = weights.reduce((a, b) => a + b, 0);
    return () => {
      let pick = Math.random() * total;
      for (let k = 0; k < keys; k++) {
        pick -= weights[k]!;
        if (pick <= 0) return BigInt(k + 1);
      }
      return BigInt(keys);
    };
  }

  it('never fails a write of six single writers, two batch writers and deletes over 150 skewed keys', async () => {
    const store = storeWith({ connectionLimit: 16 });
    const nextKey = zipf(150);
    let ts = 1_000_000n;
    const stamp = () => ++ts;
    const failures: string[] = [];
    let writes = 0;
    const until = Date.now() + 6000;
    const single = async (who: string) => {
      while (Date.now() < until) {
        const op = Math.random() < 0.2 ? 'delete' : 'upsert';
        try {
          await store.write({
            target: hot,
            op,
            key: id(nextKey()),
            values: op === 'upsert' ? { n: 1, who } : {},
            ts: stamp(),
          });
          writes++;
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const batch = async (who: string) => {
      while (Date.now() < until) {
        const prepared: PreparedWrite[] = [];
        for (let i = 0; i < 25; i++) {
          const op = Math.random() < 0.1 ? 'delete' : 'upsert';
          prepared.push(
            await store.prepareWrite({
              target: hot,
              op,
              key: id(nextKey()),
              values: op === 'upsert' ? { n: 2, who } : {},
              ts: stamp(),
            }),
          );
        }
        for (const error of await store.executeMany(prepared)) {
          if (error) failures.push(error.message);
          else writes++;
        }
      }
    };
    await Promise.all([
      ...['s1', 's2', 's3', 's4', 's5', 's6'].map(single),
      batch('b1'),
      batch('b2'),
    ]);
    expect(failures).toEqual([]);
    expect(writes).toBeGreaterThan(500);
  }, 30_000);
});

describe('statements', () => {
  async function preparedStatements(): Promise<number> {
    const [rows] = await admin.pool.query<RowDataPacket[]>(
      "SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'",
    );
    return Number(rows[0]!['Value']);
  }

  it('uses one statement for one set of columns in any order', async () => {
    const store = storeWith({ connectionLimit: 1 });
    const columns = ['c1', 'c2', 'c3', 'c4'];
    await store.write({ target: wide, op: 'upsert', key: id(1n), values: { c1: 0 }, ts: 1n });
    const before = await preparedStatements();
    const permutations = (list: string[]): string[][] =>
      list.length <= 1
        ? [list]
        : list.flatMap((first, i) =>
            permutations([...list.slice(0, i), ...list.slice(i + 1)]).map((rest) => [
              first,
              ...rest,
            ]),
          );
    let ts = 10n;
    for (const order of permutations(columns))
      await store.write({
        target: wide,
        op: 'upsert',
        key: id(2n),
        values: Object.fromEntries(order.map((column) => [column, 1])),
        ts: ts++,
      });
    // 24 orders; one statement (a little slack for other clients of the server).
    expect((await preparedStatements()) - before).toBeLessThanOrEqual(4);
  });

  it('keeps at most the statement cache per connection, however many column sets clients use', async () => {
    const store = storeWith({ connectionLimit: 2, statementCacheSize: 8 });
    await store.write({ target: wide, op: 'upsert', key: id(1n), values: { c1: 0 }, ts: 1n });
    const before = await preparedStatements();
    let ts = 100n;
    for (let subset = 1; subset < 2 ** COLUMNS.length; subset++) {
      const values = Object.fromEntries(
        COLUMNS.filter((_, bit) => subset & (1 << bit)).map((column) => [column, subset]),
      );
      await Promise.all([
        store.write({ target: wide, op: 'upsert', key: id(BigInt(subset)), values, ts: ts++ }),
        store.read(wide, id(BigInt(subset)), 'strong'),
      ]);
    }
    // 255 column sets on 2 connections: without a bound, hundreds of statements.
    expect((await preparedStatements()) - before).toBeLessThanOrEqual(2 * 8 + 10);
  });
});
