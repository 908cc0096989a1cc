import { Type } from '@sinclair/typebox';

const hostPortList = `^\\s*[^\\s,:]+:[0-9]{1,5}\\s*(,\\s*[^\\s,:]+:[0-9]{1,5}\\s*)*$`;

export const Defaults = {
  host: '127.0.0.1',
  kafkaBrokers: '127.0.0.1:9092',
  cassandraContactPoints: '127.0.0.1:9042',
  cassandraDatacenter: 'datacenter1',
  mysqlUrl: 'mysql://root@127.0.0.1:3306',
  repositoryUrl: 'http://127.0.0.1:8081',
  proxyPort: 8080,
  repositoryPort: 8081,
  consumerPort: 8082,
} as const;

export const LogEnv = {
  WAIL_LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info', description: 'pino log level' },
  ),
};

export const KafkaEnv = {
  WAIL_KAFKA_BROKERS: Type.String({
    pattern: hostPortList,
    default: Defaults.kafkaBrokers,
    description: 'comma-separated host:port list of Kafka bootstrap brokers',
  }),
};

export const CassandraEnv = {
  WAIL_CASSANDRA_CONTACT_POINTS: Type.String({
    pattern: hostPortList,
    default: Defaults.cassandraContactPoints,
    description: 'comma-separated host:port list of Cassandra contact points',
  }),
  WAIL_CASSANDRA_DATACENTER: Type.String({
    minLength: 1,
    default: Defaults.cassandraDatacenter,
    description: 'local data centre name for the load-balancing policy',
  }),
  WAIL_CASSANDRA_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  WAIL_CASSANDRA_PASSWORD: Type.Optional(Type.String()),
};

export const MysqlEnv = {
  WAIL_MYSQL_URL: Type.String({
    pattern: '^mysql://',
    default: Defaults.mysqlUrl,
    description: 'mysql://user:password@host:port of the primary',
  }),
};

/** `<PREFIX>_HOST` and `<PREFIX>_PORT` for a service's HTTP listener. */
export function listenEnv<P extends string>(prefix: P, port: number) {
  return {
    [`${prefix}_HOST`]: Type.String({
      minLength: 1,
      default: Defaults.host,
      description: 'listen address',
    }),
    [`${prefix}_PORT`]: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: port,
      description: 'listen port',
    }),
  } as Record<`${P}_HOST`, ReturnType<typeof Type.String>> &
    Record<`${P}_PORT`, ReturnType<typeof Type.Integer>>;
}
