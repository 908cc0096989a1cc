import type { KeyColumn } from '@wail/intent';
import type { TableRef } from '@wail/store';
import { deadAddress, stackEnv, uniqueName } from '@wail/testing';
import { CassandraRowStore } from '../src';

const env = stackEnv();
const keyspace = uniqueName('wail_it_rows');
const store = new CassandraRowStore({
  contactPoints: env.cassandraContactPoints,
  localDataCenter: env.cassandraDatacenter,
});
const target: TableRef = {
  store: 'cassandra',
  namespace: keyspace,
  table: 'items',
  keyColumns: ['id'],
};
const key = (id: string): KeyColumn[] => [{ name: 'id', value: id }];
const read = (id: string) => store.read(target, key(id), 'strong');

beforeAll(async () => {
  await store.client.execute(
    `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  await store.client.execute(
    `CREATE TABLE ${keyspace}.items (id text PRIMARY KEY, name text, qty int, big bigint, price decimal, ratio double,
       active boolean, payload blob, seen_at timestamp, born date, ref uuid, wail_ts bigint)`,
  );
}, 60_000);

afterAll(async () => {
  await store.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await store.close();
});

describe('CassandraRowStore', () => {
  it('upserts a row with USING TIMESTAMP and reads it back typed', async () => {
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
        seen_at: '2024-05-01T12:00:00.123Z',
        born: '1815-12-10',
        ref: '6f1e0f5e-7c1a-4e8b-9a7d-2f0c1b2a3d4e',
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
        active: true,
        payload: Buffer.from('hi'),
        seen_at: '2024-05-01T12:00:00.123000Z',
        born: '1815-12-10',
        ref: '6f1e0f5e-7c1a-4e8b-9a7d-2f0c1b2a3d4e',
      },
    });
    const written = await store.client.execute(
      `SELECT WRITETIME(name) AS w FROM ${keyspace}.items WHERE id = 'a'`,
    );
    expect(written.first().get('w')).toBe(1000n);
  });

  it('applies a partial update to the named columns only, and ignores older writes', async () => {
    await store.write({ target, op: 'upsert', key: key('a'), ts: 2000n, values: { qty: 4 } });
    await store.write({ target, op: 'upsert', key: key('a'), ts: 1500n, values: { qty: 99 } });
    expect(await read('a')).toMatchObject({
      state: 'present',
      wailTs: 2000n,
      row: { name: 'Ada', qty: 4 },
    });
  });

  it('resolves last-writer-wins per column, as Cassandra does (MySQL resolves per row)', async () => {
    // The late write at 1500 is older than the row (2000) but newer than the
    // name cell (1000): Cassandra keeps it for that column. docs/design.md.
    await store.write({ target, op: 'upsert', key: key('a'), ts: 1500n, values: { name: 'Late' } });
    expect(await read('a')).toMatchObject({
      state: 'present',
      wailTs: 2000n,
      row: { name: 'Late', qty: 4 },
    });
  });

  it('deletes at a timestamp that hides late, older writes and records when', async () => {
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

  it('reads a key that never existed as absent, at either consistency', async () => {
    expect(await read('never')).toEqual({ state: 'absent', deletedTs: undefined });
    expect(await store.read(target, key('never'), 'fast')).toEqual({
      state: 'absent',
      deletedTs: undefined,
    });
  });

  it("rejects wrong values and unknown columns as the client's mistake", async () => {
    await expect(
      store.write({ target, op: 'upsert', key: key('c'), ts: 1n, values: { qty: 'many' } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      store.write({ target, op: 'upsert', key: key('c'), ts: 1n, values: { ref: 'not-a-uuid' } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      store.write({ target, op: 'upsert', key: key('c'), ts: 1n, values: { colour: 'red' } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('reports a missing table as rejected and a stopped cluster as unavailable', async () => {
    await expect(store.describe({ ...target, table: 'nope' })).rejects.toMatchObject({
      code: 'DATABASE_REJECTED',
    });
    const { host, port } = await deadAddress();
    const dead = new CassandraRowStore({
      contactPoints: [`${host}:${port}`],
      localDataCenter: 'datacenter1',
      connectTimeoutMs: 300,
    });
    await expect(dead.read(target, key('a'), 'strong')).rejects.toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      retriable: true,
    });
    await dead.close();
  });
});
