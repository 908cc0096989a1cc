import { KafkaClient } from '@wail/kafka';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import {
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@wail/testing';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function http(
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/**
 * A whole WAIL pipeline with an event gateway on the real local stack,
 * isolated by name: a MySQL table (customers) and a Cassandra table (orders),
 * their own intent and event topics, repository database, consumer group and
 * the gateway's own subscriptions topic, cursor groups and dead letters. Every
 * service runs as its own process; the gateway can be SIGKILLed and restarted.
 */
export class GatewayEnvironment {
  readonly name = uniqueName('wail_gw');
  readonly intentTopic = `${this.name}.intents`;
  readonly customersTopic = `${this.name}.events.customers`;
  readonly ordersTopic = `${this.name}.events.orders`;
  repository!: ServiceProcess;
  proxy!: ServiceProcess;
  consumer!: ServiceProcess;
  gateway!: ServiceProcess;
  private gatewayEnv: Record<string, string> = {};
  readonly mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
  readonly cassandra = new CassandraConnection({
    contactPoints: stackEnv().cassandraContactPoints,
    localDataCenter: stackEnv().cassandraDatacenter,
  });

  get gatewayUrl(): string {
    return this.gateway.url;
  }

  async start(
    options: { gatewayEnv?: Record<string, string>; consumerEnv?: Record<string, string> } = {},
  ): Promise<void> {
    await this.mysql.pool.query(`CREATE DATABASE \`${this.name}\``);
    await this.mysql.pool.query(
      `CREATE TABLE \`${this.name}\`.customers (
         id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL,
         balance DECIMAL(12,2) NULL, wail_ts BIGINT NOT NULL)`,
    );
    await this.cassandra.client.execute(
      `CREATE KEYSPACE ${this.name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await this.cassandra.client.execute(
      `CREATE TABLE ${this.name}.orders (customer_id text, order_id int, status text, wail_ts bigint, PRIMARY KEY ((customer_id), order_id))`,
    );
    this.repository = await startServiceProcess('repository', {
      WAIL_REPOSITORY_DATABASE: `${this.name}_repo`,
    });
    await putTableRoutes(this.repository.url, {
      customers: {
        store: 'mysql',
        database: this.name,
        keyColumns: ['id'],
        intentTopic: this.intentTopic,
        visibilityWindowMs: 1500,
      },
      orders: {
        store: 'cassandra',
        keyspace: this.name,
        keyColumns: ['customer_id', 'order_id'],
        intentTopic: this.intentTopic,
        visibilityWindowMs: 1500,
      },
    });
    const models = {
      customers: {
        eventTopic: this.customersTopic,
        schema: {
          type: 'record',
          name: 'Customer',
          namespace: 'gw',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'name', type: 'string' },
            {
              name: 'balance',
              type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }],
              default: null,
            },
          ],
        },
      },
      orders: {
        eventTopic: this.ordersTopic,
        schema: {
          type: 'record',
          name: 'Order',
          namespace: 'gw',
          fields: [
            { name: 'customer_id', type: 'string' },
            { name: 'order_id', type: 'int' },
            { name: 'status', type: ['null', 'string'], default: null },
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
    const kafka = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-gw-setup',
      logger: silentLogger(),
    });
    await kafka.ensureTopics([{ topic: this.customersTopic }, { topic: this.ordersTopic }]);
    await kafka.close();

    const common = { WAIL_REPOSITORY_URL: this.repository.url, WAIL_ROUTES_REFRESH_MS: '200' };
    const logs = Boolean(process.env['WAIL_TEST_LOGS']);
    this.proxy = await startServiceProcess('proxy', common);
    this.consumer = await startServiceProcess(
      'consumer',
      {
        ...common,
        WAIL_CONSUMER_GROUP: `${this.name}.consumer`,
        WAIL_UNMATERIALIZED_TOPIC: `${this.name}.unmaterialized`,
        WAIL_DLQ_TOPIC: `${this.name}.dlq`,
        WAIL_CONSUMER_COMMIT_INTERVAL_MS: '100',
        WAIL_CONSUMER_COALESCE_MS: '10',
        ...options.consumerEnv,
      },
      { logs },
    );
    this.gatewayEnv = {
      ...common,
      WAIL_GATEWAY_SUBSCRIPTIONS_TOPIC: `${this.name}.subscriptions`,
      WAIL_GATEWAY_GROUP_PREFIX: `${this.name}.gw`,
      ...options.gatewayEnv,
    };
    await this.startGateway();
  }

  /** (Re)starts the gateway as a process with the same subscriptions topic and groups. */
  async startGateway(): Promise<void> {
    this.gateway = await startServiceProcess('gateway', this.gatewayEnv, {
      logs: Boolean(process.env['WAIL_TEST_LOGS']),
    });
  }

  async mutate(mutations: { table: string; op: string; key: object; values?: object }[]) {
    const answer = await http('POST', `${this.proxy.url}/v1/mutations`, { mutations });
    if (answer.status !== 200) throw new Error(`mutations: ${JSON.stringify(answer.body)}`);
    const results = answer.body['results'] as { status: number; ts: number }[];
    for (const result of results)
      if (result.status !== 200) throw new Error(`mutation: ${JSON.stringify(result)}`);
    return results.map((result) => result.ts);
  }

  async subscribe(body: Record<string, unknown>): Promise<{ id: string; token: string }> {
    const answer = await http('POST', `${this.gatewayUrl}/v1/subscriptions`, body);
    if (answer.status !== 201) throw new Error(`subscribe: ${JSON.stringify(answer.body)}`);
    return { id: answer.body['id'] as string, token: answer.body['token'] as string };
  }

  async stop(): Promise<void> {
    await this.gateway?.stop();
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
      clientId: 'wail-gw-teardown',
      logger: silentLogger(),
    });
    await kafka
      .deleteTopics([
        this.intentTopic,
        this.customersTopic,
        this.ordersTopic,
        `${this.name}.unmaterialized`,
        `${this.name}.dlq`,
        `${this.name}.subscriptions`,
      ])
      .catch(() => undefined);
    await kafka.close();
  }
}
