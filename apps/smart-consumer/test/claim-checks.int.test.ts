import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { KafkaClient } from '@wail/kafka';
import { ClaimStore, resolveClaimCheck } from '@wail/object-store';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { createLogger, silentLogger } from '@wail/telemetry';
import {
  putTableRoutes,
  removeBucket,
  stackEnv,
  startServiceProcess,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose, type ConsumerService } from '../src/main';
import { EventReader, http, type DecodedEvent } from './support';

/**
 * Issue 12 item 2: a 5 MB row, far over Kafka's record limit, goes through a
 * claim check on each store. The event carries a pointer and no `after`; the
 * object in s3proxy (`npm run stack -- up s3proxy`) is the full event value,
 * its SHA-256 the pointer's; resolving it gives the row back. A small row of
 * the same table is published as usual. The consumer reaches s3proxy through
 * a loopback forwarder, so a test can take the object store away: the key
 * then waits (no event, no dead letter) and is published once it is back.
 */
const STORES = ['cassandra', 'mysql', 'postgres', 'redis'] as const;
type Store = (typeof STORES)[number];
const ROW_BYTES = 5 * 1024 * 1024;

const name = uniqueName('wail_claims');
const bucket = `wail-e2e-${randomBytes(4).toString('hex')}`;
const intentTopic = `${name}.intents`;
const table = (store: Store) => `${store}_docs`;
const eventTopic = (store: Store) => `${name}.events.${table(store)}`;
/** A TCP forwarder to s3proxy that can refuse connections, as a stopped object store does. */
class Forwarder {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server = createServer((socket) => {
    const target = new URL(stackEnv().s3Endpoint);
    const upstream = connect(Number(target.port || 80), target.hostname);
    for (const end of [socket, upstream]) {
      this.sockets.add(end);
      end.on('error', () => undefined);
      end.on('close', () => {
        this.sockets.delete(end);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  });
  port = 0;

  async open(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
const forwarder = new Forwarder();

const s3 = {
  WAIL_S3_ENDPOINT: stackEnv().s3Endpoint,
  WAIL_S3_REGION: stackEnv().s3Region,
  WAIL_S3_BUCKET: bucket,
  WAIL_S3_ACCESS_KEY_ID: stackEnv().s3AccessKeyId,
  WAIL_S3_SECRET_ACCESS_KEY: stackEnv().s3SecretAccessKey,
};

const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
const cassandra = new CassandraConnection({
  contactPoints: stackEnv().cassandraContactPoints,
  localDataCenter: stackEnv().cassandraDatacenter,
});
const postgres = new pg.Client({ connectionString: stackEnv().postgresUrl });
const redis = new Redis(stackEnv().redisUrl, { lazyConnect: true });
const claims = new ClaimStore({
  endpoint: s3.WAIL_S3_ENDPOINT,
  region: s3.WAIL_S3_REGION,
  bucket,
  accessKeyId: s3.WAIL_S3_ACCESS_KEY_ID,
  secretAccessKey: s3.WAIL_S3_SECRET_ACCESS_KEY,
  maxObjectBytes: 16 * 1024 * 1024,
});
let repository: ServiceProcess;
let proxy: ServiceProcess;
let consumer: ConsumerService;
let events: EventReader;
let registry: SchemaRegistry;
let postgresCreated = false;

function postgresUrl(database: string): string {
  const url = new URL(stackEnv().postgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function route(store: Store): Record<string, unknown> {
  const location =
    store === 'cassandra'
      ? { keyspace: name }
      : store === 'mysql'
        ? { database: name }
        : store === 'postgres'
          ? { database: name, schema: 'public' }
          : { keyPrefix: `${name}:${table(store)}` };
  return { store, ...location, keyColumns: ['id'], intentTopic, visibilityWindowMs: 5000 };
}

async function createTables(): Promise<void> {
  await mysql.pool.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await mysql.pool.query(
    `CREATE TABLE \`${name}\`.mysql_docs (id BIGINT PRIMARY KEY, body LONGTEXT NULL, wail_ts BIGINT NOT NULL)`,
  );
  await postgres.connect();
  await postgres.query(`CREATE DATABASE "${name}"`);
  postgresCreated = true;
  const database = new pg.Client({ connectionString: postgresUrl(name) });
  await database.connect();
  try {
    await database.query(
      'CREATE TABLE public.postgres_docs (id bigint PRIMARY KEY, body text, wail_ts bigint NOT NULL)',
    );
  } finally {
    await database.end();
  }
  await cassandra.client.execute(
    `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  await cassandra.client.execute(
    `CREATE TABLE ${name}.cassandra_docs (id bigint PRIMARY KEY, body text, wail_ts bigint)`,
  );
  await redis.connect();
}

beforeAll(async () => {
  await forwarder.open();
  await createTables();
  repository = await startServiceProcess('repository', {
    WAIL_REPOSITORY_DATABASE: `${name}_repo`,
  });
  await putTableRoutes(
    repository.url,
    Object.fromEntries(STORES.map((store) => [table(store), route(store)])),
  );
  for (const store of STORES) {
    const answer = await http('POST', `${repository.url}/v1/models/${table(store)}/versions`, {
      eventTopic: eventTopic(store),
      schema: {
        type: 'record',
        name: 'Doc',
        namespace: `claims.${store}`,
        fields: [
          { name: 'id', type: 'long' },
          { name: 'body', type: ['null', 'string'], default: null },
        ],
      },
    });
    if (answer.status !== 200) throw new Error(`model ${store}: ${JSON.stringify(answer.body)}`);
    expect(answer.body).toMatchObject({ claimCheckBytes: 900_000 });
  }
  const env = { WAIL_REPOSITORY_URL: repository.url, WAIL_ROUTES_REFRESH_MS: '200' };
  proxy = await startServiceProcess('proxy', env);
  consumer = await compose(
    loadConfig({
      ...process.env,
      ...env,
      ...s3,
      WAIL_S3_ENDPOINT: `http://127.0.0.1:${forwarder.port}`,
      WAIL_S3_TIMEOUT_MS: '2000',
      WAIL_CONSUMER_GROUP: `${name}.consumer`,
      WAIL_UNMATERIALIZED_TOPIC: `${name}.unmaterialized`,
      WAIL_DLQ_TOPIC: `${name}.dlq`,
      WAIL_CONSUMER_COMMIT_INTERVAL_MS: '100',
    }),
    process.env['WAIL_TEST_LOGS']
      ? createLogger({ service: 'consumer', level: 'debug' })
      : silentLogger(),
  );
  const kafka = new KafkaClient({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-claims-setup',
    logger: silentLogger(),
  });
  await kafka.ensureTopics(STORES.map((store) => ({ topic: eventTopic(store) })));
  await kafka.close();
  events = new EventReader(repository.url);
  await events.start(STORES.map(eventTopic));
  registry = new SchemaRegistry({ host: repository.url });
}, 180_000);

afterAll(async () => {
  await events?.stop();
  await consumer?.stop();
  await proxy?.stop();
  await repository?.stop();
  claims.close();
  await forwarder.close().catch(() => undefined);
  await removeBucket(bucket);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
  await mysql.close();
  if (postgresCreated) await postgres.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await postgres.end();
  await cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${name}`);
  await cassandra.close();
  if (redis.status === 'ready') {
    const keys = await redis.keys(`${name}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
  const kafka = new KafkaClient({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-claims-teardown',
    logger: silentLogger(),
  });
  await kafka
    .deleteTopics([intentTopic, `${name}.unmaterialized`, `${name}.dlq`, ...STORES.map(eventTopic)])
    .catch(() => undefined);
  await kafka.close();
}, 60_000);

async function upsert(store: Store, id: number, body: string): Promise<number> {
  const answer = await waitFor(
    async () => {
      const response = await http('POST', `${proxy.url}/v1/tables/${table(store)}/mutations`, {
        op: 'upsert',
        key: { id },
        values: { body },
      });
      return response.status === 404 ? undefined : response;
    },
    { timeoutMs: 10_000, what: `a route for ${table(store)}` },
  );
  expect([answer.status, answer.body?.['intentLogged']]).toEqual([200, true]);
  return (answer.body as { ts: number }).ts;
}

async function eventOf(store: Store, id: number, ts: number): Promise<DecodedEvent> {
  return waitFor(
    () =>
      events.forKey(table(store), (key) => key['id'] === id).find((e) => e.value.version === ts),
    { timeoutMs: 60_000, intervalMs: 100, what: `the event of ${table(store)} ${id}` },
  );
}

describe.each(STORES)('a 5 MB row through a claim check on %s', (store) => {
  it('publishes a pointer to the stored event, whose SHA-256 matches and which resolves to the row', async () => {
    // Random text per store: the objects are content-addressed, so each store's must differ.
    const body = `${store}:${randomBytes(ROW_BYTES / 2).toString('hex')}`;
    const bigTs = await upsert(store, 1, body);
    const smallTs = await upsert(store, 2, 'a small row');

    const event = await eventOf(store, 1, bigTs);
    expect(event.value.op).toBe('UPSERT');
    expect(event.value.after).toBeNull();
    const pointer = event.value.claimCheck!;
    expect(pointer).toEqual({
      uri: `s3://${bucket}/claims/${pointer.sha256}`,
      size: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      contentType: 'application/vnd.wail.event+avro',
    });
    expect(pointer.size).toBeGreaterThan(ROW_BYTES);

    // The object is there, with the pointer's size and SHA-256.
    const stored = await claims.getClaim(pointer);
    expect(stored.length).toBe(pointer.size);
    expect(createHash('sha256').update(stored).digest('hex')).toBe(pointer.sha256);

    // Resolving it gives the full event, the row as `after`.
    const resolved = await resolveClaimCheck(
      claims,
      event.value,
      async (bytes) => (await registry.decode(bytes)) as DecodedEvent['value'] & { after: unknown },
    );
    expect(resolved).toMatchObject({
      op: 'UPSERT',
      version: bigTs,
      key: { id: 1 },
      after: { id: 1, body },
      claimCheck: null,
    });
    expect(resolved.source).toEqual(event.value.source);

    // A row under the threshold is published as it is.
    const small = await eventOf(store, 2, smallTs);
    expect(small.value).toMatchObject({ after: { id: 2, body: 'a small row' }, claimCheck: null });
    expect(events.errors).toEqual([]);
  }, 120_000);
});

describe('an object store that does not answer', () => {
  it('holds the claim-checked key (no event, no dead letter) and publishes it once the store is back', async () => {
    const metric = async () => {
      const text = (await consumer.app.inject({ method: 'GET', url: '/metrics' })).body;
      const line = text.split('\n').find((l) => l.startsWith('wail_consumer_dead_letters_total{'));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    const deadLettersBefore = await metric();
    await forwarder.close();
    const body = `outage:${randomBytes(ROW_BYTES / 2).toString('hex')}`;
    const ts = await upsert('mysql', 10, body);
    // Several rounds fail meanwhile (backoff at most 1 s); none may publish or dead-letter.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(events.forKey(table('mysql'), (key) => key['id'] === 10)).toEqual([]);
    expect(await metric()).toBe(deadLettersBefore);

    await forwarder.open();
    const event = await eventOf('mysql', 10, ts);
    expect(event.value.after).toBeNull();
    const stored = await claims.getClaim(event.value.claimCheck!);
    const resolved = await resolveClaimCheck(
      claims,
      event.value,
      async (bytes) => (await registry.decode(bytes)) as DecodedEvent['value'] & { after: unknown },
    );
    expect(stored.length).toBe(event.value.claimCheck!.size);
    expect(resolved.after).toEqual({ id: 10, body });
    expect(events.forKey(table('mysql'), (key) => key['id'] === 10)).toHaveLength(1);
    expect(await metric()).toBe(deadLettersBefore);
  }, 120_000);
});
