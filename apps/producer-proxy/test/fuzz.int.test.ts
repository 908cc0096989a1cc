import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { decodeIntent } from '@wail/intent';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import {
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose, type ProxyService } from '../src/main';

/**
 * Bad input everywhere: random and hostile bodies against a real proxy on a
 * real database and Kafka. Every answer is a clear 2xx or 4xx — never a 5xx
 * or a crash — and no row is ever written without its intent in Kafka.
 */
const name = uniqueName('wail_fuzz');
const intentTopic = `${name}.intents`;
const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
let repository: ServiceProcess;
let proxy: ProxyService;
const accepted: number[] = [];

beforeAll(async () => {
  await mysql.pool.query(`CREATE DATABASE \`${name}\``);
  await mysql.pool.query(
    `CREATE TABLE \`${name}\`.things (id BIGINT PRIMARY KEY, label VARCHAR(40) NULL, amount DECIMAL(8,2) NULL, flag BOOLEAN NULL, blob_col BLOB NULL, wail_ts BIGINT NOT NULL)`,
  );
  repository = await startServiceProcess('repository', {
    WAIL_REPOSITORY_DATABASE: `${name}_repo`,
  });
  await putTableRoutes(repository.url, {
    things: { store: 'mysql', database: name, keyColumns: ['id'], intentTopic },
  });
  proxy = await compose(
    loadConfig({
      ...process.env,
      WAIL_REPOSITORY_URL: repository.url,
      WAIL_STORES: 'mysql',
      WAIL_PROXY_BODY_LIMIT: '65536',
      WAIL_PROXY_BATCH_LIMIT: '20',
    }),
    silentLogger(),
  );
}, 60_000);

afterAll(async () => {
  await proxy.stop();
  await repository.stop();
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
  await mysql.close();
});

const HONEST = new Set([200, 400, 404, 413, 415, 422]);

async function send(url: string, payload: string, contentType = 'application/json') {
  const response = await proxy.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { 'content-type': contentType },
  });
  expect(HONEST).toContain(response.statusCode);
  if (response.statusCode !== 200) {
    expect(response.json()).toMatchObject({
      error: { code: expect.any(String), message: expect.any(String) },
    });
  }
  return response;
}

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    "'; DROP TABLE things; --",
    '" OR 1=1 --',
    '`id`',
    '\u0000',
    '\uD800',
    '${7*7}',
    '__proto__',
    'constructor',
  ),
);
const scalar = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt().map(String),
);
const values = fc.dictionary(
  fc.oneof(fc.constantFrom('label', 'amount', 'flag', 'blob_col', 'wail_ts', 'id'), hostileString),
  fc.oneof(scalar, fc.jsonValue()),
  { maxKeys: 6 },
);
const mutation = fc.record(
  {
    op: fc.oneof(fc.constantFrom('upsert', 'delete'), hostileString),
    key: fc.oneof(
      fc.record({ id: fc.oneof(fc.integer({ min: 1, max: 50 }), scalar) }),
      fc.dictionary(hostileString, scalar),
      scalar,
    ),
    values: fc.oneof(values, scalar, fc.jsonValue()),
  },
  { requiredKeys: [] },
);

/**
 * Well-formed mutations among the random ones, so the last test always has
 * accepted writes to check against Kafka: random bodies alone are accepted
 * rarely enough that a run could bring fewer than it asks for.
 */
const wellFormed = fc.oneof(
  fc.record({
    op: fc.constant('upsert'),
    key: fc.record({ id: fc.integer({ min: 1, max: 50 }) }),
    values: fc.record(
      {
        label: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(null)),
        amount: fc.integer({ min: -999_999, max: 999_999 }).map((n) => (n / 100).toFixed(2)),
        flag: fc.oneof(fc.boolean(), fc.constant(null)),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ op: fc.constant('delete'), key: fc.record({ id: fc.integer({ min: 1, max: 50 }) }) }),
);

describe('the proxy under random and hostile input', () => {
  it('answers every random mutation body with a clear 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: mutation, weight: 4 }, { arbitrary: wellFormed, weight: 1 }),
        async (body) => {
          const response = await send('/v1/tables/things/mutations', JSON.stringify(body));
          if (response.statusCode === 200) accepted.push(response.json<{ ts: number }>().ts);
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  it('answers random batches, random JSON and random bytes the same way', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            table: fc.oneof(fc.constant('things'), hostileString),
            op: fc.constantFrom('upsert', 'delete'),
            key: fc.record({ id: fc.integer({ min: 1, max: 50 }) }),
            values,
          }),
          { maxLength: 25 },
        ),
        async (mutations) => {
          const response = await send('/v1/mutations', JSON.stringify({ mutations }));
          if (response.statusCode === 200) {
            for (const result of response.json<{ results: { status: number; ts?: number }[] }>()
              .results) {
              expect(HONEST).toContain(result.status);
              if (result.status === 200) accepted.push(result.ts!);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (json) => {
        await send('/v1/tables/things/mutations', JSON.stringify(json));
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        await send('/v1/tables/things/mutations', Buffer.from(bytes).toString('latin1'));
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it('refuses huge and deeply nested bodies without falling over', async () => {
    expect(
      (
        await send(
          '/v1/tables/things/mutations',
          JSON.stringify({ op: 'upsert', key: { id: 1 }, values: { label: 'x'.repeat(100_000) } }),
        )
      ).statusCode,
    ).toBe(413);
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    expect((await send('/v1/tables/things/mutations', deep)).statusCode).toBeGreaterThanOrEqual(
      400,
    );
    const deepValues = `{"op":"upsert","key":{"id":2},"values":{"label":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    expect(
      (await send('/v1/tables/things/mutations', deepValues)).statusCode,
    ).toBeGreaterThanOrEqual(400);
    expect(
      (await send('/v1/tables/things/mutations', '<xml/>', 'application/xml')).statusCode,
    ).toBe(415);
  });

  it('never leaves a row without its intent in Kafka', async () => {
    const [rows] = await mysql.pool.query(`SELECT id, wail_ts FROM \`${name}\`.things`);
    const written = (rows as { wail_ts: string }[]).map((row) => BigInt(row.wail_ts));
    expect(written.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(20);
    const kafka = new Kafka({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-fuzz',
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: uniqueName('wail_fuzz_read') });
    const logged = new Set<bigint>();
    await consumer.connect();
    await consumer.subscribe({ topics: [intentTopic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        logged.add(decodeIntent(message.value!).ts);
      },
    });
    await waitFor(() => accepted.every((ts) => logged.has(BigInt(ts))), {
      timeoutMs: 20_000,
      what: 'every accepted intent',
    });
    await consumer.disconnect();
    for (const ts of written) expect(logged.has(ts)).toBe(true);
  }, 60_000);
});
