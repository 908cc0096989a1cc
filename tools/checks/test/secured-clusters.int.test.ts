import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

const root = join(__dirname, '..', '..', '..');
const home = process.env['WAIL_HOME'] ?? join(root, '.wail');
const caFile = join(home, 'tls', 'ca.pem');
const secureBrokers = process.env['WAIL_KAFKA_SECURE_BROKERS'] ?? '127.0.0.1:9292';
const user = 'wail';
const password = 'wail-stack-secret';

/** A client of kafka-secure as the services are configured: TLS with the stack's CA, SCRAM-SHA-512. */
function secureClient(overrides: { password?: string; tls?: boolean } = {}): KafkaClient {
  return new KafkaClient({
    brokers: [secureBrokers],
    clientId: 'wail-secured-test',
    logger: silentLogger(),
    connectionTimeoutMs: 2000,
    security: {
      ...(overrides.tls === false ? {} : { tls: { ca: [readFileSync(caFile, 'utf8')] } }),
      sasl: {
        mechanism: 'scram-sha-512',
        username: user,
        password: overrides.password ?? password,
      },
    },
  });
}

/**
 * The pipeline end to end through secured clusters of the local stack
 * (`npm run stack -- up kafka-secure`): Kafka reached only over SASL_SSL —
 * the proxy authenticates with PLAIN, the consumer with SCRAM-SHA-512, both
 * verifying the broker's certificate against the stack's CA — and what the
 * secured servers refuse: plaintext, a wrong password, an untrusted CA.
 */
describe('the pipeline through secured clusters', () => {
  const name = uniqueName('wail_sec');
  const intentTopic = `${name}.intents`;
  const eventTopic = `${name}.events.items`;
  const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
  const kafka = secureClient();
  const services: Partial<Record<'repository' | 'proxy' | 'consumer', ServiceProcess>> = {};
  const kafkaEnv = (mechanism: string) => ({
    WAIL_KAFKA_BROKERS: secureBrokers,
    WAIL_KAFKA_TLS_CA_FILE: caFile,
    WAIL_KAFKA_SASL_MECHANISM: mechanism,
    WAIL_KAFKA_SASL_USERNAME: user,
    WAIL_KAFKA_SASL_PASSWORD: password,
  });

  beforeAll(async () => {
    await mysql.pool.query(`CREATE DATABASE \`${name}\``);
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.items (id BIGINT PRIMARY KEY, n INT NOT NULL, wail_ts BIGINT NOT NULL)`,
    );
    await kafka.ensureTopics([{ topic: intentTopic }, { topic: eventTopic }]);
    services.repository = await startServiceProcess('repository', {
      WAIL_REPOSITORY_DATABASE: `${name}_repo`,
    });
    const repositoryUrl = services.repository.url;
    await putTableRoutes(repositoryUrl, {
      items: {
        store: 'mysql',
        database: name,
        keyColumns: ['id'],
        intentTopic,
        visibilityWindowMs: 2000,
      },
    });
    const model = await fetch(`${repositoryUrl}/v1/models/items/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        eventTopic,
        schema: {
          type: 'record',
          name: 'Item',
          namespace: 'secured',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'n', type: 'int' },
          ],
        },
      }),
    });
    expect(model.status).toBe(200);
    const common = {
      WAIL_REPOSITORY_URL: repositoryUrl,
      WAIL_ROUTES_REFRESH_MS: '200',
      WAIL_STORES: 'mysql',
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
      .deleteTopics([intentTopic, eventTopic, `${name}.unmaterialized`, `${name}.dlq`])
      .catch(() => undefined);
    await kafka.close();
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
    await mysql.close();
  }, 60_000);

  it('publishes the event of a write through SASL_SSL Kafka (PLAIN for the proxy, SCRAM-SHA-512 for the consumer)', async () => {
    const answer = await fetch(`${services.proxy!.url}/v1/tables/items/mutations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'upsert', key: { id: 1 }, values: { n: 1 } }),
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { intentLogged: boolean }).intentLogged).toBe(true);
    await waitFor(
      async () => [...(await kafka.endOffsets(eventTopic)).values()].some((end) => end > 0n),
      {
        timeoutMs: 30_000,
        what: 'the event on the secured cluster',
      },
    );
    const consumer = kafka.createConsumer({ groupId: uniqueName('wail_sec_reader') });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [eventTopic], fromBeginning: true });
      const value = await new Promise<Buffer>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!) });
      });
      // Confluent wire format: magic byte 0, then the schema id.
      expect(value[0]).toBe(0);
      expect(value.readInt32BE(1)).toBeGreaterThan(0);
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);

  it('refuses a client without TLS, with a wrong password, or that does not trust the CA', async () => {
    const plaintext = new KafkaClient({
      brokers: [secureBrokers],
      clientId: 'wail-secured-test',
      logger: silentLogger(),
      connectionTimeoutMs: 2000,
    });
    const attempts = {
      plaintext,
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
    for (const [what, client] of Object.entries(attempts)) {
      outcomes[what] = await client.listTopics().then(
        () => 'accepted',
        (error: unknown) => `refused: ${String((error as Error).message).slice(0, 60)}`,
      );
      await client.close().catch(() => undefined);
    }
    for (const outcome of Object.values(outcomes)) expect(outcome).toMatch(/^refused/);
    expect(outcomes['untrustedCa']).toMatch(/certificate/i);
    expect(outcomes['wrongPassword']).toMatch(/SASL|auth/i);
  }, 60_000);
});
