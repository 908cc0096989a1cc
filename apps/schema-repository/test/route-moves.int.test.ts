import { MysqlConnection } from '@wail/store-mysql';
import { stackEnv } from '@wail/testing';
import { call, refused, startRepository, type TestRepository } from './support';

/**
 * Routes name the Kafka cluster of their intent topic (`intentCluster`, one
 * of WAIL_KAFKA_CLUSTERS, default `main`), and a PUT that changes where a
 * table's intents go records `drainFrom`, the old location, until a PUT ends
 * the move with `"drainFrom": null` (docs/reshaping.md).
 */
let repo: TestRepository;

const route = (extra: Record<string, unknown> = {}) => ({
  store: 'mysql',
  database: 'shop',
  keyColumns: ['id'],
  ...extra,
});

interface RouteAnswer {
  intentCluster: string;
  intentTopic: string;
  revision: number;
  drainFrom?: { intentCluster: string; intentTopic: string; revision: number };
}

const putRoute = (table: string, body: unknown, app = repo.app) =>
  call(app, 'PUT', `/v1/tables/${table}`, body);
const getRoute = async (table: string): Promise<RouteAnswer> =>
  (await call(repo.app, 'GET', `/v1/tables/${table}`)).body as RouteAnswer;

/** A PUT that must succeed, and the route it answers. */
async function accepted(table: string, body: unknown, app = repo.app): Promise<RouteAnswer> {
  const answer = await putRoute(table, body, app);
  expect([answer.status, answer.body]).toEqual([200, expect.anything()]);
  return answer.body as RouteAnswer;
}

beforeAll(async () => {
  repo = await startRepository();
});
afterAll(async () => {
  await repo.close();
});

describe('intentCluster', () => {
  it('is main for a route that names none, and nothing drains', async () => {
    const stored = await accepted('plain', route());
    expect(stored.intentCluster).toBe('main');
    expect(stored).not.toHaveProperty('drainFrom');
    expect(await getRoute('plain')).toEqual(stored);
  });

  it('is refused, naming WAIL_KAFKA_CLUSTERS, when the repository does not know the cluster', async () => {
    refused(
      await putRoute('elsewhere', route({ intentCluster: 'hot' })),
      422,
      42241,
      '"intentCluster" "hot" is not a cluster of WAIL_KAFKA_CLUSTERS (main)',
    );
    refused(
      await putRoute('elsewhere', route({ intentCluster: 'Hot' })),
      422,
      42241,
      '"intentCluster" must be a cluster name of WAIL_KAFKA_CLUSTERS',
    );
    expect((await call(repo.app, 'GET', '/v1/tables/elsewhere')).status).toBe(404);
  });

  it('is main for a route stored before clusters existed, and putting it again moves nothing', async () => {
    const legacy = {
      store: 'mysql',
      database: 'shop',
      physicalTable: 'legacy',
      keyColumns: ['id'],
      intentTopic: 'wail.intents',
      failureMode: 'transactional',
      visibilityWindowMs: 10000,
    };
    const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl, connectionLimit: 1 });
    try {
      await mysql.pool.query(
        `INSERT INTO \`${repo.database}\`.table_routes (table_name, spec, revision) VALUES (?, ?, 1)`,
        ['legacy', JSON.stringify(legacy)],
      );
    } finally {
      await mysql.close();
    }
    expect(await getRoute('legacy')).toMatchObject({ intentCluster: 'main', revision: 1 });
    const again = await accepted('legacy', legacy);
    expect(again.intentCluster).toBe('main');
    expect(again).not.toHaveProperty('drainFrom');
  });

  it('may name any cluster of WAIL_KAFKA_CLUSTERS, and moving to another cluster drains the old one', async () => {
    const clustered = await startRepository({ WAIL_KAFKA_CLUSTERS: 'hot=127.0.0.1:9192' });
    try {
      const hot = await accepted('hot_table', route({ intentCluster: 'hot' }), clustered.app);
      expect(hot).toMatchObject({ intentCluster: 'hot', intentTopic: 'wail.intents' });
      expect(hot).not.toHaveProperty('drainFrom');

      const before = await accepted('warming', route(), clustered.app);
      const moved = await accepted('warming', route({ intentCluster: 'hot' }), clustered.app);
      expect(moved.revision).toBeGreaterThan(before.revision);
      expect(moved).toMatchObject({
        intentCluster: 'hot',
        drainFrom: { intentCluster: 'main', intentTopic: 'wail.intents', revision: moved.revision },
      });
      refused(
        await putRoute('warming', route({ intentCluster: 'cold' }), clustered.app),
        422,
        42241,
        'is not a cluster of WAIL_KAFKA_CLUSTERS (main, hot)',
      );
    } finally {
      await clustered.close();
    }
  });
});

describe('a move', () => {
  const from = route({ intentTopic: 'wail.intents.orders' });
  const to = route({ intentTopic: 'wail.intents.orders2' });
  let moved: RouteAnswer;

  it('starts when a PUT changes the intent topic: a new revision, and drainFrom names the old topic at that revision', async () => {
    const before = await accepted('orders', from);
    moved = await accepted('orders', to);
    expect(moved.revision).toBeGreaterThan(before.revision);
    expect(moved).toMatchObject({ intentTopic: 'wail.intents.orders2' });
    expect(moved.drainFrom).toEqual({
      intentCluster: 'main',
      intentTopic: 'wail.intents.orders',
      revision: moved.revision,
    });
    expect(await getRoute('orders')).toEqual(moved);
  });

  it('is listed by GET /v1/tables', async () => {
    const { body } = await call(repo.app, 'GET', '/v1/tables');
    const listed = (body as { tables: (RouteAnswer & { table: string })[] }).tables.find(
      (entry) => entry.table === 'orders',
    );
    expect(listed).toMatchObject({ drainFrom: moved.drainFrom, revision: moved.revision });
  });

  it('stays through PUTs of the same body, with or without drainFrom as read back, which change nothing', async () => {
    expect(await accepted('orders', to)).toEqual(moved);
    const readBack = await getRoute('orders');
    expect(await accepted('orders', readBack)).toEqual(moved);
    const reordered = {
      ...to,
      drainFrom: {
        revision: moved.drainFrom!.revision,
        intentTopic: moved.drainFrom!.intentTopic,
        intentCluster: moved.drainFrom!.intentCluster,
      },
    };
    expect(await accepted('orders', reordered)).toEqual(moved);
  });

  it('stays through a PUT that changes something else, at a new revision', async () => {
    const widened = await accepted('orders', { ...to, visibilityWindowMs: 20000 });
    expect(widened.revision).toBeGreaterThan(moved.revision);
    expect(widened).toMatchObject({ visibilityWindowMs: 20000, drainFrom: moved.drainFrom });
    moved = await accepted('orders', to);
    expect(moved.drainFrom).toEqual(widened.drainFrom);
  });

  it('refuses a drainFrom that is not the move in progress with 422, changing nothing', async () => {
    for (const drainFrom of [
      { ...moved.drainFrom, revision: moved.drainFrom!.revision + 1 },
      { ...moved.drainFrom, intentTopic: 'wail.intents.other' },
      { ...moved.drainFrom, intentCluster: 'hot' },
    ])
      refused(
        await putRoute('orders', { ...to, drainFrom }),
        422,
        42241,
        '"drainFrom" is not the move in progress (topic wail.intents.orders on cluster main',
        'null to end the move',
      );
    refused(
      await putRoute('orders', { ...to, drainFrom: { ...moved.drainFrom, extra: 1 } }),
      422,
      42241,
      '"drainFrom" is set by the repository while a table moves',
    );
    expect(await getRoute('orders')).toEqual(moved);
  });

  it('cannot move again before it ends: 409 MOVE_IN_PROGRESS naming the drain, changing nothing', async () => {
    for (const body of [
      route({ intentTopic: 'wail.intents.orders3' }),
      from,
      { ...route({ intentTopic: 'wail.intents.orders3' }), drainFrom: moved.drainFrom },
    ])
      refused(
        await putRoute('orders', body),
        409,
        40943,
        'Move in progress: table orders is still draining from topic wail.intents.orders on cluster main (moved at revision',
        '"drainFrom": null',
      );
    expect(await getRoute('orders')).toEqual(moved);
  });

  it('ends with "drainFrom": null at a new revision, and putting that again changes nothing', async () => {
    const ended = await accepted('orders', { ...to, drainFrom: null });
    expect(ended.revision).toBeGreaterThan(moved.revision);
    expect(ended).toMatchObject({ intentTopic: 'wail.intents.orders2' });
    expect(ended).not.toHaveProperty('drainFrom');
    expect(await getRoute('orders')).toEqual(ended);
    expect(await accepted('orders', { ...to, drainFrom: null })).toEqual(ended);
    expect(await accepted('orders', to)).toEqual(ended);
  });

  it('may move again once ended, but not in the PUT that ends it: drainFrom is then the location just left', async () => {
    const third = await accepted('orders', route({ intentTopic: 'wail.intents.orders3' }));
    expect(third.drainFrom).toEqual({
      intentCluster: 'main',
      intentTopic: 'wail.intents.orders2',
      revision: third.revision,
    });
    refused(
      await putRoute('orders', {
        ...route({ intentTopic: 'wail.intents.orders4' }),
        drainFrom: null,
      }),
      409,
      40943,
      'end that move first',
    );
    expect(await getRoute('orders')).toEqual(third);
  });

  it('is never what a PUT can claim: a drainFrom object on a route that is not moving is 422', async () => {
    const notMoving = { intentCluster: 'main', intentTopic: 'wail.intents', revision: 1 };
    refused(
      await putRoute('fresh', route({ drainFrom: notMoving })),
      422,
      42241,
      '"drainFrom": table fresh is not moving',
    );
    expect((await call(repo.app, 'GET', '/v1/tables/fresh')).status).toBe(404);
    const still = await accepted('still', route());
    refused(
      await putRoute('still', route({ drainFrom: notMoving })),
      422,
      42241,
      '"drainFrom": table still is not moving',
    );
    refused(
      await putRoute('still', route({ intentTopic: 'wail.intents.still', drainFrom: notMoving })),
      422,
      42241,
      '"drainFrom": table still is not moving',
    );
    expect(await getRoute('still')).toEqual(still);
    expect(await accepted('still', route({ drainFrom: null }))).toEqual(still);
  });
});
