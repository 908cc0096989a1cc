import pg from 'pg';
import type { KeyColumn } from '@wail/intent';
import { tombstoneKey, type PreparedWrite, type TableRef, type WriteRequest } from '@wail/store';
import { stackEnv, uniqueName } from '@wail/testing';
import { PostgresConnection, PostgresRowStore } from '../src';

/**
 * What concurrency and batching did to the PostgreSQL adapter: deletes in
 * flight while older upserts arrive, hot keys under concurrent batches,
 * batches with a failing write, tombstone purging.
 */
const env = stackEnv();
const database = uniqueName('wail_it_pg_integrity');
const admin = new PostgresConnection({ url: env.postgresUrl, poolSize: 4 });
const stores: PostgresRowStore[] = [];
const storeWith = (options: Partial<ConstructorParameters<typeof PostgresRowStore>[0]> = {}) => {
  const store = new PostgresRowStore({
    url: env.postgresUrl,
    tombstonePurgeIntervalMs: 0,
    ...options,
  });
  stores.push(store);
  return store;
};
const ref = (table: string): TableRef => ({
  store: 'postgres',
  namespace: database,
  schema: 'public',
  table,
  keyColumns: ['id'],
});
const people = ref('people');
const hot = ref('hot');
const id = (value: KeyColumn['value']): KeyColumn[] => [{ name: 'id', value }];
const sql = (text: string, values?: unknown[]) => admin.query(database, text, values);
const LOCK_CLASS = 0x5741494c;

beforeAll(async () => {
  await admin.query(admin.defaultDatabase, `CREATE DATABASE ${database}`);
  await sql(
    'CREATE TABLE people (id bigint PRIMARY KEY, name varchar(20) NULL, wail_ts bigint NOT NULL)',
  );
  await sql(
    'CREATE TABLE hot (id bigint PRIMARY KEY, n int NULL, who text NULL, wail_ts bigint NOT NULL)',
  );
  await sql(
    'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NULL UNIQUE, wail_ts bigint NOT NULL)',
  );
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await admin.query(admin.defaultDatabase, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.close();
});

/** A session of its own, for a transaction the test holds open. */
async function session(): Promise<pg.Client> {
  const url = new URL(env.postgresUrl);
  const client = new pg.Client({
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    database,
  });
  await client.connect();
  return client;
}

describe('a delete in flight', () => {
  it('keeps a late, older upsert out when the delete commits after the upsert started, for a row that existed', async () => {
    const store = storeWith();
    await store.write({
      target: people,
      op: 'upsert',
      key: id(500n),
      values: { name: 'a' },
      ts: 10n,
    });
    // A delete at 20, as the store runs it, left open: lock, tombstone, row.
    const deleter = await session();
    const hash = tombstoneKey('people', id(500n));
    try {
      await deleter.query('BEGIN');
      await deleter.query('SELECT pg_advisory_xact_lock($1, $2)', [
        LOCK_CLASS,
        hash.readInt32BE(0),
      ]);
      await deleter.query(
        "INSERT INTO wail_tombstones (table_name, key_hash, wail_ts, row_existed) VALUES ('people', $1, 20, TRUE)",
        [hash],
      );
      await deleter.query('DELETE FROM people WHERE id = 500');
      const late = store.write({
        target: people,
        op: 'upsert',
        key: id(500n),
        values: { name: 'late' },
        ts: 15n,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await deleter.query('COMMIT');
      await late;
    } finally {
      await deleter.end();
    }
    expect(await store.read(people, id(500n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 20n,
    });
  });

  it('keeps it out for a key that had no row, and lets a newer upsert through once the delete commits', async () => {
    const store = storeWith();
    await store.ping();
    const deleter = await session();
    const hash = tombstoneKey('people', id(600n));
    try {
      await deleter.query('BEGIN');
      await deleter.query('SELECT pg_advisory_xact_lock($1, $2)', [
        LOCK_CLASS,
        hash.readInt32BE(0),
      ]);
      await deleter.query(
        "INSERT INTO wail_tombstones (table_name, key_hash, wail_ts, row_existed) VALUES ('people', $1, 20, FALSE)",
        [hash],
      );
      const late = store.write({
        target: people,
        op: 'upsert',
        key: id(600n),
        values: {},
        ts: 15n,
      });
      const newer = store.write({
        target: people,
        op: 'upsert',
        key: id(601n),
        values: { name: 'other key' },
        ts: 15n,
      });
      // Another key is not held up by the open delete.
      await newer;
      await new Promise((resolve) => setTimeout(resolve, 300));
      await deleter.query('COMMIT');
      await late;
    } finally {
      await deleter.end();
    }
    expect(await store.read(people, id(600n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 20n,
    });
    await store.write({
      target: people,
      op: 'upsert',
      key: id(600n),
      values: { name: 'n' },
      ts: 25n,
    });
    expect(await store.read(people, id(600n), 'strong')).toMatchObject({
      state: 'present',
      wailTs: 25n,
    });
  });
});

describe('a key held too long', () => {
  it('answers DATABASE_UNAVAILABLE, retriable, within the timeout when a key stays locked', async () => {
    const store = storeWith({ timeoutMs: 300 });
    await store.write({ target: people, op: 'upsert', key: id(700n), values: {}, ts: 1n });
    const holder = await session();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [
        LOCK_CLASS,
        tombstoneKey('people', id(700n)).readInt32BE(0),
      ]);
      const started = Date.now();
      const error = await store
        .write({ target: people, op: 'upsert', key: id(700n), values: { name: 'x' }, ts: 2n })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
        retriable: true,
        details: { sqlstate: expect.stringMatching(/^(55P03|57014)$/) },
      });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await store.read(people, id(700n), 'strong')).toMatchObject({ wailTs: 1n });
  });
});

describe('pools', () => {
  it('keeps at most maxDatabases pools, opening an evicted one again on demand', async () => {
    const store = storeWith({ maxDatabases: 1 });
    for (let round = 0; round < 3; round++) {
      await store.ping();
      await store.write({
        target: people,
        op: 'upsert',
        key: id(800n),
        values: {},
        ts: BigInt(round + 1),
      });
    }
    expect(await store.read(people, id(800n), 'strong')).toMatchObject({ wailTs: 3n });
  });
});

describe('executeMany', () => {
  it('sends a batch of upserts and deletes over two tables as one round trip with the same last-writer-wins outcome', async () => {
    const store = storeWith();
    const accounts = ref('accounts');
    await store.write({ target: people, op: 'delete', key: id(900n), values: {}, ts: 9000n });
    const requests: WriteRequest[] = [
      {
        target: people,
        op: 'upsert' as const,
        key: id(901n),
        ts: 8002n,
        values: { name: 'newest' },
      },
      {
        target: people,
        op: 'upsert' as const,
        key: id(901n),
        ts: 8001n,
        values: { name: 'older' },
      },
      {
        target: people,
        op: 'upsert' as const,
        key: id(902n),
        ts: 8003n,
        values: { name: 'two' },
      },
      {
        target: people,
        op: 'upsert' as const,
        key: id(900n),
        ts: 8500n,
        values: { name: 'zombie' },
      },
      { target: people, op: 'delete' as const, key: id(902n), ts: 8004n, values: {} },
      { target: accounts, op: 'upsert' as const, key: id(1n), ts: 1n, values: { email: 'a@x' } },
    ];
    const prepared = await Promise.all(requests.map((request) => store.prepareWrite(request)));
    const before = { ...store.writeStats };
    expect(await store.executeMany(prepared)).toEqual(new Array(6).fill(undefined));
    expect(store.writeStats).toEqual({
      roundTrips: before.roundTrips + 1,
      batches: before.batches + 1,
      batchedWrites: before.batchedWrites + 6,
      fallbacks: before.fallbacks,
    });
    expect(await store.read(people, id(901n), 'strong')).toMatchObject({
      wailTs: 8002n,
      row: { name: 'newest' },
    });
    expect(await store.read(people, id(902n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 8004n,
    });
    expect(await store.read(people, id(900n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 9000n,
    });
    expect(await store.read(accounts, id(1n), 'strong')).toMatchObject({ state: 'present' });
  });

  it('attributes a failure inside a batch to its write alone', async () => {
    const store = storeWith();
    const accounts = ref('accounts');
    await store.write({
      target: accounts,
      op: 'upsert',
      key: id(10n),
      values: { email: 'taken@x' },
      ts: 1n,
    });
    const prepared = await Promise.all(
      [
        { target: people, key: id(1001n), values: { name: 'fine' } as Record<string, string> },
        { target: people, key: id(1002n), values: { name: 'x'.repeat(21) } },
        { target: accounts, key: id(11n), values: { email: 'taken@x' } },
        { target: accounts, key: id(12n), values: { email: 'free@x' } },
      ].map((request) =>
        store.prepareWrite({ op: 'upsert', ts: 100n, ...request } as WriteRequest),
      ),
    );
    const fallbacks = store.writeStats.fallbacks;
    const results = await store.executeMany(prepared);
    expect(store.writeStats.fallbacks).toBe(fallbacks + 1);
    expect(results.map((error) => (error as { code?: string } | undefined)?.code)).toEqual([
      undefined,
      'DATABASE_REJECTED',
      'DATABASE_REJECTED',
      undefined,
    ]);
    expect(results[2]).toMatchObject({ details: { rule: 'unique' } });
    expect(await store.read(people, id(1001n), 'strong')).toMatchObject({ row: { name: 'fine' } });
    expect(await store.read(accounts, id(10n), 'strong')).toMatchObject({
      row: { email: 'taken@x' },
    });
    expect(await store.read(accounts, id(11n), 'strong')).toMatchObject({ state: 'absent' });
  });

  it('sends one message per write outside a batch: the lock, the write and the commit in one round trip', async () => {
    const store = storeWith();
    await store.write({
      target: people,
      op: 'upsert',
      key: id(1100n),
      values: { name: 'a' },
      ts: 1n,
    });
    const before = store.writeStats.roundTrips;
    await store.write({
      target: people,
      op: 'upsert',
      key: id(1100n),
      values: { name: 'b' },
      ts: 2n,
    });
    await store.write({ target: people, op: 'delete', key: id(1100n), values: {}, ts: 3n });
    expect(store.writeStats.roundTrips - before).toBe(2);
    // The server agrees: each message was one transaction, and nothing was left open.
    const open = await sql(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
      [database],
    );
    expect(open.rows).toEqual([{ n: '0' }]);
  });
});

describe('tombstones', () => {
  async function tombstones(): Promise<{ row_existed: string }[]> {
    return (
      await sql("SELECT row_existed FROM wail_tombstones WHERE table_name = 'people' ORDER BY 1")
    ).rows as { row_existed: string }[];
  }

  it('keeps the tombstone of a key that had no row only for the guard, and of a deleted row for the retention', async () => {
    const store = storeWith({ tombstoneGuardMs: 300, tombstoneRetentionMs: 600_000 });
    await store.ping();
    await sql("DELETE FROM wail_tombstones WHERE table_name = 'people'").catch(() => undefined);
    await store.write({
      target: people,
      op: 'upsert',
      key: id(1n),
      values: { name: 'x' },
      ts: 10n,
    });
    await store.write({ target: people, op: 'delete', key: id(1n), values: {}, ts: 20n });
    for (let n = 2000; n < 2050; n++)
      await store.write({ target: people, op: 'delete', key: id(BigInt(n)), values: {}, ts: 30n });
    expect(await tombstones()).toHaveLength(51);
    await store.write({
      target: people,
      op: 'upsert',
      key: id(2025n),
      values: { name: 'late' },
      ts: 25n,
    });
    expect(await store.read(people, id(2025n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 30n,
    });

    await new Promise((resolve) => setTimeout(resolve, 500));
    await store.purgeTombstones();
    expect(await tombstones()).toEqual([{ row_existed: 't' }]);
    expect(await store.read(people, id(1n), 'strong')).toEqual({ state: 'absent', deletedTs: 20n });

    const shortRetention = storeWith({ tombstoneGuardMs: 300, tombstoneRetentionMs: 300 });
    await shortRetention.write({
      target: people,
      op: 'delete',
      key: id(3000n),
      values: {},
      ts: 40n,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await shortRetention.purgeTombstones();
    expect(await tombstones()).toEqual([]);
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

  it('never fails a write of six single writers, two batch writers and deletes over 150 skewed keys, and ends with each key as its newest write left it', async () => {
    const store = storeWith({ poolSize: 12 });
    const nextKey = zipf(150);
    let ts = 1_000_000n;
    const stamp = () => ++ts;
    /** The newest acknowledged write of each key: its ts and whether it deleted. */
    const newest = new Map<bigint, { ts: bigint; deleted: boolean; who: string }>();
    const acknowledge = (key: bigint, at: bigint, deleted: boolean, who: string) => {
      const known = newest.get(key);
      if (!known || known.ts < at) newest.set(key, { ts: at, deleted, who });
    };
    const failures: string[] = [];
    let writes = 0;
    const until = Date.now() + 5000;
    const single = async (who: string) => {
      while (Date.now() < until) {
        const op = Math.random() < 0.25 ? 'delete' : 'upsert';
        const key = nextKey();
        const at = stamp();
        // Stamped before it is sent, so writes of one key reach the server in any order.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        try {
          await store.write({
            target: hot,
            op,
            key: id(key),
            values: op === 'upsert' ? { n: 1, who } : {},
            ts: at,
          });
          acknowledge(key, at, op === 'delete', who);
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
          const op = Math.random() < 0.15 ? 'delete' : 'upsert';
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
        (await store.executeMany(prepared)).forEach((error, i) => {
          const { request, key } = prepared[i]!;
          if (error) failures.push(error.message);
          else {
            acknowledge(key[0]!.value as bigint, request.ts, request.op === 'delete', who);
            writes++;
          }
        });
      }
    };
    await Promise.all([
      ...['s1', 's2', 's3', 's4', 's5', 's6'].map(single),
      batch('b1'),
      batch('b2'),
    ]);
    expect(failures).toEqual([]);
    expect(writes).toBeGreaterThan(300);
    expect(store.writeStats.fallbacks).toBe(0);
    const wrong: string[] = [];
    for (const [key, last] of newest) {
      const state = await store.read(hot, id(key), 'strong');
      if (
        last.deleted
          ? state.state !== 'absent' || state.deletedTs !== last.ts
          : state.state !== 'present' || state.wailTs !== last.ts || state.row['who'] !== last.who
      )
        wrong.push(
          `${key}: expected ${last.deleted ? 'deleted' : 'written'} at ${last.ts}, got ${JSON.stringify(state, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
        );
    }
    expect(wrong).toEqual([]);
  }, 30_000);
});
