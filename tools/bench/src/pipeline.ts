import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import { Defaults, splitList } from '@wail/config';
import { KafkaClient } from '@wail/kafka';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { PostgresConnection } from '@wail/store-postgres';
import Redis from 'ioredis';
import { silentLogger } from '@wail/telemetry';
import { CpuMeter, listenerPid, ownCpuMs, processTreeCpuMs, settle } from './cpu';
import {
  ITEM_SCHEMA,
  followEvents,
  freePort,
  load,
  metric,
  offerLoad,
  quantile,
  record,
  say,
  startService,
  stopService,
  type LoadFigures,
} from './harness';

/**
 * The pipeline benchmark, on one run against the local stack:
 *
 * 1. proxy writes/s and p50/p99 (single and batch) vs direct database writes
 *    at the same concurrency — the physical limit — as a ratio;
 * 2. end-to-end latency (proxy acknowledgement → event on the topic) at 25%,
 *    50% and 80% of the measured maximum single-write rate, offered evenly
 *    paced (harness `offerLoad`);
 * 3. consumer catch-up rate over a backlog of N intents, once per delivery mode
 *    (at-least-once, then exactly-once with Kafka transactions, over the same
 *    intents with a fresh group each): the throughput cost of exactly-once;
 * 4. database reads per intent under Zipf-skewed keys (s = 1.1 over 1,000 keys);
 * 5. CPU-ms per acknowledged write of each process (proxy, consumer, Kafka,
 *    the database server, the load generator), each as a ratio to the
 *    database server's, and a plain-proxy baseline (`plain-proxy.ts`: the same
 *    HTTP API writing the same table with no intent) at equal connections.
 *
 * Usage: npx tsx tools/bench/src/pipeline.ts [--store mysql|cassandra|postgres|redis|all|a,b]
 *        [--duration 15] [--connections 64] [--batch 50] [--backlog 100000]
 *        [--only catch-up|throughput|latency] [--profile DIR]
 *
 * `--only throughput` runs the write measures alone (direct, plain proxy,
 * proxy single and batch writes, CPU per write); `--only latency` the proxy's
 * single-write maximum and the end-to-end curve at 25/50/80 % of it; `--profile DIR` starts the
 * proxy and the consumer with `--cpu-prof` into DIR (read the top frames with
 * `npx tsx tools/bench/src/profile-top.ts DIR/*.cpuprofile`).
 */
const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'mysql' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '64' },
    batch: { type: 'string', default: '50' },
    backlog: { type: 'string', default: '100000' },
    only: { type: 'string' },
    profile: { type: 'string' },
  },
});
const STORES = ['mysql', 'cassandra', 'postgres', 'redis'] as const;
type Store = (typeof STORES)[number];
const stores = [...new Set(values.store === 'all' ? STORES : splitList(values.store!))] as Store[];
if (stores.length === 0 || stores.some((named) => !STORES.includes(named)))
  throw new Error(`--store must be all, or one or more of ${STORES.join(', ')}`);
/** The store of the run under way (one after the other with `--store all`). */
let store: Store = stores[0]!;
if (values.only !== undefined && !['catch-up', 'throughput', 'latency'].includes(values.only))
  throw new Error('--only must be catch-up, throughput or latency');
/** Node flags of the proxy and the consumer: CPU profiles into `--profile`'s directory. */
const profiled: string[] = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
const duration = Number(values.duration);
const connections = Number(values.connections);
const batchSize = Number(values.batch);
const backlogSize = Number(values.backlog);
const env = process.env;
const mysqlUrl = env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl;
const postgresUrl = env['WAIL_POSTGRES_URL'] ?? Defaults.postgresUrl;
const redisUrl = env['WAIL_REDIS_URL'] ?? Defaults.redisUrl;
/** The bench table's Redis key prefix (a Redis table has no DDL; its model is its description). */
const redisPrefix = (name: string, table: string) => `${name}:${table}`;
const brokers = splitList(env['WAIL_KAFKA_BROKERS'] ?? Defaults.kafkaBrokers);

interface Environment {
  name: string;
  repositoryUrl: string;
  proxyUrl: string;
  consumerUrl: string | undefined;
  intentTopic: string;
  eventTopic: string;
  proxyPid: number;
  consumerPid(): number | undefined;
  startConsumer(group: string, extraEnv?: Record<string, string>): Promise<void>;
  stopConsumer(): Promise<void>;
  stop(): Promise<void>;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

async function createTables(name: string): Promise<void> {
  if (store === 'postgres') {
    const postgres = new PostgresConnection({ url: postgresUrl, poolSize: 1 });
    await postgres.query(postgres.defaultDatabase, `CREATE DATABASE "${name}"`);
    for (const table of ['items', 'direct'])
      await postgres.query(
        name,
        `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, name VARCHAR(64) NULL, qty INT NULL, wail_ts BIGINT NOT NULL)`,
      );
    await postgres.close();
  } else if (store === 'redis') {
    // Nothing to create.
  } else if (store === 'mysql') {
    const mysql = new MysqlConnection({ url: mysqlUrl, connectionLimit: 1 });
    await mysql.pool.query(`CREATE DATABASE \`${name}\``);
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.items (id BIGINT PRIMARY KEY, name VARCHAR(64) NULL, qty INT NULL, wail_ts BIGINT NOT NULL)`,
    );
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.direct (id BIGINT PRIMARY KEY, name VARCHAR(64) NULL, qty INT NULL, wail_ts BIGINT NOT NULL)`,
    );
    await mysql.close();
  } else {
    const cassandra = cassandraConnection();
    await cassandra.client.execute(
      `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await cassandra.client.execute(
      `CREATE TABLE ${name}.items (id bigint PRIMARY KEY, name text, qty int, wail_ts bigint)`,
    );
    await cassandra.client.execute(
      `CREATE TABLE ${name}.direct (id bigint PRIMARY KEY, name text, qty int, wail_ts bigint)`,
    );
    await cassandra.close();
  }
}

function cassandraConnection(): CassandraConnection {
  return new CassandraConnection({
    contactPoints: splitList(
      env['WAIL_CASSANDRA_CONTACT_POINTS'] ?? Defaults.cassandraContactPoints,
    ),
    localDataCenter: env['WAIL_CASSANDRA_DATACENTER'] ?? Defaults.cassandraDatacenter,
  });
}

async function dropTables(name: string): Promise<void> {
  const mysql = new MysqlConnection({ url: mysqlUrl, connectionLimit: 1 });
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
  await mysql.close();
  if (store === 'cassandra') {
    const cassandra = cassandraConnection();
    await cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${name}`);
    await cassandra.close();
  }
  if (store === 'postgres') {
    const postgres = new PostgresConnection({ url: postgresUrl, poolSize: 1 });
    await postgres.query(
      postgres.defaultDatabase,
      `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`,
    );
    await postgres.close();
  }
  if (store === 'redis') {
    const redis = new Redis(redisUrl);
    for await (const keys of redis.scanStream({ match: `${name}:*`, count: 1000 }))
      if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
    redis.disconnect();
  }
}

function routeLocation(name: string): Record<string, string> {
  switch (store) {
    case 'mysql':
    case 'postgres':
      return { database: name };
    case 'cassandra':
      return { keyspace: name };
    case 'redis':
      return { keyPrefix: redisPrefix(name, 'items') };
  }
}

async function environment(suffix: string): Promise<Environment> {
  const name = `wail_bench_${Date.now().toString(36)}_${suffix}`;
  const intentTopic = `${name}.intents`;
  const eventTopic = `${name}.events.items`;
  await createTables(name);
  const repoPort = await freePort();
  const repositoryUrl = `http://127.0.0.1:${repoPort}`;
  const repository = await startService(
    'apps/schema-repository/src/main.ts',
    { WAIL_REPOSITORY_PORT: String(repoPort), WAIL_REPOSITORY_DATABASE: `${name}_repo` },
    `${repositoryUrl}/readyz`,
  );
  const headers = { 'content-type': 'application/json' };
  const route = { store, ...routeLocation(name) };
  await fetch(`${repositoryUrl}/v1/tables/items`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ ...route, keyColumns: ['id'], intentTopic }),
  });
  const model = await fetch(`${repositoryUrl}/v1/models/items/versions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      eventTopic,
      schema: ITEM_SCHEMA,
    }),
  });
  if (!model.ok) throw new Error(`model: ${await model.text()}`);
  const kafka = new KafkaClient({ brokers, clientId: 'wail-bench', logger: silentLogger() });
  await kafka.ensureTopics([
    { topic: intentTopic, partitions: 3 },
    { topic: eventTopic, partitions: 3 },
  ]);
  await kafka.close();
  const common = { WAIL_REPOSITORY_URL: repositoryUrl, WAIL_STORES: store };
  const proxyPort = await freePort();
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const proxy = await startService(
    'apps/producer-proxy/src/main.ts',
    { ...common, WAIL_PROXY_PORT: String(proxyPort) },
    `${proxyUrl}/readyz`,
    profiled,
  );
  let consumer: Awaited<ReturnType<typeof startService>> | undefined;
  const result: Environment = {
    name,
    repositoryUrl,
    proxyUrl,
    consumerUrl: undefined,
    intentTopic,
    eventTopic,
    proxyPid: proxy.pid!,
    consumerPid: () => consumer?.pid,
    async startConsumer(group, extraEnv = {}) {
      const port = await freePort();
      result.consumerUrl = `http://127.0.0.1:${port}`;
      consumer = await startService(
        'apps/smart-consumer/src/main.ts',
        {
          ...common,
          WAIL_CONSUMER_PORT: String(port),
          WAIL_CONSUMER_GROUP: group,
          WAIL_UNMATERIALIZED_TOPIC: `${name}.unmaterialized`,
          WAIL_DLQ_TOPIC: `${name}.dlq`,
          ...extraEnv,
        },
        `${result.consumerUrl}/readyz`,
        profiled,
      );
    },
    async stopConsumer() {
      if (consumer) await stopService(consumer);
      consumer = undefined;
    },
    async stop() {
      await result.stopConsumer();
      await stopService(proxy);
      await stopService(repository);
      await dropTables(name);
      const admin = new KafkaClient({
        brokers,
        clientId: 'wail-bench-cleanup',
        logger: silentLogger(),
      });
      await admin
        .deleteTopics([intentTopic, eventTopic, `${name}.unmaterialized`, `${name}.dlq`])
        .catch(() => undefined);
      await admin.close();
    },
  };
  return result;
}

/**
 * The plain proxy (`plain-proxy.ts`) on the environment's `direct` table (the
 * same shape as `items`): the same API and store adapter, no intent. Started
 * as its own process, like the proxy.
 */
async function startPlainProxy(name: string) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startService(
    'tools/bench/src/plain-proxy.ts',
    {
      WAIL_STORES: store,
      BENCH_PLAIN_PORT: String(port),
      BENCH_PLAIN_NAMESPACE: store === 'redis' ? redisPrefix(name, 'direct') : name,
      BENCH_PLAIN_TABLE: 'direct',
      BENCH_PLAIN_MODEL: JSON.stringify(ITEM_SCHEMA),
    },
    `${url}/readyz`,
  );
  return { url, pid: child.pid!, stop: () => stopService(child) };
}

/** The database server's process (PostgreSQL: the postmaster, whose tree holds the backends). */
function databasePid(): number {
  const ports = {
    mysql: new URL(mysqlUrl).port || '3306',
    postgres: new URL(postgresUrl).port || '5432',
    redis: new URL(redisUrl).port || '6379',
    cassandra: firstPort(env['WAIL_CASSANDRA_CONTACT_POINTS'] ?? Defaults.cassandraContactPoints),
  };
  const pid = listenerPid(Number(ports[store]));
  if (pid === undefined)
    throw new Error(`no process of this machine listens on ${store}'s port ${ports[store]}`);
  return pid;
}

const firstPort = (list: string) => splitList(list)[0]!.split(':').pop()!;

/** CPU-ms per acknowledged write of each measured process, and each ÷ the database server's. */
function cpuRows(
  label: string,
  spent: ReadonlyMap<string, number>,
  writes: number,
): [string, string][] {
  if (writes === 0) return [[`CPU per acknowledged write, ${label}`, 'no write acknowledged']];
  const database = (spent.get('database') ?? NaN) / writes;
  return [...spent].map(([process, ms]) => {
    const perWrite = ms / writes;
    const ratio =
      process === 'database' ? '' : `${(perWrite / database).toFixed(2)}× the database server's; `;
    return [
      `CPU per acknowledged write, ${label}: ${process}`,
      `${perWrite.toFixed(3)} ms (${ratio}${Math.round(ms)} ms over ${writes} writes)`,
    ];
  });
}

const acknowledged = (figures: LoadFigures) => figures.total - figures.non2xx;

/** Direct writes with the same concurrency: the database's own limit on this machine. */
async function directWrites(
  name: string,
): Promise<{ rate: number; p50: number; p99: number; writes: number }> {
  const latencies: number[] = [];
  const until = Date.now() + duration * 1000;
  let ts = BigInt(Date.now()) * 1000n;
  const timed = async (write: () => Promise<unknown>) => {
    while (Date.now() < until) {
      const started = performance.now();
      await write();
      latencies.push(performance.now() - started);
    }
  };
  const randomId = () => Math.floor(Math.random() * 100_000);
  if (store === 'postgres') {
    // The same guarded upsert the adapter runs, without WAIL's per-key lock or tombstones.
    const postgres = new PostgresConnection({ url: postgresUrl, poolSize: connections });
    const pool = postgres.pool(name);
    await Promise.all(
      Array.from({ length: connections }, () =>
        timed(() =>
          pool.query(
            'INSERT INTO direct (id, name, qty, wail_ts) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, qty = EXCLUDED.qty, wail_ts = EXCLUDED.wail_ts WHERE direct.wail_ts < EXCLUDED.wail_ts',
            [randomId(), 'direct', 1, (ts++).toString()],
          ),
        ),
      ),
    );
    await postgres.close();
  } else if (store === 'redis') {
    // A plain HSET of the same fields: Redis's own limit, no version check.
    const redis = new Redis(redisUrl);
    await Promise.all(
      Array.from({ length: connections }, () =>
        timed(() =>
          redis.hset(`${redisPrefix(name, 'direct')}:${randomId()}`, {
            name: '"direct"',
            qty: '1',
            wail_ts: (ts++).toString(),
          }),
        ),
      ),
    );
    redis.disconnect();
  } else if (store === 'mysql') {
    const mysql = new MysqlConnection({ url: mysqlUrl, connectionLimit: connections });
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < until) {
          const started = performance.now();
          await mysql.pool.execute(
            `INSERT INTO \`${name}\`.direct (id, name, qty, wail_ts) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name), qty = VALUES(qty), wail_ts = VALUES(wail_ts)`,
            [Math.floor(Math.random() * 100_000), 'direct', 1, (ts++).toString()],
          );
          latencies.push(performance.now() - started);
        }
      }),
    );
    await mysql.close();
  } else {
    const cassandra = cassandraConnection();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < until) {
          const started = performance.now();
          const stamp = ts++;
          await cassandra.client.execute(
            `INSERT INTO ${name}.direct (id, name, qty, wail_ts) VALUES (?, ?, ?, ?) USING TIMESTAMP ?`,
            [BigInt(Math.floor(Math.random() * 100_000)), 'direct', 1, stamp, stamp],
          );
          latencies.push(performance.now() - started);
        }
      }),
    );
    await cassandra.close();
  }
  latencies.sort((a, b) => a - b);
  return {
    rate: Math.round(latencies.length / duration),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    writes: latencies.length,
  };
}

const json = { 'content-type': 'application/json' };

/** A batch request body: `batchSize` upserts of random keys. */
const randomBatch = (name: string, qty: number) =>
  JSON.stringify({
    mutations: Array.from({ length: batchSize }, () => ({
      table: 'items',
      op: 'upsert',
      key: { id: Math.floor(Math.random() * 100_000) },
      values: { name, qty },
    })),
  });

function singleWrites(proxyUrl: string, keys: () => number, table = 'items'): autocannon.Options {
  return {
    url: `${proxyUrl}/v1/tables/${table}/mutations`,
    connections,
    requests: [
      {
        method: 'POST',
        headers: json,
        setupRequest: (request: autocannon.Request) => ({
          ...request,
          body: JSON.stringify({
            op: 'upsert',
            key: { id: keys() },
            values: { name: 'bench', qty: 1 },
          }),
        }),
      },
    ],
  };
}

/** The services' settings this run was given (WAIL_PROXY_*, WAIL_CONSUMER_*), as a command prefix. */
function settingsSet(): string {
  return Object.entries(env)
    .filter(([name]) => /^WAIL_(PROXY|CONSUMER)_/.test(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value} `)
    .join('');
}

/** One single upsert through the proxy, evenly paced loads' unit; resolves with its `ts`. */
async function proxyWrite(proxyUrl: string, id: number): Promise<number> {
  const answer = await fetch(`${proxyUrl}/v1/tables/items/mutations`, {
    method: 'POST',
    signal: AbortSignal.timeout(10_000),
    headers: json,
    body: JSON.stringify({ op: 'upsert', key: { id }, values: { name: 'bench', qty: 1 } }),
  });
  const body = (await answer.json()) as { ts?: number };
  if (answer.status !== 200 || body.ts === undefined)
    throw new Error(`proxy answered ${answer.status}`);
  return body.ts;
}

async function endToEnd(
  environment: Environment,
  rate: number,
): Promise<{
  rate: number;
  p50: number;
  p99: number;
  p999: number;
  matched: number;
  sent: number;
  errors: number;
}> {
  const follower = await followEvents(brokers, environment.eventTopic, environment.repositoryUrl);
  // Paced evenly (autocannon's overallRate sends each second's quota in a burst at full speed).
  const offered = await offerLoad({
    rate,
    seconds: duration,
    connections,
    write: (index) => proxyWrite(environment.proxyUrl, 1_000_000 + index),
  });
  await new Promise((resolve) => setTimeout(resolve, 5000));
  await follower.stop();
  const latencies: number[] = [];
  for (const { at, result: ts } of offered.acks) {
    const arrived = follower.arrivals.get(ts);
    if (arrived !== undefined) latencies.push(arrived - at);
  }
  latencies.sort((a, b) => a - b);
  return {
    rate,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    p999: quantile(latencies, 0.999),
    matched: latencies.length,
    sent: offered.acks.length,
    errors: offered.errors,
  };
}

/** The consumer's reads and intents now; `since()` prints reads per intent from here. */
async function readsPerIntent(consumerUrl: string): Promise<{ since(): Promise<string> }> {
  const counts = async () =>
    Promise.all([
      metric(consumerUrl, 'wail_consumer_reads_total'),
      metric(consumerUrl, 'wail_consumer_intents_total'),
    ]);
  const [readsBefore, intentsBefore] = await counts();
  return {
    async since() {
      const [readsNow, intentsNow] = await counts();
      const reads = readsNow - readsBefore;
      const intents = intentsNow - intentsBefore;
      return `${(reads / intents).toFixed(3)} (${reads} reads for ${intents} intents)`;
    },
  };
}

/** Waits until the consumer group has committed every intent of the topic: no backlog left. */
async function waitForDrain(topic: string, group: string): Promise<void> {
  const kafka = new KafkaClient({ brokers, clientId: 'wail-bench-drain', logger: silentLogger() });
  try {
    for (;;) {
      const ends = await kafka.endOffsets(topic);
      const committed =
        (await kafka.committedOffsets(group, [topic])).get(topic) ?? new Map<number, bigint>();
      if (
        [...ends].every(
          ([partition, end]) => (committed.get(partition) ?? -1n) >= end || end === 0n,
        )
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await kafka.close();
  }
}

function zipf(n: number, s: number): () => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const weight of weights) cdf.push((acc += weight / total));
  return () => {
    const u = Math.random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

async function main(): Promise<void> {
  for (const each of stores) {
    store = each;
    await benchStore();
  }
}

async function benchStore(): Promise<void> {
  const rows: [string, string][] = [];
  const notes: string[] = [];

  // 1 + 2 + 4: throughput, end-to-end latency, Zipf reads per intent.
  const throughputOnly = values.only === 'throughput';
  const a = values.only === 'catch-up' ? undefined : await environment('a');
  if (a)
    try {
      if (!env['WAIL_BENCH_NO_CONSUMER']) await a.startConsumer(`${a.name}.consumer`);
      const database = databasePid();
      const kafka = listenerPid(
        Number(firstPort(env['WAIL_KAFKA_BROKERS'] ?? Defaults.kafkaBrokers)),
      );
      const databaseCpu = () => processTreeCpuMs(database);
      const randomKey = () => Math.floor(Math.random() * 100_000);
      /** Seconds the database took to go quiet before each measured phase (`settle`). */
      const settled: { phase: string; seconds: number; quiet: boolean }[] = [];
      /** Direct database writes (the physical limit) and the plain proxy, with their CPU. */
      const baselines = async () => {
        say(`direct ${store} writes, ${connections} connections, ${duration} s…`);
        const directMeter = new CpuMeter(
          new Map([
            ['database', databaseCpu],
            ['load generator (the database client)', ownCpuMs],
          ]),
        );
        directMeter.start();
        const direct = await directWrites(a.name);
        const directCpu = directMeter.stop();

        settled.push({ phase: 'the plain proxy', ...(await settle(databaseCpu)) });
        say(`plain proxy single writes (no intent)…`);
        const plain = await startPlainProxy(a.name);
        let plainLoad: LoadFigures;
        let plainCpu: Map<string, number>;
        try {
          await load({ ...singleWrites(plain.url, randomKey, 'direct'), duration: 2 });
          const plainMeter = new CpuMeter(
            new Map([
              ['plain proxy', () => processTreeCpuMs(plain.pid)],
              ['database', databaseCpu],
              ['load generator', ownCpuMs],
            ]),
          );
          plainMeter.start();
          plainLoad = await load({ ...singleWrites(plain.url, randomKey, 'direct'), duration });
          plainCpu = plainMeter.stop();
        } finally {
          await plain.stop();
        }
        return { direct, directCpu, plainLoad, plainCpu };
      };
      const latencyOnly = values.only === 'latency';
      // The physical limit and the plain proxy: not for `--only latency`.
      const baseline = latencyOnly ? undefined : await baselines();
      settled.push({ phase: 'the proxy’s single writes', ...(await settle(databaseCpu)) });
      say(`proxy single writes…`);
      await load({ ...singleWrites(a.proxyUrl, randomKey), duration: 2 });
      if (a.consumerUrl) await waitForDrain(a.intentTopic, `${a.name}.consumer`);
      const consumerPid = a.consumerPid();
      const wailMeter = new CpuMeter(
        new Map([
          ['proxy', () => processTreeCpuMs(a.proxyPid)],
          ...(consumerPid === undefined
            ? []
            : [['consumer', () => processTreeCpuMs(consumerPid)] as const]),
          ...(kafka === undefined ? [] : [['Kafka', () => processTreeCpuMs(kafka)] as const]),
          ['database', databaseCpu],
          ['load generator', ownCpuMs],
        ]),
      );
      wailMeter.start();
      const single = await load({ ...singleWrites(a.proxyUrl, randomKey), duration });
      // The consumer's share includes reading back and publishing what it still had queued.
      if (a.consumerUrl) await waitForDrain(a.intentTopic, `${a.name}.consumer`);
      const wailCpu = wailMeter.stop();
      if (settled.length > 0)
        notes.push(
          `Before ${settled.map((settling) => settling.phase).join(' and before ')} the database server was let go quiet (under 5 % of a core for a second, at most 30 s), so its flushes and compactions of the phase before are not charged to them: ${settled.map(({ phase, seconds, quiet }) => `${phase} ${seconds.toFixed(0)} s${quiet ? '' : ' (timed out, still busy)'}`).join(', ')}.`,
        );
      rows.push([
        `proxy single mutations, ${connections} connections`,
        `${single.requestsPerSecond} writes/s, p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms (errors ${single.errors}, non-2xx ${single.non2xx})`,
      ]);
      if (baseline) {
        const { direct, directCpu, plainLoad, plainCpu } = baseline;
        say(`proxy batch writes (${batchSize} per request)…`);
        const batchLoad = await load({
          url: `${a.proxyUrl}/v1/mutations`,
          connections: Math.max(1, Math.floor(connections / 4)),
          duration,
          requests: [
            {
              method: 'POST',
              headers: json,
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                body: randomBatch('batch', 2),
              }),
            },
          ],
        });
        rows.unshift([
          `direct ${store} upserts, ${connections} concurrent`,
          `${direct.rate} writes/s, p50 ${ms(direct.p50)}, p99 ${ms(direct.p99)}`,
        ]);
        rows.push(
          ['proxy single / direct', `${(single.requestsPerSecond / direct.rate).toFixed(2)}×`],
          [
            `plain proxy (same API and store adapter, no intent), ${connections} connections`,
            `${plainLoad.requestsPerSecond} writes/s, p50 ${plainLoad.p50Ms} ms, p99 ${plainLoad.p99Ms} ms (errors ${plainLoad.errors}, non-2xx ${plainLoad.non2xx})`,
          ],
          [
            'WAIL proxy / plain proxy, single writes',
            `${(single.requestsPerSecond / plainLoad.requestsPerSecond).toFixed(2)}×`,
          ],
          ...cpuRows('direct writes', directCpu, direct.writes),
          ...cpuRows('plain proxy', plainCpu, acknowledged(plainLoad)),
          ...cpuRows('WAIL proxy (consumer until drained)', wailCpu, acknowledged(single)),
          [
            `proxy batches of ${batchSize}, ${Math.max(1, Math.floor(connections / 4))} connections`,
            `${batchLoad.requestsPerSecond * batchSize} writes/s (${batchLoad.requestsPerSecond} req/s), p50 ${batchLoad.p50Ms} ms, p99 ${batchLoad.p99Ms} ms (non-2xx ${batchLoad.non2xx})`,
          ],
          [
            'proxy batch / direct',
            `${((batchLoad.requestsPerSecond * batchSize) / direct.rate).toFixed(2)}×`,
          ],
        );
      }
      if (!throughputOnly) {
        // After the batch writes' backlog: only the end-to-end runs count.
        await waitForDrain(a.intentTopic, `${a.name}.consumer`);
        const uniform = await readsPerIntent(a.consumerUrl!);
        for (const share of [0.25, 0.5, 0.8]) {
          const rate = Math.max(1, Math.floor(single.requestsPerSecond * share));
          say(`waiting for the consumer to drain its backlog…`);
          await waitForDrain(a.intentTopic, `${a.name}.consumer`);
          say(`end-to-end latency at ${share * 100}% of max (${rate}/s)…`);
          const e2e = await endToEnd(a, rate);
          const delay = await metric(a.consumerUrl!, 'wail_consumer_first_read_delay_seconds');
          rows.push([
            `end-to-end at ${share * 100}% of max (${rate} writes/s)`,
            `p50 ${ms(e2e.p50)}, p99 ${ms(e2e.p99)}, p999 ${ms(e2e.p999)} (${e2e.matched} of ${e2e.sent} acknowledged writes matched to their event, ${e2e.errors} refused or failed; first-read delay at the end ${(delay * 1000).toFixed(1)} ms)`,
          ]);
        }
        await waitForDrain(a.intentTopic, `${a.name}.consumer`);
        rows.push([
          'reads per intent, uniform keys, over the three end-to-end runs (a read that comes before the row is written is retried)',
          await uniform.since(),
        ]);
      }
      if (!throughputOnly && !latencyOnly) {
        say('Zipf-skewed writes (s = 1.1, 1,000 keys)…');
        const skewed = await readsPerIntent(a.consumerUrl!);
        const sample = zipf(1000, 1.1);
        const zipfRun = await offerLoad({
          rate: Math.floor(single.requestsPerSecond * 0.8),
          seconds: duration,
          connections,
          write: () => proxyWrite(a.proxyUrl, 2_000_000 + sample()),
        });
        await new Promise((resolve) => setTimeout(resolve, 5000));
        rows.push([
          'reads per intent, Zipf s=1.1 over 1,000 keys at 80% of max (evenly paced)',
          `${await skewed.since()}; ${zipfRun.acks.length} writes acknowledged, ${zipfRun.errors} refused or failed`,
        ]);
      }
    } finally {
      await a.stop();
    }

  // 3: catch-up over a backlog, consumer stopped while it builds.
  const b = throughputOnly || values.only === 'latency' ? undefined : await environment('b');
  if (b)
    try {
      say(`building a backlog of ${backlogSize} intents with the consumer stopped…`);
      let written = 0;
      const requestsNeeded = Math.ceil(backlogSize / batchSize);
      let issued = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (issued < requestsNeeded) {
            issued++;
            const response = await fetch(`${b.proxyUrl}/v1/mutations`, {
              method: 'POST',
              headers: json,
              body: randomBatch('backlog', 3),
            });
            const { results } = (await response.json()) as { results: { status: number }[] };
            written += results.filter((r) => r.status === 200).length;
          }
        }),
      );
      const kafka = new KafkaClient({
        brokers,
        clientId: 'wail-bench-lag',
        logger: silentLogger(),
      });
      const ends = await kafka.endOffsets(b.intentTopic);
      const total = [...ends.values()].reduce((sum, end) => sum + end, 0n);
      const rates: number[] = [];
      for (const delivery of ['at-least-once', 'exactly-once']) {
        // A fresh group per mode: each reads the same intents from the start.
        const group = `${b.name}.consumer.${delivery}`;
        say(`catching up on ${total} intents, ${delivery}…`);
        const started = performance.now();
        await b.startConsumer(group, { WAIL_CONSUMER_DELIVERY: delivery });
        for (;;) {
          const committed =
            (await kafka.committedOffsets(group, [b.intentTopic])).get(b.intentTopic) ??
            new Map<number, bigint>();
          const done = [...ends].every(
            ([partition, end]) => (committed.get(partition) ?? -1n) >= end,
          );
          if (done) break;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        const seconds = (performance.now() - started) / 1000;
        await b.stopConsumer();
        rates.push(Number(total) / seconds);
        rows.push([
          `consumer catch-up, ${delivery}, over a backlog of ${total} intents (${written} acknowledged)`,
          `${Math.round(Number(total) / seconds)} intents/s (${seconds.toFixed(1)} s, including consumer start-up)`,
        ]);
      }
      rows.push([
        'exactly-once / at-least-once catch-up',
        `${(rates[1]! / rates[0]!).toFixed(2)}×`,
      ]);
      await kafka.close();
    } finally {
      await b.stop();
    }

  for (const [measure, value] of rows) say(`${measure.padEnd(70)} ${value}`);
  notes.push(
    'Load generator (autocannon for the maximum rates; fixed rates offered evenly paced by the harness’s offerLoad), the three services, Kafka, Cassandra and MariaDB share the same 2 cores.',
    'CPU per write: process CPU time (/proc utime + stime, a PostgreSQL server with its backends) over the measured run, ÷ the writes acknowledged in it. A database server or Kafka shared with other clients counts their work too: run on a quiet machine.',
    'Targets: proxy ≥ 0.5× direct database throughput; end-to-end p99 < 1 s at 80% of max; reads per intent < 0.5 under Zipf. Issue 14: proxy and consumer CPU per write ≤ 1.0× the database server’s; WAIL ≥ 0.8× the plain proxy.',
  );
  record(
    `Pipeline (${store})`,
    `${settingsSet()}npx tsx tools/bench/src/pipeline.ts --store ${values.store} --duration ${duration} --connections ${connections} --batch ${batchSize} --backlog ${backlogSize}${values.only ? ` --only ${values.only}` : ''}${values.profile ? ` --profile ${values.profile}` : ''}`,
    rows,
    notes,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
