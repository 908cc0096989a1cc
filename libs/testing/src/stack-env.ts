import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Defaults, splitList } from '@wail/config';

/** Where the tests find the local stack; the same variables as the services. */
export function stackEnv(env: NodeJS.ProcessEnv = process.env) {
  return {
    kafkaBrokers: splitList(env['WAIL_KAFKA_BROKERS'] ?? Defaults.kafkaBrokers),
    cassandraContactPoints: splitList(
      env['WAIL_CASSANDRA_CONTACT_POINTS'] ?? Defaults.cassandraContactPoints,
    ),
    cassandraDatacenter: env['WAIL_CASSANDRA_DATACENTER'] ?? Defaults.cassandraDatacenter,
    mysqlUrl: env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl,
    postgresUrl: env['WAIL_POSTGRES_URL'] ?? Defaults.postgresUrl,
    redisUrl: env['WAIL_REDIS_URL'] ?? Defaults.redisUrl,
    s3Endpoint: env['WAIL_S3_ENDPOINT'] ?? Defaults.s3Endpoint,
    s3Region: env['WAIL_S3_REGION'] ?? Defaults.s3Region,
    s3AccessKeyId: env['WAIL_S3_ACCESS_KEY_ID'] ?? Defaults.s3AccessKeyId,
    s3SecretAccessKey: env['WAIL_S3_SECRET_ACCESS_KEY'] ?? Defaults.s3SecretAccessKey,
  };
}

/**
 * A name no other suite uses: valid as a Kafka topic, a Cassandra keyspace
 * (≤ 48 chars, starts with a letter) and a MySQL database.
 */
export function uniqueName(prefix: string): string {
  const stamp = Date.now().toString(36);
  return `${prefix}_${stamp}_${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 48);
}

/** A loopback address where nothing listens: what a stopped dependency looks like to a client. */
export async function deadAddress(): Promise<{ host: string; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { host: '127.0.0.1', port: address.port };
}
