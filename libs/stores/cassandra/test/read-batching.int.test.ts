import type { KeyColumn } from '@wail/intent';
import type { ReadResult, TableRef, WriteRequest } from '@wail/store';
import { stackEnv, uniqueName } from '@wail/testing';
import { CassandraRowStore } from '../src';

/**
 * Reads of a one-column key issued together share one `IN` statement, and
 * answer exactly what one read at a time answers: rows, deletes, keys never
 * written, keys differing in case, bigint, uuid and blob keys. Other keys
 * (composite, timestamp) are read one at a time.
 */
const env = stackEnv();
const keyspace = uniqueName('wail_it_cass_readbatch');
const store = new CassandraRowStore({
  contactPoints: env.cassandraContactPoints,
  localDataCenter: env.cassandraDatacenter,
});
const target = (table: string, keyColumns: string[]): TableRef => ({
  store: 'cassandra',
  namespace: keyspace,
  table,
  keyColumns,
});
/** Each batched key type, with two keys to write and one never written. */
const KEY_TYPES: [string, KeyColumn['value'][]][] = [
  ['int', [7n, -7n, 8n]],
  ['smallint', [7n, -7n, 8n]],
  ['tinyint', [7n, -7n, 8n]],
  ['varint', [2n ** 62n, -(2n ** 62n), 8n]],
  ['ascii', ['a', 'A', 'b']],
  [
    'timeuuid',
    [
      '2f3c1a4e-9c1b-11ee-8c90-0242ac120002',
      '2f3c1a4f-9c1b-11ee-8c90-0242ac120002',
      '2f3c1a50-9c1b-11ee-8c90-0242ac120002',
    ],
  ],
];
const people = target('people', ['id']);
const names = target('names', ['name']);
const refs = target('refs', ['ref']);
const blobs = target('blobs', ['k']);
const pairs = target('pairs', ['region', 'n']);
const times = target('times', ['at']);

beforeAll(async () => {
  await store.client.execute(
    `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  for (const ddl of [
    'people (id bigint PRIMARY KEY, name text, wail_ts bigint)',
    'names (name text PRIMARY KEY, note text, wail_ts bigint)',
    'refs (ref uuid PRIMARY KEY, v int, wail_ts bigint)',
    'blobs (k blob PRIMARY KEY, v int, wail_ts bigint)',
    'pairs (region text, n int, v int, wail_ts bigint, PRIMARY KEY (region, n))',
    'times (at timestamp PRIMARY KEY, v int, wail_ts bigint)',
    ...KEY_TYPES.map(([type]) => `typed_${type} (k ${type} PRIMARY KEY, v int, wail_ts bigint)`),
  ])
    await store.client.execute(`CREATE TABLE ${keyspace}.${ddl}`);
}, 60_000);

afterAll(async () => {
  await store.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await store.close();
}, 60_000);

afterEach(() => jest.restoreAllMocks());

/** The same reads one at a time, then all at once; both answers, and the statements the batch ran. */
async function readBoth(
  table: TableRef,
  keys: KeyColumn[][],
): Promise<{ alone: ReadResult[]; together: ReadResult[]; statements: string[] }> {
  const alone: ReadResult[] = [];
  for (const key of keys) alone.push(await store.read(table, key, 'strong'));
  const execute = jest.spyOn(store.client, 'execute');
  const together = await Promise.all(keys.map((key) => store.read(table, key, 'strong')));
  const statements = execute.mock.calls.map((call) => String(call[0]));
  execute.mockRestore();
  return { alone, together, statements };
}

const id = (n: number): KeyColumn[] => [{ name: 'id', value: BigInt(n) }];
/** An upsert of a one-column key at ts 10. */
const put = (table: TableRef, value: KeyColumn['value'], values: WriteRequest['values']) =>
  store.write({
    target: table,
    op: 'upsert',
    key: [{ name: table.keyColumns[0]!, value }],
    values,
    ts: 10n,
  });

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
  expect(together[3]).toEqual({ state: 'present', row: { id: 3n, name: 'p3' }, wailTs: 1003n });
  expect(together[31]).toEqual({ state: 'absent', deletedTs: 5000n });
  expect(together[45]).toEqual({ state: 'absent', deletedTs: undefined });
  // One IN statement for the 35 rows; the 15 absent keys are each read alone (row, then tombstone).
  expect(statements.filter((cql) => / IN \?$/.test(cql))).toHaveLength(1);
  expect(statements).toHaveLength(1 + 15 * 2);
});

it('tells keys apart that differ in case, and reads uuid and blob keys together', async () => {
  await put(names, 'ABC', { note: 'upper' });
  const nameKeys = ['ABC', 'abc', 'Abc', 'A\u0000BC'].map((value) => [{ name: 'name', value }]);
  const named = await readBoth(names, nameKeys);
  expect(named.together).toEqual(named.alone);
  expect(named.together[0]).toMatchObject({
    state: 'present',
    row: { name: 'ABC', note: 'upper' },
  });
  expect(named.together[1]).toEqual({ state: 'absent', deletedTs: undefined });

  const uuids = ['6f1e0f5e-7c1a-4e8b-9a7d-2f0c1b2a3d4e', '00000000-0000-4000-8000-000000000001'];
  await put(refs, uuids[0]!, { v: 1 });
  await put(refs, uuids[1]!, { v: 2 });
  const refKeys = [...uuids, uuids[0]!.toUpperCase()].map((value) => [{ name: 'ref', value }]);
  const referenced = await readBoth(refs, refKeys);
  expect(referenced.together).toEqual(referenced.alone);
  expect(referenced.together.map((result) => result.state)).toEqual([
    'present',
    'present',
    'present',
  ]);

  const bytes = [Uint8Array.from([1, 2]), Uint8Array.from([1, 2, 0]), Uint8Array.from([2])];
  await put(blobs, bytes[0]!, { v: 12 });
  await put(blobs, bytes[1]!, { v: 120 });
  const blobKeys = bytes.map((value) => [{ name: 'k', value }]);
  const binary = await readBoth(blobs, blobKeys);
  expect(binary.together).toEqual(binary.alone);
  expect(binary.together[0]).toMatchObject({ state: 'present', row: { v: 12 } });
  expect(binary.together[1]).toMatchObject({ state: 'present', row: { v: 120 } });
  expect(binary.together[2]).toEqual({ state: 'absent', deletedTs: undefined });
  expect(binary.statements.filter((cql) => / IN \?$/.test(cql))).toHaveLength(1);
});

it('reads composite and timestamp keys one at a time, with the same answers', async () => {
  await store.write({
    target: pairs,
    op: 'upsert',
    key: [
      { name: 'region', value: 'eu' },
      { name: 'n', value: 1n },
    ],
    values: { v: 10 },
    ts: 20n,
  });
  const pairKeys = [1n, 2n].map((n) => [
    { name: 'region', value: 'eu' },
    { name: 'n', value: n },
  ]);
  const paired = await readBoth(pairs, pairKeys);
  expect(paired.together).toEqual(paired.alone);
  expect(paired.statements.some((cql) => cql.includes(' IN '))).toBe(false);

  // Two instants in one second: a text form of a Date would tell them apart no better than its second.
  const instants = ['2024-05-01T12:00:00.123Z', '2024-05-01T12:00:00.456Z'];
  await put(times, instants[0]!, { v: 1 });
  const timed = await readBoth(
    times,
    instants.map((value) => [{ name: 'at', value }]),
  );
  expect(timed.together).toEqual(timed.alone);
  expect(timed.together[1]).toEqual({ state: 'absent', deletedTs: undefined });
  expect(timed.statements.some((cql) => cql.includes(' IN '))).toBe(false);
});

it.each(KEY_TYPES)('reads %s keys together in one statement', async (type, values) => {
  const table = target(`typed_${type}`, ['k']);
  await put(table, values[0]!, { v: 1 });
  await put(table, values[1]!, { v: 2 });
  const { alone, together, statements } = await readBoth(
    table,
    values.map((value) => [{ name: 'k', value }]),
  );
  expect(together).toEqual(alone);
  expect(together.map((result) => result.state)).toEqual(['present', 'present', 'absent']);
  // One IN statement; the absent key alone (row, then tombstone).
  expect(statements.filter((cql) => / IN \?$/.test(cql))).toHaveLength(1);
  expect(statements).toHaveLength(1 + 2);
});
