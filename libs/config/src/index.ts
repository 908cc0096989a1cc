export { loadEnv, splitList } from './load-config';
export type { Env } from './load-config';
export { CassandraEnv, Defaults, KafkaEnv, LogEnv, MysqlEnv, listenEnv } from './common';
