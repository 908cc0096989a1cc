import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Defaults, splitList } from '@wail/config';
import { applyDefinitions, readDefinitions } from '@wail/control-plane';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { PostgresConnection } from '@wail/store-postgres';
import { repoRoot } from './services';

const demoDir = join(repoRoot, 'infra', 'demo');

function statements(file: string): string[] {
  return readFileSync(join(demoDir, file), 'utf8')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

/**
 * The demo of `npm start`: a MySQL table (customers), a Cassandra table
 * (orders), a PostgreSQL table (invoices, database wail_demo) and a Redis
 * table (carts: no DDL, its data model is its description), created if
 * missing, with their routes and data models applied from infra/demo/*.json
 * — the same files `npm run wail -- apply` takes.
 */
export async function setUpDemo(
  env: NodeJS.ProcessEnv,
  repositoryUrl: string,
  say: (line: string) => void,
): Promise<void> {
  const mysql = new MysqlConnection({
    url: env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl,
    connectionLimit: 1,
  });
  try {
    for (const statement of statements('mysql.sql')) await mysql.pool.query(statement);
  } finally {
    await mysql.close();
  }
  const cassandra = new CassandraConnection({
    contactPoints: splitList(
      env['WAIL_CASSANDRA_CONTACT_POINTS'] ?? Defaults.cassandraContactPoints,
    ),
    localDataCenter: env['WAIL_CASSANDRA_DATACENTER'] ?? Defaults.cassandraDatacenter,
  });
  try {
    for (const statement of statements('cassandra.cql')) await cassandra.client.execute(statement);
  } finally {
    await cassandra.close();
  }
  const postgres = new PostgresConnection({
    url: env['WAIL_POSTGRES_URL'] ?? Defaults.postgresUrl,
    poolSize: 1,
  });
  try {
    const exists = await postgres.query(
      postgres.defaultDatabase,
      'SELECT 1 FROM pg_database WHERE datname = $1',
      ['wail_demo'],
    );
    if (exists.rowCount === 0)
      await postgres.query(postgres.defaultDatabase, 'CREATE DATABASE wail_demo');
    for (const statement of statements('postgres.sql'))
      await postgres.query('wail_demo', statement);
  } finally {
    await postgres.close();
  }
  await applyDefinitions(
    repositoryUrl,
    readDefinitions([demoDir]),
    env['WAIL_REPOSITORY_WRITE_TOKEN'] ?? env['WAIL_REPOSITORY_TOKEN'],
    (line) => say(`demo       ${line}`),
  );
}

export const walkthrough = (proxy: string) => `
Try it (in another terminal):

  curl -s -X POST ${proxy}/v1/tables/customers/mutations -H 'content-type: application/json' \\
    -d '{"op":"upsert","key":{"id":1},"values":{"name":"Ada","email":"ada@example.com","balance":"12.50"}}'
  curl -s -X POST ${proxy}/v1/tables/orders/mutations -H 'content-type: application/json' \\
    -d '{"op":"upsert","key":{"customer_id":1,"order_id":1},"values":{"status":"paid","total":"99.90","placed_at":"2026-01-01T10:00:00Z"}}'
  curl -s -X POST ${proxy}/v1/tables/invoices/mutations -H 'content-type: application/json' \\
    -d '{"op":"upsert","key":{"invoice_id":1},"values":{"customer_id":1,"amount":"99.90","issued_on":"2026-01-01"}}'
  curl -s -X POST ${proxy}/v1/tables/carts/mutations -H 'content-type: application/json' \\
    -d '{"op":"upsert","key":{"cart_id":"c-1"},"values":{"customer_id":1,"items":3}}'
  curl -s '${proxy}/v1/tables/customers/rows?id=1'

  npm run wail -- tail wail.events.customers wail.events.orders wail.events.invoices wail.events.carts
`;

/**
 * The demo's SSE subscription of the four tables, from the earliest change:
 * a previous start's one is deleted first (its token was shown only then).
 * Returns the command that follows it.
 */
export async function demoSubscription(gatewayUrl: string): Promise<string> {
  const name = 'demo';
  const listed = (await (await fetch(`${gatewayUrl}/v1/subscriptions`)).json()) as {
    subscriptions: { id: string; name: string }[];
  };
  for (const old of listed.subscriptions.filter((subscription) => subscription.name === name))
    await fetch(`${gatewayUrl}/v1/subscriptions/${old.id}`, { method: 'DELETE' });
  const response = await fetch(`${gatewayUrl}/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      tables: ['customers', 'orders', 'invoices', 'carts'],
      start: 'earliest',
      delivery: 'sse',
    }),
  });
  const body = (await response.json()) as { id?: string; token?: string; error?: unknown };
  if (response.status !== 201) throw new Error(`demo subscription: ${JSON.stringify(body)}`);
  return `curl -sN -H 'authorization: Bearer ${body.token}' ${gatewayUrl}/v1/subscriptions/${body.id}/events`;
}
