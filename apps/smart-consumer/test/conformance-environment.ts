import pg from 'pg';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { KafkaClient, RecordProducer } from '@wail/kafka';
import type { TableRef } from '@wail/store';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { createLogger, silentLogger } from '@wail/telemetry';
import {
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@wail/testing';
import { openStores, type OpenStores } from '@wail/wiring';
import { loadConfig } from '../src/config';
import { compose, type ConsumerService } from '../src/main';
import { EventReader, http } from './support';

export const STORES = ['cassandra', 'mysql', 'postgres', 'redis'] as const;
export type ConformanceStore = (typeof STORES)[number];

/**
 * The logical tables every store gets, with the same columns:
 * - items: `id` bigint key; `name` required (NOT NULL, or a model field
 *   without default on Redis; Cassandra has no NOT NULL), `note`, `qty`.
 * - types: `id` bigint key and one nullable column per value type.
 * - keys: a composite key of the types all four stores share as key types
 *   (text, bigint, date, timestamp) and a value `v`.
 */
export const TABLE_KINDS = ['items', 'types', 'keys'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];

export const KEY_COLUMNS: Record<TableKind, string[]> = {
  items: ['id'],
  types: ['id'],
  keys: ['k_text', 'k_big', 'k_date', 'k_ts'],
};

/** Whether a store has a native uuid column type (MySQL/MariaDB has none WAIL maps). */
export const hasUuid = (store: ConformanceStore) => store !== 'mysql';
/** Cassandra timestamps keep milliseconds; every other store keeps microseconds. */
export const timestampLogicalType = (store: ConformanceStore) =>
  store === 'cassandra' ? 'timestamp-millis' : 'timestamp-micros';

const nullable = (type: unknown) => ({ type: ['null', type], default: null });

function modelSchema(store: ConformanceStore, kind: TableKind): Record<string, unknown> {
  const timestamp = { type: 'long', logicalType: timestampLogicalType(store) };
  const date = { type: 'int', logicalType: 'date' };
  const fields: Record<TableKind, Record<string, unknown>[]> = {
    items: [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'string' },
      { name: 'note', ...nullable('string') },
      { name: 'qty', ...nullable('int') },
    ],
    types: [
      { name: 'id', type: 'long' },
      { name: 'c_long', ...nullable('long') },
      { name: 'c_int', ...nullable('int') },
      { name: 'c_string', ...nullable('string') },
      { name: 'c_bool', ...nullable('boolean') },
      { name: 'c_double', ...nullable('double') },
      {
        name: 'c_decimal',
        ...nullable({ type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 }),
      },
      { name: 'c_bytes', ...nullable('bytes') },
      { name: 'c_ts', ...nullable(timestamp) },
      { name: 'c_date', ...nullable(date) },
      ...(hasUuid(store)
        ? [{ name: 'c_uuid', ...nullable({ type: 'string', logicalType: 'uuid' }) }]
        : []),
    ],
    keys: [
      { name: 'k_text', type: 'string' },
      { name: 'k_big', type: 'long' },
      { name: 'k_date', type: date },
      { name: 'k_ts', type: timestamp },
      { name: 'v', ...nullable('string') },
    ],
  };
  return {
    type: 'record',
    name: kind[0]!.toUpperCase() + kind.slice(1),
    namespace: `conformance.${store}`,
    fields: fields[kind],
  };
}

const SQL_DDL: Record<'mysql' | 'postgres', Record<TableKind, string>> = {
  mysql: {
    items:
      'id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, note VARCHAR(100) NULL, qty INT NULL, wail_ts BIGINT NOT NULL',
    types:
      'id BIGINT PRIMARY KEY, c_long BIGINT NULL, c_int INT NULL, c_string VARCHAR(200) NULL, ' +
      'c_bool BOOLEAN NULL, c_double DOUBLE NULL, c_decimal DECIMAL(12,3) NULL, c_bytes VARBINARY(64) NULL, ' +
      'c_ts DATETIME(6) NULL, c_date DATE NULL, wail_ts BIGINT NOT NULL',
    keys:
      'k_text VARCHAR(100) COLLATE utf8mb4_bin NOT NULL, k_big BIGINT NOT NULL, k_date DATE NOT NULL, ' +
      'k_ts DATETIME(6) NOT NULL, v VARCHAR(100) NULL, wail_ts BIGINT NOT NULL, PRIMARY KEY (k_text, k_big, k_date, k_ts)',
  },
  postgres: {
    items:
      'id bigint PRIMARY KEY, name text NOT NULL, note text, qty integer, wail_ts bigint NOT NULL',
    types:
      'id bigint PRIMARY KEY, c_long bigint, c_int integer, c_string text, c_bool boolean, ' +
      'c_double double precision, c_decimal numeric(12,3), c_bytes bytea, c_ts timestamptz, c_date date, ' +
      'c_uuid uuid, wail_ts bigint NOT NULL',
    keys:
      'k_text text NOT NULL, k_big bigint NOT NULL, k_date date NOT NULL, k_ts timestamptz NOT NULL, ' +
      'v text, wail_ts bigint NOT NULL, PRIMARY KEY (k_text, k_big, k_date, k_ts)',
  },
};

const CQL_DDL: Record<TableKind, string> = {
  items: 'id bigint PRIMARY KEY, name text, note text, qty int, wail_ts bigint',
  types:
    'id bigint PRIMARY KEY, c_long bigint, c_int int, c_string text, c_bool boolean, c_double double, ' +
    'c_decimal decimal, c_bytes blob, c_ts timestamp, c_date date, c_uuid uuid, wail_ts bigint',
  keys:
    'k_text text, k_big bigint, k_date date, k_ts timestamp, v text, wail_ts bigint, ' +
    'PRIMARY KEY ((k_text), k_big, k_date, k_ts)',
};

/** A PostgreSQL URL with its database replaced. */
function postgresUrl(database: string): string {
  const url = new URL(stackEnv().postgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * One WAIL pipeline on the real local stack serving the same logical tables
 * in each of the four stores, isolated by name: a MySQL database, a
 * PostgreSQL database, a Cassandra keyspace and a Redis key prefix of its
 * own, its own intent/event/unmaterialized/dead-letter topics, repository
 * database and consumer group. The repository and the proxy run as
 * processes, the consumer in this process. `adapters` are the stores as a
 * service opens them, for writes that bypass the proxy (a lagging proxy).
 */
export class ConformanceEnvironment {
  readonly name = uniqueName('wail_conf');
  readonly intentTopic = `${this.name}.intents`;
  readonly unmaterializedTopic = `${this.name}.unmaterialized`;
  readonly deadLetterTopic = `${this.name}.dlq`;
  readonly visibilityWindowMs = 1500;
  repository!: ServiceProcess;
  proxy!: ServiceProcess;
  consumer!: ConsumerService;
  events!: EventReader;
  adapters!: OpenStores;
  /** Every record of the unmaterialized-intents topic (JSON) and of the dead-letter topic (headers), as they arrive. */
  readonly unmaterialized: Record<string, unknown>[] = [];
  readonly deadLetters: Record<string, string>[] = [];
  private sideTopics: Consumer | undefined;
  private readonly mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
  private readonly cassandra = new CassandraConnection({
    contactPoints: stackEnv().cassandraContactPoints,
    localDataCenter: stackEnv().cassandraDatacenter,
  });
  private readonly postgres = new pg.Client({ connectionString: stackEnv().postgresUrl });
  private readonly redis = new Redis(stackEnv().redisUrl, { lazyConnect: true });
  private postgresCreated = false;

  /** The logical table of a kind in a store (tables are global to the repository). */
  table(store: ConformanceStore, kind: TableKind): string {
    return `${store}_${kind}`;
  }

  eventTopic(store: ConformanceStore, kind: TableKind): string {
    return `${this.name}.events.${this.table(store, kind)}`;
  }

  /** Where the table's rows live, as the services address them. */
  target(store: ConformanceStore, kind: TableKind): TableRef {
    const table = this.table(store, kind);
    return {
      store,
      namespace: store === 'redis' ? `${this.name}:${table}` : this.name,
      ...(store === 'postgres' ? { schema: 'public' } : {}),
      table,
      keyColumns: KEY_COLUMNS[kind],
    };
  }

  private route(store: ConformanceStore, kind: TableKind): Record<string, unknown> {
    const location =
      store === 'cassandra'
        ? { keyspace: this.name }
        : store === 'mysql'
          ? { database: this.name }
          : store === 'postgres'
            ? { database: this.name, schema: 'public' }
            : { keyPrefix: this.target(store, kind).namespace };
    return {
      store,
      ...location,
      keyColumns: KEY_COLUMNS[kind],
      intentTopic: this.intentTopic,
      visibilityWindowMs: this.visibilityWindowMs,
    };
  }

  private async createTables(): Promise<void> {
    await this.mysql.pool.query(`CREATE DATABASE \`${this.name}\` CHARACTER SET utf8mb4`);
    for (const kind of TABLE_KINDS)
      await this.mysql.pool.query(
        `CREATE TABLE \`${this.name}\`.${this.table('mysql', kind)} (${SQL_DDL.mysql[kind]})`,
      );

    await this.postgres.connect();
    await this.postgres.query(`CREATE DATABASE "${this.name}"`);
    this.postgresCreated = true;
    const database = new pg.Client({ connectionString: postgresUrl(this.name) });
    await database.connect();
    try {
      for (const kind of TABLE_KINDS)
        await database.query(
          `CREATE TABLE public.${this.table('postgres', kind)} (${SQL_DDL.postgres[kind]})`,
        );
    } finally {
      await database.end();
    }

    await this.cassandra.client.execute(
      `CREATE KEYSPACE ${this.name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    for (const kind of TABLE_KINDS)
      await this.cassandra.client.execute(
        `CREATE TABLE ${this.name}.${this.table('cassandra', kind)} (${CQL_DDL[kind]})`,
      );

    await this.redis.connect();
  }

  async start(): Promise<void> {
    await this.createTables();
    this.repository = await startServiceProcess('repository', {
      WAIL_REPOSITORY_DATABASE: `${this.name}_repo`,
    });
    const routes: Record<string, Record<string, unknown>> = {};
    const models = new Map<string, Record<string, unknown>>();
    for (const store of STORES)
      for (const kind of TABLE_KINDS) {
        routes[this.table(store, kind)] = this.route(store, kind);
        models.set(this.table(store, kind), modelSchema(store, kind));
      }
    await putTableRoutes(this.repository.url, routes);
    for (const store of STORES)
      for (const kind of TABLE_KINDS) {
        const table = this.table(store, kind);
        const answer = await http('POST', `${this.repository.url}/v1/models/${table}/versions`, {
          eventTopic: this.eventTopic(store, kind),
          schema: models.get(table),
        });
        if (answer.status !== 200)
          throw new Error(`model ${table}: ${JSON.stringify(answer.body)}`);
      }

    const env = {
      WAIL_REPOSITORY_URL: this.repository.url,
      WAIL_ROUTES_REFRESH_MS: '200',
    };
    // Keys up to 200 kB: a Cassandra partition key beyond its 65535 bytes must reach the store.
    this.proxy = await startServiceProcess('proxy', { ...env, WAIL_PROXY_KEY_LIMIT: '200000' });
    const config = loadConfig({
      ...process.env,
      ...env,
      WAIL_CONSUMER_GROUP: `${this.name}.consumer`,
      WAIL_UNMATERIALIZED_TOPIC: this.unmaterializedTopic,
      WAIL_DLQ_TOPIC: this.deadLetterTopic,
      WAIL_CONSUMER_GRACE_MS: '5000',
      WAIL_CONSUMER_COMMIT_INTERVAL_MS: '100',
    });
    this.consumer = await compose(
      config,
      process.env['WAIL_TEST_LOGS']
        ? createLogger({ service: 'consumer', level: 'debug' })
        : silentLogger(),
    );
    this.adapters = openStores(config.stores, {
      models: (table) => Promise.resolve(models.get(table)),
    });

    const topics = STORES.flatMap((store) =>
      TABLE_KINDS.map((kind) => this.eventTopic(store, kind)),
    );
    const kafka = this.kafka('wail-conformance-setup');
    await kafka.ensureTopics(
      [...topics, this.unmaterializedTopic, this.deadLetterTopic].map((topic) => ({ topic })),
    );
    await kafka.close();
    this.events = new EventReader(this.repository.url);
    await this.events.start(topics);
    await this.readSideTopics();
  }

  private async readSideTopics(): Promise<void> {
    const kafka = new Kafka({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-conformance-side',
      logLevel: logLevel.NOTHING,
    });
    this.sideTopics = kafka.consumer({ groupId: uniqueName('wail_conf_side') });
    await this.sideTopics.connect();
    await this.sideTopics.subscribe({
      topics: [this.unmaterializedTopic, this.deadLetterTopic],
      fromBeginning: true,
    });
    await this.sideTopics.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === this.unmaterializedTopic)
          this.unmaterialized.push(
            JSON.parse(message.value!.toString()) as Record<string, unknown>,
          );
        else
          this.deadLetters.push(
            Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
            ),
          );
      },
    });
  }

  /** The sum of a consumer metric over the series whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = (await this.consumer.app.inject({ method: 'GET', url: '/metrics' })).body;
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      const labelsPart = line.includes('{')
        ? line.slice(line.indexOf('{') + 1, line.indexOf('}'))
        : '';
      if (wanted.every((pair) => labelsPart.includes(pair)))
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  private kafka(clientId: string): KafkaClient {
    return new KafkaClient({ brokers: stackEnv().kafkaBrokers, clientId, logger: silentLogger() });
  }

  /** Appends raw records to the intent topic, as a proxy would. */
  async appendIntents(messages: { key: Buffer; value: Buffer }[]): Promise<void> {
    const kafka = this.kafka('wail-conformance-append');
    const producer = new RecordProducer(kafka);
    try {
      await producer.send(messages.map((message) => ({ topic: this.intentTopic, ...message })));
    } finally {
      await producer.close();
      await kafka.close();
    }
  }

  mutate(table: string, body: unknown) {
    return http('POST', `${this.proxy.url}/v1/tables/${table}/mutations`, body);
  }

  /** The row as the proxy reads it: GET /v1/tables/{t}/rows?<key>. */
  async row(
    table: string,
    key: Record<string, unknown>,
  ): Promise<{ status: number; body?: { row: Record<string, unknown>; wail_ts: number } }> {
    const query = new URLSearchParams(
      Object.entries(key).map(([name, value]): [string, string] => [name, String(value)]),
    );
    const answer = await http('GET', `${this.proxy.url}/v1/tables/${table}/rows?${query}`);
    return answer as { status: number; body?: { row: Record<string, unknown>; wail_ts: number } };
  }

  async stop(): Promise<void> {
    await this.sideTopics?.disconnect();
    await this.events?.stop();
    await this.consumer?.stop();
    await this.adapters?.close();
    await this.proxy?.stop();
    await this.repository?.stop();
    await this.mysql.pool.query(`DROP DATABASE IF EXISTS \`${this.name}\``);
    await this.mysql.pool.query(`DROP DATABASE IF EXISTS \`${this.name}_repo\``);
    await this.mysql.close();
    if (this.postgresCreated)
      await this.postgres.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`);
    await this.postgres.end();
    await this.cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${this.name}`);
    await this.cassandra.close();
    if (this.redis.status === 'ready') {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.name}:*`, 'COUNT', 500);
        if (keys.length > 0) await this.redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await this.redis.quit();
    } else {
      this.redis.disconnect();
    }
    const kafka = this.kafka('wail-conformance-teardown');
    await kafka
      .deleteTopics([
        this.intentTopic,
        this.unmaterializedTopic,
        this.deadLetterTopic,
        ...STORES.flatMap((store) => TABLE_KINDS.map((kind) => this.eventTopic(store, kind))),
      ])
      .catch(() => undefined);
    await kafka.close();
  }
}
