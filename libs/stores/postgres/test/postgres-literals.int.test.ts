import fc from 'fast-check';
import type { TableRef } from '@wail/store';
import { stackEnv, uniqueName } from '@wail/testing';
import { PostgresConnection, PostgresRowStore } from '../src';

/**
 * The adapter sends each write as one simple-protocol message (the per-key
 * lock and the write together), so values are inlined as literals rather than
 * bound as parameters. Any text a client sends — quotes, backslashes, `$$`,
 * statement separators, comments, every plane of Unicode — must come back
 * byte for byte, as a key and as a value, and never run as SQL.
 */
const env = stackEnv();
const database = uniqueName('wail_it_pg_literals');
const admin = new PostgresConnection({ url: env.postgresUrl, poolSize: 1 });
const store = new PostgresRowStore({ url: env.postgresUrl, tombstonePurgeIntervalMs: 0 });
const target: TableRef = {
  store: 'postgres',
  namespace: database,
  schema: 'public',
  table: 'notes',
  keyColumns: ['id'],
};
const runs = Number(process.env['WAIL_FUZZ_RUNS'] ?? 100);

// PostgreSQL text cannot hold U+0000: the adapter refuses it (tested elsewhere).
const hostile = fc
  .oneof(
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: fc.constantFrom("'", '"', '\\', ';', '$', '-', '/', '*', 'E', '\n', ' ') }),
    fc.constantFrom(
      "'); DROP TABLE notes; --",
      "\\'; SELECT pg_sleep(10); --",
      '$$; DELETE FROM notes; $$',
      "E'\\x00'",
      '/* */ COMMIT; ',
    ),
  )
  .filter((text) => !text.includes('\u0000'));

beforeAll(async () => {
  await admin.query(admin.defaultDatabase, `CREATE DATABASE ${database}`);
  await admin.query(
    database,
    `CREATE TABLE notes (id text COLLATE "C" PRIMARY KEY, body text NULL, doc jsonb NULL,
       wail_ts bigint NOT NULL)`,
  );
});

afterAll(async () => {
  await store.close();
  await admin.query(admin.defaultDatabase, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.close();
});

it('round-trips hostile text as a key, a text value and inside JSON, and runs none of it', async () => {
  let ts = 1000n;
  await fc.assert(
    fc.asyncProperty(hostile, hostile, async (id, body) => {
      ts += 1n;
      const key = [{ name: 'id', value: `k${id}` }];
      await store.write({
        target,
        op: 'upsert',
        key,
        ts,
        values: { body, doc: { body, list: [body] } },
      });
      const read = await store.read(target, key, 'strong');
      expect(read).toMatchObject({ state: 'present', wailTs: ts, row: { id: `k${id}`, body } });
      const doc = (read as unknown as { row: { doc: string } }).row.doc;
      expect(JSON.parse(doc)).toEqual({ body, list: [body] });
    }),
    { numRuns: runs },
  );
  // Nothing ran: the table is still there, and holds only what was written.
  const count = await admin.query(database, 'SELECT COUNT(*) AS n FROM notes');
  expect(Number((count.rows[0] as { n: string }).n)).toBeGreaterThan(0);
}, 120_000);
