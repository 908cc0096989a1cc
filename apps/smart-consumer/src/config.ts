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

export const ConsumerEnv = Type.Object({
  ...LogEnv,
  ...KafkaEnv,
  ...CassandraEnv,
  ...MysqlEnv,
  ...listenEnv('WAIL_CONSUMER', Defaults.consumerPort),
  WAIL_REPOSITORY_URL: Type.String({
    pattern: '^https?://',
    default: Defaults.repositoryUrl,
    description: 'base URL of the schema repository (routes and data models are read from it)',
  }),
  WAIL_CONSUMER_GROUP: Type.String({
    minLength: 1,
    default: 'wail-smart-consumer',
    description: 'Kafka consumer group of the intent topics',
  }),
});

export interface ConsumerConfig {
  logLevel: Static<typeof ConsumerEnv>['WAIL_LOG_LEVEL'];
  http: { host: string; port: number };
  group: string;
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

export function loadConfig(env: Env): ConsumerConfig {
  const e = loadEnv(ConsumerEnv, env);
  return {
    logLevel: e.WAIL_LOG_LEVEL,
    http: { host: e.WAIL_CONSUMER_HOST, port: e.WAIL_CONSUMER_PORT },
    group: e.WAIL_CONSUMER_GROUP,
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
