import pg from 'pg';
import type { KeyColumn } from '@wail/intent';
import type { ReadResult, TableRef } from '@wail/store';
import { stackEnv, uniqueName } from '@wail/testing';
import { PostgresConnection, PostgresRowStore } from '../src';

/**
 * Reads issued together share one statement per table, and answer exactly
 * what one read at a time answers: rows, deletes, keys never written,
 * composite keys of several types.
 */
const env = stackEnv();
const database = uniqueName('wail_it_pg_readbatch');
const admin = new PostgresConnection({ url: env.postgresUrl, poolSize: 2 });
const store = new PostgresRowStore({ url: env.postgresUrl, tombstonePurgeIntervalMs: 0 });
const ref = (table: string, keyColumns: string[]): TableRef => ({
  store: 'postgres',
  namespace: database,
  schema: 'public',
  table,
  keyColumns,
});
const people = ref('people', ['id']);
const pairs = ref('pairs', ['tenant', 'day', 'code']);
const sql = (text: string) => admin.query(database, text);

beforeAll(async () => {
  await admin.query(admin.defaultDatabase, `CREATE DATABASE ${database}`);
  await sql('CREATE TABLE people (id bigint PRIMARY KEY, name text NULL, wail_ts bigint NOT NULL)');
  await sql(`CREATE TABLE pairs (tenant bigint, day date, code text COLLATE "C", v int,
     wail_ts bigint NOT NULL, PRIMARY KEY (tenant, day, code))`);
});

afterAll(async () => {
  await store.close();
  await admin.query(admin.defaultDatabase, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.close();
});

/** The same reads one at a time, then all at once; both answers, and the statements the batch ran. */
async function readBoth(
  table: TableRef,
  keys: KeyColumn[][],
): Promise<{ alone: ReadResult[]; together: ReadResult[]; statements: number }> {
  const alone: ReadResult[] = [];
  for (const key of keys) alone.push(await store.read(table, key, 'strong'));
  const query = jest.spyOn(pg.Pool.prototype, 'query');
  const together = await Promise.all(keys.map((key) => store.read(table, key, 'strong')));
  const statements = query.mock.calls.length;
  query.mockRestore();
  return { alone, together, statements };
}

const id = (n: number): KeyColumn[] => [{ name: 'id', value: BigInt(n) }];

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
  const { alone, together, statements } = await readBoth(
    people,
    Array.from({ length: 50 }, (_, n) => id(n)),
  );
  expect(together).toEqual(alone);
  expect(together[3]).toEqual({ state: 'present', row: { id: 3n, name: 'p3' }, wailTs: 1003n });
  expect(together[31]).toEqual({ state: 'absent', deletedTs: 5000n });
  expect(together[45]).toEqual({ state: 'absent', deletedTs: undefined });
  expect(statements).toBe(1);
});

it('reads composite keys of several types together, each getting its own answer', async () => {
  const key = (tenant: number, day: string, code: string): KeyColumn[] => [
    { name: 'tenant', value: BigInt(tenant) },
    { name: 'day', value: day },
    { name: 'code', value: code },
  ];
  for (const [tenant, day, code] of [
    [1, '2024-02-29', 'a'],
    [1, '2024-03-01', 'a'],
    [2, '2024-02-29', 'B'],
  ] as const)
    await store.write({
      target: pairs,
      op: 'upsert',
      key: key(tenant, day, code),
      values: { v: tenant },
      ts: 7n,
    });
  const keys = [
    key(2, '2024-02-29', 'B'),
    key(2, '2024-02-29', 'b'),
    key(1, '2024-03-01', 'a'),
    key(9, '2024-02-29', 'a'),
    key(1, '2024-02-29', 'a'),
  ];
  const { alone, together, statements } = await readBoth(pairs, keys);
  expect(together).toEqual(alone);
  expect(together.map((result) => result.state)).toEqual([
    'present',
    'absent',
    'present',
    'absent',
    'present',
  ]);
  expect(statements).toBe(1);
});
