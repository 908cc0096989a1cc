import { deadAddress } from './stack-env';

/** Environment overrides that point one dependency at a port where nothing listens. */
export async function stoppedDependencyEnv(
  dependency: 'kafka' | 'cassandra' | 'mysql' | 'postgres' | 'redis',
): Promise<Record<string, string>> {
  const { host, port } = await deadAddress();
  switch (dependency) {
    case 'kafka':
      return { WAIL_KAFKA_BROKERS: `${host}:${port}` };
    case 'cassandra':
      return { WAIL_CASSANDRA_CONTACT_POINTS: `${host}:${port}` };
    case 'mysql':
      return { WAIL_MYSQL_URL: `mysql://root@${host}:${port}` };
    case 'postgres':
      return { WAIL_POSTGRES_URL: `postgres://postgres@${host}:${port}/postgres` };
    case 'redis':
      return { WAIL_REDIS_URL: `redis://${host}:${port}` };
  }
}
