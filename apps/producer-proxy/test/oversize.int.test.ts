import { createServer, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { decodeIntent, keyScalarToJson } from '@wail/intent';
import { KafkaClient } from '@wail/kafka';
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
 * Issue 9 item 4 (one oversized key stalls every writer) and item 6's metric
 * labels, on the real stack: a MySQL table keyed by a VARCHAR, an intent topic
 * with the broker's default limits and one whose `max.message.bytes` is small.
 */
const name = uniqueName('wail_oversize');
const intentTopic = `${name}.intents`;
/** 8 partitions, so 40 small intents spread thin; 2500 bytes, so a 1.5 KB key's intent is refused. */
const smallTopic = `${name}.small`;
const smallLimit = 2500;
const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
const kafka = new KafkaClient({
  brokers: stackEnv().kafkaBrokers,
  clientId: 'wail-oversize-test',
  logger: silentLogger(),
});
let repository: ServiceProcess;
const proxies: ProxyService[] = [];
const INTENT_TIMEOUT_MS = 2000;

async function proxyWith(env: Record<string, string> = {}): Promise<ProxyService> {
  const service = await compose(
    loadConfig({
      ...process.env,
      WAIL_REPOSITORY_URL: repository.url,
      WAIL_STORES: 'mysql',
      WAIL_PROXY_BODY_LIMIT: String(4 * 1024 * 1024),
      WAIL_PROXY_INTENT_TIMEOUT_MS: String(INTENT_TIMEOUT_MS),
      ...env,
    }),
    silentLogger(),
  );
  proxies.push(service);
  return service;
}

async function write(service: ProxyService, table: string, k: string, v = 'v') {
  const started = performance.now();
  const response = await service.app.inject({
    method: 'POST',
    url: `/v1/tables/${table}/mutations`,
    payload: { op: 'upsert', key: { k }, values: { v } },
  });
  return {
    status: response.statusCode,
    body: response.json<{ error?: { code: string; message: string } }>(),
    ms: performance.now() - started,
  };
}

/** The keys of the intents on a topic, once `count` are there. */
async function intentKeys(topic: string, count: number): Promise<string[]> {
  const client = new Kafka({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-oversize-read',
    logLevel: logLevel.NOTHING,
  });
  const consumer = client.consumer({ groupId: uniqueName('wail_oversize_read') });
  const keys: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const intent = decodeIntent(message.value!);
      keys.push(String(keyScalarToJson(intent.key[0]!.value)));
    },
  });
  try {
    await waitFor(() => keys.length >= count, { timeoutMs: 20_000, what: `${count} intents` });
  } finally {
    await consumer.disconnect();
  }
  return keys;
}

async function rowExists(table: string, k: string): Promise<boolean> {
  const [rows] = await mysql.pool.query(`SELECT 1 FROM \`${name}\`.\`${table}\` WHERE k = ?`, [k]);
  return (rows as unknown[]).length > 0;
}

async function metrics(service: ProxyService): Promise<string> {
  return (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
}

beforeAll(async () => {
  await mysql.pool.query(`CREATE DATABASE \`${name}\``);
  for (const table of ['kv', 'narrow', 'narrow_independent'])
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.\`${table}\` (k VARCHAR(768) CHARACTER SET utf8mb4 PRIMARY KEY, v VARCHAR(50) NULL, wail_ts BIGINT NOT NULL)`,
    );
  await kafka.ensureTopics([
    { topic: smallTopic, partitions: 8, config: { 'max.message.bytes': String(smallLimit) } },
  ]);
  repository = await startServiceProcess('repository', {
    WAIL_REPOSITORY_DATABASE: `${name}_repo`,
  });
  const route = { store: 'mysql', database: name, keyColumns: ['k'] };
  await putTableRoutes(repository.url, {
    kv: { ...route, intentTopic, failureMode: 'transactional' },
    narrow: { ...route, intentTopic: smallTopic, failureMode: 'transactional' },
    narrow_independent: { ...route, intentTopic: smallTopic, failureMode: 'independent' },
  });
}, 60_000);

afterAll(async () => {
  for (const service of proxies) await service.stop();
  await repository.stop();
  await kafka.deleteTopics([intentTopic, smallTopic]).catch(() => undefined);
  await kafka.close();
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
  await mysql.close();
});

describe('an oversized key', () => {
  let proxy: ProxyService;
  beforeAll(async () => {
    proxy = await proxyWith();
    expect((await write(proxy, 'kv', 'warm-up')).status).toBe(200);
  });

  it('is answered 413 at once, naming the bound, and nothing is logged or written', async () => {
    const answer = await write(proxy, 'kv', 'x'.repeat(700_000));
    process.stdout.write(`700 KB key answered ${answer.status} in ${answer.ms.toFixed(0)} ms\n`);
    expect(answer.status).toBe(413);
    expect(answer.body.error).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringMatching(
        /the key of kv is 7000\d\d bytes in canonical form; the limit is 4096 bytes \(WAIL_PROXY_KEY_LIMIT\)/,
      ),
    });
    expect(answer.ms).toBeLessThan(INTENT_TIMEOUT_MS + 1000);
    expect(await rowExists('kv', 'x'.repeat(700))).toBe(false);
  });

  it('does not delay the small writes after it', async () => {
    const oversized = write(proxy, 'kv', 'y'.repeat(700_000));
    const small = await Promise.all(
      Array.from({ length: 40 }, (_, i) => write(proxy, 'kv', `after-${i}`)),
    );
    expect((await oversized).status).toBe(413);
    const slowest = Math.max(...small.map((answer) => answer.ms));
    process.stdout.write(`40 small writes beside a 700 KB key: slowest ${slowest.toFixed(0)} ms\n`);
    expect(small.map((answer) => answer.status)).toEqual(new Array(40).fill(200));
    expect(slowest).toBeLessThan(INTENT_TIMEOUT_MS + 1000);
    // Only the warm-up and the 40 small ones are on the intent topic.
    const keys = await intentKeys(intentTopic, 41);
    expect(keys.sort()).toEqual(
      ['warm-up', ...Array.from({ length: 40 }, (_, i) => `after-${i}`)].sort(),
    );
  }, 60_000);

  it('is answered 413 when its intent exceeds the intent bound', async () => {
    const narrow = await proxyWith({ WAIL_PROXY_INTENT_LIMIT: '2048' });
    const answer = await write(narrow, 'kv', 'z'.repeat(1500));
    expect(answer.status).toBe(413);
    expect(answer.body.error?.message).toMatch(
      /the intent for kv is \d+ bytes; the limit is 2048 bytes \(WAIL_PROXY_INTENT_LIMIT\)/,
    );
    expect(await rowExists('kv', 'z'.repeat(1500))).toBe(false);
  });
});

describe('an intent the broker refuses as too large', () => {
  let proxy: ProxyService;
  // Passes the proxy's bounds (1520 + bytes of key), not the topic's 2500 bytes.
  const refusedKey = 'é'.repeat(760);
  beforeAll(async () => {
    proxy = await proxyWith();
    expect((await write(proxy, 'narrow', 'warm-up')).status).toBe(200);
  });

  it('fails alone: the well-formed writes of its Kafka request are 200 and on the topic', async () => {
    const refused = write(proxy, 'narrow', refusedKey);
    const others = Promise.all(
      Array.from({ length: 40 }, (_, i) => write(proxy, 'narrow', `beside-${i}`)),
    );
    const answer = await refused;
    expect(answer.status).toBe(413);
    expect(answer.body.error).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringMatching(
        /Kafka refused a record of \d+ bytes as too large \(max.message.bytes of its topic\)/,
      ),
    });
    const written = await others;
    expect(written.map((w) => w.status)).toEqual(new Array(40).fill(200));
    expect(await rowExists('narrow', refusedKey)).toBe(false);
    const keys = await intentKeys(smallTopic, 41);
    expect(keys).toEqual(
      expect.arrayContaining(['warm-up', ...Array.from({ length: 40 }, (_, i) => `beside-${i}`)]),
    );
    expect(keys).not.toContain(refusedKey);
  }, 60_000);

  it('in a batch fails only its own item', async () => {
    const response = await proxy.app.inject({
      method: 'POST',
      url: '/v1/mutations',
      payload: {
        mutations: [
          { table: 'narrow', op: 'upsert', key: { k: 'batch-1' }, values: { v: '1' } },
          { table: 'narrow', op: 'upsert', key: { k: refusedKey }, values: { v: '2' } },
          { table: 'narrow', op: 'upsert', key: { k: 'batch-3' }, values: { v: '3' } },
        ],
      },
    });
    expect(response.statusCode).toBe(200);
    const { results } = response.json<{ results: { status: number }[] }>();
    expect(results.map((r) => r.status)).toEqual([200, 413, 200]);
    expect(await rowExists('narrow', 'batch-1')).toBe(true);
    expect(await rowExists('narrow', 'batch-3')).toBe(true);
  });

  it('on an independent table is neither written nor held for re-append', async () => {
    const answer = await write(proxy, 'narrow_independent', refusedKey);
    expect(answer.status).toBe(413);
    expect(await rowExists('narrow_independent', refusedKey)).toBe(false);
    const text = await metrics(proxy);
    expect(text).toMatch(/wail_proxy_backlog_intents\{[^}]*\} 0/);
    expect(text).not.toMatch(/wail_proxy_intents_dropped_total\{[^}]*\} [1-9]/);
  });

  it('is answered within the intent timeout, and the writes after it are prompt, with a key of 300 KB', async () => {
    const wide = await proxyWith({
      WAIL_PROXY_KEY_LIMIT: '1000000',
      WAIL_PROXY_INTENT_LIMIT: '1000000',
    });
    expect((await write(wide, 'narrow', 'wide-warm-up')).status).toBe(200);
    const oversized = write(wide, 'narrow', 'w'.repeat(300_000));
    const after = await Promise.all(
      Array.from({ length: 20 }, (_, i) => write(wide, 'narrow', `wide-${i}`)),
    );
    const answer = await oversized;
    const slowest = Math.max(...after.map((a) => a.ms));
    process.stdout.write(
      `300 KB key refused by Kafka: answered ${answer.status} in ${answer.ms.toFixed(0)} ms; slowest of 20 beside it ${slowest.toFixed(0)} ms\n`,
    );
    expect(answer.status).toBe(413);
    expect(answer.ms).toBeLessThan(INTENT_TIMEOUT_MS + 1000);
    expect(after.map((a) => a.status)).toEqual(new Array(20).fill(200));
    expect(slowest).toBeLessThan(INTENT_TIMEOUT_MS + 1000);
  }, 60_000);
});

describe('the intent timeout', () => {
  it('holds while kafkajs keeps waiting on a broker that accepts connections and never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const proxy = await proxyWith({
        WAIL_KAFKA_BROKERS: `127.0.0.1:${port}`,
        WAIL_PROXY_INTENT_TIMEOUT_MS: '500',
      });
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => write(proxy, 'kv', `silent-${i}`)),
      );
      const slowest = Math.max(...answers.map((a) => a.ms));
      process.stdout.write(
        `10 writes to a silent broker: slowest 503 after ${slowest.toFixed(0)} ms\n`,
      );
      expect(answers.map((a) => [a.status, a.body.error?.code])).toEqual(
        new Array(10).fill([503, 'INTENT_LOG_UNAVAILABLE']),
      );
      expect(slowest).toBeLessThan(500 + 1500);
      expect(await rowExists('kv', 'silent-0')).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 30_000);
});

describe('metric labels', () => {
  it('give every table without a route one series', async () => {
    const proxy = await proxyWith();
    for (let i = 0; i < 150; i++) {
      const table = `nope_${i}_${Math.random().toString(36).slice(2, 10)}`;
      const answer = await write(proxy, table, 'k');
      expect(answer.status).toBe(404);
    }
    await proxy.app.inject({
      method: 'POST',
      url: '/v1/mutations',
      payload: {
        mutations: Array.from({ length: 5 }, (_, i) => ({
          table: `nope_batch_${i}`,
          op: 'upsert',
          key: { k: 'k' },
        })),
      },
    });
    const series = (await metrics(proxy))
      .split('\n')
      .filter((line) => line.startsWith('wail_proxy_mutations_total{'));
    const tables = new Set(series.map((line) => /table="([^"]*)"/.exec(line)?.[1]));
    expect([...tables]).toEqual(['_unknown']);
    expect(series.length).toBeLessThanOrEqual(2);
  }, 60_000);
});
