import { silentLogger } from '@wail/telemetry';
import { loadConfig } from '../src/config';
import { compose, type RepositoryService } from '../src/main';
import { call, refused, startRepository, type TestRepository } from './support';

/**
 * Item 7 of issue 9: routes and models cannot point topics anywhere. The rules
 * that need only the body are 422 (42241 / 42242); those that depend on other
 * tables are 409 TOPIC_CONFLICT (40941), and they hold under concurrent
 * writes on two replicas of one database.
 */
let repo: TestRepository;
let replica: RepositoryService;

const route = (extra: Record<string, unknown> = {}) => ({
  store: 'mysql',
  database: 'shop',
  keyColumns: ['id'],
  ...extra,
});
const schema = { type: 'record', name: 'Row', fields: [{ name: 'id', type: 'long' }] };

const putRoute = (table: string, body: unknown, app = repo.app) =>
  call(app, 'PUT', `/v1/tables/${table}`, body);
const postModel = (table: string, eventTopic?: string, app = repo.app) =>
  call(app, 'POST', `/v1/models/${table}/versions`, {
    schema,
    ...(eventTopic === undefined ? {} : { eventTopic }),
  });

beforeAll(async () => {
  repo = await startRepository({ WAIL_DLQ_TOPIC: 'wail.shop.dlq' });
  // A second replica on the same database: the rules must hold across replicas.
  replica = await compose(
    loadConfig({
      ...process.env,
      WAIL_REPOSITORY_DATABASE: repo.database,
      WAIL_DLQ_TOPIC: 'wail.shop.dlq',
    }),
    silentLogger(),
  );
});
afterAll(async () => {
  await replica.stop();
  await repo.close();
});

describe('event topics', () => {
  beforeAll(async () => {
    expect((await putRoute('customers', route({ intentTopic: 'wail.intents.shop' }))).status).toBe(
      200,
    );
    expect((await putRoute('orders', route())).status).toBe(200);
  });

  it('are never an intent topic of any route, nor one Kafka would confuse with it', async () => {
    refused(
      await postModel('orders', 'wail.intents.shop'),
      409,
      40941,
      '"eventTopic" "wail.intents.shop" of table "orders" is the intent topic "wail.intents.shop" of table "customers"',
      'an event topic is never an intent topic',
    );
    refused(await postModel('customers', 'wail.intents.shop'), 409, 40941, 'of table "customers"');
    refused(await postModel('orders', 'wail_intents_shop'), 409, 40941, 'the same Kafka topic as');
    refused(await postModel('orders', 'wail.intents'), 422, 42242, 'the default intent topic');
  });

  it("are never the consumers' unmaterialized or (configured) dead-letter topic", async () => {
    refused(
      await postModel('orders', 'wail.intents.unmaterialized'),
      422,
      42242,
      'the unmaterialized-intents topic (WAIL_UNMATERIALIZED_TOPIC)',
    );
    refused(
      await postModel('orders', 'wail.shop.dlq'),
      422,
      42242,
      'the dead-letter topic (WAIL_DLQ_TOPIC)',
    );
    refused(
      await postModel('orders', 'wail.shop_dlq'),
      422,
      42242,
      'the same Kafka topic as the dead-letter topic',
    );
  });

  it("start with an allowed prefix, follow Kafka's grammar and are not Kafka's own", async () => {
    refused(
      await postModel('orders', 'payments'),
      422,
      42242,
      'must start with an allowed prefix: "wail"',
      'WAIL_EVENT_TOPIC_PREFIXES',
    );
    refused(
      await postModel('orders', '__consumer_offsets'),
      422,
      42242,
      'Kafka reserves for internal topics',
    );
    refused(await postModel('orders', 'wail events'), 422, 42242, 'legal Kafka topic name');
    refused(await postModel('orders', 'w'.repeat(250)), 422, 42242, 'legal Kafka topic name');
  });

  it("belong to one table: a second table naming another table's event topic is refused, and nothing is registered for it", async () => {
    expect((await postModel('customers')).body).toMatchObject({
      version: 1,
      eventTopic: 'wail.events.customers',
    });
    refused(
      await postModel('orders', 'wail.events.customers'),
      409,
      40941,
      'is the event topic "wail.events.customers" of table "customers": one table per event topic',
    );
    refused(
      await postModel('orders', 'wail_events_customers'),
      409,
      40941,
      'one table per event topic',
    );
    expect(
      (await call(repo.app, 'GET', '/subjects/wail.events.customers-value/versions')).body,
    ).toEqual([1]);
    expect((await call(repo.app, 'GET', '/v1/models/orders/versions')).body).toMatchObject({
      error_code: 40442,
    });
    // The owner keeps its topic across versions.
    const evolved = {
      ...schema,
      fields: [...schema.fields, { name: 'note', type: ['null', 'string'], default: null }],
    };
    expect(
      (await call(repo.app, 'POST', '/v1/models/customers/versions', { schema: evolved })).body,
    ).toMatchObject({ version: 2, eventTopic: 'wail.events.customers' });
  });
});

describe('intent topics', () => {
  it('are never the event topic of any model', async () => {
    refused(
      await putRoute('invoices', route({ intentTopic: 'wail.events.customers' })),
      409,
      40941,
      '"intentTopic" "wail.events.customers" of table "invoices" is the event topic "wail.events.customers" of table "customers"',
      'an intent topic is never an event topic',
    );
    refused(
      await putRoute('customers', route({ intentTopic: 'wail.events.customers' })),
      409,
      40941,
    );
    expect((await call(repo.app, 'GET', '/v1/tables/invoices')).body).toMatchObject({
      error_code: 40441,
    });
    expect((await call(repo.app, 'GET', '/v1/tables/customers')).body).toMatchObject({
      intentTopic: 'wail.intents.shop',
    });
  });

  it("are never the consumers' own topics, start with an allowed prefix and follow Kafka's grammar", async () => {
    refused(
      await putRoute('invoices', route({ intentTopic: 'wail.shop.dlq' })),
      422,
      42241,
      'the dead-letter topic',
    );
    refused(
      await putRoute('invoices', route({ intentTopic: 'wail.intents.unmaterialized' })),
      422,
      42241,
      'the unmaterialized-intents topic',
    );
    refused(
      await putRoute('invoices', route({ intentTopic: 'payments' })),
      422,
      42241,
      'must start with an allowed prefix: "wail" (WAIL_INTENT_TOPIC_PREFIXES)',
    );
    refused(
      await putRoute('invoices', route({ intentTopic: '__transaction_state' })),
      422,
      42241,
      'internal topics',
    );
    expect((await putRoute('invoices', route({ intentTopic: 'wail.intents.shop' }))).status).toBe(
      200,
    );
  });
});

describe('configured prefixes', () => {
  it('allow only the namespaces they list', async () => {
    const scoped = await startRepository({
      WAIL_INTENT_TOPIC_PREFIXES: 'team_a.intents, team_b.intents',
      WAIL_EVENT_TOPIC_PREFIXES: 'team_a.events.',
    });
    try {
      refused(
        await putRoute('things', route(), scoped.app),
        422,
        42241,
        '"intentTopic" "wail.intents" must start with an allowed prefix: "team_a.intents", "team_b.intents"',
      );
      expect(
        (await putRoute('things', route({ intentTopic: 'team_b.intents' }), scoped.app)).status,
      ).toBe(200);
      refused(
        await postModel('things', undefined, scoped.app),
        422,
        42242,
        '"wail.events.things" must start with',
      );
      expect((await postModel('things', 'team_a.events.things', scoped.app)).status).toBe(200);
    } finally {
      await scoped.close();
    }
  });
});

describe('under concurrent writes on two replicas', () => {
  const rounds = 12;

  it('gives an event topic to exactly one of two tables that claim it at once', async () => {
    for (let i = 0; i < rounds; i++) {
      expect((await putRoute(`race_a${i}`, route())).status).toBe(200);
      expect((await putRoute(`race_b${i}`, route())).status).toBe(200);
    }
    const answers = await Promise.all(
      Array.from({ length: rounds }, (_, i) =>
        Promise.all([
          postModel(`race_a${i}`, `wail.events.race${i}`, repo.app),
          postModel(`race_b${i}`, `wail.events.race${i}`, replica.app),
        ]),
      ),
    );
    for (const pair of answers) {
      expect(pair.map((answer) => answer.status).sort()).toEqual([200, 409]);
      expect(pair.find((answer) => answer.status === 409)?.body).toMatchObject({
        error_code: 40941,
      });
    }
  });

  it('never lets a route take as intent topic the event topic a model takes at the same moment', async () => {
    for (let i = 0; i < rounds; i++)
      expect((await putRoute(`race_m${i}`, route())).status).toBe(200);
    const answers = await Promise.all(
      Array.from({ length: rounds }, (_, i) =>
        Promise.all([
          putRoute(`race_r${i}`, route({ intentTopic: `wail.both${i}` }), repo.app),
          postModel(`race_m${i}`, `wail.both${i}`, replica.app),
        ]),
      ),
    );
    for (const pair of answers)
      expect(pair.map((answer) => answer.status).sort()).toEqual([200, 409]);
  });
});

describe('Redis key prefixes', () => {
  const redis = (keyPrefix: string) => ({ store: 'redis', keyPrefix, keyColumns: ['id'] });

  it('belong to one table: an equal or nested prefix is 409 KEY_PREFIX_CONFLICT', async () => {
    expect((await putRoute('carts', redis('shop:carts'))).status).toBe(200);
    // Putting the same route again is no conflict with itself.
    expect((await putRoute('carts', redis('shop:carts'))).status).toBe(200);
    refused(
      await putRoute('baskets', redis('shop:carts')),
      409,
      40942,
      '"keyPrefix" "shop:carts" of table "baskets" is the key prefix "shop:carts" of table "carts"',
    );
    refused(await putRoute('baskets', redis('shop')), 409, 40942, 'nests with', '"carts"');
    refused(await putRoute('baskets', redis('shop:carts:old')), 409, 40942, 'nests with');
    expect((await putRoute('baskets', redis('shop:cartsold'))).status).toBe(200);
  });

  it('hold under concurrent PUTs on two replicas: one of two nested prefixes wins', async () => {
    const answers = await Promise.all([
      putRoute('wishlists', redis('wish')),
      putRoute('wishes', redis('wish:list'), replica.app),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
  });
});
