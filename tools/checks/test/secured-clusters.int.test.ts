import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaClient } from '@wail/kafka';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import {
  postModel,
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@wail/testing';

const root = join(__dirname, '..', '..', '..');
const home = process.env['WAIL_HOME'] ?? join(root, '.wail');
const caFile = join(home, 'tls', 'ca.pem');
const secureBrokers = process.env['WAIL_KAFKA_SECURE_BROKERS'] ?? '127.0.0.1:9292';
const secureMysql = process.env['WAIL_MYSQL_SECURE_URL'] ?? 'mysql://127.0.0.1:3406';
const secureCassandra = process.env['WAIL_CASSANDRA_SECURE_CONTACT_POINTS'] ?? '127.0.0.1:9242';
const user = 'wail';
const password = 'wail-stack-secret';
const ca = () => readFileSync(caFile, 'utf8');

function secureMysqlConnection(
  overrides: { tls?: { ca?: string } | false; password?: string } = {},
): MysqlConnection {
  return new MysqlConnection({
    url: secureMysql,
    user,
    password: overrides.password ?? password,
    connectionLimit: 2,
    connectTimeoutMs: 2000,
    ...(overrides.tls === false ? {} : { tls: overrides.tls ?? { ca: ca() } }),
  });
}

function secureCassandraConnection(
  overrides: { tls?: { ca?: string } | false; password?: string } = {},
): CassandraConnection {
  return new CassandraConnection({
    contactPoints: [secureCassandra],
    localDataCenter: stackEnv().cassandraDatacenter,
    username: user,
    password: overrides.password ?? password,
    connectTimeoutMs: 2000,
    ...(overrides.tls === false ? {} : { tls: overrides.tls ?? { ca: ca() } }),
  });
}

/** A client of kafka-secure as the services are configured: TLS with the stack's CA, SCRAM-SHA-512. */
function secureClient(overrides: { password?: string; tls?: boolean } = {}): KafkaClient {
  return new KafkaClient({
    brokers: [secureBrokers],
    clientId: 'wail-secured-test',
    logger: silentLogger(),
    connectionTimeoutMs: 2000,
    security: {
      ...(overrides.tls === false ? {} : { tls: { ca: [ca()] } }),
      sasl: {
        mechanism: 'scram-sha-512',
        username: user,
        password: overrides.password ?? password,
      },
    },
  });
}

/**
 * The pipeline end to end through secured servers of the local stack
 * (`npm run stack -- up kafka-secure mysql-secure cassandra-secure`), every
 * client verifying the server's certificate against the stack's CA:
 * - Kafka over SASL_SSL only: the proxy authenticates with PLAIN, the
 *   consumer with SCRAM-SHA-512;
 * - MariaDB over TLS only (the repository's database and a routed table);
 * - Cassandra with client TLS and a password (a routed table);
 * and what each refuses: plaintext, a wrong password, an untrusted CA.
 */
describe('the pipeline through secured clusters', () => {
  const name = uniqueName('wail_sec');
  const intentTopic = `${name}.intents`;
  const eventTopic = `${name}.events.items`;
  const partsTopic = `${name}.events.parts`;
  const mysql = secureMysqlConnection();
  const cassandra = secureCassandraConnection();
  const kafka = secureClient();
  const services: Partial<Record<'repository' | 'proxy' | 'consumer', ServiceProcess>> = {};
  const kafkaEnv = (mechanism: string) => ({
    WAIL_KAFKA_BROKERS: secureBrokers,
    WAIL_KAFKA_TLS_CA_FILE: caFile,
    WAIL_KAFKA_SASL_MECHANISM: mechanism,
    WAIL_KAFKA_SASL_USERNAME: user,
    WAIL_KAFKA_SASL_PASSWORD: password,
  });
  const mysqlEnv = {
    WAIL_MYSQL_URL: secureMysql,
    WAIL_MYSQL_USER: user,
    WAIL_MYSQL_PASSWORD: password,
    WAIL_MYSQL_TLS_CA_FILE: caFile,
  };
  const cassandraEnv = {
    WAIL_CASSANDRA_CONTACT_POINTS: secureCassandra,
    WAIL_CASSANDRA_USERNAME: user,
    WAIL_CASSANDRA_PASSWORD: password,
    WAIL_CASSANDRA_TLS_CA_FILE: caFile,
  };

  beforeAll(async () => {
    await mysql.pool.query(`CREATE DATABASE \`${name}\``);
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.items (id BIGINT PRIMARY KEY, n INT NOT NULL, wail_ts BIGINT NOT NULL)`,
    );
    await cassandra.client.execute(
      `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await cassandra.client.execute(
      `CREATE TABLE ${name}.parts (id bigint PRIMARY KEY, n int, wail_ts bigint)`,
    );
    await kafka.ensureTopics([
      { topic: intentTopic },
      { topic: eventTopic },
      { topic: partsTopic },
    ]);
    services.repository = await startServiceProcess('repository', {
      ...mysqlEnv,
      WAIL_REPOSITORY_DATABASE: `${name}_repo`,
    });
    const repositoryUrl = services.repository.url;
    const route = { keyColumns: ['id'], intentTopic, visibilityWindowMs: 2000 };
    await putTableRoutes(repositoryUrl, {
      items: { store: 'mysql', database: name, ...route },
      parts: { store: 'cassandra', keyspace: name, ...route },
    });
    for (const table of ['items', 'parts'])
      await postModel(repositoryUrl, table, {
        eventTopic: `${name}.events.${table}`,
        namespace: 'secured',
      });
    const common = {
      WAIL_REPOSITORY_URL: repositoryUrl,
      WAIL_ROUTES_REFRESH_MS: '200',
      WAIL_STORES: 'mysql,cassandra',
      ...mysqlEnv,
      ...cassandraEnv,
    };
    services.proxy = await startServiceProcess('proxy', { ...common, ...kafkaEnv('plain') });
    services.consumer = await startServiceProcess('consumer', {
      ...common,
      ...kafkaEnv('scram-sha-512'),
      WAIL_CONSUMER_GROUP: `${name}.consumer`,
      WAIL_UNMATERIALIZED_TOPIC: `${name}.unmaterialized`,
      WAIL_DLQ_TOPIC: `${name}.dlq`,
    });
  }, 180_000);

  afterAll(async () => {
    for (const service of ['consumer', 'proxy', 'repository'] as const)
      await services[service]?.stop();
    await kafka
      .deleteTopics([intentTopic, eventTopic, partsTopic, `${name}.unmaterialized`, `${name}.dlq`])
      .catch(() => undefined);
    await kafka.close();
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
    await mysql.close();
    await cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${name}`).catch(() => undefined);
    await cassandra.close();
  }, 60_000);

  /** The first record of a topic of the secured cluster. */
  async function firstValue(topic: string): Promise<Buffer> {
    await waitFor(
      async () => [...(await kafka.endOffsets(topic)).values()].some((end) => end > 0n),
      { timeoutMs: 30_000, what: `an event on ${topic}` },
    );
    const consumer = kafka.createConsumer({ groupId: uniqueName('wail_sec_reader') });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      return await new Promise<Buffer>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!) });
      });
    } finally {
      await consumer.disconnect();
    }
  }

  it.each([
    ['items', 'MariaDB over TLS'],
    ['parts', 'Cassandra over TLS with a password'],
  ])(
    'publishes the event of a write to %s (%s) through SASL_SSL Kafka',
    async (table) => {
      const answer = await fetch(`${services.proxy!.url}/v1/tables/${table}/mutations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ op: 'upsert', key: { id: 1 }, values: { n: 1 } }),
      });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { intentLogged: boolean }).intentLogged).toBe(true);
      const value = await firstValue(`${name}.events.${table}`);
      // Confluent wire format: magic byte 0, then the schema id.
      expect(value[0]).toBe(0);
      expect(value.readInt32BE(1)).toBeGreaterThan(0);
    },
    60_000,
  );

  it('lets the CLI read the secured cluster with the same variables (wail dlq list)', () => {
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(root, 'tools', 'cli', 'src', 'main.ts'), 'dlq', 'list'],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ...kafkaEnv('scram-sha-512'), WAIL_DLQ_TOPIC: `${name}.dlq` },
      },
    );
    expect({ status: cli.status, stderr: cli.stderr }).toEqual({ status: 0, stderr: '' });
  }, 90_000);

  /** What a server said to a client it should refuse: "accepted" when it did not. */
  async function outcome(attempt: () => Promise<unknown>, close: () => Promise<unknown>) {
    try {
      await attempt();
      return 'accepted';
    } catch (error) {
      return `refused: ${String((error as Error).message).slice(0, 120)}`;
    } finally {
      await close().catch(() => undefined);
    }
  }

  it('refuses Kafka clients without TLS, with a wrong password, or that do not trust the CA', async () => {
    const plain = new KafkaClient({
      brokers: [secureBrokers],
      clientId: 'wail-secured-test',
      logger: silentLogger(),
      connectionTimeoutMs: 2000,
    });
    const attempts = {
      plaintext: plain,
      saslWithoutTls: secureClient({ tls: false }),
      wrongPassword: secureClient({ password: 'not-the-password' }),
      untrustedCa: new KafkaClient({
        brokers: [secureBrokers],
        clientId: 'wail-secured-test',
        logger: silentLogger(),
        connectionTimeoutMs: 2000,
        security: { tls: {}, sasl: { mechanism: 'scram-sha-512', username: user, password } },
      }),
    };
    const outcomes: Record<string, string> = {};
    for (const [what, client] of Object.entries(attempts))
      outcomes[what] = await outcome(
        () => client.listTopics(),
        () => client.close(),
      );
    for (const result of Object.values(outcomes)) expect(result).toMatch(/^refused/);
    expect(outcomes['untrustedCa']).toMatch(/certificate/i);
    expect(outcomes['wrongPassword']).toMatch(/SASL|auth/i);
  }, 60_000);

  it('refuses MariaDB and Cassandra clients without TLS, with a wrong password, or that do not trust the CA', async () => {
    const outcomes: Record<string, string> = {};
    const variants = {
      plaintext: { tls: false as const },
      wrongPassword: { password: 'not-the-password' },
      untrustedCa: { tls: {} },
    };
    for (const [what, overrides] of Object.entries(variants)) {
      const db = secureMysqlConnection(overrides);
      outcomes[`mysql ${what}`] = await outcome(
        () => db.ping(),
        () => db.close(),
      );
      const cql = secureCassandraConnection(overrides);
      outcomes[`cassandra ${what}`] = await outcome(
        () => cql.ping(),
        () => cql.close(),
      );
    }
    for (const result of Object.values(outcomes)) expect(result).toMatch(/^refused/);
    expect(outcomes['mysql untrustedCa']).toMatch(/certificate/i);
    expect(outcomes['mysql wrongPassword']).toMatch(/Access denied/);
    expect(outcomes['cassandra wrongPassword']).toMatch(/credentials|auth/i);
  }, 60_000);
});
