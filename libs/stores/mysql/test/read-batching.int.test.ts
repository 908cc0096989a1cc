import type { KeyColumn } from '@wail/intent';
import type { ReadResult, TableRef } from '@wail/store';
import { stackEnv, uniqueName } from '@wail/testing';
import { MysqlConnection, MysqlRowStore } from '../src';

/**
 * Reads issued together share one statement per table, and answer exactly
 * what one read at a time answers: rows, deletes, keys that never existed,
 * keys that differ in case, composite and binary keys.
 */
const env = stackEnv();
const database = uniqueName('wail_it_readbatch');
const store = new MysqlRowStore({ url: env.mysqlUrl });
const target = (table: string, keyColumns: string[]): TableRef => ({
  store: 'mysql',
  namespace: database,
  table,
  keyColumns,
});
const people = target('people', ['id']);
const names = target('names', ['name']);
const pairs = target('pairs', ['region', 'n']);
const blobs = target('blobs', ['k']);
const texts = target('texts', ['a', 'b']);

beforeAll(async () => {
  const admin = new MysqlConnection({ url: env.mysqlUrl });
  await admin.pool.query(`CREATE DATABASE \`${database}\``);
  for (const ddl of [
    'people (id BIGINT PRIMARY KEY, name VARCHAR(50) NULL, wail_ts BIGINT NOT NULL)',
    'names (name VARCHAR(50) COLLATE utf8mb4_bin PRIMARY KEY, note VARCHAR(20) NULL, wail_ts BIGINT NOT NULL)',
    'pairs (region VARCHAR(10) COLLATE utf8mb4_bin NOT NULL, n INT NOT NULL, v INT NULL, wail_ts BIGINT NOT NULL, PRIMARY KEY (region, n))',
    'blobs (k VARBINARY(16) PRIMARY KEY, v INT NULL, wail_ts BIGINT NOT NULL)',
    'texts (a VARCHAR(10) COLLATE utf8mb4_bin NOT NULL, b VARCHAR(10) COLLATE utf8mb4_bin NOT NULL, v INT NULL, wail_ts BIGINT NOT NULL, PRIMARY KEY (a, b))',
  ])
    await admin.pool.query(`CREATE TABLE \`${database}\`.${ddl}`);
  await admin.close();
});

afterAll(async () => {
  await store.pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await store.close();
});

afterEach(() => jest.restoreAllMocks());

/** The same reads one at a time, then all at once; both answers, and the statements the batch ran. */
async function readBoth(
  table: TableRef,
  keys: KeyColumn[][],
): Promise<{ alone: ReadResult[]; together: ReadResult[]; statements: number }> {
  const alone: ReadResult[] = [];
  for (const key of keys) alone.push(await store.read(table, key, 'strong'));
  const execute = jest.spyOn(MysqlConnection.prototype, 'execute');
  const together = await Promise.all(keys.map((key) => store.read(table, key, 'strong')));
  const statements = execute.mock.calls.length;
  execute.mockRestore();
  return { alone, together, statements };
}

const id = (n: number | bigint): KeyColumn[] => [{ name: 'id', value: BigInt(n) }];

it('answers 50 keys in one statement exactly as 50 reads do: rows, deletes and keys never written', async () => {
  for (let n = 0; n < 40; n++)
    await store.write({
      target: people,
      op: 'upsert',
      key: id(n),
      values: { name: `p${n}` },
      ts: BigInt(1000 + n),
    });
  for (let n = 30; n < 35; n++)
    await store.write({ target: people, op: 'delete', key: id(n), values: {}, ts: 5000n });
  const keys = Array.from({ length: 50 }, (_, n) => id(n));
  const { alone, together, statements } = await readBoth(people, keys);
  expect(together).toEqual(alone);
  expect(together[3]).toEqual({
    state: 'present',
    row: { id: 3n, name: 'p3' },
    wailTs: 1003n,
  });
  expect(together[31]).toEqual({ state: 'absent', deletedTs: 5000n });
  expect(together[45]).toEqual({ state: 'absent', deletedTs: undefined });
  // One statement for the 35 rows; the 15 absent keys are each read alone (row, then tombstone).
  expect(statements).toBe(1 + 15 * 2);
});

it('tells keys apart that differ in case exactly as one read does', async () => {
  await store.write({
    target: names,
    op: 'upsert',
    key: [{ name: 'name', value: 'ABC' }],
    values: { note: 'upper' },
    ts: 10n,
  });
  const keys = ['ABC', 'abc', 'Abc', 'zzz'].map((value) => [{ name: 'name', value }]);
  const { alone, together } = await readBoth(names, keys);
  expect(together).toEqual(alone);
  expect(together[0]).toMatchObject({ state: 'present', row: { name: 'ABC', note: 'upper' } });
  expect(together[1]).toEqual({ state: 'absent', deletedTs: undefined });
  expect(together[3]).toEqual({ state: 'absent', deletedTs: undefined });
});

it('reads composite and binary keys together', async () => {
  for (const [region, n] of [
    ['eu', 1],
    ['eu', 2],
    ['us', 1],
  ] as const)
    await store.write({
      target: pairs,
      op: 'upsert',
      key: [
        { name: 'region', value: region },
        { name: 'n', value: BigInt(n) },
      ],
      values: { v: n * 10 },
      ts: 20n,
    });
  const pairKeys = [
    ['eu', 2],
    ['us', 1],
    ['us', 2],
    ['eu', 1],
  ].map(([region, n]) => [
    { name: 'region', value: region as string },
    { name: 'n', value: BigInt(n as number) },
  ]);
  const pairsRead = await readBoth(pairs, pairKeys);
  expect(pairsRead.together).toEqual(pairsRead.alone);
  expect(pairsRead.together.map((result) => result.state)).toEqual([
    'present',
    'present',
    'absent',
    'present',
  ]);

  for (const byte of [1, 2, 255])
    await store.write({
      target: blobs,
      op: 'upsert',
      key: [{ name: 'k', value: new Uint8Array([byte, 0, byte]) }],
      values: { v: byte },
      ts: 30n,
    });
  const blobKeys = [1, 2, 3, 255].map((byte) => [
    { name: 'k', value: new Uint8Array([byte, 0, byte]) },
  ]);
  const blobsRead = await readBoth(blobs, blobKeys);
  expect(blobsRead.together).toEqual(blobsRead.alone);
  expect(blobsRead.together.map((result) => result.state)).toEqual([
    'present',
    'present',
    'absent',
    'present',
  ]);
  // Rows found by the batch: one statement, plus two for the absent key.
  expect(blobsRead.statements).toBe(3);
});

it('keeps to a few statement shapes whatever the batch size', async () => {
  const sqls = new Set<string>();
  const execute = jest.spyOn(MysqlConnection.prototype, 'execute');
  for (let size = 2; size <= 40; size++)
    await Promise.all(Array.from({ length: size }, (_, n) => store.read(people, id(n), 'strong')));
  for (const [options] of execute.mock.calls) sqls.add((options as { sql: string }).sql);
  // Sizes 2–40 pad to 2, 4, 8, 16, 32, 64; single reads of absent keys add their two.
  expect(sqls.size).toBeLessThanOrEqual(6 + 2);
});

it('never hands one key another key’s row, whatever its text holds (NULs in a composite key)', async () => {
  const key = (a: string, b: string): KeyColumn[] => [
    { name: 'a', value: a },
    { name: 'b', value: b },
  ];
  const keys = [key('a\u0000sb', 'c'), key('a', 'b\u0000sc')];
  for (const [i, k] of keys.entries())
    await store.write({ target: texts, op: 'upsert', key: k, values: { v: i }, ts: 40n });
  const { alone, together } = await readBoth(texts, keys);
  expect(together).toEqual(alone);
  expect(together.map((result) => result.state === 'present' && result.row['v'])).toEqual([0, 1]);
});

it('splits a turn of 250 reads into statements of at most 100 keys, each key its own answer', async () => {
  const keys = Array.from({ length: 250 }, (_, n) => id(10_000 + n));
  await store.executeMany(
    await Promise.all(
      keys.map((key, n) =>
        store.prepareWrite({
          target: people,
          op: 'upsert',
          key,
          values: { name: `q${n}` },
          ts: 60n,
        }),
      ),
    ),
  );
  const { alone, together, statements } = await readBoth(people, keys);
  expect(together).toEqual(alone);
  expect(together[249]).toMatchObject({ state: 'present', row: { name: 'q249' } });
  // 100 + 100 + 50 keys.
  expect(statements).toBe(3);
});
