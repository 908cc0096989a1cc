import { controlPlaneErrors as errors } from './errors';

/**
 * A table route: everything a proxy needs to write a logical table and log its
 * intents, and nothing about its data model (DESIGN.md, "Table routes").
 */
export interface TableRoute {
  store: 'cassandra' | 'mysql';
  keyspace?: string;
  database?: string;
  physicalTable: string;
  keyColumns: string[];
  intentTopic: string;
  failureMode: 'transactional' | 'independent';
  visibilityWindowMs: number;
}

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const CASSANDRA_KEYSPACE = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export const DEFAULT_INTENT_TOPIC = 'wail.intents';
export const DEFAULT_VISIBILITY_WINDOW_MS = 10_000;

export function assertTableName(table: string): void {
  if (!IDENTIFIER.test(table)) {
    throw errors.invalidRoute(
      `table name ${JSON.stringify(table)} must be an identifier (letters, digits, _; ≤ 64; not starting with a digit)`,
    );
  }
}

export function isTopicName(topic: string): boolean {
  return TOPIC.test(topic) && topic !== '.' && topic !== '..';
}

const KNOWN_FIELDS = new Set([
  'store',
  'keyspace',
  'database',
  'physicalTable',
  'keyColumns',
  'intentTopic',
  'failureMode',
  'visibilityWindowMs',
]);

/** Validates a `PUT /v1/tables/{table}` body and fills in the defaults; every problem is reported at once. */
export function parseTableRoute(table: string, body: unknown): TableRoute {
  assertTableName(table);
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw errors.invalidRoute('the body must be a JSON object');
  const input = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key) && key !== 'revision' && key !== 'table')
      problems.push(`unknown field "${key}"`);
  }

  const store = input['store'];
  if (store !== 'cassandra' && store !== 'mysql')
    problems.push('"store" must be "cassandra" or "mysql"');
  const keyspace = input['keyspace'];
  const database = input['database'];
  if (store === 'cassandra') {
    if (typeof keyspace !== 'string' || !CASSANDRA_KEYSPACE.test(keyspace)) {
      problems.push(
        'a cassandra route needs "keyspace": letters, digits and _, starting with a letter, ≤ 48',
      );
    }
    if (database !== undefined) problems.push('a cassandra route takes "keyspace", not "database"');
  }
  if (store === 'mysql') {
    if (typeof database !== 'string' || !IDENTIFIER.test(database)) {
      problems.push('a mysql route needs "database": an identifier');
    }
    if (keyspace !== undefined) problems.push('a mysql route takes "database", not "keyspace"');
  }

  const physicalTable = input['physicalTable'] ?? table;
  if (typeof physicalTable !== 'string' || !IDENTIFIER.test(physicalTable))
    problems.push('"physicalTable" must be an identifier');

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
  const failureMode = input['failureMode'] ?? 'transactional';
  if (failureMode !== 'transactional' && failureMode !== 'independent') {
    problems.push('"failureMode" must be "transactional" or "independent"');
  }
  const visibilityWindowMs = input['visibilityWindowMs'] ?? DEFAULT_VISIBILITY_WINDOW_MS;
  if (
    !Number.isInteger(visibilityWindowMs) ||
    (visibilityWindowMs as number) < 100 ||
    (visibilityWindowMs as number) > 3_600_000
  ) {
    problems.push('"visibilityWindowMs" must be an integer between 100 and 3600000');
  }

  if (problems.length > 0) throw errors.invalidRoute(problems.join('; '));
  return {
    store: store as TableRoute['store'],
    ...(store === 'cassandra'
      ? { keyspace: keyspace as string }
      : { database: database as string }),
    physicalTable: physicalTable as string,
    keyColumns: keyColumns as string[],
    intentTopic: intentTopic as string,
    failureMode: failureMode as TableRoute['failureMode'],
    visibilityWindowMs: visibilityWindowMs as number,
  };
}
