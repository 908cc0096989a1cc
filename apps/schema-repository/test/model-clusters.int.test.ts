import { MysqlConnection } from '@wail/store-mysql';
import { stackEnv } from '@wail/testing';
import { migrate } from '../src/storage/migrations';
import { call, startRepository, type Answer, type TestRepository } from './support';

/**
 * A data model version may name the Kafka cluster of its event topic
 * (`eventCluster`, one of WAIL_KAFKA_CLUSTERS); a version that names none
 * goes to each consumer's WAIL_CONSUMER_EVENT_CLUSTER (docs/reshaping.md).
 */
let plain: TestRepository;
let clustered: TestRepository;

const route = { store: 'mysql', database: 'shop', keyColumns: ['id'] };
const schema = {
  type: 'record',
  name: 'Row',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
  ],
};

interface VersionAnswer {
  table: string;
  version: number;
  eventTopic: string;
  eventCluster?: string;
}

async function withRoute(repo: TestRepository, table: string): Promise<void> {
  const answer = await call(repo.app, 'PUT', `/v1/tables/${table}`, route);
  expect(answer.status).toBe(200);
}

const postModel = (repo: TestRepository, table: string, body: unknown) =>
  call(repo.app, 'POST', `/v1/models/${table}/versions`, body);

/** A POST that must succeed, and the version it answers. */
async function registered(
  repo: TestRepository,
  table: string,
  body: unknown,
): Promise<VersionAnswer> {
  const answer = await postModel(repo, table, body);
  expect([answer.status, answer.body]).toEqual([200, expect.anything()]);
  return answer.body as VersionAnswer;
}

const getModel = async (repo: TestRepository, table: string, version: number | 'latest') =>
  (await call(repo.app, 'GET', `/v1/models/${table}/versions/${version}`)).body as VersionAnswer;

function refused(answer: Answer, ...phrases: string[]): void {
  expect({
    status: answer.status,
    code: (answer.body as { error_code: number }).error_code,
  }).toEqual({ status: 422, code: 42242 });
  for (const phrase of phrases)
    expect((answer.body as { message: string }).message).toContain(phrase);
}

beforeAll(async () => {
  plain = await startRepository();
  clustered = await startRepository({ WAIL_KAFKA_CLUSTERS: 'hot=127.0.0.1:9192' });
});
afterAll(async () => {
  await plain?.close();
  await clustered?.close();
});

describe('eventCluster', () => {
  it('is omitted from the answers of a version that names none', async () => {
    await withRoute(clustered, 'unnamed');
    const version = await registered(clustered, 'unnamed', { schema });
    expect(version).not.toHaveProperty('eventCluster');
    expect(await getModel(clustered, 'unnamed', 'latest')).not.toHaveProperty('eventCluster');
  });

  it('is accepted when the repository knows the cluster, and read back by number and latest', async () => {
    await withRoute(clustered, 'hot_events');
    const version = await registered(clustered, 'hot_events', { schema, eventCluster: 'hot' });
    expect(version).toMatchObject({ version: 1, eventCluster: 'hot' });
    expect(await getModel(clustered, 'hot_events', 1)).toMatchObject({ eventCluster: 'hot' });
    expect(await getModel(clustered, 'hot_events', 'latest')).toMatchObject({
      eventCluster: 'hot',
    });
    const main = await registered(clustered, 'hot_events', { schema, eventCluster: 'main' });
    expect(main).toMatchObject({ version: 2, eventCluster: 'main' });
  });

  it('is refused, naming WAIL_KAFKA_CLUSTERS, when the repository does not know the cluster', async () => {
    await withRoute(plain, 'elsewhere');
    refused(
      await postModel(plain, 'elsewhere', { schema, eventCluster: 'hot' }),
      '"eventCluster" "hot" is not a cluster of WAIL_KAFKA_CLUSTERS (main)',
    );
    refused(
      await postModel(clustered, 'unnamed', { schema, eventCluster: 'cold' }),
      'is not a cluster of WAIL_KAFKA_CLUSTERS (main, hot)',
    );
    expect((await call(plain.app, 'GET', '/v1/models/elsewhere/versions')).status).toBe(404);
  });

  it.each([
    ['upper case', 'Hot'],
    ['a leading digit', '1hot'],
    ['33 characters', `h${'o'.repeat(32)}`],
    ['an empty string', ''],
    ['a number', 7],
    ['an object', { name: 'hot' }],
  ])('is refused for %s, naming the grammar', async (_, eventCluster) => {
    refused(
      await postModel(clustered, 'unnamed', { schema, eventCluster }),
      '"eventCluster" must be a cluster name of WAIL_KAFKA_CLUSTERS',
    );
  });

  it('makes registering the same body again return the same version', async () => {
    await withRoute(clustered, 'repeated');
    const first = await registered(clustered, 'repeated', { schema, eventCluster: 'hot' });
    const again = await registered(clustered, 'repeated', { schema, eventCluster: 'hot' });
    expect(again).toEqual(first);
    expect((await call(clustered.app, 'GET', '/v1/models/repeated/versions')).body).toEqual([1]);
  });

  it('makes a new version when it alone changes, and again when it is dropped', async () => {
    await withRoute(clustered, 'moving');
    const before = await registered(clustered, 'moving', { schema });
    const hot = await registered(clustered, 'moving', { schema, eventCluster: 'hot' });
    expect(hot).toMatchObject({
      version: before.version + 1,
      eventTopic: before.eventTopic,
      eventCluster: 'hot',
    });
    const back = await registered(clustered, 'moving', { schema });
    expect(back.version).toBe(hot.version + 1);
    expect(back).not.toHaveProperty('eventCluster');
    expect((await call(clustered.app, 'GET', '/v1/models/moving/versions')).body).toEqual([
      1, 2, 3,
    ]);
  });
});

describe('migration 4', () => {
  it('adds the column to a database that predates it: versions stored before read back without eventCluster', async () => {
    await withRoute(clustered, 'legacy');
    await registered(clustered, 'legacy', { schema, eventCluster: 'hot' });
    const mysql = new MysqlConnection({
      url: stackEnv().mysqlUrl,
      database: clustered.database,
      connectionLimit: 1,
    });
    try {
      // The database as migration 3 left it; the row stands for a version stored then.
      await mysql.pool.query('ALTER TABLE data_models DROP COLUMN event_cluster');
      await mysql.pool.query('DELETE FROM schema_migrations WHERE version = 4');
      expect(await migrate(mysql.pool)).toEqual([4]);
      expect(await getModel(clustered, 'legacy', 1)).not.toHaveProperty('eventCluster');

      // A migration that failed before recording itself runs again from its first statement.
      await mysql.pool.query('DELETE FROM schema_migrations WHERE version = 4');
      expect(await migrate(mysql.pool)).toEqual([4]);
      expect(await migrate(mysql.pool)).toEqual([]);
    } finally {
      await mysql.close();
    }
    const next = await registered(clustered, 'legacy', { schema, eventCluster: 'hot' });
    expect(next).toMatchObject({ version: 2, eventCluster: 'hot' });
  });

  it('reads a NULL event_cluster as no eventCluster', async () => {
    await withRoute(clustered, 'nulled');
    await registered(clustered, 'nulled', { schema, eventCluster: 'hot' });
    const mysql = new MysqlConnection({
      url: stackEnv().mysqlUrl,
      database: clustered.database,
      connectionLimit: 1,
    });
    try {
      await mysql.pool.query(
        "UPDATE data_models SET event_cluster = NULL WHERE table_name = 'nulled'",
      );
    } finally {
      await mysql.close();
    }
    expect(await getModel(clustered, 'nulled', 'latest')).not.toHaveProperty('eventCluster');
    const again = await registered(clustered, 'nulled', { schema });
    expect(again.version).toBe(1);
  });
});
