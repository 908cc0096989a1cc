import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { stackEnv, uniqueName } from '@wail/testing';
import { call, startRepository, type TestRepository } from './support';

let repo: TestRepository;
const get = (url: string, headers?: Record<string, string>) =>
  call(repo.app, 'GET', url, undefined, headers);
const put = (url: string, body: unknown) => call(repo.app, 'PUT', url, body);
const post = (url: string, body: unknown) => call(repo.app, 'POST', url, body);
const del = (url: string) => call(repo.app, 'DELETE', url);

const customers = {
  store: 'mysql',
  database: 'shop',
  physicalTable: 'customers',
  keyColumns: ['id'],
  intentTopic: 'wail.intents',
  intentCluster: 'main',
  failureMode: 'transactional',
  visibilityWindowMs: 10000,
};

const customerModel = {
  type: 'record',
  name: 'Customer',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'balance', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'created_at', type: { type: 'long', logicalType: 'timestamp-micros' } },
  ],
};

beforeAll(async () => {
  // `bank.` too: one test names an event topic outside WAIL's own namespace.
  repo = await startRepository({ WAIL_EVENT_TOPIC_PREFIXES: 'wail,bank.' });
});
afterAll(async () => {
  await repo.close();
});

describe('table routes', () => {
  it('stores a route idempotently and reads it back with its revision', async () => {
    const first = await put('/v1/tables/customers', customers);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ...customers, revision: expect.any(Number) });
    const again = await put('/v1/tables/customers', customers);
    expect(again.body).toEqual(first.body);
    expect((await get('/v1/tables/customers')).body).toEqual(first.body);
  });

  it('fills in the defaults: physical table, intent topic, failure mode, window', async () => {
    const answer = await put('/v1/tables/orders', {
      store: 'cassandra',
      keyspace: 'shop',
      keyColumns: ['customer_id', 'order_id'],
    });
    expect(answer.body).toEqual({
      store: 'cassandra',
      keyspace: 'shop',
      physicalTable: 'orders',
      keyColumns: ['customer_id', 'order_id'],
      intentTopic: 'wail.intents',
      intentCluster: 'main',
      failureMode: 'transactional',
      visibilityWindowMs: 10000,
      revision: expect.any(Number),
    });
  });

  it.each([
    ['an unknown store', { store: 'oracle', database: 'x', keyColumns: ['id'] }],
    ['a mysql route without database', { store: 'mysql', keyColumns: ['id'] }],
    [
      'a cassandra route with a database',
      { store: 'cassandra', keyspace: 'k', database: 'd', keyColumns: ['id'] },
    ],
    ['no key columns', { store: 'mysql', database: 'shop', keyColumns: [] }],
    [
      'an injection attempt in a column',
      { store: 'mysql', database: 'shop', keyColumns: ['id; DROP TABLE x'] },
    ],
    [
      'an illegal topic',
      { store: 'mysql', database: 'shop', keyColumns: ['id'], intentTopic: 'bad topic!' },
    ],
    [
      'a bad failure mode',
      { store: 'mysql', database: 'shop', keyColumns: ['id'], failureMode: 'yolo' },
    ],
    [
      'a tiny window',
      { store: 'mysql', database: 'shop', keyColumns: ['id'], visibilityWindowMs: 5 },
    ],
    ['an unknown field', { store: 'mysql', database: 'shop', keyColumns: ['id'], colour: 'red' }],
  ])('rejects %s with 42241', async (_label, body) => {
    expect(await put('/v1/tables/bad_route', body)).toMatchObject({
      status: 422,
      body: { error_code: 42241 },
    });
  });

  it('rejects a table name that is not an identifier', async () => {
    expect((await put('/v1/tables/bad-name', customers)).body).toMatchObject({ error_code: 42241 });
  });

  it('lists routes with a revision that is also the ETag, and answers 304 until something changes', async () => {
    const listing = await get('/v1/tables');
    const body = listing.body as { revision: number; tables: { table: string }[] };
    expect(listing.headers['etag']).toBe(`"${body.revision}"`);
    expect(body.tables.map((t) => t.table)).toEqual(
      expect.arrayContaining(['customers', 'orders']),
    );
    expect((await get('/v1/tables', { 'if-none-match': `"${body.revision}"` })).status).toBe(304);
    await put('/v1/tables/short_lived', { store: 'mysql', database: 'shop', keyColumns: ['id'] });
    const changed = await get('/v1/tables', { 'if-none-match': `"${body.revision}"` });
    expect(changed.status).toBe(200);
    expect((changed.body as { revision: number }).revision).toBeGreaterThan(body.revision);
  });

  it('deletes a route, bumping the revision; a second delete is 40441', async () => {
    const before = ((await get('/v1/tables')).body as { revision: number }).revision;
    expect((await del('/v1/tables/short_lived')).status).toBe(200);
    expect(((await get('/v1/tables')).body as { revision: number }).revision).toBeGreaterThan(
      before,
    );
    expect(await del('/v1/tables/short_lived')).toMatchObject({
      status: 404,
      body: { error_code: 40441 },
    });
    expect((await get('/v1/tables/short_lived')).body).toMatchObject({ error_code: 40441 });
  });
});

describe('routes checked against their tables', () => {
  const name = uniqueName('wail_fit');
  const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl, connectionLimit: 1 });
  const cassandra = new CassandraConnection({
    contactPoints: stackEnv().cassandraContactPoints,
    localDataCenter: stackEnv().cassandraDatacenter,
  });

  beforeAll(async () => {
    await mysql.pool.query(`CREATE DATABASE \`${name}\``);
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.members (tenant BIGINT, id BIGINT, note VARCHAR(20) NULL, wail_ts BIGINT NOT NULL, PRIMARY KEY (tenant, id))`,
    );
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.codes (code VARCHAR(20) PRIMARY KEY, wail_ts BIGINT NOT NULL)`,
    );
    await cassandra.client.execute(
      `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await cassandra.client.execute(
      `CREATE TABLE ${name}.members (tenant bigint, id bigint, note text, wail_ts bigint, PRIMARY KEY ((tenant), id))`,
    );
  }, 60_000);

  afterAll(async () => {
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await mysql.close();
    await cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${name}`);
    await cassandra.close();
  }, 60_000);

  it.each([
    ['mysql', { store: 'mysql', database: name }],
    ['cassandra', { store: 'cassandra', keyspace: name }],
  ])(
    'refuses keyColumns that are part of the %s primary key, and accepts the whole key',
    async (_store, where) => {
      const partial = await put('/v1/tables/members_fit', {
        ...where,
        physicalTable: 'members',
        keyColumns: ['tenant'],
      });
      expect(partial).toMatchObject({ status: 422, body: { error_code: 42241 } });
      expect((partial.body as { message: string }).message).toContain(
        'keyColumns (tenant) must be its whole primary key in order: (tenant, id)',
      );
      const reversed = await put('/v1/tables/members_fit', {
        ...where,
        physicalTable: 'members',
        keyColumns: ['id', 'tenant'],
      });
      expect(reversed.status).toBe(422);
      expect((await get('/v1/tables/members_fit')).status).toBe(404);
      const whole = await put('/v1/tables/members_fit', {
        ...where,
        physicalTable: 'members',
        keyColumns: ['tenant', 'id'],
      });
      expect(whole.status).toBe(200);
      await del('/v1/tables/members_fit');
    },
  );

  it('refuses a text key under a case-insensitive collation, naming the column and the fix', async () => {
    const answer = await put('/v1/tables/codes', {
      store: 'mysql',
      database: name,
      keyColumns: ['code'],
    });
    expect(answer.status).toBe(422);
    expect((answer.body as { message: string }).message).toMatch(
      /key column "code" has collation utf8mb4_general_ci.*binary collation/,
    );
  });

  it('accepts a route whose table does not exist yet (the proxy checks it before serving)', async () => {
    expect(
      (
        await put('/v1/tables/not_yet', {
          store: 'mysql',
          database: name,
          keyColumns: ['id'],
        })
      ).status,
    ).toBe(200);
  });
});

describe('data models', () => {
  it('registers a model, deriving key and envelope schemas under the event topic subjects', async () => {
    const answer = await post('/v1/models/customers/versions', { schema: customerModel });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      table: 'customers',
      version: 1,
      keySchemaId: expect.any(Number),
      valueSchemaId: expect.any(Number),
      eventTopic: 'wail.events.customers',
      claimCheckBytes: 900_000,
    });
    const { keySchemaId, valueSchemaId } = answer.body as {
      keySchemaId: number;
      valueSchemaId: number;
    };
    const key = JSON.parse(
      ((await get(`/schemas/ids/${keySchemaId}`)).body as { schema: string }).schema,
    );
    expect(key).toEqual({
      type: 'record',
      name: 'shop.CustomerKey',
      fields: [{ name: 'id', type: 'long' }],
    });
    const value = JSON.parse(
      ((await get(`/schemas/ids/${valueSchemaId}`)).body as { schema: string }).schema,
    );
    expect(value.fields.map((f: { name: string }) => f.name)).toEqual([
      'op',
      'key',
      'after',
      'version',
      'source',
      'modelVersion',
      'claimCheck',
    ]);
    expect((await get('/subjects/wail.events.customers-value/versions/latest')).body).toMatchObject(
      { id: valueSchemaId },
    );
    expect((await get('/subjects/wail.events.customers-key/versions/latest')).body).toMatchObject({
      id: keySchemaId,
    });
  });

  it('accepts the schema as a string too, and returns the latest model unchanged when it is registered again', async () => {
    const again = await post('/v1/models/customers/versions', {
      schema: JSON.stringify(customerModel),
    });
    expect(again.body).toMatchObject({ version: 1 });
    expect((await get('/v1/models/customers/versions')).body).toEqual([1]);
  });

  it('evolves compatibly to version 2 and refuses an incompatible change with 409 and reasons', async () => {
    const evolved = {
      ...customerModel,
      fields: [...customerModel.fields, { name: 'tier', type: ['null', 'string'], default: null }],
    };
    expect((await post('/v1/models/customers/versions', { schema: evolved })).body).toMatchObject({
      version: 2,
    });
    const breaking = {
      ...customerModel,
      fields: [...customerModel.fields, { name: 'required_new', type: 'string' }],
    };
    const refused = await post('/v1/models/customers/versions', { schema: breaking });
    expect(refused.status).toBe(409);
    expect((refused.body as { message: string }).message).toContain('required_new');
    expect((await get('/v1/models/customers/versions')).body).toEqual([1, 2]);
  });

  it('reads versions back, latest included', async () => {
    const latest = await get('/v1/models/customers/versions/latest');
    expect(latest.body).toMatchObject({
      table: 'customers',
      version: 2,
      eventTopic: 'wail.events.customers',
      keySubject: 'wail.events.customers-key',
      valueSubject: 'wail.events.customers-value',
      schema: { name: 'Customer', namespace: 'shop' },
    });
    expect((await get('/v1/models/customers/versions/1')).body).toMatchObject({ version: 1 });
    expect((await get('/v1/models/customers/versions/9')).body).toMatchObject({
      error_code: 40443,
    });
    expect((await get('/v1/models/nobody/versions')).body).toMatchObject({ error_code: 40442 });
  });

  it('honours a custom event topic', async () => {
    await put('/v1/tables/accounts', { store: 'mysql', database: 'bank', keyColumns: ['id'] });
    const answer = await post('/v1/models/accounts/versions', {
      schema: { type: 'record', name: 'Account', fields: [{ name: 'id', type: 'string' }] },
      eventTopic: 'bank.accounts.v1',
    });
    expect(answer.body).toMatchObject({ eventTopic: 'bank.accounts.v1' });
    expect((await get('/subjects/bank.accounts.v1-value/versions')).body).toEqual([1]);
  });

  it.each([
    [
      'a table without a route',
      'ghosts',
      { type: 'record', name: 'G', fields: [{ name: 'id', type: 'long' }] },
      40441,
    ],
    ['a schema that is not a record', 'customers', { type: 'string' }, 42242],
    [
      'a missing key column',
      'customers',
      {
        type: 'record',
        name: 'Customer',
        namespace: 'shop',
        fields: [{ name: 'name', type: 'string' }],
      },
      42242,
    ],
    [
      'a nullable key column',
      'customers',
      {
        type: 'record',
        name: 'Customer',
        namespace: 'shop',
        fields: [{ name: 'id', type: ['null', 'long'] }],
      },
      42242,
    ],
    [
      'an unsupported field type',
      'customers',
      {
        type: 'record',
        name: 'Customer',
        namespace: 'shop',
        fields: [
          { name: 'id', type: 'long' },
          { name: 'tags', type: { type: 'array', items: 'string' } },
        ],
      },
      42242,
    ],
    [
      'invalid Avro',
      'customers',
      { type: 'record', name: 'Customer', fields: [{ name: 'id', type: 'lng' }] },
      42242,
    ],
  ])('rejects %s', async (_label, table, schema, code) => {
    expect((await post(`/v1/models/${table}/versions`, { schema })).body).toMatchObject({
      error_code: code,
    });
  });

  it('bumps the control-plane revision when a model is registered', async () => {
    const before = ((await get('/v1/tables')).body as { revision: number }).revision;
    await put('/v1/tables/events_probe', { store: 'mysql', database: 'shop', keyColumns: ['id'] });
    await post('/v1/models/events_probe/versions', {
      schema: { type: 'record', name: 'P', fields: [{ name: 'id', type: 'int' }] },
    });
    const listing = (await get('/v1/tables')).body as {
      revision: number;
      tables: { table: string; modelVersion: number | null }[];
    };
    expect(listing.revision).toBeGreaterThan(before + 1);
    expect(listing.tables.find((t) => t.table === 'events_probe')?.modelVersion).toBe(1);
  });
});
