import { WailError } from '@wail/errors';
import type { KeyColumn } from '@wail/intent';
import type { TableRef } from '@wail/store';
import { deadAddress, stackEnv, uniqueName } from '@wail/testing';
import { PostgresConnection, PostgresRowStore } from '../src';

const env = stackEnv();
const database = uniqueName('wail_it_pg_rows');
const admin = new PostgresConnection({ url: env.postgresUrl, poolSize: 2 });
const store = new PostgresRowStore({ url: env.postgresUrl, tombstonePurgeIntervalMs: 0 });
const ref = (table: string, keyColumns: string[] = ['id']): TableRef => ({
  store: 'postgres',
  namespace: database,
  schema: 'public',
  table,
  keyColumns,
});
const items = ref('items');
const key = (id: KeyColumn['value']): KeyColumn[] => [{ name: 'id', value: id }];
const read = (id: KeyColumn['value'], target = items) => store.read(target, key(id), 'strong');
const sql = (text: string) => admin.query(database, text);

beforeAll(async () => {
  await admin.query(admin.defaultDatabase, `CREATE DATABASE ${database}`);
  await sql(`CREATE TABLE items (id text COLLATE "C" PRIMARY KEY, name varchar(10) NULL, qty int NULL,
     wail_ts bigint NOT NULL)`);
  await sql(`CREATE TABLE everything (id bigint PRIMARY KEY, s smallint, i integer, b bigint,
     n numeric(20,4), f4 real, f8 double precision, ok boolean, t text, v varchar(20), c char(5),
     bin bytea, at timestamptz, at3 timestamp(3) with time zone, local timestamp, day date, u uuid,
     doc jsonb, raw json, tags int[], wail_ts bigint NOT NULL)`);
  await sql(`CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, age int NULL,
     wail_ts bigint NOT NULL)`);
  await sql(`CREATE TABLE composite (tenant bigint, at timestamptz, u uuid, bin bytea, code char(3),
     flag boolean, day date, note text, wail_ts bigint NOT NULL,
     PRIMARY KEY (tenant, at, u, bin, code, flag, day))`);
  await sql(`CREATE TABLE small_key (id smallint PRIMARY KEY, note text, wail_ts bigint NOT NULL)`);
  await sql(`CREATE TABLE array_key (id int[] PRIMARY KEY, wail_ts bigint NOT NULL)`);
  await sql(
    `CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`,
  );
  await sql(`CREATE TABLE ci_key (id text COLLATE ci PRIMARY KEY, wail_ts bigint NOT NULL)`);
  await sql(
    `CREATE TABLE local_key (at timestamp(3) PRIMARY KEY, code varchar(4), wail_ts bigint NOT NULL)`,
  );
  await sql(`CREATE TABLE no_ts (id int PRIMARY KEY, note text)`);
  await sql(`CREATE SCHEMA other`);
  await sql(
    `CREATE TABLE other.items (id text PRIMARY KEY, flavour text, wail_ts bigint NOT NULL)`,
  );
});

afterAll(async () => {
  await store.close();
  await admin.query(admin.defaultDatabase, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.close();
});

describe('PostgresRowStore writes', () => {
  it('upserts a row stamped with the timestamp and reads it back', async () => {
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 1000n,
      values: { name: 'Ada', qty: 3 },
    });
    expect(await read('a')).toEqual({
      state: 'present',
      wailTs: 1000n,
      row: { id: 'a', name: 'Ada', qty: 3 },
    });
  });

  it('applies a partial update to the named columns only', async () => {
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 2000n,
      values: { qty: 4 },
    });
    expect(await read('a')).toMatchObject({ wailTs: 2000n, row: { name: 'Ada', qty: 4 } });
  });

  it('ignores an older write and a repeated one (last writer wins)', async () => {
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 1500n,
      values: { qty: 99, name: 'Old' },
    });
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 2000n,
      values: { qty: 77 },
    });
    expect(await read('a')).toMatchObject({ wailTs: 2000n, row: { name: 'Ada', qty: 4 } });
  });

  it('deletes with a tombstone that a late, older upsert cannot get past, and re-inserts after it', async () => {
    await store.write({ target: items, op: 'delete', key: key('a'), ts: 3000n, values: {} });
    expect(await read('a')).toEqual({ state: 'absent', deletedTs: 3000n });
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 2500n,
      values: { name: 'Zombie' },
    });
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 3000n,
      values: { name: 'Same' },
    });
    expect(await read('a')).toEqual({ state: 'absent', deletedTs: 3000n });
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 3500n,
      values: { name: 'Reborn' },
    });
    expect(await read('a')).toEqual({
      state: 'present',
      wailTs: 3500n,
      row: { id: 'a', name: 'Reborn', qty: null },
    });
    const [tombstone] = (
      await sql(`SELECT wail_ts, row_existed FROM wail_tombstones WHERE table_name = 'items'`)
    ).rows;
    expect(tombstone).toEqual({ wail_ts: '3000', row_existed: 't' });
  });

  it('keeps a row that is newer than a late delete', async () => {
    await store.write({
      target: items,
      op: 'upsert',
      key: key('b'),
      ts: 5000n,
      values: { name: 'Bea' },
    });
    await store.write({ target: items, op: 'delete', key: key('b'), ts: 4000n, values: {} });
    expect(await read('b')).toMatchObject({ state: 'present', wailTs: 5000n });
  });

  it('keeps a late, older upsert of a key deleted while absent out', async () => {
    await store.write({ target: items, op: 'delete', key: key('never-was'), ts: 100n, values: {} });
    await store.write({ target: items, op: 'upsert', key: key('never-was'), ts: 90n, values: {} });
    expect(await read('never-was')).toEqual({ state: 'absent', deletedTs: 100n });
  });

  it('reads a key that never existed as absent with no delete time', async () => {
    expect(await read('nobody')).toEqual({ state: 'absent', deletedTs: undefined });
  });

  it('keeps tables of one name in two schemas apart', async () => {
    const other: TableRef = { ...items, schema: 'other' };
    await store.write({
      target: other,
      op: 'upsert',
      key: key('a'),
      ts: 1n,
      values: { flavour: 'x' },
    });
    expect(await store.read(other, key('a'), 'strong')).toEqual({
      state: 'present',
      wailTs: 1n,
      row: { id: 'a', flavour: 'x' },
    });
    expect(await read('a')).toMatchObject({ row: { name: 'Reborn' } });
  });
});

describe('PostgresRowStore values', () => {
  const everything = ref('everything');

  it('round-trips every supported type in its store-neutral form', async () => {
    await store.write({
      target: everything,
      op: 'upsert',
      key: key(1n),
      ts: 10n,
      values: {
        s: -32768,
        i: 2147483647,
        b: '9223372036854775807',
        n: '1234567890123456.1234',
        f4: 0.5,
        f8: 0.1,
        ok: true,
        t: "it's a \\ test ‘ünïcödé’ 🙂",
        v: 'varchar',
        c: 'ab',
        bin: Buffer.from([0, 1, 2, 255]).toString('base64'),
        at: '2024-05-01T14:00:00.123456+02:00',
        at3: '2024-05-01T12:00:00.123Z',
        local: '2024-05-01T12:00:00.5Z',
        day: '1815-12-10',
        u: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
        doc: { b: [1, 2], a: 'x' },
        raw: { z: 1, a: null },
      },
    });
    expect(await read(1n, everything)).toEqual({
      state: 'present',
      wailTs: 10n,
      row: {
        id: 1n,
        s: -32768,
        i: 2147483647,
        b: 9223372036854775807n,
        n: '1234567890123456.1234',
        f4: 0.5,
        f8: 0.1,
        ok: true,
        t: "it's a \\ test ‘ünïcödé’ 🙂",
        v: 'varchar',
        c: 'ab',
        bin: Buffer.from([0, 1, 2, 255]),
        at: '2024-05-01T12:00:00.123456Z',
        at3: '2024-05-01T12:00:00.123000Z',
        local: '2024-05-01T12:00:00.500000Z',
        day: '1815-12-10',
        u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        doc: '{"a": "x", "b": [1, 2]}',
        raw: '{"z":1,"a":null}',
        tags: null,
      },
    });
  });

  it('writes nulls into nullable columns', async () => {
    await store.write({
      target: everything,
      op: 'upsert',
      key: key(1n),
      ts: 11n,
      values: { s: null, bin: null, at: null, doc: null, u: null },
    });
    expect(await read(1n, everything)).toMatchObject({
      row: { s: null, bin: null, at: null, doc: null, u: null, i: 2147483647 },
    });
  });

  it('refuses a write naming an array column, naming the column', async () => {
    await expect(
      store.write({
        target: everything,
        op: 'upsert',
        key: key(2n),
        ts: 1n,
        values: { tags: [1] },
      }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('"tags" is an array (integer[])'),
    });
  });

  it('refuses wrong values and unknown columns with BAD_REQUEST before touching the row', async () => {
    const attempt = (values: Record<string, unknown>) =>
      store.write({
        target: everything,
        op: 'upsert',
        key: key(3n),
        ts: 1n,
        values: values as never,
      });
    for (const values of [
      { i: 'many' },
      { ok: 'yes' },
      { u: 'not-a-uuid' },
      { day: '2024-02-31' },
      { at: 'yesterday' },
      { bin: 'not base64!' },
      { t: 'nul\u0000byte' },
      { colour: 'red' },
      { wail_ts: 1 },
      { 'x"; DROP TABLE items; --': 1 },
    ])
      await expect(attempt(values)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await read(3n, everything)).toMatchObject({ state: 'absent' });
  });

  it('lets the server refuse what only it can judge (too long, out of range) as DATABASE_REJECTED', async () => {
    await expect(
      store.write({
        target: everything,
        op: 'upsert',
        key: key(4n),
        ts: 1n,
        values: { v: 'x'.repeat(21) },
      }),
    ).rejects.toMatchObject({ code: 'DATABASE_REJECTED', details: { rule: 'too_long' } });
    await expect(
      store.write({ target: everything, op: 'upsert', key: key(4n), ts: 1n, values: { s: 40000 } }),
    ).rejects.toMatchObject({ code: 'DATABASE_REJECTED', details: { rule: 'out_of_range' } });
    expect(await read(4n, everything)).toMatchObject({ state: 'absent' });
  });
});

describe('PostgresRowStore keys', () => {
  it('takes 7 and "7" as one key', async () => {
    const small = ref('small_key');
    await store.write({ target: small, op: 'upsert', key: key(7), ts: 1n, values: { note: 'n' } });
    await store.write({
      target: small,
      op: 'upsert',
      key: key('7'),
      ts: 2n,
      values: { note: 's' },
    });
    expect(await store.read(small, key(7n), 'strong')).toEqual({
      state: 'present',
      wailTs: 2n,
      row: { id: 7, note: 's' },
    });
    await store.write({ target: small, op: 'delete', key: key('7'), ts: 3n, values: {} });
    expect(await store.read(small, key(7), 'strong')).toEqual({ state: 'absent', deletedTs: 3n });
    await expect(
      store.write({ target: small, op: 'upsert', key: key(40000), ts: 4n, values: {} }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('writes, reads and deletes by a composite key of bigint, timestamptz, uuid, bytea, char, boolean and date', async () => {
    const composite = ref('composite', ['tenant', 'at', 'u', 'bin', 'code', 'flag', 'day']);
    const written: KeyColumn[] = [
      { name: 'tenant', value: '42' },
      { name: 'at', value: '2024-05-01T14:00:00.5+02:00' },
      { name: 'u', value: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' },
      { name: 'bin', value: Buffer.from([0, 255]).toString('base64') },
      { name: 'code', value: 'ab' },
      { name: 'flag', value: true },
      { name: 'day', value: '2024-02-29' },
    ];
    const canonical: KeyColumn[] = [
      { name: 'tenant', value: 42n },
      { name: 'at', value: '2024-05-01T12:00:00.500000Z' },
      { name: 'u', value: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
      { name: 'bin', value: new Uint8Array([0, 255]) },
      { name: 'code', value: 'ab' },
      { name: 'flag', value: true },
      { name: 'day', value: '2024-02-29' },
    ];
    const prepared = await store.prepareWrite({
      target: composite,
      op: 'upsert',
      key: written,
      ts: 5n,
      values: { note: 'hi' },
    });
    expect(prepared.key).toEqual(canonical);
    await prepared.execute();
    expect(await store.read(composite, canonical, 'strong')).toEqual({
      state: 'present',
      wailTs: 5n,
      row: {
        tenant: 42n,
        at: '2024-05-01T12:00:00.500000Z',
        u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        bin: Buffer.from([0, 255]),
        code: 'ab',
        flag: true,
        day: '2024-02-29',
        note: 'hi',
      },
    });
    await store.write({ target: composite, op: 'delete', key: written, ts: 6n, values: {} });
    expect(await store.read(composite, canonical, 'strong')).toEqual({
      state: 'absent',
      deletedTs: 6n,
    });
    expect((await sql('SELECT count(*) AS n FROM composite')).rows).toEqual([{ n: '0' }]);
  });

  it('uses a timestamp without time zone as a key in UTC, refusing precision the column would drop', async () => {
    const local: TableRef = { ...ref('local_key'), keyColumns: ['at'] };
    const at = (value: string): KeyColumn[] => [{ name: 'at', value }];
    await store.write({
      target: local,
      op: 'upsert',
      key: at('2024-05-01T12:00:00.123+02:00'),
      ts: 1n,
      values: { code: 'x' },
    });
    expect(await store.read(local, at('2024-05-01T10:00:00.123Z'), 'strong')).toEqual({
      state: 'present',
      wailTs: 1n,
      row: { at: '2024-05-01T10:00:00.123000Z', code: 'x' },
    });
    expect((await sql('SELECT at::text AS at FROM local_key')).rows).toEqual([
      { at: '2024-05-01 10:00:00.123' },
    ]);
    await expect(
      store.write({
        target: local,
        op: 'upsert',
        key: at('2024-05-01T10:00:00.1234Z'),
        ts: 2n,
        values: {},
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses a char key with trailing spaces, which the column ignores', async () => {
    const composite = ref('composite', ['tenant', 'at', 'u', 'bin', 'code', 'flag', 'day']);
    await expect(
      store.prepareWrite({
        target: composite,
        op: 'upsert',
        key: [
          { name: 'tenant', value: 1n },
          { name: 'at', value: '2024-05-01T12:00:00Z' },
          { name: 'u', value: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
          { name: 'bin', value: 'AA==' },
          { name: 'code', value: 'a ' },
          { name: 'flag', value: false },
          { name: 'day', value: '2024-01-01' },
        ],
        ts: 1n,
        values: {},
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses routes whose key is an array, has a nondeterministic collation, or which lack wail_ts', async () => {
    await expect(store.describe(ref('array_key'))).rejects.toMatchObject({
      code: 'ROUTE_MISMATCH',
      message: expect.stringContaining('key column "id" has type int[]'),
    });
    await expect(store.describe(ref('ci_key'))).rejects.toMatchObject({
      code: 'ROUTE_MISMATCH',
      message: expect.stringContaining('nondeterministic collation ci'),
    });
    await expect(store.describe(ref('no_ts'))).rejects.toMatchObject({
      code: 'ROUTE_MISMATCH',
      message: expect.stringContaining('wail_ts'),
    });
    await expect(store.describe(ref('composite', ['tenant']))).rejects.toMatchObject({
      code: 'ROUTE_MISMATCH',
    });
  });
});

describe('PostgresRowStore describe', () => {
  it('reads columns, store-neutral types and the primary key in order from the catalog', async () => {
    const columns = await store.describe(
      ref('composite', ['tenant', 'at', 'u', 'bin', 'code', 'flag', 'day']),
    );
    expect(
      [...columns.values()].map(({ name, type, keyPosition }) => [name, type, keyPosition]),
    ).toEqual([
      ['tenant', 'bigint', 0],
      ['at', 'timestamp', 1],
      ['u', 'uuid', 2],
      ['bin', 'bytea', 3],
      ['code', 'char', 4],
      ['flag', 'boolean', 5],
      ['day', 'date', 6],
      ['note', 'text', undefined],
      ['wail_ts', 'bigint', undefined],
    ]);
    const everything = await store.describe(ref('everything'));
    expect(
      Object.fromEntries([...everything.values()].map((column) => [column.name, column.type])),
    ).toEqual({
      id: 'bigint',
      s: 'smallint',
      i: 'int',
      b: 'bigint',
      n: 'decimal',
      f4: 'float',
      f8: 'double',
      ok: 'boolean',
      t: 'text',
      v: 'varchar',
      c: 'char',
      bin: 'bytea',
      at: 'timestamp',
      at3: 'timestamp',
      local: 'datetime',
      day: 'date',
      u: 'uuid',
      doc: 'json',
      raw: 'json',
      tags: 'int[]',
      wail_ts: 'bigint',
    });
    expect(everything.get('v')).toMatchObject({ maxLength: 20, nullable: true, optional: true });
    expect(everything.get('at3')).toMatchObject({ fractionalDigits: 3 });
    expect(everything.get('wail_ts')).toMatchObject({ nullable: false, optional: false });
  });

  it('reports a missing table as DATABASE_REJECTED, like MySQL', async () => {
    await expect(store.describe(ref('nope'))).rejects.toMatchObject({
      code: 'DATABASE_REJECTED',
      message: expect.stringContaining('does not exist'),
    });
    await expect(
      store.describe({ ...items, namespace: `${database}_missing` }),
    ).rejects.toMatchObject({ code: 'DATABASE_REJECTED', details: { rule: 'no_database' } });
  });
});

describe('PostgresRowStore required columns', () => {
  const people = ref('people');

  it('updates part of a row whose other NOT NULL columns are not given, guarded by wail_ts, and refuses to insert one', async () => {
    const person = key(1n);
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
      store.write({ target: people, op: 'upsert', key: key(2n), ts: 30n, values: { age: 5 } }),
    ).rejects.toMatchObject({
      code: 'DATABASE_REJECTED',
      message: expect.stringContaining('"name"'),
    });
    await expect(
      store.write({ target: people, op: 'upsert', key: key(2n), ts: 30n, values: { name: null } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await store.read(people, key(2n), 'strong')).toMatchObject({ state: 'absent' });
  });

  it('takes a partial update overtaken by a newer delete as superseded', async () => {
    await store.write({
      target: people,
      op: 'upsert',
      key: key(3n),
      ts: 10n,
      values: { name: 'B' },
    });
    await store.write({ target: people, op: 'delete', key: key(3n), ts: 30n, values: {} });
    await store.write({ target: people, op: 'upsert', key: key(3n), ts: 20n, values: { age: 5 } });
    expect(await store.read(people, key(3n), 'strong')).toEqual({
      state: 'absent',
      deletedTs: 30n,
    });
  });

  it('reports a NOT NULL violation the server finds as DATABASE_REJECTED naming the column', async () => {
    await sql('ALTER TABLE people ADD COLUMN city text NULL');
    const fresh = new PostgresRowStore({ url: env.postgresUrl, tombstonePurgeIntervalMs: 0 });
    try {
      // The cache of `fresh` knows city as nullable; the server no longer does.
      await fresh.describe(people);
      await sql(`UPDATE people SET city = 'x'`);
      await sql(`ALTER TABLE people ALTER COLUMN city SET NOT NULL`);
      const error = await fresh
        .write({
          target: people,
          op: 'upsert',
          key: key(9n),
          ts: 1n,
          values: { name: 'N', city: null },
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'DATABASE_REJECTED',
        details: { rule: 'not_null', column: 'city', sqlstate: '23502' },
      });
      expect((error as Error).message).not.toMatch(/postgres:\/\//);
    } finally {
      await fresh.close();
    }
  });
});

describe('PostgresRowStore availability', () => {
  it('reports a stopped server as DATABASE_UNAVAILABLE, retriable, without the URL or password', async () => {
    const { host, port } = await deadAddress();
    const dead = new PostgresRowStore({
      url: `postgres://wail:s3cret-pw@${host}:${port}/postgres`,
      timeoutMs: 300,
      tombstonePurgeIntervalMs: 0,
    });
    for (const attempt of [
      () => dead.read(items, key('a'), 'strong'),
      () => dead.write({ target: items, op: 'delete', key: key('a'), ts: 1n, values: {} }),
      () => dead.ping(),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WailError);
      expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', retriable: true });
      expect((error as Error).message).not.toMatch(/s3cret|postgres:\/\/|wail:/);
    }
    await dead.close();
  });

  it('reads fast from the replica URL when one is given', async () => {
    const replicated = new PostgresRowStore({
      url: env.postgresUrl,
      replicaUrl: env.postgresUrl,
      tombstonePurgeIntervalMs: 0,
    });
    try {
      expect(await replicated.read(items, key('b'), 'fast')).toMatchObject({ state: 'present' });
      expect(await replicated.read(items, key('a'), 'fast')).toMatchObject({ state: 'present' });
    } finally {
      await replicated.close();
    }
  });
});
