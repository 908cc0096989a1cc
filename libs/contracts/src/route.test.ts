import { checkRouteSpec, routeTarget, tableNameProblem, checkRoute } from './route';
import { DEFAULT_TOPIC_POLICY } from './topics';

describe('checkRouteSpec', () => {
  it('fills in the defaults: physical table, intent topic, failure mode, window', () => {
    expect(
      checkRouteSpec('orders', {
        store: 'cassandra',
        keyspace: 'shop',
        keyColumns: ['customer_id', 'order_id'],
      }),
    ).toEqual({
      ok: true,
      value: {
        store: 'cassandra',
        keyspace: 'shop',
        physicalTable: 'orders',
        keyColumns: ['customer_id', 'order_id'],
        intentTopic: 'wail.intents',
        intentCluster: 'main',
        failureMode: 'transactional',
        visibilityWindowMs: 10000,
      },
    });
  });

  it('takes back a route as GET answers it (with its table and revision)', () => {
    const spec = { store: 'mysql', database: 'shop', keyColumns: ['id'] };
    const parsed = checkRouteSpec('customers', spec);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(
      checkRouteSpec('customers', { ...parsed.value, table: 'customers', revision: 7 }),
    ).toEqual(parsed);
  });

  it('reports every problem of the body at once, each naming its rule', () => {
    expect(
      checkRouteSpec('customers', {
        store: 'mysql',
        keyspace: 'shop',
        physicalTable: '1st',
        keyColumns: ['id', 'wail_ts', 'id'],
        intentTopic: 'wail intents',
        failureMode: 'eventual',
        visibilityWindowMs: 50,
        colour: 'blue',
      }),
    ).toEqual({
      ok: false,
      problems: [
        'unknown field "colour"',
        'a mysql route needs "database": an identifier',
        'a mysql route takes "database", not "keyspace"',
        '"physicalTable" must be an identifier',
        '"wail_ts" is WAIL\'s version column and cannot be a key column',
        '"keyColumns" has duplicates',
        '"intentTopic" must be a legal Kafka topic name ([A-Za-z0-9._-], ≤ 249)',
        '"failureMode" must be "transactional" or "independent"',
        '"visibilityWindowMs" must be an integer between 100 and 3600000',
      ],
    });
  });

  it('takes a postgres route with its database and schema (public by default)', () => {
    const parsed = checkRouteSpec('invoices', {
      store: 'postgres',
      database: 'billing',
      keyColumns: ['id'],
    });
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        store: 'postgres',
        database: 'billing',
        schema: 'public',
        physicalTable: 'invoices',
      },
    });
    expect(
      checkRouteSpec('invoices', {
        store: 'postgres',
        schema: 'not a schema',
        keyspace: 'ks',
        keyColumns: ['id'],
      }),
    ).toEqual({
      ok: false,
      problems: [
        'a postgres route needs "database": an identifier',
        '"schema" must be an identifier',
        'a postgres route takes "database" and "schema", not "keyspace"',
      ],
    });
  });

  it('takes a redis route with its key prefix and no physical table of its own', () => {
    expect(
      checkRouteSpec('carts', { store: 'redis', keyPrefix: 'shop:carts', keyColumns: ['id'] }),
    ).toMatchObject({
      ok: true,
      value: { store: 'redis', keyPrefix: 'shop:carts', physicalTable: 'carts' },
    });
    expect(
      checkRouteSpec('carts', {
        store: 'redis',
        keyPrefix: 'has space{tag}',
        database: 'db',
        physicalTable: 'other',
        keyColumns: ['id'],
      }),
    ).toEqual({
      ok: false,
      problems: [
        'a redis route needs "keyPrefix": 1 to 100 of letters, digits, _ . : -',
        'a redis route takes "keyPrefix", not "database"',
        'a redis route has no physical table: its rows are named by "keyPrefix" and its columns by the data model of the table itself',
      ],
    });
  });

  it('reports a bad table name or a body that is not an object alone', () => {
    expect(checkRouteSpec('1customers', { store: 'nope' })).toEqual({
      ok: false,
      problems: [tableNameProblem('1customers')],
    });
    expect(tableNameProblem('1customers')).toContain('must be an identifier');
    expect(tableNameProblem('customers')).toBeUndefined();
    for (const body of [null, [], 'route', 3]) {
      expect(checkRouteSpec('customers', body)).toEqual({
        ok: false,
        problems: ['the body must be a JSON object'],
      });
    }
  });
});

describe('intentCluster and drainFrom', () => {
  const body = (extra: Record<string, unknown> = {}) => ({
    store: 'mysql',
    database: 'shop',
    keyColumns: ['id'],
    ...extra,
  });
  const drainProblem =
    '"drainFrom" is set by the repository while a table moves: put it back as read, or null to end the move';
  const source = { intentCluster: 'main', intentTopic: 'wail.intents', revision: 3 };

  it('logs a route that names no cluster to main, and takes a well-formed cluster name', () => {
    expect(checkRouteSpec('customers', body())).toMatchObject({
      ok: true,
      value: { intentCluster: 'main' },
    });
    // null is absent, as for the other defaulted fields
    expect(checkRouteSpec('customers', body({ intentCluster: null }))).toMatchObject({
      ok: true,
      value: { intentCluster: 'main' },
    });
    expect(checkRouteSpec('customers', body({ intentCluster: 'hot-2_a' }))).toMatchObject({
      ok: true,
      value: { intentCluster: 'hot-2_a' },
    });
  });

  it.each([['Hot'], ['2hot'], ['h'.repeat(33)], [''], [7]])(
    'refuses the cluster name %j, naming the grammar',
    (intentCluster) => {
      expect(checkRouteSpec('customers', body({ intentCluster }))).toEqual({
        ok: false,
        problems: [
          '"intentCluster" must be a cluster name of WAIL_KAFKA_CLUSTERS (lower-case letters, digits, _ and -, starting with a letter, ≤ 32)',
        ],
      });
    },
  );

  it('refuses a cluster the policy does not list, naming those it does', () => {
    const policy = { ...DEFAULT_TOPIC_POLICY, clusters: ['main', 'hot'] };
    expect(checkRoute('customers', body({ intentCluster: 'hot' }), policy)).toMatchObject({
      ok: true,
      value: { intentCluster: 'hot' },
    });
    expect(checkRoute('customers', body({ intentCluster: 'cold' }), policy)).toEqual({
      ok: false,
      problems: ['"intentCluster" "cold" is not a cluster of WAIL_KAFKA_CLUSTERS (main, hot)'],
    });
    expect(checkRoute('customers', body({ intentCluster: 'hot' }), DEFAULT_TOPIC_POLICY)).toEqual({
      ok: false,
      problems: ['"intentCluster" "hot" is not a cluster of WAIL_KAFKA_CLUSTERS (main)'],
    });
  });

  it('passes drainFrom on as given: absent, null, or a location with its revision', () => {
    const absent = checkRouteSpec('customers', body());
    expect(absent.ok && 'drainFrom' in absent.value).toBe(false);
    expect(checkRouteSpec('customers', body({ drainFrom: null }))).toMatchObject({
      ok: true,
      value: { drainFrom: null },
    });
    expect(checkRouteSpec('customers', body({ drainFrom: source }))).toMatchObject({
      ok: true,
      value: { drainFrom: source },
    });
  });

  it.each([
    ['an extra field', { ...source, note: 'x' }],
    ['a missing field', { intentCluster: 'main', intentTopic: 'wail.intents' }],
    ['revision 0', { ...source, revision: 0 }],
    ['a fractional revision', { ...source, revision: 1.5 }],
    ['a revision as text', { ...source, revision: '3' }],
    ['a bad cluster name', { ...source, intentCluster: 'Main' }],
    ['a bad topic name', { ...source, intentTopic: 'wail intents' }],
    ['an array', [source]],
    ['a string', 'wail.intents'],
  ])('refuses a drainFrom with %s, saying who sets it', (_, drainFrom) => {
    expect(checkRouteSpec('customers', body({ drainFrom }))).toEqual({
      ok: false,
      problems: [drainProblem],
    });
  });
});

describe('checkRoute', () => {
  it('applies the topic policy to a well-formed route', () => {
    expect(
      checkRoute(
        'customers',
        { store: 'mysql', database: 'shop', keyColumns: ['id'], intentTopic: 'wail.dlq' },
        DEFAULT_TOPIC_POLICY,
      ),
    ).toEqual({
      ok: false,
      problems: [
        '"intentTopic" "wail.dlq" is the dead-letter topic (WAIL_DLQ_TOPIC): a route or a model never names the consumer\'s own topics',
      ],
    });
  });

  it('reports the field problems of a malformed route before any topic rule', () => {
    const checked = checkRoute(
      'customers',
      { store: 'mysql', keyColumns: ['id'], intentTopic: 'other.intents' },
      DEFAULT_TOPIC_POLICY,
    );
    expect(checked).toEqual({
      ok: false,
      problems: ['a mysql route needs "database": an identifier'],
    });
  });
});

describe('routeTarget', () => {
  it('names the keyspace of a cassandra route and the database of a mysql one', () => {
    const route = {
      physicalTable: 't',
      keyColumns: ['id'],
      intentTopic: 'wail.intents',
      intentCluster: 'main',
      failureMode: 'transactional' as const,
      visibilityWindowMs: 10_000,
    };
    expect(routeTarget({ ...route, store: 'cassandra', keyspace: 'ks' })).toEqual({
      store: 'cassandra',
      namespace: 'ks',
      table: 't',
      keyColumns: ['id'],
    });
    expect(routeTarget({ ...route, store: 'mysql', database: 'db' }).namespace).toBe('db');
    expect(routeTarget({ ...route, store: 'postgres', database: 'db', schema: 'sales' })).toEqual({
      store: 'postgres',
      namespace: 'db',
      schema: 'sales',
      table: 't',
      keyColumns: ['id'],
    });
    expect(routeTarget({ ...route, store: 'redis', keyPrefix: 'shop:carts' }).namespace).toBe(
      'shop:carts',
    );
  });
});
