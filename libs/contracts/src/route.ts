import {
  DEFAULT_INTENT_TOPIC,
  intentTopicProblems,
  isTopicName,
  sameTopic,
  type TopicPolicy,
} from './topics';

/** The stores a route may name: one place for the list (validation, OpenAPI, the store API). */
export const STORE_KINDS = ['cassandra', 'mysql', 'postgres', 'redis'] as const;
export type RouteStore = (typeof STORE_KINDS)[number];
export type FailureMode = 'transactional' | 'independent';

/**
 * What a table route says (DESIGN.md, "Table routes"): everything a proxy
 * needs to write a logical table and log its intents, and nothing about its
 * data model. The body of `PUT /v1/tables/{table}` once its defaults are in.
 */
export interface RouteSpec {
  store: RouteStore;
  /** Cassandra. */
  keyspace?: string;
  /** MySQL and PostgreSQL. */
  database?: string;
  /** PostgreSQL: the schema within the database (default `public`). */
  schema?: string;
  /** Redis: rows are hashes at `<keyPrefix>:<key>`. */
  keyPrefix?: string;
  /** The table in the store (Redis: the logical table's own name, the only one allowed). */
  physicalTable: string;
  keyColumns: string[];
  intentTopic: string;
  /** The Kafka cluster of the intent topic, by its name in `WAIL_KAFKA_CLUSTERS` (default `main`). */
  intentCluster: string;
  failureMode: FailureMode;
  visibilityWindowMs: number;
  /**
   * Set by the repository while the table moves to another intent topic or
   * cluster: where its intents used to go. Consumers of the new location hold
   * the table's intents until every partition of the old one has drained
   * (docs/reshaping.md). In a `PUT` body, `null` ends the move; the value read
   * back may be put again unchanged; any other value is refused.
   */
  drainFrom?: DrainSource | null;
}

/** Where a table's intents are logged: a topic on a named cluster. */
export interface IntentLocation {
  intentCluster: string;
  intentTopic: string;
}

/** The location a moving table drains from, and the route revision that moved it. */
export interface DrainSource extends IntentLocation {
  revision: number;
}

/** Whether two locations are one: the same cluster and the same Kafka topic. */
export function sameLocation(a: IntentLocation, b: IntentLocation): boolean {
  return a.intentCluster === b.intentCluster && sameTopic(a.intentTopic, b.intentTopic);
}

/** A route as `GET`, `PUT` and `DELETE /v1/tables/{table}` answer it. */
export interface StoredRoute extends RouteSpec {
  revision: number;
}

/** A route as `GET /v1/tables` lists it: what proxies and consumers poll. */
export interface TableRoute extends StoredRoute {
  table: string;
  /** Latest data model version, or null when the table has none yet. */
  modelVersion: number | null;
}

export interface RouteListing {
  /** Changes with every route or model change: the cheap thing to poll (also the ETag). */
  revision: number;
  tables: TableRoute[];
}

/** Either the checked value, or every problem found, each naming its rule. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const CASSANDRA_KEYSPACE = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;
/** A Redis key prefix: printable, no spaces, no `{}` (hash tags belong to the key), ≤ 100. */
const REDIS_KEY_PREFIX = /^[A-Za-z0-9_.:-]{1,100}$/;
export const DEFAULT_POSTGRES_SCHEMA = 'public';
/** The intent record header with the revision of the route that placed it (decimal). */
export const ROUTE_REVISION_HEADER = 'wail-route-revision';
/** The cluster of a route that names none, and the name `WAIL_KAFKA_BROKERS` gets. */
export const DEFAULT_CLUSTER = 'main';
/** A Kafka cluster's name in `WAIL_KAFKA_CLUSTERS` and in routes. */
export const CLUSTER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** Which of the location fields each store takes (the others are refused). */
const LOCATION_FIELDS = {
  cassandra: ['keyspace'],
  mysql: ['database'],
  postgres: ['database', 'schema'],
  redis: ['keyPrefix'],
} as const satisfies Record<RouteStore, readonly string[]>;
const ALL_LOCATION_FIELDS = ['keyspace', 'database', 'schema', 'keyPrefix'] as const;

export const DEFAULT_FAILURE_MODE: FailureMode = 'transactional';
export const DEFAULT_VISIBILITY_WINDOW_MS = 10_000;
/** The visibility windows a route may set, in milliseconds. */
export const VISIBILITY_WINDOW_MS_BOUNDS = { min: 100, max: 3_600_000 } as const;

const KNOWN_FIELDS = new Set([
  'store',
  'keyspace',
  'database',
  'schema',
  'keyPrefix',
  'physicalTable',
  'keyColumns',
  'intentTopic',
  'intentCluster',
  'drainFrom',
  'failureMode',
  'visibilityWindowMs',
  // What GET answers besides the spec, so a route read back can be put again.
  'revision',
  'table',
]);

/** Why `table` cannot name a logical table, or `undefined` when it can. */
export function tableNameProblem(table: string): string | undefined {
  if (IDENTIFIER.test(table)) return undefined;
  return `table name ${JSON.stringify(table)} must be an identifier (letters, digits, _; ≤ 64; not starting with a digit)`;
}

/**
 * Checks a `PUT /v1/tables/{table}` body and fills in the defaults. A bad
 * table name or a body that is not an object is the only problem reported;
 * otherwise every problem of every field is reported at once.
 */
export function checkRouteSpec(table: string, body: unknown): Checked<RouteSpec> {
  const badName = tableNameProblem(table);
  if (badName) return { ok: false, problems: [badName] };
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, problems: ['the body must be a JSON object'] };
  const input = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key)) problems.push(`unknown field "${key}"`);
  }

  const store = input['store'];
  if (!(STORE_KINDS as readonly unknown[]).includes(store))
    problems.push(`"store" must be one of ${STORE_KINDS.map((kind) => `"${kind}"`).join(', ')}`);
  const keyspace = input['keyspace'];
  const database = input['database'];
  const schema = input['schema'] ?? (store === 'postgres' ? DEFAULT_POSTGRES_SCHEMA : undefined);
  const keyPrefix = input['keyPrefix'];
  if (store === 'cassandra' && (typeof keyspace !== 'string' || !CASSANDRA_KEYSPACE.test(keyspace)))
    problems.push(
      'a cassandra route needs "keyspace": letters, digits and _, starting with a letter, ≤ 48',
    );
  if (
    (store === 'mysql' || store === 'postgres') &&
    (typeof database !== 'string' || !IDENTIFIER.test(database))
  )
    problems.push(`a ${store} route needs "database": an identifier`);
  if (store === 'postgres' && (typeof schema !== 'string' || !IDENTIFIER.test(schema)))
    problems.push('"schema" must be an identifier');
  if (store === 'redis' && (typeof keyPrefix !== 'string' || !REDIS_KEY_PREFIX.test(keyPrefix)))
    problems.push('a redis route needs "keyPrefix": 1 to 100 of letters, digits, _ . : -');
  if ((STORE_KINDS as readonly unknown[]).includes(store)) {
    const takes: readonly string[] = LOCATION_FIELDS[store as RouteStore];
    for (const field of ALL_LOCATION_FIELDS)
      if (!takes.includes(field) && input[field] !== undefined)
        problems.push(
          `a ${store as string} route takes ${takes.map((name) => `"${name}"`).join(' and ')}, not "${field}"`,
        );
  }

  const physicalTable = input['physicalTable'] ?? table;
  if (typeof physicalTable !== 'string' || !IDENTIFIER.test(physicalTable))
    problems.push('"physicalTable" must be an identifier');
  else if (store === 'redis' && physicalTable !== table)
    problems.push(
      'a redis route has no physical table: its rows are named by "keyPrefix" and its columns by the data model of the table itself',
    );

  const keyColumns = input['keyColumns'];
  if (!Array.isArray(keyColumns) || keyColumns.length === 0) {
    problems.push('"keyColumns" must be a non-empty array of column names');
  } else {
    for (const column of keyColumns) {
      if (typeof column !== 'string' || !IDENTIFIER.test(column))
        problems.push(`key column ${JSON.stringify(column)} is not an identifier`);
      else if (column === 'wail_ts')
        problems.push('"wail_ts" is WAIL\'s version column and cannot be a key column');
    }
    if (new Set(keyColumns).size !== keyColumns.length)
      problems.push('"keyColumns" has duplicates');
  }

  const intentTopic = input['intentTopic'] ?? DEFAULT_INTENT_TOPIC;
  if (typeof intentTopic !== 'string' || !isTopicName(intentTopic)) {
    problems.push('"intentTopic" must be a legal Kafka topic name ([A-Za-z0-9._-], ≤ 249)');
  }
  const intentCluster = input['intentCluster'] ?? DEFAULT_CLUSTER;
  if (typeof intentCluster !== 'string' || !CLUSTER_NAME.test(intentCluster))
    problems.push(
      '"intentCluster" must be a cluster name of WAIL_KAFKA_CLUSTERS (lower-case letters, digits, _ and -, starting with a letter, ≤ 32)',
    );
  const drainFrom = input['drainFrom'];
  const drainProblem = drainSourceProblem(drainFrom);
  if (drainProblem) problems.push(drainProblem);
  const failureMode = input['failureMode'] ?? DEFAULT_FAILURE_MODE;
  if (failureMode !== 'transactional' && failureMode !== 'independent') {
    problems.push('"failureMode" must be "transactional" or "independent"');
  }
  const visibilityWindowMs = input['visibilityWindowMs'] ?? DEFAULT_VISIBILITY_WINDOW_MS;
  if (
    !Number.isInteger(visibilityWindowMs) ||
    (visibilityWindowMs as number) < VISIBILITY_WINDOW_MS_BOUNDS.min ||
    (visibilityWindowMs as number) > VISIBILITY_WINDOW_MS_BOUNDS.max
  ) {
    problems.push(
      `"visibilityWindowMs" must be an integer between ${VISIBILITY_WINDOW_MS_BOUNDS.min} and ${VISIBILITY_WINDOW_MS_BOUNDS.max}`,
    );
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      store: store as RouteStore,
      ...(store === 'cassandra' ? { keyspace: keyspace as string } : {}),
      ...(store === 'mysql' || store === 'postgres' ? { database: database as string } : {}),
      ...(store === 'postgres' ? { schema: schema as string } : {}),
      ...(store === 'redis' ? { keyPrefix: keyPrefix as string } : {}),
      physicalTable: physicalTable as string,
      keyColumns: keyColumns as string[],
      intentTopic: intentTopic as string,
      intentCluster: intentCluster as string,
      failureMode: failureMode as FailureMode,
      visibilityWindowMs: visibilityWindowMs as number,
      ...(drainFrom === undefined ? {} : { drainFrom: drainFrom as DrainSource | null }),
    },
  };
}

/** `drainFrom` in a body: absent, `null`, or a location with its revision (as read back). */
function drainSourceProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const problem =
    '"drainFrom" is set by the repository while a table moves: put it back as read, or null to end the move';
  if (typeof value !== 'object' || Array.isArray(value)) return problem;
  const source = value as Record<string, unknown>;
  const fields = Object.keys(source).sort().join(',');
  if (fields !== 'intentCluster,intentTopic,revision') return problem;
  if (typeof source['intentCluster'] !== 'string' || !CLUSTER_NAME.test(source['intentCluster']))
    return problem;
  if (typeof source['intentTopic'] !== 'string' || !isTopicName(source['intentTopic']))
    return problem;
  if (!Number.isSafeInteger(source['revision']) || (source['revision'] as number) < 1)
    return problem;
  return undefined;
}

/**
 * Everything a route body is checked for without reading other routes or
 * models: its fields, then its intent topic against the topic policy (the
 * policy's rules apply to a well-formed route only).
 */
export function checkRoute(table: string, body: unknown, policy: TopicPolicy): Checked<RouteSpec> {
  const parsed = checkRouteSpec(table, body);
  if (!parsed.ok) return parsed;
  const problems = intentTopicProblems(parsed.value.intentTopic, policy);
  const clusters = policy.clusters ?? [DEFAULT_CLUSTER];
  if (!clusters.includes(parsed.value.intentCluster))
    problems.push(
      `"intentCluster" ${JSON.stringify(parsed.value.intentCluster)} is not a cluster of WAIL_KAFKA_CLUSTERS (${clusters.join(', ')})`,
    );
  return problems.length > 0 ? { ok: false, problems } : parsed;
}

/** Where a route's rows live, in the shape the store adapters take (their `TableRef`). */
export function routeTarget(route: RouteSpec): {
  store: RouteStore;
  namespace: string;
  schema?: string;
  table: string;
  keyColumns: readonly string[];
} {
  return {
    store: route.store,
    namespace: routeNamespace(route),
    ...(route.schema === undefined ? {} : { schema: route.schema }),
    table: route.physicalTable,
    keyColumns: route.keyColumns,
  };
}

/** The keyspace, database or key prefix a route's rows live under. */
export function routeNamespace(route: RouteSpec): string {
  switch (route.store) {
    case 'cassandra':
      return route.keyspace!;
    case 'mysql':
    case 'postgres':
      return route.database!;
    case 'redis':
      return route.keyPrefix!;
  }
}
