import { Kafka, logLevel } from 'kafkajs';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { PostgresConnection } from '@wail/store-postgres';
import { silentLogger } from '@wail/telemetry';
import {
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose, type ProxyService } from '../src/main';

/**
 * A route whose keyColumns are only part of the table's primary key turns a
 * delete into a mass delete. The repository refuses such a route when the
 * table exists; here the table appears after the route was applied, so the
 * proxy is the last line: it must refuse the table before logging anything.
 */
const name = uniqueName('wail_fit');
const intentTopic = `${name}.intents`;
const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
const cassandra = new CassandraConnection({
  contactPoints: stackEnv().cassandraContactPoints,
  localDataCenter: stackEnv().cassandraDatacenter,
});
const postgres = new PostgresConnection({ url: stackEnv().postgresUrl, poolSize: 2 });
let repository: ServiceProcess;
let proxy: ProxyService;

beforeAll(async () => {
  await mysql.pool.query(`CREATE DATABASE \`${name}\``);
  await cassandra.client.execute(
    `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  await postgres.query(postgres.defaultDatabase, `CREATE DATABASE "${name}"`);
  repository = await startServiceProcess('repository', {
    WAIL_REPOSITORY_DATABASE: `${name}_repo`,
  });
  await putTableRoutes(repository.url, {
    members_mysql: {
      store: 'mysql',
      database: name,
      physicalTable: 'members',
      keyColumns: ['tenant'],
      intentTopic,
    },
    members_cassandra: {
      store: 'cassandra',
      keyspace: name,
      physicalTable: 'members',
      keyColumns: ['tenant'],
      intentTopic,
    },
    members_postgres: {
      store: 'postgres',
      database: name,
      physicalTable: 'members',
      keyColumns: ['tenant'],
      intentTopic,
    },
  });
  await postgres.query(
    name,
    'CREATE TABLE members (tenant BIGINT, id BIGINT, note VARCHAR(20) NULL, wail_ts BIGINT NOT NULL, PRIMARY KEY (tenant, id))',
  );
  await mysql.pool.query(
    `CREATE TABLE \`${name}\`.members (tenant BIGINT, id BIGINT, note VARCHAR(20) NULL, wail_ts BIGINT NOT NULL, PRIMARY KEY (tenant, id))`,
  );
  await cassandra.client.execute(
    `CREATE TABLE ${name}.members (tenant bigint, id bigint, note text, wail_ts bigint, PRIMARY KEY ((tenant), id))`,
  );
  for (let id = 1; id <= 5; id++) {
    await mysql.pool.query(
      `INSERT INTO \`${name}\`.members (tenant, id, note, wail_ts) VALUES (1, ?, 'x', 1)`,
      [id],
    );
    await cassandra.client.execute(
      `INSERT INTO ${name}.members (tenant, id, note, wail_ts) VALUES (1, ?, 'x', 1)`,
      [BigInt(id)],
      { prepare: true },
    );
    await postgres.query(
      name,
      "INSERT INTO members (tenant, id, note, wail_ts) VALUES (1, $1, 'x', 1)",
      [id],
    );
  }
  proxy = await compose(
    loadConfig({ ...process.env, WAIL_REPOSITORY_URL: repository.url }),
    silentLogger(),
  );
}, 90_000);

afterAll(async () => {
  await proxy?.stop();
  await repository?.stop();
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
  await mysql.close();
  await cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${name}`);
  await cassandra.close();
  await postgres.query(postgres.defaultDatabase, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await postgres.close();
}, 60_000);

async function rowsOf(table: string): Promise<number> {
  if (table === 'members_mysql') {
    const [rows] = await mysql.pool.query(`SELECT COUNT(*) AS n FROM \`${name}\`.members`);
    return Number((rows as { n: number }[])[0]!.n);
  }
  if (table === 'members_postgres') {
    const result = await postgres.query(name, 'SELECT COUNT(*) AS n FROM members');
    return Number((result.rows[0] as { n: string }).n);
  }
  const result = await cassandra.client.execute(`SELECT COUNT(*) AS n FROM ${name}.members`);
  return Number(result.first().get('n'));
}

async function intentCount(): Promise<number> {
  const kafka = new Kafka({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-fit-test',
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(intentTopic)) return 0;
    const offsets = await admin.fetchTopicOffsets(intentTopic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe.each(['members_mysql', 'members_cassandra', 'members_postgres'])(
  'a route keyed by part of the primary key (%s)',
  (table) => {
    it('refuses a delete with 422 ROUTE_MISMATCH, logs no intent and removes no row', async () => {
      const answer = await proxy.app.inject({
        method: 'POST',
        url: `/v1/tables/${table}/mutations`,
        payload: { op: 'delete', key: { tenant: 1 } },
      });
      expect(answer.statusCode).toBe(422);
      expect(answer.json()).toMatchObject({
        error: {
          code: 'ROUTE_MISMATCH',
          message: expect.stringContaining(
            'keyColumns (tenant) must be its whole primary key in order: (tenant, id)',
          ),
        },
      });
      expect(await rowsOf(table)).toBe(5);
      expect(await intentCount()).toBe(0);
    });

    it('refuses upserts and reads of the table alike', async () => {
      const upsert = await proxy.app.inject({
        method: 'POST',
        url: `/v1/tables/${table}/mutations`,
        payload: { op: 'upsert', key: { tenant: 1 }, values: { note: 'y' } },
      });
      expect(upsert.json()).toMatchObject({ error: { code: 'ROUTE_MISMATCH' } });
      const read = await proxy.app.inject({
        method: 'GET',
        url: `/v1/tables/${table}/rows?tenant=1`,
      });
      expect(read.statusCode).toBe(422);
      expect(await intentCount()).toBe(0);
    });
  },
);
