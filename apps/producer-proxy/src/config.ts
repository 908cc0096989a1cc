import { Type, type Static } from '@sinclair/typebox';
import {
  CassandraEnv,
  Defaults,
  KafkaEnv,
  LogEnv,
  MysqlEnv,
  listenEnv,
  loadEnv,
  splitList,
  type Env,
} from '@wail/config';

export const ProxyEnv = Type.Object({
  ...LogEnv,
  ...KafkaEnv,
  ...CassandraEnv,
  ...MysqlEnv,
  ...listenEnv('WAIL_PROXY', Defaults.proxyPort),
  WAIL_REPOSITORY_URL: Type.String({
    pattern: '^https?://',
    default: Defaults.repositoryUrl,
    description: 'base URL of the schema repository (routes are read from it)',
  }),
  WAIL_PROXY_BODY_LIMIT: Type.Integer({
    minimum: 1024,
    default: 1_048_576,
    description: 'largest accepted request body, in bytes',
  }),
});

export interface ProxyConfig {
  logLevel: Static<typeof ProxyEnv>['WAIL_LOG_LEVEL'];
  http: { host: string; port: number; bodyLimit: number };
  kafka: { brokers: string[] };
  cassandra: {
    contactPoints: string[];
    localDataCenter: string;
    username?: string;
    password?: string;
  };
  mysql: { url: string };
  repositoryUrl: string;
}

export function loadConfig(env: Env): ProxyConfig {
  const e = loadEnv(ProxyEnv, env);
  return {
    logLevel: e.WAIL_LOG_LEVEL,
    http: { host: e.WAIL_PROXY_HOST, port: e.WAIL_PROXY_PORT, bodyLimit: e.WAIL_PROXY_BODY_LIMIT },
    kafka: { brokers: splitList(e.WAIL_KAFKA_BROKERS) },
    cassandra: {
      contactPoints: splitList(e.WAIL_CASSANDRA_CONTACT_POINTS),
      localDataCenter: e.WAIL_CASSANDRA_DATACENTER,
      ...(e.WAIL_CASSANDRA_USERNAME === undefined ? {} : { username: e.WAIL_CASSANDRA_USERNAME }),
      ...(e.WAIL_CASSANDRA_PASSWORD === undefined ? {} : { password: e.WAIL_CASSANDRA_PASSWORD }),
    },
    mysql: { url: e.WAIL_MYSQL_URL },
    repositoryUrl: e.WAIL_REPOSITORY_URL,
  };
}
