import { MysqlConnection } from '@wail/store-mysql';
import { stackEnv, waitFor } from '@wail/testing';
import { PipelineEnvironment } from './environment';
import { http } from './support';

/**
 * Promises 1, 2 and 6 across a crash: the consumer is SIGKILLed while
 * acknowledged writes keep arriving, then restarted in the same group. Every
 * acknowledged write is covered by an event of version ≥ its timestamp,
 * versions of a key never go backwards (duplicates are allowed at least once),
 * and the last event of each key is the row in the database.
 */
const env = new PipelineEnvironment();

beforeAll(async () => {
  await env.start({ consumerProcess: true });
}, 120_000);

afterAll(async () => {
  await env.stop();
}, 60_000);

it('loses nothing and never goes back when the consumer is killed mid-stream', async () => {
  const acked = new Map<number, number>();
  const write = async (round: number) => {
    const mutations = Array.from({ length: 20 }, (_, i) => ({
      table: 'customers',
      op: i % 7 === 6 ? 'delete' : 'upsert',
      key: { id: 1000 + ((round * 20 + i) % 40) },
      ...(i % 7 === 6 ? {} : { values: { name: `r${round}-${i}` } }),
    }));
    const answer = await http('POST', `${env.proxy.url}/v1/mutations`, { mutations });
    const results = (answer.body!['results'] as { status: number; ts: number }[]).map(
      (result, i) => ({ result, id: mutations[i]!.key.id }),
    );
    for (const { result, id } of results) {
      expect(result.status).toBe(200);
      acked.set(id, Math.max(acked.get(id) ?? 0, result.ts));
    }
  };

  for (let round = 0; round < 5; round++) await write(round);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await env.consumerProcess!.kill();
  for (let round = 5; round < 10; round++) await write(round);
  await env.restartConsumer();
  for (let round = 10; round < 15; round++) await write(round);

  await waitFor(
    () =>
      [...acked].every(([id, ts]) =>
        env.events
          .forKey('customers', (key) => key['id'] === id)
          .some((event) => event.value.version >= ts),
      ),
    { timeoutMs: 40_000, what: 'an event at or after every acknowledged write' },
  );
  expect(env.events.errors).toEqual([]);

  const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
  try {
    for (const id of acked.keys()) {
      const events = env.events.forKey('customers', (key) => key['id'] === id);
      const versions = events.map((event) => event.value.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      const [rows] = await mysql.pool.query(
        `SELECT name, wail_ts FROM \`${env.name}\`.customers WHERE id = ?`,
        [id],
      );
      const row = (rows as { name: string; wail_ts: string }[])[0];
      const last = events.at(-1)!;
      if (row) {
        expect(last.value).toMatchObject({
          op: 'UPSERT',
          version: Number(row.wail_ts),
          after: { name: row.name },
        });
      } else {
        expect(last.value).toMatchObject({ op: 'DELETE', after: null });
      }
    }
  } finally {
    await mysql.close();
  }
}, 120_000);
