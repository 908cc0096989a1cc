import { Kafka, logLevel } from 'kafkajs';
import { decodeIntent, intentIdToString } from '@wail/intent';
import { documentedRoutes } from '@wail/runtime';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger, startTracing } from '@wail/telemetry';
import {
  putTableRoutes,
  deadAddress,
  stackEnv,
  startServiceProcess,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose, type ProxyService } from '../src/main';

const name = uniqueName('wail_proxy');
const intentTopic = `${name}.intents`;
const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
let repository: ServiceProcess;
let proxy: ProxyService;
const token = 'proxy-test-token-0123456789';
const extraProxies: ProxyService[] = [];
// As main.ts does: spans are recorded so intents carry a W3C traceparent.
const tracing = startTracing({ service: 'proxy-test', export: false });

async function proxyWith(env: Record<string, string> = {}): Promise<ProxyService> {
  const service = await compose(
    loadConfig({
      ...process.env,
      WAIL_REPOSITORY_URL: repository.url,
      WAIL_STORES: 'mysql',
      WAIL_PROXY_BATCH_LIMIT: '5',
      WAIL_PROXY_BODY_LIMIT: '8192',
      ...env,
    }),
    silentLogger(),
  );
  extraProxies.push(service);
  return service;
}

const post = (
  service: ProxyService,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
) => service.app.inject({ method: 'POST', url, payload: body as object, headers });

beforeAll(async () => {
  await mysql.pool.query(`CREATE DATABASE \`${name}\``);
  await mysql.pool.query(
    `CREATE TABLE \`${name}\`.accounts (id BIGINT PRIMARY KEY, owner VARCHAR(50) NULL, balance DECIMAL(10,2) NULL, wail_ts BIGINT NOT NULL)`,
  );
  await mysql.pool.query(
    `CREATE TABLE \`${name}\`.audit (id BIGINT PRIMARY KEY, note VARCHAR(50) NULL, wail_ts BIGINT NOT NULL)`,
  );
  repository = await startServiceProcess('repository', {
    WAIL_REPOSITORY_DATABASE: `${name}_repo`,
  });
  const route = { store: 'mysql', database: name, keyColumns: ['id'], intentTopic };
  await putTableRoutes(repository.url, {
    accounts: { ...route, failureMode: 'transactional' },
    audit: { ...route, failureMode: 'independent' },
  });
  proxy = await proxyWith();
}, 60_000);

afterAll(async () => {
  for (const service of extraProxies) await service.stop();
  await repository.stop();
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
  await mysql.close();
  await tracing.shutdown();
});

async function intentsOnTopic(count: number): Promise<ReturnType<typeof decodeIntent>[]> {
  const kafka = new Kafka({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-proxy-test',
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: uniqueName('wail_proxy_test') });
  const intents: { intent: ReturnType<typeof decodeIntent>; traceparent: string | undefined }[] =
    [];
  await consumer.connect();
  await consumer.subscribe({ topics: [intentTopic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      intents.push({
        intent: decodeIntent(message.value!),
        traceparent: message.headers?.['traceparent']?.toString(),
      });
    },
  });
  await waitFor(() => intents.length >= count, { timeoutMs: 15_000, what: `${count} intents` });
  await consumer.disconnect();
  for (const { traceparent } of intents)
    // Tracing is not exported here: not sampled (00), propagated all the same.
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  return intents.map(({ intent }) => intent);
}

describe('a mutation', () => {
  let answer: { intentId: string; ts: number; intentLogged: boolean };

  it('logs the intent, then writes the row stamped with the same timestamp', async () => {
    const response = await post(proxy, '/v1/tables/accounts/mutations', {
      op: 'upsert',
      key: { id: 1 },
      values: { owner: 'Ada', balance: '10.50' },
    });
    expect(response.statusCode).toBe(200);
    answer = response.json();
    expect(answer).toEqual({
      intentId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      ts: expect.any(Number),
      intentLogged: true,
    });
    const [rows] = await mysql.pool.query(
      `SELECT owner, balance, wail_ts FROM \`${name}\`.accounts WHERE id = 1`,
    );
    expect(rows).toEqual([{ owner: 'Ada', balance: '10.50', wail_ts: String(answer.ts) }]);
  });

  it('put exactly the table, key, op, timestamp and written columns in the intent — no values', async () => {
    const [intent] = await intentsOnTopic(1);
    expect(intent).toMatchObject({
      table: 'accounts',
      op: 'upsert',
      key: [{ name: 'id', value: 1n }],
      ts: BigInt(answer.ts),
      columns: ['owner', 'balance'],
    });
    expect(intentIdToString(intent!.intentId)).toBe(answer.intentId);
    expect(
      JSON.stringify(intent, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ).not.toContain('Ada');
  }, 30_000);

  it('reads the row back by key, and answers 404 for a missing one', async () => {
    const found = await proxy.app.inject({ method: 'GET', url: '/v1/tables/accounts/rows?id=1' });
    expect(found.json()).toEqual({
      row: { id: 1, owner: 'Ada', balance: '10.50' },
      wail_ts: answer.ts,
    });
    expect(
      (await proxy.app.inject({ method: 'GET', url: '/v1/tables/accounts/rows?id=999' })).json(),
    ).toMatchObject({ error: { code: 'ROW_NOT_FOUND' } });
  });
});

describe('canonical keys', () => {
  it('gives one row one Kafka key whether its integer key came as 51 or "51"', async () => {
    const a = (
      await post(proxy, '/v1/tables/accounts/mutations', {
        op: 'upsert',
        key: { id: 51 },
        values: { owner: 'n' },
      })
    ).json<{ intentId: string }>();
    const b = (
      await post(proxy, '/v1/tables/accounts/mutations', {
        op: 'upsert',
        key: { id: '51' },
        values: { owner: 's' },
      })
    ).json<{ intentId: string }>();
    const kafka = new Kafka({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-proxy-keys',
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: uniqueName('wail_proxy_keys') });
    const keys = new Map<string, string>();
    await consumer.connect();
    await consumer.subscribe({ topics: [intentTopic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        keys.set(
          intentIdToString(decodeIntent(message.value!).intentId),
          message.key!.toString('hex'),
        );
      },
    });
    await waitFor(() => keys.has(a.intentId) && keys.has(b.intentId), {
      timeoutMs: 15_000,
      what: 'both intents',
    });
    await consumer.disconnect();
    expect(keys.get(a.intentId)).toBe(keys.get(b.intentId));
  }, 30_000);
});

describe('bad input', () => {
  it.each([
    [
      'an unknown table',
      '/v1/tables/nope/mutations',
      { op: 'upsert', key: { id: 1 }, values: {} },
      404,
      'UNKNOWN_TABLE',
    ],
    [
      'a missing key column',
      '/v1/tables/accounts/mutations',
      { op: 'upsert', key: {}, values: {} },
      400,
      'BAD_REQUEST',
    ],
    [
      'an extra key column',
      '/v1/tables/accounts/mutations',
      { op: 'upsert', key: { id: 1, owner: 'x' }, values: {} },
      400,
      'BAD_REQUEST',
    ],
    [
      'an unknown op',
      '/v1/tables/accounts/mutations',
      { op: 'merge', key: { id: 1 } },
      400,
      'BAD_REQUEST',
    ],
    [
      'a wrong value type',
      '/v1/tables/accounts/mutations',
      { op: 'upsert', key: { id: 7 }, values: { balance: 'lots' } },
      400,
      'BAD_REQUEST',
    ],
    [
      'an unknown column',
      '/v1/tables/accounts/mutations',
      { op: 'upsert', key: { id: 7 }, values: { colour: 'red' } },
      400,
      'BAD_REQUEST',
    ],
    [
      "WAIL's own column",
      '/v1/tables/accounts/mutations',
      { op: 'upsert', key: { id: 7 }, values: { wail_ts: 1 } },
      400,
      'BAD_REQUEST',
    ],
    [
      'an injection attempt as a column',
      '/v1/tables/accounts/mutations',
      { op: 'upsert', key: { id: 7 }, values: { 'owner`=1; DROP TABLE accounts; --': 'x' } },
      400,
      'BAD_REQUEST',
    ],
    [
      'values on a delete',
      '/v1/tables/accounts/mutations',
      { op: 'delete', key: { id: 7 }, values: { owner: 'x' } },
      400,
      'BAD_REQUEST',
    ],
    [
      'a key that changes in values',
      '/v1/tables/accounts/mutations',
      { op: 'upsert', key: { id: 7 }, values: { id: 8 } },
      400,
      'BAD_REQUEST',
    ],
    [
      'a nested key value',
      '/v1/tables/accounts/mutations',
      { op: 'upsert', key: { id: { $gt: 1 } }, values: {} },
      400,
      'BAD_REQUEST',
    ],
  ])('refuses %s with a clear error and logs nothing', async (_label, url, body, status, code) => {
    const response = await post(proxy, url, body);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ error: { code, message: expect.any(String) } });
    const [rows] = await mysql.pool.query(`SELECT id FROM \`${name}\`.accounts WHERE id = 7`);
    expect(rows).toEqual([]);
  });

  it('refuses a body that is not JSON, one that is too large, and a batch over its limit', async () => {
    const notJson = await proxy.app.inject({
      method: 'POST',
      url: '/v1/tables/accounts/mutations',
      payload: '{"op":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.statusCode).toBe(400);
    const large = await post(proxy, '/v1/tables/accounts/mutations', {
      op: 'upsert',
      key: { id: 8 },
      values: { owner: 'x'.repeat(10_000) },
    });
    expect(large.statusCode).toBe(413);
    const mutations = Array.from({ length: 6 }, (_, i) => ({
      table: 'accounts',
      op: 'upsert',
      key: { id: 100 + i },
      values: {},
    }));
    const batch = await post(proxy, '/v1/mutations', { mutations });
    expect(batch.statusCode).toBe(413);
    expect(batch.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('accepts SQL-looking and unicode text as plain values', async () => {
    const owner = "Robert'); DROP TABLE accounts;-- ✓ 漢字";
    const response = await post(proxy, '/v1/tables/accounts/mutations', {
      op: 'upsert',
      key: { id: 9 },
      values: { owner },
    });
    expect(response.statusCode).toBe(200);
    const [rows] = await mysql.pool.query(`SELECT owner FROM \`${name}\`.accounts WHERE id = 9`);
    expect(rows).toEqual([{ owner }]);
  });
});

describe('a batch', () => {
  it('answers per item, in order, writing the valid ones', async () => {
    const response = await post(proxy, '/v1/mutations', {
      mutations: [
        { table: 'accounts', op: 'upsert', key: { id: 20 }, values: { owner: 'a' } },
        { table: 'accounts', op: 'upsert', key: { id: 21 }, values: { balance: 'bad' } },
        { table: 'nope', op: 'upsert', key: { id: 22 }, values: {} },
        { table: 'accounts', op: 'delete', key: { id: 20 } },
      ],
    });
    expect(response.statusCode).toBe(200);
    const { results } = response.json<{ results: { status: number }[] }>();
    expect(results.map((r) => r.status)).toEqual([200, 400, 404, 200]);
    expect(results[0]).toMatchObject({ intentLogged: true, intentId: expect.any(String) });
  });
});

describe('failure modes', () => {
  it('answers 503 quickly for a transactional table when Kafka is down, and writes nothing', async () => {
    const { host, port } = await deadAddress();
    const service = await proxyWith({
      WAIL_KAFKA_BROKERS: `${host}:${port}`,
      WAIL_PROXY_INTENT_TIMEOUT_MS: '1000',
    });
    const started = Date.now();
    const response = await post(service, '/v1/tables/accounts/mutations', {
      op: 'upsert',
      key: { id: 30 },
      values: { owner: 'x' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { code: 'INTENT_LOG_UNAVAILABLE' } });
    expect(Date.now() - started).toBeLessThan(3000);
    const [rows] = await mysql.pool.query(`SELECT id FROM \`${name}\`.accounts WHERE id = 30`);
    expect(rows).toEqual([]);
  });

  it('writes an independent table anyway and says the intent was not logged', async () => {
    const { host, port } = await deadAddress();
    const service = await proxyWith({
      WAIL_KAFKA_BROKERS: `${host}:${port}`,
      WAIL_PROXY_INTENT_TIMEOUT_MS: '500',
    });
    const response = await post(service, '/v1/tables/audit/mutations', {
      op: 'upsert',
      key: { id: 31 },
      values: { note: 'x' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ intentLogged: false });
    const [rows] = await mysql.pool.query(`SELECT note FROM \`${name}\`.audit WHERE id = 31`);
    expect(rows).toEqual([{ note: 'x' }]);
    const metrics = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/wail_proxy_backlog_intents\{[^}]*\} 1/);
  });

  it('answers 503 quickly when the database is down, before logging anything', async () => {
    const { host, port } = await deadAddress();
    const service = await proxyWith({ WAIL_MYSQL_URL: `mysql://root@${host}:${port}` });
    const started = Date.now();
    const response = await post(service, '/v1/tables/accounts/mutations', {
      op: 'upsert',
      key: { id: 32 },
      values: { owner: 'x' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE' } });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('tokens', () => {
  it('requires a token with permission on the table', async () => {
    const service = await proxyWith({ WAIL_PROXY_TOKENS: `${token}=audit` });
    const body = { op: 'upsert', key: { id: 40 }, values: {} };
    expect((await post(service, '/v1/tables/audit/mutations', body)).statusCode).toBe(401);
    expect(
      (
        await post(service, '/v1/tables/audit/mutations', body, {
          authorization: 'Bearer wrong-token-000000000000',
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await post(service, '/v1/tables/accounts/mutations', body, {
          authorization: `Bearer ${token}`,
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await post(service, '/v1/tables/audit/mutations', body, {
          authorization: `Bearer ${token}`,
        })
      ).statusCode,
    ).toBe(200);
  });
});

describe('documentation', () => {
  it('documents every route in the OpenAPI document and nothing else', async () => {
    const document = (await proxy.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, object>;
    }>();
    expect([...new Set(proxy.app.routeList)].sort()).toEqual(
      [...new Set(documentedRoutes(document.paths))].sort(),
    );
  });
});
