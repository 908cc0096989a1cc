import { KafkaClient, RecordProducer } from '@wail/kafka';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { createLogger, silentLogger, startTracing } from '@wail/telemetry';
import {
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose, type ConsumerService } from '../src/main';
import { EventReader, http } from './support';

/**
 * A whole WAIL pipeline on the real local stack, isolated by name: its own
 * MySQL database, Cassandra keyspace, intent/event/dead-letter topics,
 * repository database and consumer group. The repository and the proxy run
 * as processes; the consumer runs in this process so tests can read its
 * metrics.
 */
export class PipelineEnvironment {
  readonly name = uniqueName('wail_e2e');
  readonly intentTopic = `${this.name}.intents`;
  readonly unmaterializedTopic = `${this.name}.unmaterialized`;
  readonly deadLetterTopic = `${this.name}.dlq`;
  readonly customersTopic = `${this.name}.events.customers`;
  readonly ordersTopic = `${this.name}.events.orders`;
  repository!: ServiceProcess;
  proxy!: ServiceProcess;
  consumer!: ConsumerService;
  /** When started with `consumerProcess: true`: the consumer as its own process, to crash and restart. */
  consumerProcess: ServiceProcess | undefined;
  private consumerEnv: Record<string, string> = {};
  /** As main.ts does for the consumer: spans, so events continue the proxy's trace. */
  private readonly tracing = startTracing({ service: 'consumer-test', export: false });
  events!: EventReader;
  readonly mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
  readonly cassandra = new CassandraConnection({
    contactPoints: stackEnv().cassandraContactPoints,
    localDataCenter: stackEnv().cassandraDatacenter,
  });

  async start(
    options: {
      visibilityWindowMs?: number;
      consumerEnv?: Record<string, string>;
      consumerProcess?: boolean;
    } = {},
  ): Promise<void> {
    const window = options.visibilityWindowMs ?? 1500;
    await this.mysql.pool.query(`CREATE DATABASE \`${this.name}\``);
    await this.mysql.pool.query(
      `CREATE TABLE \`${this.name}\`.customers (
         id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200) NULL,
         balance DECIMAL(12,2) NULL, qty INT NULL, wail_ts BIGINT NOT NULL,
         CONSTRAINT qty_not_negative CHECK (qty IS NULL OR qty >= 0))`,
    );
    await this.mysql.pool.query(
      `CREATE TABLE \`${this.name}\`.orphans (id BIGINT PRIMARY KEY, note VARCHAR(100) NULL, wail_ts BIGINT NOT NULL)`,
    );
    await this.cassandra.client.execute(
      `CREATE KEYSPACE ${this.name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await this.cassandra.client.execute(
      `CREATE TABLE ${this.name}.orders (customer_id text, order_id int, status text, total double, wail_ts bigint, PRIMARY KEY ((customer_id), order_id))`,
    );

    this.repository = await startServiceProcess('repository', {
      WAIL_REPOSITORY_DATABASE: `${this.name}_repo`,
    });
    const routes = {
      customers: {
        store: 'mysql',
        database: this.name,
        keyColumns: ['id'],
        intentTopic: this.intentTopic,
        visibilityWindowMs: window,
      },
      orders: {
        store: 'cassandra',
        keyspace: this.name,
        keyColumns: ['customer_id', 'order_id'],
        intentTopic: this.intentTopic,
        visibilityWindowMs: window,
      },
      orphans: {
        store: 'mysql',
        database: this.name,
        keyColumns: ['id'],
        intentTopic: this.intentTopic,
        visibilityWindowMs: window,
      },
    };
    await putTableRoutes(this.repository.url, routes);
    const models = {
      customers: {
        eventTopic: this.customersTopic,
        schema: {
          type: 'record',
          name: 'Customer',
          namespace: 'e2e',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'name', type: 'string' },
            { name: 'email', type: ['null', 'string'], default: null },
            {
              name: 'balance',
              type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }],
              default: null,
            },
            { name: 'qty', type: ['null', 'int'], default: null },
          ],
        },
      },
      orders: {
        eventTopic: this.ordersTopic,
        schema: {
          type: 'record',
          name: 'Order',
          namespace: 'e2e',
          fields: [
            { name: 'customer_id', type: 'string' },
            { name: 'order_id', type: 'int' },
            { name: 'status', type: ['null', 'string'], default: null },
            { name: 'total', type: ['null', 'double'], default: null },
          ],
        },
      },
    };
    for (const [table, model] of Object.entries(models)) {
      const answer = await http(
        'POST',
        `${this.repository.url}/v1/models/${table}/versions`,
        model,
      );
      if (answer.status !== 200) throw new Error(`model ${table}: ${JSON.stringify(answer.body)}`);
    }

    const env = {
      WAIL_REPOSITORY_URL: this.repository.url,
      WAIL_ROUTES_REFRESH_MS: '200',
    };
    this.proxy = await startServiceProcess('proxy', env);
    this.consumerEnv = {
      ...env,
      WAIL_CONSUMER_GROUP: `${this.name}.consumer`,
      WAIL_UNMATERIALIZED_TOPIC: this.unmaterializedTopic,
      WAIL_DLQ_TOPIC: this.deadLetterTopic,
      WAIL_CONSUMER_GRACE_MS: '5000',
      WAIL_CONSUMER_COMMIT_INTERVAL_MS: '100',
      ...options.consumerEnv,
    };
    if (options.consumerProcess) {
      await this.restartConsumer();
    } else {
      this.consumer = await compose(
        loadConfig({ ...process.env, ...this.consumerEnv }),
        process.env['WAIL_TEST_LOGS']
          ? createLogger({ service: 'consumer', level: 'debug' })
          : silentLogger(),
      );
    }
    this.events = new EventReader(this.repository.url);
    const kafka = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-e2e-setup',
      logger: silentLogger(),
    });
    await kafka.ensureTopics([{ topic: this.customersTopic }, { topic: this.ordersTopic }]);
    await kafka.close();
    await this.events.start([this.customersTopic, this.ordersTopic]);
  }

  /** Appends raw records to the intent topic, as a proxy would (or a broken one). */
  async appendIntents(messages: { key: Buffer | string; value: Buffer }[]): Promise<void> {
    const kafka = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-e2e-append',
      logger: silentLogger(),
    });
    const producer = new RecordProducer(kafka);
    try {
      await producer.send(
        messages.map(({ key, value }) => ({
          topic: this.intentTopic,
          key: Buffer.from(key),
          value,
        })),
      );
    } finally {
      await producer.close();
      await kafka.close();
    }
  }

  mutate(table: string, body: unknown) {
    return http('POST', `${this.proxy.url}/v1/tables/${table}/mutations`, body);
  }

  async metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = (await this.consumer.app.inject({ method: 'GET', url: '/metrics' })).body;
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const labelsPart = line.slice(line.indexOf('{') + 1, line.indexOf('}'));
      if (selector.split(',').every((pair) => labelsPart.includes(pair)))
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  /** (Re)starts the consumer as a process, in the same group. */
  async restartConsumer(): Promise<void> {
    this.consumerProcess = await startServiceProcess('consumer', this.consumerEnv, {
      logs: Boolean(process.env['WAIL_TEST_LOGS']),
    });
  }

  async stop(): Promise<void> {
    await this.tracing.shutdown();
    await this.consumerProcess?.stop();
    await this.events?.stop();
    await this.consumer?.stop();
    await this.proxy?.stop();
    await this.repository?.stop();
    await this.mysql.pool.query(`DROP DATABASE IF EXISTS \`${this.name}\``);
    await this.mysql.pool.query(`DROP DATABASE IF EXISTS \`${this.name}_repo\``);
    await this.mysql.close();
    await this.cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${this.name}`);
    await this.cassandra.close();
    const kafka = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-e2e-teardown',
      logger: silentLogger(),
    });
    await kafka
      .deleteTopics([
        this.intentTopic,
        this.customersTopic,
        this.ordersTopic,
        this.unmaterializedTopic,
        this.deadLetterTopic,
      ])
      .catch(() => undefined);
    await kafka.close();
  }
}
