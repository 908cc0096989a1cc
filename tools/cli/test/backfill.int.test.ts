import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Type } from '@sinclair/typebox';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import pg from 'pg';
import Redis from 'ioredis';
import { loadEnv } from '@wail/config';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { KafkaClient } from '@wail/kafka';
import type { StoreKind, TableRef } from '@wail/store';
import { silentLogger } from '@wail/telemetry';
import {
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@wail/testing';
import { DataPlaneEnv, dataPlaneSettings, openStores, type OpenStores } from '@wail/wiring';

const root = join(__dirname, '..', '..', '..');
const STORES: readonly StoreKind[] = ['mysql', 'postgres', 'cassandra', 'redis'];
/** Rows each table holds before the backfill, written straight to the store (no intents: legacy data). */
const ROWS = 1200;

interface Event {
  partition: number;
  offset: bigint;
  op: 'UPSERT' | 'DELETE';
  id: number;
  n: number | undefined;
  version: bigint;
}

function postgresUrl(database: string): string {
  const url = new URL(stackEnv().postgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * `wail backfill` on each store, as a process, against the real stack:
 * rows that existed before WAIL (no intent, no event) get one, writes through
 * the proxy race the scan, and every row ends with an event equal to its
 * final state, no key's events ever going back. A SIGKILLed run resumed
 * with --resume finishes without scanning a finished chunk again.
 */
describe('wail backfill', () => {
  const name = uniqueName('wail_bf');
  const intentTopic = `${name}.intents`;
  const eventTopic = (store: StoreKind) => `${name}.events.${store}`;
  const side = [`${name}.unmaterialized`, `${name}.dlq`];
  const model = {
    type: 'record',
    name: 'Item',
    namespace: 'bf',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'n', type: ['null', 'int'], default: null },
    ],
  };
  const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
  const postgres = new pg.Client({ connectionString: stackEnv().postgresUrl });
  const cassandra = new CassandraConnection({
    contactPoints: stackEnv().cassandraContactPoints,
    localDataCenter: stackEnv().cassandraDatacenter,
  });
  const redis = new Redis(stackEnv().redisUrl, { lazyConnect: true });
  const kafka = new Kafka({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-bf-events',
    logLevel: logLevel.NOTHING,
  });
  let repository: ServiceProcess;
  let proxy: ServiceProcess;
  let consumer: ServiceProcess;
  let adapters: OpenStores;
  let events: Consumer;
  const seen = new Map<StoreKind, Event[]>(STORES.map((store) => [store, []]));

  const table = (store: StoreKind) => `items_${store}`;
  const target = (store: StoreKind): TableRef => ({
    store,
    namespace: store === 'redis' ? `${name}:items` : name,
    ...(store === 'postgres' ? { schema: 'public' } : {}),
    table: table(store),
    keyColumns: ['id'],
  });
  const route = (store: StoreKind) => ({
    store,
    ...(store === 'cassandra'
      ? { keyspace: name }
      : store === 'redis'
        ? { keyPrefix: `${name}:items` }
        : { database: name }),
    keyColumns: ['id'],
    intentTopic,
    visibilityWindowMs: 3000,
  });

  beforeAll(async () => {
    await mysql.pool.query(`CREATE DATABASE \`${name}\``);
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.${table('mysql')} (id BIGINT PRIMARY KEY, n INT NULL, wail_ts BIGINT NOT NULL)`,
    );
    await postgres.connect();
    await postgres.query(`CREATE DATABASE "${name}"`);
    const database = new pg.Client({ connectionString: postgresUrl(name) });
    await database.connect();
    await database.query(
      `CREATE TABLE public.${table('postgres')} (id BIGINT PRIMARY KEY, n INT NULL, wail_ts BIGINT NOT NULL)`,
    );
    await database.end();
    await cassandra.client.execute(
      `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await cassandra.client.execute(
      `CREATE TABLE ${name}.${table('cassandra')} (id bigint PRIMARY KEY, n int, wail_ts bigint)`,
    );
    await redis.connect();

    repository = await startServiceProcess('repository', {
      WAIL_REPOSITORY_DATABASE: `${name}_repo`,
    });
    await putTableRoutes(
      repository.url,
      Object.fromEntries(STORES.map((store) => [table(store), route(store)])),
    );
    for (const store of STORES) {
      const answer = await fetch(`${repository.url}/v1/models/${table(store)}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ eventTopic: eventTopic(store), schema: model }),
      });
      expect(answer.status).toBe(200);
    }
    const admin = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-bf-setup',
      logger: silentLogger(),
    });
    await admin.ensureTopics(
      [intentTopic, ...STORES.map(eventTopic), ...side].map((topic) => ({ topic })),
    );
    await admin.close();

    // Rows from before WAIL: written by the adapters, stamped, no intents.
    adapters = openStores(
      { ...loadStoreSettings(), stores: [...STORES] },
      { models: async () => model },
    );
    const base = BigInt(Date.now()) * 1000n;
    for (const store of STORES) {
      const adapter = adapters.get(store)!;
      for (let id = 1; id <= ROWS; id += 100)
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            adapter.write({
              target: target(store),
              op: 'upsert',
              key: [{ name: 'id', value: BigInt(id + i) }],
              values: { n: 0 },
              ts: base + BigInt(id + i),
            }),
          ),
        );
    }

    const common = { WAIL_REPOSITORY_URL: repository.url, WAIL_ROUTES_REFRESH_MS: '200' };
    proxy = await startServiceProcess('proxy', common);
    consumer = await startServiceProcess('consumer', {
      ...common,
      WAIL_CONSUMER_GROUP: `${name}.consumer`,
      WAIL_UNMATERIALIZED_TOPIC: side[0]!,
      WAIL_DLQ_TOPIC: side[1]!,
      WAIL_CONSUMER_COMMIT_INTERVAL_MS: '200',
    });

    const registry = new SchemaRegistry({ host: repository.url });
    events = kafka.consumer({ groupId: uniqueName('wail_bf_read') });
    await events.connect();
    await events.subscribe({ topics: STORES.map(eventTopic), fromBeginning: true });
    await events.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = (await registry.decode(message.value!)) as {
          op: 'UPSERT' | 'DELETE';
          key: { id: number | bigint };
          after: { n: number | null } | null;
          version: number | bigint;
        };
        const store = STORES.find((candidate) => eventTopic(candidate) === topic)!;
        seen.get(store)!.push({
          partition,
          offset: BigInt(message.offset),
          op: value.op,
          id: Number(value.key.id),
          n: value.after?.n ?? undefined,
          version: BigInt(value.version),
        });
      },
    });
  }, 240_000);

  afterAll(async () => {
    await events?.disconnect();
    await consumer?.stop();
    await proxy?.stop();
    await repository?.stop();
    await adapters?.close();
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
    await mysql.close();
    await postgres.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await postgres.end();
    await cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${name}`);
    await cassandra.close();
    const keys = await redis.keys(`${name}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    const admin = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-bf-teardown',
      logger: silentLogger(),
    });
    await admin
      .deleteTopics([intentTopic, ...STORES.map(eventTopic), ...side])
      .catch(() => undefined);
    await admin.close();
  }, 60_000);

  /** `npm run wail -- backfill …` as a process; resolves with its exit code and output. */
  function wail(args: string[]) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'tools', 'cli', 'src', 'main.ts'), ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          WAIL_REPOSITORY_URL: repository.url,
          WAIL_STORES: STORES.join(','),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
      child.once('exit', (code) => resolve({ code, output })),
    );
    return { child, exited };
  }

  async function checkpoint(store: StoreKind): Promise<Record<string, unknown> | undefined> {
    const answer = await fetch(`${repository.url}/v1/backfills/${table(store)}`);
    return answer.status === 200 ? ((await answer.json()) as Record<string, unknown>) : undefined;
  }

  /** Writes through the proxy until stopped: updates of existing rows, new rows, deletes. */
  function race(store: StoreKind, options: { insertsAndDeletes: boolean; ids?: number[] }) {
    const existing = () =>
      options.ids
        ? options.ids[Math.floor(Math.random() * options.ids.length)]!
        : 1 + Math.floor(Math.random() * ROWS);
    let stop = false;
    let next = ROWS + 1;
    const writer = async () => {
      while (!stop) {
        const roll = Math.random();
        const body =
          options.insertsAndDeletes && roll < 0.1
            ? { op: 'delete', key: { id: 1 + Math.floor(Math.random() * ROWS) } }
            : options.insertsAndDeletes && roll < 0.2
              ? { op: 'upsert', key: { id: next++ }, values: { n: 1 } }
              : {
                  op: 'upsert',
                  key: { id: existing() },
                  values: { n: Math.floor(Math.random() * 1000) },
                };
        const answer = await fetch(`${proxy.url}/v1/tables/${table(store)}/mutations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (answer.status !== 200)
          throw new Error(`write: ${answer.status} ${await answer.text()}`);
      }
    };
    const writers = Promise.all(Array.from({ length: 3 }, () => writer()));
    return async () => {
      stop = true;
      await writers;
    };
  }

  /** Every row's newest event is its final state; a deleted row's is a DELETE; no key goes back. */
  async function converged(store: StoreKind): Promise<void> {
    const rows = new Map<number, { n: number | null; version: bigint }>();
    const adapter = adapters.get(store)!;
    let cursor: string | undefined;
    do {
      const page = await adapter.scan({
        target: target(store),
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const row of page.rows) {
        const read = await adapter.read(target(store), row.key, 'strong');
        if (read.state === 'present')
          rows.set(Number(row.key[0]!.value), {
            n: read.row['n'] as number | null,
            version: read.wailTs,
          });
      }
      cursor = page.cursor;
    } while (cursor);
    expect(rows.size).toBeGreaterThanOrEqual(ROWS * 0.8);
    const deadline = Date.now() + 90_000;
    let wrong: string[] = [];
    for (;;) {
      const newest = new Map<number, Event>();
      for (const event of seen.get(store)!) {
        const last = newest.get(event.id);
        if (!last || event.version > last.version) newest.set(event.id, event);
      }
      wrong = [];
      for (const [id, row] of rows) {
        const event = newest.get(id);
        if (
          !event ||
          event.op !== 'UPSERT' ||
          event.version !== row.version ||
          (event.n ?? null) !== row.n
        )
          wrong.push(
            `${id}: row v${row.version} n=${row.n}, event ${event ? `${event.op} v${event.version} n=${event.n}` : 'none'}`,
          );
      }
      for (const [id, event] of newest)
        if (!rows.has(id) && event.op !== 'DELETE')
          wrong.push(`${id}: gone, newest event ${event.op}`);
      if (wrong.length === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    // Per key, in partition order, versions never go back.
    const byKey = new Map<number, Event[]>();
    for (const event of seen.get(store)!)
      byKey.set(event.id, [...(byKey.get(event.id) ?? []), event]);
    const regressions = [...byKey.values()].filter((list) =>
      list
        .sort((a, b) => (a.offset < b.offset ? -1 : 1))
        .some((event, i) => i > 0 && event.version < list[i - 1]!.version),
    );
    expect(regressions.length).toBe(0);
  }

  it.each(STORES)(
    'gives every row of %s an event equal to its final state while writes race the scan',
    async (store) => {
      const stopRace = race(store, { insertsAndDeletes: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const run = wail(['backfill', table(store), '--chunk', '100', '--rate', '1500']);
      const { code, output } = await run.exited;
      await stopRace();
      expect({ code, output: output.slice(-2000) }).toMatchObject({ code: 0 });
      const done = await checkpoint(store);
      expect(done).toMatchObject({ status: 'done', cursor: null });
      // InnoDB's statistics give the progress bar its total.
      if (store === 'mysql') expect(done?.['estimatedRows']).toEqual(expect.any(Number));
      await converged(store);
    },
    180_000,
  );

  it('resumes a SIGKILLed run from its checkpoint without scanning a finished chunk again', async () => {
    const store: StoreKind = 'mysql';
    // Only updates race it: the table keeps the rows it has now, so each is scanned once.
    const adapter = adapters.get(store)!;
    const ids: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await adapter.scan({
        target: target(store),
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      ids.push(...page.rows.map((row) => Number(row.key[0]!.value)));
      cursor = page.cursor;
    } while (cursor);
    const rows = ids.length;
    // Updates of existing rows only (an upsert of a deleted id would add a row).
    const stopRace = race(store, { insertsAndDeletes: false, ids });
    const before = (await checkpoint(store))?.['runId'];
    const killed = wail(['backfill', table(store), '--chunk', '100', '--rate', '400']);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = await checkpoint(store);
      if (now && now['runId'] !== before && Number(now['chunksDone']) >= 3) break;
      if (Date.now() > deadline) throw new Error('the run never checkpointed 3 chunks');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    killed.child.kill('SIGKILL');
    await killed.exited;
    const atKill = (await checkpoint(store))!;
    expect(atKill).toMatchObject({ status: 'running' });
    expect(Number(atKill['chunksDone'])).toBeGreaterThanOrEqual(3);
    // Its checkpoint is fresh: a second run is refused until it is stale, or forced.
    const refused = await wail(['backfill', table(store), '--resume']).exited;
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('answered 409');
    const resumed = await wail(['backfill', table(store), '--resume', '--force']).exited;
    await stopRace();
    expect({ code: resumed.code, output: resumed.output.slice(-2000) }).toMatchObject({ code: 0 });
    const done = (await checkpoint(store))!;
    expect(done).toMatchObject({
      status: 'done',
      rowsScanned: rows,
      startedAt: atKill['startedAt'],
    });
    expect(done['runId']).not.toBe(atKill['runId']);
    await converged(store);
  }, 180_000);
});

/** The stores' settings from the environment, as the services read them. */
function loadStoreSettings() {
  return dataPlaneSettings(loadEnv(Type.Object(DataPlaneEnv), process.env)).stores;
}
